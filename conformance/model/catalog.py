"""The requirement catalog: derived from a profile's schemas, plus its explicit rules.

Each schema keyword of the request body (required, type, minLength, maxLength, enum, format,
default) and each property of the created resource becomes one requirement with a stable id
`<provider>.<field>.<facet>`; the profile adds what a schema cannot say (statuses, auth,
provider rules). A requirement's level follows the reading rule it rests on (DESIGN.md, "The
reading rules"), and the tier of the values its check sends (conformance.model.tolerance): a
check on edge values is a SHOULD whatever its rule.
"""
from __future__ import annotations

from dataclasses import dataclass

from conformance.model import formats
from conformance.model.profile import Profile
from conformance.model.tolerance import EDGE, ORDINARY

MUST, SHOULD = "MUST", "SHOULD"

# The reading rules (DESIGN.md), and the level each gives a requirement judged on ordinary values.
READING_RULES = {
    "text": (MUST, "1: the page states it in prose, a field table or schema notation"),
    "example-shape": (MUST, "2: no field table; the success example shows the field, with this JSON type"),
    "example-value": (SHOULD, "2: only the example's particular value shows it"),
    "stated-status": (MUST, "3: the page states the status code"),
    "example-status": (MUST, "3: a status code shown only inside an example body: a 2xx is required"),
    "text-over-example": (MUST, "4: the text says it, though the example shows otherwise"),
    "silence": (SHOULD, "5: the page is silent; every reasonable choice passes, the suite records what it saw"),
    "standard": (MUST, "a published standard every HTTP answer owes"),
    "provider-notes": (MUST, "the provider notes shipped with the profiles (our summary of another page)"),
    "suite": (SHOULD, "a principle of this suite, stated in its documentation"),
}
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
    source: dict  # its `rule` names the reading rule it rests on
    tier: str = ""  # the values its check sends: ordinary, edge, or "" (none: a status, a header)

    @property
    def rule(self) -> str:
        return self.source.get("rule", "")

    def to_dict(self) -> dict:
        return {"id": self.id, "level": self.level, "title": self.title,
                "area": self.area, "source": self.source, "tier": self.tier}


def _a(noun: str) -> str:
    return ("an " if noun[:1] in "aeiou" else "a ") + noun


def _characters(n: int) -> str:
    return f"{n} character" + ("" if n == 1 else "s")


def _type_name(schema: dict) -> str:
    kind = schema.get("type", "value")
    return " or ".join(kind) if isinstance(kind, list) else kind


def request_properties(profile: Profile) -> dict[str, dict]:
    return profile.request_schema.get("properties", {})


def contract_rule(schema: dict) -> str:
    """The rule a schema's fields rest on: a field table (`text`) unless the schema says the
    page shows its object only in an example (`"x-contract": "example"`)."""
    return "example-shape" if schema.get("x-contract") == "example" else "text"


def example_formats(schema: dict) -> dict[str, str]:
    """Formats of an example-only object's fields (pointer -> format): the example's values
    show them, so they are SHOULD (rule 2); the fields' presence and JSON types are the MUST."""
    out: dict[str, str] = {}

    def walk(node, pointer):
        if not isinstance(node, dict):
            return
        if "format" in node:
            out[pointer or "/"] = node["format"]
        for name, sub in node.get("properties", {}).items():
            walk(sub, f"{pointer}/{name}")
        if isinstance(node.get("items"), dict):
            walk(node["items"], f"{pointer}/*")
        for sub in node.get("anyOf", []):
            walk(sub, pointer)
    if schema.get("x-contract") == "example":
        walk(schema, "")
    return out


def shape_of(schema: dict, contract: str) -> dict:
    """The part of a field's schema a MUST judges: all of it under a field table; under an
    example-only contract, everything but the formats (the example's values show those)."""
    if contract != "example-shape":
        return schema
    if isinstance(schema, dict):
        return {k: shape_of(v, contract) for k, v in schema.items() if k != "format"}
    if isinstance(schema, list):
        return [shape_of(v, contract) for v in schema]
    return schema


def edge_text_fields(profile: Profile) -> list[str]:
    """Echoed text fields whose edge values are tried (free text and identifiers, not enums,
    formats or fields the target supplies)."""
    props = request_properties(profile)
    return [name for name in profile.echo if name in props and name in unusual_text_fields(profile)]


def derive(profile: Profile) -> list[Requirement]:
    k = profile.key
    reqs: list[Requirement] = []

    def add(rid: str, title: str, area: str, quote, *, rule: str | None = None, tier: str = "",
            level: str | None = None) -> None:
        full = f"{k}.{rid}"
        source = profile.source(quote)
        kind = source["kind"]
        rule = profile.reading_rules.get(full) or rule or (kind if kind in READING_RULES else "text")
        if rule not in READING_RULES:
            raise ValueError(f"{full}: unknown reading rule {rule!r}")
        source["rule"] = rule
        level = level or (SHOULD if tier == EDGE else READING_RULES[rule][0])
        reqs.append(Requirement(full, profile.level(full, level), title, area, source, tier))

    request_rule = contract_rule(profile.request_schema)
    required = set(profile.request_schema.get("required", []))
    json_body = profile.primary_encoding == "json"
    for name, schema in request_properties(profile).items():
        quote = schema.get("x-source", name)
        if name in required:
            null = " (or with it null)" if json_body else ""  # a form field cannot be null
            add(f"{name}.required", f"a body without `{name}`{null} is rejected", "request", quote,
                rule=request_rule)
        if json_body and "type" in schema:
            optional = "" if name in required else \
                " (null, for this optional field: rejected, or taken as absent with a valid stored value)"
            add(f"{name}.type", f"a `{name}` that is not {_a(_type_name(schema))} is rejected{optional}",
                "request", quote, rule=request_rule)
        if "minLength" in schema:
            add(f"{name}.min-length",
                f"`{name}` of {_characters(schema['minLength'])} is accepted, fewer is rejected "
                "(ordinary ASCII text)", "limits", quote, rule=request_rule, tier=ORDINARY)
        if "maxLength" in schema:
            add(f"{name}.max-length",
                f"`{name}` of {_characters(schema['maxLength'])} is accepted, more is rejected "
                "(ordinary ASCII text)", "limits", quote, rule=request_rule, tier=ORDINARY)
            add(f"{name}.edge-length",
                f"`{name}`'s limit holds for non-ASCII text too, counted in Unicode code points (not UTF-8 bytes "
                "or UTF-16 units, nothing trimmed, folded or normalised first)", "limits", quote,
                rule=request_rule, tier=EDGE)
        if "enum" in schema:
            values = ", ".join(map(str, schema["enum"]))
            add(f"{name}.enum", f"`{name}` accepts each of {values} exactly as listed and rejects any other value",
                "limits", quote, rule=request_rule, tier=ORDINARY)
        if "format" in schema:
            fmt = formats.known(schema["format"])
            add(f"{name}.format", f"`{name}` accepts a {schema['format']} in its canonical spelling and rejects "
                f"a value that is no {schema['format']}", "limits", quote, rule=request_rule, tier=ORDINARY)
            if fmt and fmt.edge:
                spellings = ", ".join(label.replace("-", " ") for label in fmt.edge)
                add(f"{name}.format-edge", f"another spelling of a {schema['format']} in `{name}` ({spellings}) "
                    "is refused, or kept as the same value", "limits", quote, rule=request_rule, tier=EDGE)
        if "default" in schema and name in profile.echo:
            add(f"{name}.default", f"an omitted `{name}` is stored as {schema['default']!r}", "response", quote,
                rule=request_rule)
        if name in profile.echo:
            add(f"{name}.echoed", f"the created resource returns `{name}` exactly as submitted (ordinary values)",
                "response", quote, rule=request_rule, tier=ORDINARY)
    for name in edge_text_fields(profile):
        add(f"{name}.edge-echoed", f"the created resource returns `{name}` exactly as submitted when it holds "
            "edge text (surrounding spaces, non-ASCII letters and digits, astral characters, combining marks)",
            "response", request_properties(profile)[name].get("x-source", name), rule=request_rule, tier=EDGE)
    add("request.valid-accepted", "every body the request schema allows, with ordinary values, is accepted "
        "(every printable ASCII character in every free-text field)", "request",
        profile.request_schema.get("x-source", "the request body as documented"), rule=request_rule, tier=ORDINARY)

    success = profile.data["success"]
    statuses = " or ".join(map(str, success["statuses"])).replace("2XX", "a 2xx")
    add("response.success-status", f"a valid create answers {statuses}", "response", success["source"],
        rule=success.get("rule", "stated-status"))
    if "exact" in success:  # rule 3: the exact code is shown only inside an example body
        exact = " or ".join(map(str, success["exact"]))
        add("response.documented-status", f"a valid create answers {exact}, as the page's example shows",
            "response", success.get("exact_source", success["source"]), rule="example-value")
    add("response.content-type", "the created resource is sent as application/json", "response",
        success.get("content_type_source", success["source"]))
    # Not on any provider's page: every HTTP answer owes it to the standard.
    add("response.encoding", "every body is coded as its Content-Encoding header declares", "response",
        CONTENT_ENCODING_SOURCE)
    resource = profile.resource_schema
    resource_rule = contract_rule(resource)
    resource_required = set(resource.get("required", []))
    for name, schema in resource.get("properties", {}).items():
        fmt = f", format {schema['format']}" if "format" in schema and resource_rule == "text" else ""
        if "const" in schema:
            shape = f"always {schema['const']!r}"
        else:
            shape = _a(f"{_type_name(schema)}{fmt}")
        if name in resource_required:
            title = f"the resource's `{name}` is present and {shape}"
        else:
            title = f"when present, the resource's `{name}` is {shape}"
        if resource_rule == "example-shape":
            title += ", as the page's example shows"
        add(f"response.{name}", title, "response", schema.get("x-source", name), rule=resource_rule)
    if example_formats(resource):
        shown = ", ".join(f"`{p.strip('/')}` ({f})" for p, f in example_formats(resource).items())
        add("response.example-formats", f"the resource's fields have the formats the page's example shows: {shown}",
            "response", resource.get("x-source", "the page's example"), rule="example-value")
    props = resource.get("properties", {})
    if "id" in props:
        add("response.id-unique", "each create returns a fresh id", "response", props["id"].get("x-source", "id"),
            rule=resource_rule)
    if "created_at" in props:
        add("response.created-at-recent", "`created_at` is the time of the create (within 5 minutes)",
            "response", props["created_at"].get("x-source", "created_at"), rule="example-value")

    envelope = profile.envelope
    if envelope:
        every = envelope.get("status_on", "every-answer") == "every-answer"
        add("envelope.status", "the envelope's `status` equals the HTTP status, on every answer" if every
            else "on a successful create, the envelope's `status` equals the HTTP status", "envelope",
            envelope["status_source"], rule=envelope.get("status_rule"))
        members = profile.schemas.get("envelope", {})
        members_rule = contract_rule(members)
        for name, schema in members.get("properties", {}).items():
            if "/" + name == envelope["status_pointer"]:
                continue  # judged against the HTTP status just above
            presence = "present and" if name in members.get("required", []) else "when present,"
            add(f"envelope.{name}", f"the success envelope's `{name}` is {presence} "
                f"{_a(_type_name(schema))} shaped as envelope.schema.json documents it", "envelope",
                schema.get("x-source", name), rule=members_rule)
        if example_formats(members):
            shown = ", ".join(f"`{p.strip('/')}` ({f})" for p, f in example_formats(members).items())
            add("envelope.example-formats", f"the success envelope's fields have the formats the page's example "
                f"shows: {shown}", "envelope", members.get("x-source", "the page's example"), rule="example-value")
        for rule in envelope.get("on_success", []) + envelope.get("on_every_answer", []):  # full ids
            add(rule["id"].removeprefix(k + "."), rule["title"], "envelope", rule["source"], rule=rule.get("rule"),
                level=rule.get("level"))

    auth = profile.rejection("auth")
    auth_statuses = " or ".join(map(str, auth["statuses"]))
    add("auth.missing-credential", f"a create without credentials is rejected with {auth_statuses}",
        "auth", profile.auth["source"])
    add("auth.wrong-credential", f"a create with a wrong credential is rejected with {auth_statuses}",
        "auth", profile.auth["source"])

    if "error" in profile.schemas:
        error = profile.schemas["error"]
        add("error.body", "every rejection carries the documented error body", "errors",
            error.get("x-source", "error body"), rule=contract_rule(error) if "x-contract" in error else None)
    if profile.error_type:
        add("error.type-matches-status", "the error type is the one documented for the status",
            "errors", profile.error_type["source"])

    for rule in profile.rules.values():
        add(rule["id"].removeprefix(k + "."), rule["title"], rule.get("area", "rules"), rule["source"],
            rule=rule.get("rule"), level=rule.get("level"))
        if "unknown" in rule:  # a second requirement of the same rule, judged on its own (header values)
            unknown = rule["unknown"]
            add(unknown["id"].removeprefix(k + "."), unknown["title"], rule.get("area", "rules"),
                unknown["source"], rule=unknown.get("rule"), level=unknown.get("level"))

    add("robustness.no-server-error", "no request, however malformed, is answered with a 5xx",
        "robustness", NO_SERVER_ERROR_SOURCE)
    if profile.transient_statuses:  # the provider documents passing failures worth a retry
        add("robustness.transient-server-errors", "a create is not answered with a passing 5xx that succeeds "
            "on retry (counted over the whole run)", "robustness",
            {**profile.data["transient"]["source"], "reading": TRANSIENT_READING}, rule="suite")
    malformed = profile.data["rejections"].get("robustness.malformed-body")
    add("robustness.malformed-body", "a malformed body (broken JSON, a broken multipart form) is rejected with "
        + (statuses_of(malformed) if malformed else "a 4xx"), "robustness",
        malformed["source"] if malformed else {**MALFORMED_SOURCE, "reading": _encoding_reading(profile)})
    add("robustness.wrong-content-type", "a body sent with an undocumented Content-Type is rejected with a 4xx",
        "robustness", _encoding_source(profile), rule="silence")
    add("request.unknown-fields", "an unknown body field is either ignored or rejected with a 4xx "
        "(the page is silent; the suite records which)", "request", _encoding_source(profile), rule="silence")
    if unusual_text_fields(profile):
        add("request.unusual-text-accepted", "text the schema allows beyond ordinary printable ASCII (whitespace "
            "only, control characters, direction marks, non-ASCII letters and digits, astral characters, "
            "combining marks; an identifier outside a slug) is accepted; a documented refusal covers its cases",
            "request", UNUSUAL_TEXT_SOURCE, rule="suite", tier=EDGE)
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
TRANSIENT_READING = ("the page gives these as passing failures a client retries: a create that needed the retry "
                     "worked, but a client that does not retry saw an error, so each one the suite's retries hid is "
                     "counted over the run (SHOULD; one that persists fails robustness.no-server-error)")
MALFORMED_SOURCE = {
    "kind": "standard", "document": "RFC 9110 (HTTP Semantics), section 15.5.1",
    "url": "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.1",
    "quote": "The 400 (Bad Request) status code indicates that the server cannot or will not process the request "
             "due to something that is perceived to be a client error (e.g., malformed request syntax, invalid "
             "request message framing, or deceptive request routing).",
}
UNUSUAL_TEXT_SOURCE = {
    "kind": "suite", "document": "the tolerance model (docs: how requirements are read)",
    "reading": "strings the schema allows beyond ordinary printable ASCII, which a careful server may refuse "
               "(whitespace only, control characters, direction marks, non-ASCII text, an identifier outside a "
               "slug): accepting them is SHOULD; refusing them with a 4xx is not a MUST failure, and a "
               "documented refusal (orgo's \"Name is empty\") covers its cases",
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
