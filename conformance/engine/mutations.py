"""The single-place breaks of a request field, each labelled with the requirement it violates:
what the generated-negative probe draws from (conformance.engine.strategies) and the cases it
runs with."""

from __future__ import annotations

from conformance.engine.cases import Case
from conformance.model import formats
from conformance.model.catalog import rid
from conformance.model.profile import Profile
from conformance.model.request_requirements import request_properties

LONE_SURROGATE = "lone-surrogate"  # a break that is valid JSON text: it must only never 5xx
NULL_OPTIONAL = "null-optional"  # an optional field sent as null: rejected, or taken as absent


def mutations(profile: Profile, field: str) -> list[tuple[str, str]]:
    """The single-place breaks that apply to `field`: (kind, requirement id)."""
    schema = request_properties(profile)[field]
    json_body = profile.primary_encoding == "json"
    out = []
    if field in profile.request_schema.get("required", []):
        out.append(("drop", rid(profile, f"{field}.required")))
        if json_body:
            out.append(("null", rid(profile, f"{field}.required")))
    if json_body and schema.get("type") == "string":  # the generated wrong types are for strings
        out.append(("wrong-type", rid(profile, f"{field}.type")))
        if field not in profile.request_schema.get("required", []):
            out.append((NULL_OPTIONAL, rid(profile, f"{field}.type")))
    if "maxLength" in schema:
        out.append(("too-long", rid(profile, f"{field}.max-length")))
    if schema.get("minLength", 0) > 0:
        out.append(("too-short", rid(profile, f"{field}.min-length")))
    if "enum" in schema:
        out.append(("off-enum", rid(profile, f"{field}.enum")))
    if formats.known(schema.get("format")):
        out.append(("bad-format", rid(profile, f"{field}.format")))
    if json_body and schema.get("type") == "string" and "enum" not in schema and "format" not in schema:
        out.append((LONE_SURROGATE, rid(profile, "robustness.no-server-error")))
    return out


def generated_invalid(profile: Profile) -> list[Case]:
    """One generated-negative case per request field that can be broken; its findings name
    the exact requirement each break violates."""
    out = []
    for name in request_properties(profile):
        found = mutations(profile, name)
        if found:
            # One run judges every break of the field: a counterexample for one requirement
            # stops it, which leaves the others unjudged by this probe, not blocked.
            out.append(Case(name, found[0][1], name, {"covers": sorted({rid for _, rid in found})}))
    return out
