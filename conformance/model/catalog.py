"""The requirement catalog: derived from a profile's schemas, plus its explicit rules.

Each schema keyword of the request body becomes requirements (conformance.model.
request_requirements); each property of the created resource and of its envelope one more;
the profile adds what a schema cannot say (statuses, auth, provider rules). Each has a stable
id `<provider>.<field>.<facet>` and a level set by the rule it rests on (conformance.model.
requirement).
"""

from __future__ import annotations

from conformance.model.profile import Profile
from conformance.model.request_requirements import add_request_requirements, unusual_text_fields
from conformance.model.requirement import CatalogBuilder, Requirement, a_noun, contract_rule, example_formats, type_name
from conformance.model.tolerance import EDGE

CONTENT_ENCODING_SOURCE = {
    "document": "RFC 9110 (HTTP Semantics), section 8.4 Content-Encoding",
    "kind": "standard",
    "url": "https://www.rfc-editor.org/rfc/rfc9110#section-8.4",
    "quote": 'The "Content-Encoding" header field indicates what content codings have been applied to '
    "the representation, beyond those inherent in the media type, and thus what decoding "
    "mechanisms have to be applied in order to obtain data in the media type referenced by the "
    "Content-Type header field.",
}


def derive(profile: Profile) -> list[Requirement]:
    builder = CatalogBuilder(profile)
    add = builder.add
    k = profile.key
    add_request_requirements(builder)

    success = profile.data["success"]
    statuses = " or ".join(map(str, success["statuses"])).replace("2XX", "a 2xx")
    add(
        "response.success-status",
        f"a valid create answers {statuses}",
        "response",
        success["source"],
        rule=success.get("rule", "stated-status"),
    )
    if "exact" in success:  # rule 3: the exact code is shown only inside an example body
        exact = " or ".join(map(str, success["exact"]))
        add(
            "response.documented-status",
            f"a valid create answers {exact}, as the page's example shows",
            "response",
            success.get("exact_source", success["source"]),
            rule="example-value",
        )
    add(
        "response.content-type",
        "the created resource is sent as application/json",
        "response",
        success.get("content_type_source", success["source"]),
    )
    # Not on any provider's page: every HTTP answer owes it to the standard.
    add(
        "response.encoding",
        "every body is coded as its Content-Encoding header declares",
        "response",
        CONTENT_ENCODING_SOURCE,
    )
    resource = profile.resource_schema
    resource_rule = contract_rule(resource)
    resource_required = set(resource.get("required", []))
    for name, schema in resource.get("properties", {}).items():
        format_note = f", format {schema['format']}" if "format" in schema and resource_rule == "text" else ""
        if "const" in schema:
            shape = f"always {schema['const']!r}"
        else:
            shape = a_noun(f"{type_name(schema)}{format_note}")
        if name in resource_required:
            title = f"the resource's `{name}` is present and {shape}"
        else:
            title = f"when present, the resource's `{name}` is {shape}"
        if resource_rule == "example-shape":
            title += ", as the page's example shows"
        add(f"response.{name}", title, "response", schema.get("x-source", name), rule=resource_rule)
    if example_formats(resource):
        shown = ", ".join(f"`{p.strip('/')}` ({f})" for p, f in example_formats(resource).items())
        add(
            "response.example-formats",
            f"the resource's fields have the formats the page's example shows: {shown}",
            "response",
            resource.get("x-source", "the page's example"),
            rule="example-value",
        )
    props = resource.get("properties", {})
    if "id" in props:
        add(
            "response.id-unique",
            "each create returns a fresh id",
            "response",
            props["id"].get("x-source", "id"),
            rule=resource_rule,
        )
    if "created_at" in props:
        add(
            "response.created-at-recent",
            "`created_at` is the time of the create (within 5 minutes)",
            "response",
            props["created_at"].get("x-source", "created_at"),
            rule="example-value",
        )

    envelope = profile.envelope
    if envelope:
        every = envelope.get("status_on", "every-answer") == "every-answer"
        add(
            "envelope.status",
            "the envelope's `status` equals the HTTP status, on every answer"
            if every
            else "on a successful create, the envelope's `status` equals the HTTP status",
            "envelope",
            envelope["status_source"],
            rule=envelope.get("status_rule"),
        )
        members = profile.schemas.get("envelope", {})
        members_rule = contract_rule(members)
        for name, schema in members.get("properties", {}).items():
            if "/" + name == envelope["status_pointer"]:
                continue  # judged against the HTTP status just above
            presence = "present and" if name in members.get("required", []) else "when present,"
            add(
                f"envelope.{name}",
                f"the success envelope's `{name}` is {presence} "
                f"{a_noun(type_name(schema))} shaped as envelope.schema.json documents it",
                "envelope",
                schema.get("x-source", name),
                rule=members_rule,
            )
        if example_formats(members):
            shown = ", ".join(f"`{p.strip('/')}` ({f})" for p, f in example_formats(members).items())
            add(
                "envelope.example-formats",
                f"the success envelope's fields have the formats the page's example shows: {shown}",
                "envelope",
                members.get("x-source", "the page's example"),
                rule="example-value",
            )
        for rule in envelope.get("on_success", []) + envelope.get("on_every_answer", []):  # full ids
            add(
                rule["id"].removeprefix(k + "."),
                rule["title"],
                "envelope",
                rule["source"],
                rule=rule.get("rule"),
                level=rule.get("level"),
            )

    auth = profile.rejection("auth")
    auth_statuses = " or ".join(map(str, auth["statuses"]))
    add(
        "auth.missing-credential",
        f"a create without credentials is rejected with {auth_statuses}",
        "auth",
        profile.auth["source"],
    )
    add(
        "auth.wrong-credential",
        f"a create with a wrong credential is rejected with {auth_statuses}",
        "auth",
        profile.auth["source"],
    )

    if "error" in profile.schemas:
        error = profile.schemas["error"]
        add(
            "error.body",
            "every rejection carries the documented error body",
            "errors",
            error.get("x-source", "error body"),
            rule=contract_rule(error) if "x-contract" in error else None,
        )
    if profile.error_type:
        add(
            "error.type-matches-status",
            "the error type is the one documented for the status",
            "errors",
            profile.error_type["source"],
        )

    for rule in profile.rules.values():
        add(
            rule["id"].removeprefix(k + "."),
            rule["title"],
            rule.get("area", "rules"),
            rule["source"],
            rule=rule.get("rule"),
            level=rule.get("level"),
        )
        if "unknown" in rule:  # a second requirement of the same rule, judged on its own (header values)
            unknown = rule["unknown"]
            add(
                unknown["id"].removeprefix(k + "."),
                unknown["title"],
                rule.get("area", "rules"),
                unknown["source"],
                rule=unknown.get("rule"),
                level=unknown.get("level"),
            )

    add(
        "robustness.no-server-error",
        "no request, however malformed, is answered with a 5xx",
        "robustness",
        NO_SERVER_ERROR_SOURCE,
    )
    if profile.transient_statuses:  # the provider documents passing failures worth a retry
        add(
            "robustness.transient-server-errors",
            "a create is not answered with a passing 5xx that succeeds on retry (counted over the whole run)",
            "robustness",
            {**profile.data["transient"]["source"], "reading": TRANSIENT_READING},
            rule="suite",
        )
    malformed = profile.data["rejections"].get("robustness.malformed-body")
    add(
        "robustness.malformed-body",
        "a malformed body (broken JSON, a broken multipart form) is rejected with "
        + (statuses_of(malformed) if malformed else "a 4xx"),
        "robustness",
        malformed["source"] if malformed else {**MALFORMED_SOURCE, "reading": _encoding_reading(profile)},
    )
    add(
        "robustness.wrong-content-type",
        "a body sent with an undocumented Content-Type is rejected with a 4xx",
        "robustness",
        _encoding_source(profile),
        rule="silence",
    )
    add(
        "request.unknown-fields",
        "an unknown body field is either ignored or rejected with a 4xx (the page is silent; the suite records which)",
        "request",
        _encoding_source(profile),
        rule="silence",
    )
    if unusual_text_fields(profile):
        add(
            "request.unusual-text-accepted",
            "text the schema allows beyond ordinary printable ASCII (whitespace "
            "only, control characters, direction marks, non-ASCII letters and digits, astral characters, "
            "combining marks; an identifier outside a slug) is accepted; a documented refusal covers its cases",
            "request",
            UNUSUAL_TEXT_SOURCE,
            rule="suite",
            tier=EDGE,
        )
    # Where the page is silent or loose, the profile says how it was read (and why SHOULD).
    for req in builder.requirements:
        if req.id in profile.data.get("readings", {}):
            req.source["reading"] = profile.data["readings"][req.id]
    return builder.requirements


def _encoding_source(profile: Profile):
    """The page's words on the body's media type: the first encoding's source."""
    return next(iter(profile.encodings.values()))["source"]


def _encoding_reading(profile: Profile) -> str:
    media = " or ".join(profile.encodings)
    return f"the page documents a {media} body; one that does not parse as such is a client error"


def statuses_of(rejection: dict) -> str:
    return " or ".join(map(str, rejection["statuses"]))


# Sources that are not the provider's page: the same for every profile.
NO_SERVER_ERROR_SOURCE = {
    "kind": "standard",
    "document": "RFC 9110 (HTTP Semantics), sections 15.5 and 15.6",
    "url": "https://www.rfc-editor.org/rfc/rfc9110#section-15.5",
    "quote": "The 4xx (Client Error) class of status code indicates that the client seems to have erred. ... "
    "The 5xx (Server Error) class of status code indicates that the server is aware that it has "
    "erred or is incapable of performing the requested method.",
    "reading": "a request the client got wrong, however badly, is the client's error: a 4xx, never a 5xx",
}
TRANSIENT_READING = (
    "the page gives these as passing failures a client retries: a create that needed the retry "
    "worked, but a client that does not retry saw an error, so each one the suite's retries hid is "
    "counted over the run (SHOULD; one that persists fails robustness.no-server-error)"
)
MALFORMED_SOURCE = {
    "kind": "standard",
    "document": "RFC 9110 (HTTP Semantics), section 15.5.1",
    "url": "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.1",
    "quote": "The 400 (Bad Request) status code indicates that the server cannot or will not process the request "
    "due to something that is perceived to be a client error (e.g., malformed request syntax, invalid "
    "request message framing, or deceptive request routing).",
}
UNUSUAL_TEXT_SOURCE = {
    "kind": "suite",
    "document": "the tolerance model (docs: how requirements are read)",
    "reading": "strings the schema allows beyond ordinary printable ASCII, which a careful server may refuse "
    "(whitespace only, control characters, direction marks, non-ASCII text, an identifier outside a "
    "slug): accepting them is SHOULD; refusing them with a 4xx is not a MUST failure, and a "
    'documented refusal (orgo\'s "Name is empty") covers its cases',
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
