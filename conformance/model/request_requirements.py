"""The requirements of the request body: one per schema keyword of each field (required, type,
minLength, maxLength, enum, format, default), its echo in the created resource, and the same
checks with edge values (SHOULD); a field's id is `<provider>.<field>.<facet>`."""

from __future__ import annotations

from conformance.model import formats
from conformance.model.profile import Profile
from conformance.model.requirement import CatalogBuilder, a_noun, characters, contract_rule, type_name
from conformance.model.tolerance import EDGE, ORDINARY


def request_properties(profile: Profile) -> dict[str, dict]:
    return profile.request_schema.get("properties", {})


def is_free_text(schema: dict) -> bool:
    """A string field of free text: no enum, format, pattern or file, and not a value the page
    gives by example only (a URL a target may check more strictly)."""
    return (
        schema.get("type") == "string"
        and not schema.get("x-file")
        and "enum" not in schema
        and "format" not in schema
        and "pattern" not in schema
        and schema.get("x-generate") != "example"
    )


def unusual_text_fields(profile: Profile) -> list[str]:
    """Free-text request fields the suite fills (not the target's own params): where ordinary
    text is swept and edge text is tried."""
    return [
        name
        for name, schema in request_properties(profile).items()
        if is_free_text(schema) and name not in profile.param_fields
    ]


def edge_text_fields(profile: Profile) -> list[str]:
    """Echoed text fields whose edge values are tried (free text and identifiers, not enums,
    formats or fields the target supplies)."""
    props = request_properties(profile)
    return [name for name in profile.echo if name in props and name in unusual_text_fields(profile)]


def add_request_requirements(builder: CatalogBuilder) -> None:
    profile = builder.profile
    add = builder.add
    request_rule = contract_rule(profile.request_schema)
    required = set(profile.request_schema.get("required", []))
    json_body = profile.primary_encoding == "json"
    for name, schema in request_properties(profile).items():
        quote = schema.get("x-source", name)
        if name in required:
            null = " (or with it null)" if json_body else ""  # a form field cannot be null
            add(f"{name}.required", f"a body without `{name}`{null} is rejected", "request", quote, rule=request_rule)
        if json_body and "type" in schema:
            optional = (
                ""
                if name in required
                else " (null, for this optional field: rejected, or taken as absent with a valid stored value)"
            )
            add(
                f"{name}.type",
                f"a `{name}` that is not {a_noun(type_name(schema))} is rejected{optional}",
                "request",
                quote,
                rule=request_rule,
            )
        if "minLength" in schema:
            add(
                f"{name}.min-length",
                f"`{name}` of {characters(schema['minLength'])} is accepted, fewer is rejected (ordinary ASCII text)",
                "limits",
                quote,
                rule=request_rule,
                tier=ORDINARY,
            )
        if "maxLength" in schema:
            add(
                f"{name}.max-length",
                f"`{name}` of {characters(schema['maxLength'])} is accepted, more is rejected (ordinary ASCII text)",
                "limits",
                quote,
                rule=request_rule,
                tier=ORDINARY,
            )
            add(
                f"{name}.edge-length",
                f"`{name}`'s limit holds for non-ASCII text too, counted in Unicode code points (not UTF-8 bytes "
                "or UTF-16 units, nothing trimmed, folded or normalised first)",
                "limits",
                quote,
                rule=request_rule,
                tier=EDGE,
            )
        if "enum" in schema:
            values = ", ".join(map(str, schema["enum"]))
            add(
                f"{name}.enum",
                f"`{name}` accepts each of {values} exactly as listed and rejects any other value",
                "limits",
                quote,
                rule=request_rule,
                tier=ORDINARY,
            )
        if "format" in schema:
            fmt = formats.known(schema["format"])
            add(
                f"{name}.format",
                f"`{name}` accepts a {schema['format']} in its canonical spelling and rejects "
                f"a value that is no {schema['format']}",
                "limits",
                quote,
                rule=request_rule,
                tier=ORDINARY,
            )
            if fmt and fmt.edge:
                spellings = ", ".join(label.replace("-", " ") for label in fmt.edge)
                add(
                    f"{name}.format-edge",
                    f"another spelling of a {schema['format']} in `{name}` ({spellings}) "
                    "is refused, or kept as the same value",
                    "limits",
                    quote,
                    rule=request_rule,
                    tier=EDGE,
                )
        if "default" in schema and name in profile.echo:
            add(
                f"{name}.default",
                f"an omitted `{name}` is stored as {schema['default']!r}",
                "response",
                quote,
                rule=request_rule,
            )
        if name in profile.echo:
            add(
                f"{name}.echoed",
                f"the created resource returns `{name}` exactly as submitted (ordinary values)",
                "response",
                quote,
                rule=request_rule,
                tier=ORDINARY,
            )
    for name in edge_text_fields(profile):
        add(
            f"{name}.edge-echoed",
            f"the created resource returns `{name}` exactly as submitted when it holds "
            "edge text (surrounding spaces, non-ASCII letters and digits, astral characters, combining marks)",
            "response",
            request_properties(profile)[name].get("x-source", name),
            rule=request_rule,
            tier=EDGE,
        )
    add(
        "request.valid-accepted",
        "every body the request schema allows, with ordinary values, is accepted "
        "(every printable ASCII character in every free-text field)",
        "request",
        profile.request_schema.get("x-source", "the request body as documented"),
        rule=request_rule,
        tier=ORDINARY,
    )
