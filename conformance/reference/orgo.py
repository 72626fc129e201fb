"""Reference server for Orgo's Create workspace (seed 000), with faults and variants."""

from __future__ import annotations

import random
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

K = "orgo"
STATUSES = ("active", "inactive")
TARGET_PARAMS: dict[str, str] = {}
OWNER = "4d96f9a0-7727-4b63-889a-32544c206d7c"

VARIANTS = {
    v.name: v
    for v in [
        Variant("default", "answers 201, ignores unknown fields, returns icon_url null when unset"),
        Variant("created-200", "answers 200 and validation errors with 422; omits icon_url when unset"),
        Variant("strict", "rejects unknown fields with 400 and adds undocumented response fields"),
        Variant(
            "trims-names",
            "refuses a name of whitespace only with 400 (Name is empty, as documented); takes a "
            "null status as absent (active) and refuses a null icon_url; answers a missing or "
            "wrong key with 403",
        ),
    ]
}


_f = faults_of(K)


FAULTS = {
    f.name: f
    for f in [
        _f("empty-name-accepted", "accepts an empty name", "name.min-length"),
        _f("empty-name-422", "answers an empty name with 422 where the page says 400", "name.min-length"),
        _f("name-missing-accepted", "names a body without name 'Untitled'", "name.required"),
        _f("name-null-accepted", "treats a null name as 'Untitled'", "name.required"),
        _f("name-number-coerced", "coerces a numeric name to a string", "name.type"),
        _f("name-trimmed", "trims the name before storing it", "name.edge-echoed"),
        _f("name-renamed", "returns the name as workspace_name", "response.name", "name.echoed"),
        _f("duplicate-name-accepted", "accepts a second workspace with the same name", "name.unique"),
        _f("duplicate-name-409", "answers a duplicate name with 409 where the page says 400", "name.unique"),
        _f("status-case-insensitive", "accepts 'ACTIVE' as a status", "status.enum"),
        _f("status-any-accepted", "accepts any status string", "status.enum"),
        _f("status-default-inactive", "stores an omitted status as inactive", "status.default"),
        _f("status-ignored", "always stores active, whatever was sent", "status.echoed"),
        _f("icon-url-dropped", "does not store icon_url", "icon_url.echoed"),
        _f("icon-url-number-accepted", "accepts a numeric icon_url", "icon_url.type"),
        _f("auth-not-enforced", "creates without any token", "auth.missing-credential", "auth.wrong-credential"),
        _f("any-token-accepted", "accepts any bearer token", "auth.wrong-credential"),
        _f("status-202", "answers a create with 202", "response.success-status"),
        _f("content-type-html", "sends the workspace as text/html", "response.content-type"),
        _f(
            "gzip-not-gzip",
            "labels the created resource Content-Encoding: gzip but sends it plain",
            "response.encoding",
        ),
        _f("user-id-missing", "leaves user_id out", "response.user_id"),
        _f("id-number", "returns id as a number", "response.id"),
        _f("status-uppercase", "returns the status upper-cased", "response.status", "status.echoed"),
        _f("created-at-not-iso", "writes created_at as a Unix timestamp", "response.created_at"),
        _f("updated-at-garbage", "writes updated_at as 'now'", "response.updated_at"),
        _f("icon-url-false", "returns icon_url false when unset", "response.icon_url"),
        _f("created-at-stale", "stamps created_at in 2020", "response.created-at-recent"),
        _f("same-id", "returns the same id for every create", "response.id-unique"),
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
        _f("status-number-defaulted", "takes a numeric status for the default 'active'", "status.type"),
        _f(
            "control-character-name-rejected",
            "rejects names containing a control character",
            "request.unusual-text-accepted",
        ),
        _f(
            "blank-name-422",
            "refuses a name of whitespace only with 422, where the page's reason (Name is empty) gives 400",
            "request.unusual-text-accepted",
        ),
        _f("status-null-stored", "accepts a null status and stores it as null", "status.type"),
        _f("icon-url-null-500", "answers a null icon_url with a 500", "icon_url.type", "robustness.no-server-error"),
        _f(
            "icon-url-container-accepted",
            "accepts a list, object or boolean as icon_url",
            "icon_url.type",
            generated_only=True,
        ),
        _f(
            "digits-only-name-rejected",
            "rejects a name made only of digits, taking it for an id",
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


def _error(message: str, status: int = 400):
    return json_response({"error": message}, status)


def _validate(body: dict, b: Behaviour):
    """Returns (status, message) of the first problem, or None."""
    validation = 422 if b.variant == "created-200" else 400
    if "name" not in body or body["name"] is None:
        if (b.has("name-missing-accepted") and "name" not in body) or (b.has("name-null-accepted") and "name" in body):
            body["name"] = "Untitled"
        else:
            return validation, "name is required"
    if isinstance(body["name"], (int, float)) and not isinstance(body["name"], bool) and b.has("name-number-coerced"):
        body["name"] = str(body["name"])
    name = body["name"]
    if not isinstance(name, str):
        return validation, "name must be a string"
    if name == "" and not b.has("empty-name-accepted"):
        return (422 if b.has("empty-name-422") else 400), "Name is empty"
    if b.has("control-character-name-rejected") and any(ord(c) < 32 or 127 <= ord(c) < 160 for c in name):
        return validation, "name contains a control character"
    picky = picky_text_problem("name", name, b)
    if picky:
        return validation, picky
    if name and not name.strip():
        if b.has("blank-name-422"):
            return 422, "Name is empty"
        if b.variant == "trims-names":
            return 400, "Name is empty"
    if "icon_url" in body and body["icon_url"] is None:
        if b.has("icon-url-null-500"):
            return 500, "icon_url is None"
        if b.variant == "trims-names":
            return validation, "icon_url must be a string"
    if "status" in body and body["status"] is None:
        if b.has("status-null-stored"):
            return None
        if b.variant == "trims-names":
            del body["status"]
    icon = body.get("icon_url")
    if icon is not None and not isinstance(icon, str):
        numeric = isinstance(icon, (int, float)) and not isinstance(icon, bool)
        if not (
            (numeric and b.has("icon-url-number-accepted")) or (not numeric and b.has("icon-url-container-accepted"))
        ):
            return validation, "icon_url must be a string"
    status = body.get("status", "active")
    if isinstance(status, (int, float)) and not isinstance(status, bool) and b.has("status-number-defaulted"):
        status = body["status"] = "active"
    if status not in STATUSES:
        lenient = (
            b.has("status-case-insensitive") and isinstance(status, str) and status.lower() in STATUSES
        ) or b.has("status-any-accepted")
        if not lenient:
            return validation, "status must be active or inactive"
    if has_lone_surrogate(body) and not b.has("lone-surrogate-500"):
        return validation, "the body is not valid Unicode"
    return None


def create_app(behaviour: Behaviour | None = None, credential: str = "", db: str = ":memory:") -> Starlette:
    b = behaviour or Behaviour()
    store = Store(db)

    def authorized(request: Request) -> bool:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if b.has("auth-not-enforced"):
            return True
        if scheme.lower() != "bearer" or not token:
            return False
        return b.has("any-token-accepted") or token == credential

    async def create_workspace(request: Request):
        if b.has("intermittent-500") and b.next_request() % 7 == 0:
            return PlainTextResponse("Internal Server Error", status_code=500)
        if not authorized(request):
            return _error("Invalid or missing API key", 403 if b.variant == "trims-names" else 401)
        try:
            body = await read_json_object(
                request, media_types=None if b.has("any-content-type") else ("application/json",)
            )
        except BadBody as bad:
            if b.has("malformed-json-500") and "not valid JSON" in str(bad):
                return PlainTextResponse("Internal Server Error", status_code=500)
            return _error(str(bad), 415 if "Content-Type" in str(bad) else 400)
        unknown = sorted(set(body) - {"name", "icon_url", "status"})
        if unknown and b.has("unknown-field-500"):
            return PlainTextResponse("Internal Server Error", status_code=500)
        if unknown and b.variant == "strict":
            return _error(f"unknown field {unknown[0]}")
        problem = _validate(body, b)
        if problem and problem[0] >= 500:
            return PlainTextResponse("Internal Server Error", status_code=problem[0])
        if problem:
            return _error(problem[1], problem[0])
        name = body["name"]
        if "\x00" in name and b.has("nul-500"):
            return PlainTextResponse("Internal Server Error", status_code=500)
        if has_lone_surrogate(name) and b.has("lone-surrogate-500"):
            return PlainTextResponse("Internal Server Error", status_code=500)
        if store.name_taken(name, OWNER):
            if b.has("duplicate-name-409"):
                return _error("a workspace with this name already exists", 409)
            if not b.has("duplicate-name-accepted"):
                return _error("a workspace with this name already exists")
        workspace = _workspace(body, b)
        try:
            store.insert(workspace, owner=OWNER)
        except UnicodeEncodeError:  # only the lone-surrogate fault lets one get here
            return PlainTextResponse("Internal Server Error", status_code=500)
        wire = dict(workspace)
        if b.has("name-renamed"):
            wire["workspace_name"] = wire.pop("name")
        status = 202 if b.has("status-202") else 200 if b.variant == "created-200" else 201
        return lie_about_encoding(
            json_response(wire, status, media_type="text/html" if b.has("content-type-html") else "application/json"), b
        )

    return Starlette(routes=[Route("/workspaces", create_workspace, methods=["POST"])])


def _workspace(body: dict, b: Behaviour) -> dict:
    name = body["name"].strip() if b.has("name-trimmed") else body["name"]
    status = "inactive" if b.has("status-default-inactive") else "active"
    status = body.get("status", status)
    if b.has("status-ignored"):
        status = "active"
    if b.has("status-uppercase"):
        status = str(status).upper()
    icon = None if b.has("icon-url-dropped") else body.get("icon_url")
    now = now_rfc3339()
    workspace = {
        "id": "550e8400-e29b-41d4-a716-446655440000" if b.has("same-id") else str(uuid.uuid4()),
        "name": name,
        "user_id": OWNER,
        "status": status,
        "icon_url": icon,
        "created_at": "2020-01-01T00:00:00Z" if b.has("created-at-stale") else now,
        "updated_at": "now" if b.has("updated-at-garbage") else now,
    }
    if b.has("created-at-not-iso"):
        workspace["created_at"] = 1700000000
    if b.has("id-number"):
        workspace["id"] = random.randint(1, 10**9)
    if b.has("user-id-missing"):
        del workspace["user_id"]
    if icon is None and b.has("icon-url-false"):
        workspace["icon_url"] = False
    elif icon is None and b.variant == "created-200":
        del workspace["icon_url"]  # "Icon URL, if set"
    if b.variant == "strict":
        workspace["computer_count"] = 0
    return workspace
