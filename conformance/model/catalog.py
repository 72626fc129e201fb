"""The requirement catalog: derived from a profile's schemas, plus its explicit rules.

Each schema keyword of the request body (required, type, minLength, maxLength, enum, format,
default) and each property of the created resource becomes one requirement with a stable id
`<provider>.<field>.<facet>`; the profile adds what a schema cannot say (statuses, auth,
provider rules). Levels are MUST unless the profile says otherwise.
"""
from __future__ import annotations

from dataclasses import dataclass

from conformance.model.profile import Profile

MUST, SHOULD = "MUST", "SHOULD"
CONTENT_ENCODING_SOURCE = {
    "document": "RFC 9110 (HTTP Semantics), section 8.4 Content-Encoding",
    "kind": "standard",
    "url": "https://www.rfc-editor.org/rfc/rfc9110#section-8.4",
    "quote": "The \"Content-Encoding\" header field indicates what content codings have been applied to "
             "the representation, beyond those inherent in the media type, and thus what decoding "
             "mechanisms have to be applied in order to obtain data in the media type referenced by the "
             "Content-Type header field.",
}


@dataclass(frozen=True)
class Requirement:
    id: str
    level: str
    title: str
    area: str
    source: dict

    def to_dict(self) -> dict:
        return {"id": self.id, "level": self.level, "title": self.title,
                "area": self.area, "source": self.source}


def _a(noun: str) -> str:
    return ("an " if noun[:1] in "aeiou" else "a ") + noun


def _characters(n: int) -> str:
    return f"{n} character" + ("" if n == 1 else "s")


def _type_name(schema: dict) -> str:
    kind = schema.get("type", "value")
    return " or ".join(kind) if isinstance(kind, list) else kind


def request_properties(profile: Profile) -> dict[str, dict]:
    return profile.request_schema.get("properties", {})


def derive(profile: Profile) -> list[Requirement]:
    k = profile.key
    reqs: list[Requirement] = []

    def add(rid: str, title: str, area: str, quote: str, level: str = MUST) -> None:
        full = f"{k}.{rid}"
        reqs.append(Requirement(full, profile.level(full, level), title, area, profile.source(quote)))

    required = set(profile.request_schema.get("required", []))
    json_body = profile.primary_encoding == "json"
    for name, schema in request_properties(profile).items():
        quote = schema.get("x-source", name)
        if name in required:
            null = " (or with it null)" if json_body else ""  # a form field cannot be null
            add(f"{name}.required", f"a body without `{name}`{null} is rejected", "request", quote)
        if json_body and "type" in schema:
            optional = "" if name in required else \
                " (null, for this optional field: rejected, or taken as absent with a valid stored value)"
            add(f"{name}.type", f"a `{name}` that is not {_a(_type_name(schema))} is rejected{optional}",
                "request", quote)
        if "minLength" in schema:
            add(f"{name}.min-length",
                f"`{name}` of {_characters(schema['minLength'])} is accepted, fewer is rejected "
                "(counted in Unicode code points)", "limits", quote)
        if "maxLength" in schema:
            add(f"{name}.max-length",
                f"`{name}` of {_characters(schema['maxLength'])} is accepted, more is rejected "
                "(counted in Unicode code points)", "limits", quote)
        if "enum" in schema:
            values = ", ".join(map(str, schema["enum"]))
            add(f"{name}.enum", f"`{name}` accepts each of {values} and rejects any other value", "limits", quote)
        if "format" in schema:
            add(f"{name}.format", f"`{name}` must be a valid {schema['format']}: others are rejected "
                "(debatable spellings such as a leading + or zero: rejected, or stored as the same value)",
                "limits", quote)
        if "default" in schema and name in profile.echo:
            add(f"{name}.default", f"an omitted `{name}` is stored as {schema['default']!r}", "response", quote)
        if name in profile.echo:
            add(f"{name}.echoed", f"the created resource returns `{name}` exactly as submitted", "response", quote)
    add("request.valid-accepted", "every body the request schema allows is accepted", "request",
        profile.request_schema.get("x-source", "the request body as documented"))

    success = profile.data["success"]
    statuses = " or ".join(map(str, success["statuses"]))
    add("response.success-status", f"a valid create answers {statuses}", "response", success["source"])
    add("response.content-type", "the created resource is sent as application/json", "response",
        success.get("content_type_source", success["source"]))
    # Not on any provider's page: every HTTP answer owes it to the standard.
    reqs.append(Requirement(f"{k}.response.encoding", profile.level(f"{k}.response.encoding", MUST),
                            "every body is coded as its Content-Encoding header declares", "response",
                            CONTENT_ENCODING_SOURCE))
    resource = profile.resource_schema
    resource_required = set(resource.get("required", []))
    for name, schema in resource.get("properties", {}).items():
        fmt = f", format {schema['format']}" if "format" in schema else ""
        if "const" in schema:
            shape = f"always {schema['const']!r}"
        else:
            shape = _a(f"{_type_name(schema)}{fmt}")
        if name in resource_required:
            title = f"the resource's `{name}` is present and {shape}"
        else:
            title = f"when present, the resource's `{name}` is {shape}"
        add(f"response.{name}", title, "response",
            schema.get("x-source", name))
    props = resource.get("properties", {})
    if "id" in props:
        add("response.id-unique", "each create returns a fresh id", "response", props["id"].get("x-source", "id"))
    if "created_at" in props:
        add("response.created-at-recent", "`created_at` is the time of the create (within 5 minutes)",
            "response", props["created_at"].get("x-source", "created_at"), SHOULD)

    envelope = profile.envelope
    if envelope:
        add("envelope.status", "the envelope's `status` equals the HTTP status, on every answer",
            "envelope", envelope["status_source"])
        members = profile.schemas.get("envelope", {})
        for name, schema in members.get("properties", {}).items():
            if "/" + name == envelope["status_pointer"]:
                continue  # judged against the HTTP status on every answer, just above
            presence = "present and" if name in members.get("required", []) else "when present,"
            add(f"envelope.{name}", f"the success envelope's `{name}` is {presence} "
                f"{_a(_type_name(schema))} shaped as envelope.schema.json documents it", "envelope",
                schema.get("x-source", name))
        for rule in envelope.get("on_success", []) + envelope.get("on_every_answer", []):  # full ids
            reqs.append(Requirement(rule["id"], profile.level(rule["id"], rule.get("level", MUST)),
                                    rule["title"], "envelope", profile.source(rule["source"])))

    auth = profile.rejection("auth")
    auth_statuses = " or ".join(map(str, auth["statuses"]))
    add("auth.missing-credential", f"a create without credentials is rejected with {auth_statuses}",
        "auth", profile.auth["source"])
    add("auth.wrong-credential", f"a create with a wrong credential is rejected with {auth_statuses}",
        "auth", profile.auth["source"])

    if "error" in profile.schemas:
        add("error.body", "every rejection carries the documented error body", "errors",
            profile.schemas["error"].get("x-source", "error body"))
    if profile.error_type:
        add("error.type-matches-status", "the error type is the one documented for the status",
            "errors", profile.error_type["source"])

    for rule in profile.rules.values():
        reqs.append(Requirement(rule["id"], profile.level(rule["id"], rule.get("level", MUST)),
                                rule["title"], rule.get("area", "rules"), profile.source(rule["source"])))
        if "unknown" in rule:  # a second requirement of the same rule, judged on its own (header values)
            unknown = rule["unknown"]
            reqs.append(Requirement(unknown["id"], profile.level(unknown["id"], unknown.get("level", MUST)),
                                    unknown["title"], rule.get("area", "rules"), profile.source(unknown["source"])))

    add("robustness.no-server-error", "no request, however malformed, is answered with a 5xx",
        "robustness", NO_SERVER_ERROR_SOURCE)
    malformed = profile.data["rejections"].get("robustness.malformed-body")
    add("robustness.malformed-body", "a malformed body (broken JSON, a broken multipart form) is rejected with "
        + (statuses_of(malformed) if malformed else "a 4xx"), "robustness",
        malformed["source"] if malformed else {**MALFORMED_SOURCE, "reading": _encoding_reading(profile)})
    add("robustness.wrong-content-type", "a body sent with an undocumented Content-Type is rejected with a 4xx",
        "robustness", _encoding_source(profile), SHOULD)
    add("request.unknown-fields", "an unknown body field is either ignored or rejected with a 4xx "
        "(the page is silent; the suite records which)", "request", _encoding_source(profile), SHOULD)
    if unusual_text_fields(profile):
        add("request.unusual-text-accepted", "text the schema allows but a careful server may refuse "
            "(whitespace only, control characters, direction marks) is accepted; a documented refusal "
            "reason covers its cases", "request", UNUSUAL_TEXT_SOURCE, SHOULD)
    # Where the page is silent or loose, the profile says how it was read (and why SHOULD).
    for req in reqs:
        if req.id in profile.data.get("readings", {}):
            req.source["reading"] = profile.data["readings"][req.id]
    return reqs


def _encoding_source(profile: Profile):
    """The page's words on the body's media type: the first encoding's source."""
    return next(iter(profile.encodings.values()))["source"]


def _encoding_reading(profile: Profile) -> str:
    media = " or ".join(profile.encodings)
    return f"the page documents a {media} body; one that does not parse as such is a client error"


def statuses_of(rejection: dict) -> str:
    return " or ".join(map(str, rejection["statuses"]))


def unusual_text_fields(profile: Profile) -> list[str]:
    """Free-text request fields: where whitespace-only or control-character text can be tried."""
    return [name for name, schema in request_properties(profile).items()
            if schema.get("type") == "string" and not schema.get("x-file") and "enum" not in schema
            and "format" not in schema and "pattern" not in schema and name not in profile.param_fields
            and schema.get("x-generate") != "example"]


# Sources that are not the provider's page: the same for every profile.
NO_SERVER_ERROR_SOURCE = {
    "kind": "standard", "document": "RFC 9110 (HTTP Semantics), sections 15.5 and 15.6",
    "url": "https://www.rfc-editor.org/rfc/rfc9110#section-15.5",
    "quote": "The 4xx (Client Error) class of status code indicates that the client seems to have erred. ... "
             "The 5xx (Server Error) class of status code indicates that the server is aware that it has "
             "erred or is incapable of performing the requested method.",
    "reading": "a request the client got wrong, however badly, is the client's error: a 4xx, never a 5xx",
}
MALFORMED_SOURCE = {
    "kind": "standard", "document": "RFC 9110 (HTTP Semantics), section 15.5.1",
    "url": "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.1",
    "quote": "The 400 (Bad Request) status code indicates that the server cannot or will not process the request "
             "due to something that is perceived to be a client error (e.g., malformed request syntax, invalid "
             "request message framing, or deceptive request routing).",
}
UNUSUAL_TEXT_SOURCE = {
    "kind": "suite", "document": "README: the level policy",
    "reading": "strings the schema allows but a careful server may refuse (whitespace only, control characters, "
               "direction marks): accepting them is SHOULD; rejecting them with a documented 4xx is not a MUST "
               "failure, and a documented rejection reason (orgo's \"Name is empty\") covers its cases",
}


def by_id(profile: Profile) -> dict[str, Requirement]:
    cached = profile.__dict__.get("_catalog")
    if cached is None:
        cached = profile.__dict__["_catalog"] = {r.id: r for r in derive(profile)}
    return cached


class UnknownRequirement(LookupError):
    """A built-in probe named a requirement its provider's catalog does not hold: a bug of the
    suite (a typo would otherwise become a new requirement of its own)."""


def rid(profile: Profile, suffix: str) -> str:
    """The id of the catalog requirement `<provider>.<suffix>`: the only way a built-in probe
    names one. Raises UnknownRequirement for an id the catalog does not hold."""
    full = f"{profile.key}.{suffix}"
    if full not in by_id(profile):
        raise UnknownRequirement(f"{full} is not a requirement of the {profile.key} catalog")
    return full


def known(profile: Profile, suffix: str) -> str | None:
    """`rid` for a requirement that only some providers have: None where it is absent."""
    full = f"{profile.key}.{suffix}"
    return full if full in by_id(profile) else None
