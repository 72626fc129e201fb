"""Valid request bodies built from the request schema, with per-run unique names."""
from __future__ import annotations

from . import formats
from .catalog import request_properties


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
