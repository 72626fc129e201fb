"""Valid request bodies built from the request schema, with per-run unique names."""

from __future__ import annotations

from typing import TYPE_CHECKING

from conformance.client.target import accepted
from conformance.engine.cases import unusual_text
from conformance.model import formats, tolerance
from conformance.model.request_requirements import request_properties

if TYPE_CHECKING:  # annotations only
    from conformance.client.target import Target
    from conformance.client.transcript import Exchange
    from conformance.model.profile import Profile


def valid_value(target: Target, field: str, schema: dict):
    """A value the schema allows and the target will accept for `field`."""
    profile = target.profile
    if profile.param_value(target.params, field) is not None:
        return profile.param_value(target.params, field)
    if field in profile.unique_fields:
        return profile.unique_fields[field].format(tag=target.names.tag())
    if field in profile.tagged_fields:
        return target.names.of_length(min(schema.get("maxLength", 10**6), 26))
    if "enum" in schema:
        return schema["enum"][0]
    fmt = formats.known(schema.get("format"))
    if fmt:  # fresh each time (a uuid): a target may hold an owner id to exist, or to be unique
        return fmt.fresh()
    if "examples" in schema:
        return schema["examples"][0]
    kind = schema.get("type", "string")
    kind = kind[0] if isinstance(kind, list) else kind
    if kind != "string":
        return {"integer": 1, "number": 1, "boolean": True, "array": [], "object": {}}.get(kind)
    text = f"{target.names.tag()} {field}"
    # A page's length limits hold for every string field, not only the tagged (name-like) ones.
    if len(text) > schema.get("maxLength", len(text)) or len(text) < schema.get("minLength", 0):
        return target.names.of_length(
            min(max(len(text), schema.get("minLength", 0)), schema.get("maxLength", len(text)))
        )
    return text


def baseline_create(target: Target):
    """One create with every documented field, made once and shared by the probes that only
    read its answer (status, content type, each resource field)."""
    return target.shared_create("baseline", lambda: baseline(target, full=True))


def minimal_create(target: Target):
    """One create with the required fields only: the resource must keep its documented shape
    when the optional inputs are absent too (null, not false; absent, not garbage)."""
    return target.shared_create("minimal", lambda: baseline(target, full=False))


def baseline(target: Target, *, full: bool = True, omit=(), **overrides) -> dict:
    """All documented fields (full) or only the required ones, with overrides applied."""
    schema = target.profile.request_schema
    required = set(schema.get("required", []))
    body = {}
    for field, sub in request_properties(target.profile).items():
        if field in omit or (not full and field not in required):
            continue
        if sub.get("x-file"):
            continue  # file parts travel beside the form fields, not in it
        body[field] = valid_value(target, field, sub)
    body.update(overrides)
    return body


def baseline_with(target: Target, field: str, value: object) -> dict:
    """The full baseline body with `field` set to `value` (whatever the field's name: `full`
    or `omit` too, which baseline(**overrides) would take for its own)."""
    body = baseline(target)
    body[field] = value
    return body


def sent_body(target: Target, kind: str) -> dict:
    """The body of the shared create `kind`, which the caller has just made (echo_create...)."""
    body = target.shared_body(kind)
    if body is None:
        raise RuntimeError(f"the shared {kind} create has not been sent")
    return body


def tricky_value(target: Target, field: str, schema: dict):
    """An ordinary value that a sloppy server would still alter: mixed case (edge text, which a
    careful server may trim or normalise, is `edge_value`'s)."""
    profile = target.profile
    if profile.param_value(target.params, field) is not None:
        return profile.param_value(target.params, field)
    if "enum" in schema:
        return schema["enum"][-1]  # the last value: a server ignoring the field returns the default
    if field not in profile.tagged_fields or schema.get("format") or schema.get("type", "string") != "string":
        # Only name-like fields get the tricky text: a field such as domain_name may be
        # validated more strictly than the page says, and that is the target's right.
        return valid_value(target, field, schema)
    return tolerance.ordinary_mixed(target.names.tag(), schema.get("maxLength"), schema)


def edge_value(target: Target, field: str, label: str) -> str:
    """The edge text `label` of the tolerance model, carrying the run's tag, within the field's
    maximum length (the tag is shortened, never the edge part)."""
    schema = request_properties(target.profile)[field]
    template = tolerance.template(label)
    tag = target.names.tag()
    limit = schema.get("maxLength")
    if "{tag}" in template and limit is not None and len(template.format(tag=tag)) > limit:
        room = max(1, limit - len(template.format(tag="")))
        tag = tag[-room:]
    return template.format(tag=tag)


def unusual_value(target: Target, field: str, label: str) -> str:
    """The unusual or edge text `label` for `field`: edge text carries the run's tag; the short
    unusual kinds (whitespace only, a control character) are made unique without changing
    what kind of text they are."""
    if "{tag}" in tolerance.template(label):
        return edge_value(target, field, label)
    if field in target.profile.tagged_fields:
        schema = request_properties(target.profile)[field]
        return target.names.keep_class(tolerance.template(label), schema.get("maxLength"))
    return tolerance.template(label)


def unusual_create(target: Target, label: str):
    """One create with the unusual or edge text `label` in every field that takes it, shared by
    request.unusual-text-accepted and the edge-echo probes: one workspace per kind of text."""
    return target.shared_create(
        f"unusual:{label}",
        lambda: {
            **baseline(target),
            **{
                case.field_name: unusual_value(target, case.field_name, label)
                for case in unusual_text(target.profile)
                if case["label"] == label
            },
        },
    )


def echo_create(target: Target):
    """One create carrying an unusual value in every echoed field, shared by the echo probes
    (and by the acceptance probes whose value it carries): one workspace instead of one per field."""

    def build():
        props = request_properties(target.profile)
        return baseline(
            target, **{name: tricky_value(target, name, props[name]) for name in target.profile.echo if name in props}
        )

    return target.shared_create("echo", build)


def shared_kinds(profile: Profile, field: str, value: object) -> tuple:
    """The shared creates whose body carries `field` = `value`: an acceptance check of that
    value can read their answer instead of creating a workspace of its own."""
    props = request_properties(profile)
    schema = props.get(field, {})
    if (
        field in profile.param_fields
        or field in profile.tagged_fields
        or ("enum" not in schema and "examples" not in schema)
    ):
        return ()
    kinds = []
    if schema.get("enum", schema.get("examples", [None]))[0] == value:
        kinds.append("baseline")
    if field in profile.echo and "enum" in schema and schema["enum"][-1] == value:
        kinds.append("echo")
    return tuple(kinds)


def accepted_create(target: Target, field: str, value: object) -> Exchange:
    """A create whose body carries `field` = `value` that the target accepted: a shared one
    when one fits, else the value's own (so a refusal of a shared body, caused perhaps by
    another of its fields, is never blamed on this value)."""
    for kind in shared_kinds(target.profile, field, value):
        exchange = baseline_create(target) if kind == "baseline" else echo_create(target)
        body = sent_body(target, kind)
        if accepted(exchange, target.profile) and body.get(field) == value and type(body.get(field)) is type(value):
            return exchange
    return target.create(baseline_with(target, field, value))
