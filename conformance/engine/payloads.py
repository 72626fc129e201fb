"""Valid request bodies built from the request schema, with per-run unique names."""
from __future__ import annotations

from conformance.model import formats, tolerance
from conformance.model.catalog import request_properties


def valid_value(target, field: str, schema: dict):
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
        return target.names.of_length(min(max(len(text), schema.get("minLength", 0)),
                                          schema.get("maxLength", len(text))))
    return text


def baseline(target, *, full: bool = True, omit=(), **overrides) -> dict:
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


def tricky_value(target, field: str, schema: dict):
    """An ordinary value that a sloppy server would still alter: mixed case and punctuation
    (edge text, which a careful server may trim or normalise, is `edge_value`'s)."""
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


def edge_value(target, field: str, label: str) -> str:
    """The edge text `label` of the tolerance model, carrying the run's tag, within the field's
    maximum length (the tag is shortened, never the edge part)."""
    schema = request_properties(target.profile)[field]
    template = tolerance.EDGE_TEXT.get(label) or tolerance.UNUSUAL_TEXT.get(label) or tolerance.NON_SLUG_IDENTIFIER
    tag = target.names.tag()
    limit = schema.get("maxLength")
    if "{tag}" in template and limit is not None and len(template.format(tag=tag)) > limit:
        room = max(1, limit - len(template.format(tag="")))
        tag = tag[-room:]
    return template.format(tag=tag)


def unusual_value(target, field: str, label: str) -> str:
    """The unusual or edge text `label` for `field`: edge text carries the run's tag; the short
    unusual kinds (whitespace only, a control character) are made unique without changing
    what kind of text they are."""
    template = tolerance.EDGE_TEXT.get(label) or tolerance.UNUSUAL_TEXT.get(label) or tolerance.NON_SLUG_IDENTIFIER
    if "{tag}" in template:
        return edge_value(target, field, label)
    if field in target.profile.tagged_fields:
        schema = request_properties(target.profile)[field]
        return target.names.keep_class(template, schema.get("maxLength"))
    return template


def unusual_create(target, label: str):
    """One create with the unusual or edge text `label` in every field that takes it, shared by
    request.unusual-text-accepted and the edge-echo probes: one workspace per kind of text."""
    from conformance.engine.cases import unusual_text

    return target.shared_create(f"unusual:{label}", lambda: baseline(target, **{
        case.field: unusual_value(target, case.field, label) for case in unusual_text(target.profile)
        if case["label"] == label}))


def echo_create(target):
    """One create carrying an unusual value in every echoed field, shared by the echo probes
    (and by the acceptance probes whose value it carries): one workspace instead of one per field."""
    def build():
        props = request_properties(target.profile)
        return baseline(target, **{name: tricky_value(target, name, props[name])
                                   for name in target.profile.echo if name in props})
    return target.shared_create("echo", build)


def shared_kinds(profile, field: str, value) -> tuple:
    """The shared creates whose body carries `field` = `value`: an acceptance check of that
    value can read their answer instead of creating a workspace of its own."""
    props = request_properties(profile)
    schema = props.get(field, {})
    if field in profile.param_fields or field in profile.tagged_fields or "enum" not in schema and "examples" not in schema:
        return ()
    kinds = []
    if schema.get("enum", schema.get("examples", [None]))[0] == value:
        kinds.append("baseline")
    if field in profile.echo and "enum" in schema and schema["enum"][-1] == value:
        kinds.append("echo")
    return tuple(kinds)


def accepted_create(target, field: str, value):
    """A create whose body carries `field` = `value` that the target accepted: a shared one
    when one fits, else the value's own (so a refusal of a shared body, caused perhaps by
    another of its fields, is never blamed on this value)."""
    from conformance.client.target import accepted

    for kind in shared_kinds(target.profile, field, value):
        exchange = target.baseline() if kind == "baseline" else echo_create(target)
        body = target.shared_body(kind)
        if accepted(exchange, target.profile) and body.get(field) == value and type(body.get(field)) is type(value):
            return exchange
    return target.create(baseline(target, **{field: value}))
