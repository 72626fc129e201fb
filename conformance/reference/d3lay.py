"""Reference server for d3lay's Create a new workspace (seed 002), with faults and variants."""

from __future__ import annotations

import random
import unicodedata
import uuid

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from conformance.reference.common import (
    BadBody,
    Behaviour,
    Store,
    Variant,
    faults_of,
    has_lone_surrogate,
    json_response,
    lie_about_encoding,
    now_rfc3339,
    picky_text_problem,
    read_json_object,
)

K = "d3lay"
TYPES = ("single_user", "multi_user")
VERSIONS = ("v1",)
CALLER = "98d91cd7-860d-4869-937a-5af32eff2f4a"
TARGET_PARAMS: dict[str, str] = {}
KNOWN_OWNER = "3fa85f64-5717-4562-b3fc-2c963f66afa6"  # the only user of the owner-checked variant
STRINGS = ("identifier", "name", "domain_name")

VARIANTS = {
    v.name: v
    for v in [
        Variant("default", "validation errors answer 400; unknown fields are ignored"),
        Variant("unprocessable", "validation errors answer 422 with a field list, as FastAPI does"),
        Variant("strict", "rejects unknown fields; adds undocumented response fields; auth failures answer 403"),
        Variant(
            "nulls",
            "answers owner_id and domain_name as null when they were not sent; takes a null optional "
            "field as absent; ignores an unknown X-API-Version (a SHOULD, broken on purpose)",
            should_breaks=("x-api-version.unknown-rejected",),
        ),
        Variant(
            "owner-checked",
            "refuses (422) an owner_id that is not a known user, comparing uuids without case; "
            "refuses (409) a domain_name another workspace holds",
            params={"owner_id": KNOWN_OWNER},
        ),
    ]
}


_f = faults_of(K)


FAULTS = {
    f.name: f
    for f in [
        _f("identifier-missing-accepted", "derives a missing identifier from the name", "identifier.required"),
        _f(
            "workspace-type-missing-accepted",
            "defaults a missing workspace_type to single_user",
            "workspace_type.required",
        ),
        _f("name-null-accepted", "treats a null name as 'Untitled'", "name.required"),
        _f("name-number-coerced", "coerces a numeric name to a string", "name.type"),
        _f("identifier-number-coerced", "coerces a numeric identifier to a string", "identifier.type"),
        _f("workspace-type-any-accepted", "accepts any workspace_type string", "workspace_type.enum"),
        _f("workspace-type-case-insensitive", "accepts 'SINGLE_USER'", "workspace_type.enum"),
        _f("multi-user-rejected", "rejects multi_user", "workspace_type.enum"),
        _f("owner-id-not-validated", "stores any owner_id string", "owner_id.format"),
        _f("owner-id-ignored", "sets owner_id to the caller whatever was sent", "owner_id.echoed"),
        _f("api-version-required", "rejects a request without X-API-Version", "x-api-version.enum"),
        _f("api-version-any-accepted", "accepts any X-API-Version", "x-api-version.unknown-rejected"),
        _f("owner-id-null-500", "answers a null owner_id with a 500", "owner_id.type", "robustness.no-server-error"),
        _f(
            "owner-id-edge-misread",
            "accepts a uuid in braces, upper case or without dashes and stores a new uuid in its place",
            "owner_id.format-edge",
        ),
        _f("identifier-nfc-normalised", "NFC-normalises the identifier before storing it", "identifier.edge-echoed"),
        _f("auth-not-enforced", "creates without any token", "auth.missing-credential", "auth.wrong-credential"),
        _f("any-token-accepted", "accepts any bearer token", "auth.wrong-credential"),
        _f("status-200", "answers a create with 200 instead of Created", "response.success-status"),
        _f("id-not-uuid", "returns ids like ws_123", "response.id"),
        _f("updated-at-missing", "leaves updated_at out", "response.updated_at"),
        _f("created-at-date-only", "writes created_at as a date without time", "response.created_at"),
        _f("created-by-not-uuid", "returns created_by as a user name", "response.created_by"),
        _f("updated-by-not-uuid", "returns updated_by as a user name", "response.updated_by"),
        _f(
            "workspace-type-not-stored",
            "always answers single_user",
            "workspace_type.echoed",
            "response.workspace_type",
        ),
        _f(
            "workspace-type-as-label",
            "answers workspace_type as a display label ('Single User')",
            "response.workspace_type",
            "workspace_type.echoed",
        ),
        _f("identifier-lowercased", "lower-cases the identifier", "identifier.echoed"),
        _f("identifier-renamed", "returns the identifier as slug", "response.identifier", "identifier.echoed"),
        _f("name-trimmed", "trims the name", "name.edge-echoed"),
        _f("name-missing-in-response", "leaves name out of the answer", "response.name", "name.echoed"),
        _f("domain-name-dropped", "does not store domain_name", "domain_name.echoed"),
        _f("domain-name-number", "returns domain_name as a number", "response.domain_name"),
        _f("owner-id-uppercase", "returns owner_id in a non-uuid form", "response.owner_id", "owner_id.echoed"),
        _f("same-id", "returns the same id for every create", "response.id-unique"),
        _f("created-at-stale", "stamps created_at in 2023", "response.created-at-recent"),
        _f("content-type-text", "sends the workspace as text/plain", "response.content-type"),
        _f(
            "gzip-not-gzip",
            "labels the created resource Content-Encoding: gzip but sends it plain",
            "response.encoding",
        ),
        _f(
            "malformed-json-500",
            "answers malformed JSON with a 500",
            "robustness.malformed-body",
            "robustness.no-server-error",
        ),
        _f("nul-500", "answers a NUL in the name with a 500", "robustness.no-server-error"),
        _f("lone-surrogate-500", "answers a lone surrogate with a 500", "robustness.no-server-error"),
        _f("intermittent-500", "answers every 7th request with a 500", "robustness.no-server-error"),
        _f("any-content-type", "parses the body as JSON whatever its Content-Type", "robustness.wrong-content-type"),
        _f(
            "unknown-field-500",
            "answers unknown body fields with a 500",
            "request.unknown-fields",
            "robustness.no-server-error",
        ),
        _f("domain-name-number-coerced", "coerces a numeric domain_name to a string", "domain_name.type"),
        _f("workspace-type-number-defaulted", "takes a numeric workspace_type for single_user", "workspace_type.type"),
        _f(
            "owner-id-number-dropped",
            "drops a numeric owner_id and creates the workspace without an owner",
            "owner_id.type",
        ),
        _f(
            "control-character-name-rejected",
            "rejects names containing a control character",
            "request.unusual-text-accepted",
        ),
        _f("blank-identifier-rejected", "rejects identifiers made only of whitespace", "request.unusual-text-accepted"),
        _f(
            "identifier-container-accepted",
            "accepts a list, object or boolean as identifier",
            "identifier.type",
            generated_only=True,
        ),
        _f(
            "digits-only-identifier-rejected",
            "rejects an identifier made only of digits, taking it for an id",
            "request.valid-accepted",
            generated_only=True,
        ),
        _f(
            "combining-mark-name-rejected",
            "rejects a name containing a combining mark",
            "request.unusual-text-accepted",
        ),
        _f(
            "tilde-or-backquote-name-rejected",
            "rejects a name holding ~ or a backquote (ordinary printable ASCII)",
            "request.valid-accepted",
            generated_only=True,
        ),
    ]
}


def _error(b: Behaviour, status: int, message: str, field: str | None = None):
    if b.variant == "unprocessable" and status in (400, 422):
        return json_response({"detail": [{"loc": ["body", field or "body"], "msg": message}]}, 422)
    return json_response({"message": message}, status)


def _problem(body: dict, b: Behaviour) -> tuple[str, str] | None:
    """(field, message) of the first validation problem, or None; may repair per a fault."""
    if "identifier" not in body and b.has("identifier-missing-accepted") and isinstance(body.get("name"), str):
        body["identifier"] = body["name"].lower().replace(" ", "-")
    if "workspace_type" not in body and b.has("workspace-type-missing-accepted"):
        body["workspace_type"] = "single_user"
    if body.get("name", "") is None and b.has("name-null-accepted"):
        body["name"] = "Untitled"
    for field in ("identifier", "name", "workspace_type"):
        if body.get(field) is None:
            return field, f"{field} is required"
    if b.variant == "nulls":  # a null optional field is taken as absent
        for field in ("owner_id", "domain_name"):
            if field in body and body[field] is None:
                del body[field]
    for field, fault in (
        ("name", "name-number-coerced"),
        ("identifier", "identifier-number-coerced"),
        ("domain_name", "domain-name-number-coerced"),
    ):
        value = body.get(field)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and b.has(fault):
            body[field] = str(value)
    for field in STRINGS:
        if field in body and not isinstance(body[field], str):
            if (
                field == "identifier"
                and isinstance(body[field], (list, dict, bool))
                and b.has("identifier-container-accepted")
            ):
                body[field] = str(body[field])
                continue
            return field, f"{field} must be a string"
    for field, fault, fallback in (
        ("workspace_type", "workspace-type-number-defaulted", "single_user"),
        ("owner_id", "owner-id-number-dropped", None),
    ):
        value = body.get(field)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and b.has(fault):
            body[field] = fallback
    kind = body["workspace_type"]
    allowed = TYPES[:1] if b.has("multi-user-rejected") else TYPES
    if kind not in allowed:
        lenient = b.has("workspace-type-any-accepted") or (
            b.has("workspace-type-case-insensitive") and isinstance(kind, str) and kind.lower() in TYPES
        )
        if not lenient:
            return "workspace_type", "workspace_type must be single_user or multi_user"
    owner = body.get("owner_id")
    if owner is not None and not b.has("owner-id-not-validated"):
        try:
            if not isinstance(owner, str):
                raise ValueError
            canonical = str(uuid.UUID(owner))
            if canonical != owner.lower() and not b.has("owner-id-edge-misread"):
                raise ValueError
        except ValueError:
            return "owner_id", "owner_id must be a uuid"
    if b.has("control-character-name-rejected") and any(ord(c) < 32 for c in body["name"]):
        return "name", "name contains a control character"
    if b.has("blank-identifier-rejected") and body["identifier"] and not body["identifier"].strip():
        return "identifier", "identifier is blank"
    for field in ("name", "identifier"):
        picky = picky_text_problem(field, body.get(field), b)
        if picky:
            return field, picky
    if has_lone_surrogate(body) and not b.has("lone-surrogate-500"):
        return "name", "the body is not valid Unicode"
    return None


def create_app(behaviour: Behaviour | None = None, credential: str = "", db: str = ":memory:") -> Starlette:
    b = behaviour or Behaviour()
    store = Store(db)

    def authorized(request: Request) -> bool:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if b.has("auth-not-enforced"):
            return True
        if scheme.lower() != "bearer" or not token:
            return False
        return b.has("any-token-accepted") or token == credential

    async def create_workspace(request: Request):
        if b.has("intermittent-500") and b.next_request() % 7 == 0:
            return PlainTextResponse("Internal Server Error", status_code=500)
        if not authorized(request):
            return _error(b, 403 if b.variant == "strict" else 401, "missing or invalid bearer token")
        version = request.headers.get("x-api-version")
        if version is None and b.has("api-version-required"):
            return _error(b, 400, "X-API-Version is required")
        if (
            version is not None
            and version not in VERSIONS
            and not b.has("api-version-any-accepted")
            and b.variant != "nulls"
        ):
            return _error(b, 400, f"unsupported X-API-Version {version}")
        try:
            body = await read_json_object(
                request, media_types=None if b.has("any-content-type") else ("application/json",)
            )
        except BadBody as bad:
            if b.has("malformed-json-500") and "not valid JSON" in str(bad):
                return PlainTextResponse("Internal Server Error", status_code=500)
            return _error(b, 415 if "Content-Type" in str(bad) else 400, str(bad))
        unknown = sorted(set(body) - {"identifier", "name", "workspace_type", "owner_id", "domain_name"})
        if unknown and b.has("unknown-field-500"):
            return PlainTextResponse("Internal Server Error", status_code=500)
        if unknown and b.variant == "strict":
            return _error(b, 400, f"unknown field {unknown[0]}", unknown[0])
        if "owner_id" in body and body["owner_id"] is None and b.has("owner-id-null-500"):
            return PlainTextResponse("Internal Server Error", status_code=500)
        problem = _problem(body, b)
        if problem:
            return _error(b, 400, problem[1], problem[0])
        if b.variant == "owner-checked":
            owner = body.get("owner_id")
            if owner is not None and owner.lower() != KNOWN_OWNER:
                return _error(b, 422, "owner_id is not a known user", "owner_id")
            if "domain_name" in body and store.domain_taken(body["domain_name"]):
                return _error(b, 409, "domain_name is taken", "domain_name")
        if "\x00" in body["name"] and b.has("nul-500"):
            return PlainTextResponse("Internal Server Error", status_code=500)
        workspace = _workspace(body, b)
        try:
            store.insert(workspace, owner=CALLER)
        except UnicodeEncodeError:
            return PlainTextResponse("Internal Server Error", status_code=500)
        wire = dict(workspace)
        if b.has("identifier-renamed"):
            wire["slug"] = wire.pop("identifier")
        if b.has("name-missing-in-response"):
            del wire["name"]
        return lie_about_encoding(
            json_response(
                wire,
                200 if b.has("status-200") else 201,
                media_type="text/plain" if b.has("content-type-text") else "application/json",
            ),
            b,
        )

    return Starlette(routes=[Route("/workspaces", create_workspace, methods=["POST"])])


def _workspace(body: dict, b: Behaviour) -> dict:
    now = now_rfc3339()
    owner = CALLER if b.has("owner-id-ignored") else body.get("owner_id", None if b.variant == "nulls" else CALLER)
    if b.has("owner-id-edge-misread") and isinstance(owner, str) and owner != owner.lower().strip("{}"):
        owner = str(uuid.uuid4())  # the spelling was not understood, and a new owner made up
    workspace = {
        "id": "d4add56e-c345-4ac9-b392-7a890a60559a" if b.has("same-id") else str(uuid.uuid4()),
        "identifier": body["identifier"].lower()
        if b.has("identifier-lowercased")
        else unicodedata.normalize("NFC", body["identifier"])
        if b.has("identifier-nfc-normalised")
        else body["identifier"],
        "name": body["name"].strip() if b.has("name-trimmed") else body["name"],
        "owner_id": owner.upper().replace("-", "") if b.has("owner-id-uppercase") and owner else owner,
        "workspace_type": "single_user"
        if b.has("workspace-type-not-stored")
        else body["workspace_type"].replace("_", " ").title()
        if b.has("workspace-type-as-label")
        else body["workspace_type"],
        "created_at": "2023-05-06T00:00:00Z" if b.has("created-at-stale") else now,
        "updated_at": now,
        "created_by": "admin" if b.has("created-by-not-uuid") else CALLER,
        "updated_by": "admin" if b.has("updated-by-not-uuid") else CALLER,
    }
    if "domain_name" in body and not b.has("domain-name-dropped"):
        workspace["domain_name"] = 3 if b.has("domain-name-number") else body["domain_name"]
    elif b.variant == "nulls":
        workspace["domain_name"] = None
    if b.has("id-not-uuid"):
        workspace["id"] = f"ws_{random.randint(1, 10**6)}"
    if b.has("updated-at-missing"):
        del workspace["updated_at"]
    if b.has("created-at-date-only"):
        workspace["created_at"] = now[:10]
    if b.variant == "strict":
        workspace["members"] = []
    return workspace
