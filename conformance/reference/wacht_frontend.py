"""Reference server for Wacht's frontend API Create Workspace (seed 001), with faults.

The page gives a curl example and one success example, nothing more; what it leaves open is
taken from the README's outside facts (401 without a sign-in, 403 outside the organization,
400 for a body that fails validation, error entries {code, message}) or made a variant.
"""

from __future__ import annotations

import json
import secrets

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

K = "wacht-frontend"
USER_ID = "user_456789123"
SIGNIN = {"id": "signin_987654321", "user_id": USER_ID, "created_at": "2024-01-01T12:00:00Z"}
# (id, name, slug, the caller's role: "admin" may create workspaces, "viewer" may not, None is
# no member). The second member organization is the session's active one, so a server that
# ignores organization_id is seen using the wrong organization.
ORGANIZATIONS = [
    ("org_456789123", "Acme Corporation", "acme-corp", "admin"),
    ("org_456789124", "Acme Labs", "acme-labs", "admin"),
    ("org_456789125", "Acme Archive", "acme-archive", "viewer"),
    ("org_999000111", "Globex Corporation", "globex", None),
]
ACTIVE_ORGANIZATION = "org_456789124"
TARGET_PARAMS = {
    "organization_id": "org_456789123",
    "foreign_organization_id": "org_999000111",
    "unpermitted_organization_id": "org_456789125",
}
FIELDS = ("name", "description", "organization_id")

VARIANTS = {
    v.name: v
    for v in [
        Variant(
            "default",
            "errors [] on success; unknown body fields ignored; an organization that does not exist is answered 404",
        ),
        Variant(
            "null-errors",
            "errors null on success; unknown body fields rejected with 400; every "
            "organization the caller is not in is answered 403, existing or not",
        ),
        Variant(
            "chatty",
            "adds undocumented fields to the workspace, the envelope and the error entries; "
            "leaves description out of a workspace created without one",
        ),
        Variant(
            "terse-errors",
            "answers errors with only status and the error entries (no message, data or "
            "session); refuses a null description; refuses control characters in a name with "
            "400 (a SHOULD, broken on purpose)",
            should_breaks=("request.unusual-text-accepted",),
        ),
        Variant(
            "org-format-checked",
            "refuses (400) an organization_id that is not org_ and digits, before any "
            "lookup; run without a foreign organization id, so the suite's made-up one is sent",
            params={"foreign_organization_id": None},
        ),
    ]
}


_f = faults_of(K)


# The first "required" and "limit" faults also break a MUST (a 500), so that a server with only
# that fault exits 1 even though name.required and name.min-length are SHOULD on this page.
FAULTS = {
    f.name: f
    for f in [
        _f("name-missing-500", "answers a body without name with a 500", "name.required", "robustness.no-server-error"),
        _f("name-empty-500", "answers an empty name with a 500", "name.min-length", "robustness.no-server-error"),
        _f("name-missing-accepted", "creates 'Untitled' when name is missing", "name.required"),
        _f("name-null-accepted", "treats a null name as 'Untitled'", "name.required"),
        _f("name-empty-accepted", "accepts an empty name", "name.min-length"),
        _f(
            "organization-id-missing-accepted",
            "falls back to the session's active organization when organization_id is missing",
            "organization_id.required",
        ),
        _f("name-number-coerced", "coerces a numeric name to a string", "name.type"),
        _f("description-number-coerced", "coerces a numeric description to a string", "description.type"),
        _f(
            "organization-id-number-looked-up",
            "looks a numeric organization_id up as text and answers 404, not 400",
            "organization_id.type",
        ),
        _f("foreign-organization-accepted", "skips the membership check", "organization_id.foreign"),
        _f("description-trimmed", "trims the description before storing it", "description.edge-echoed"),
        _f("status-302", "answers a successful create with HTTP 302 and the envelope", "response.success-status"),
        _f("created-at-epoch", "writes created_at as seconds since 1970", "response.created_at"),
        _f(
            "signin-created-at-not-rfc3339",
            "writes the session's sign-in times as '2024-01-01 12:00:00'",
            "envelope.example-formats",
        ),
        _f(
            "permission-not-checked",
            "lets any member create workspaces, whatever their role",
            "organization_id.permission",
        ),
        _f(
            "active-organization-used",
            "ignores organization_id and creates in the session's active organization",
            "organization_id.echoed",
            "organization_id.foreign",
        ),
        _f("auth-not-enforced", "creates without any session", "auth.missing-credential", "auth.wrong-credential"),
        _f("any-session-accepted", "accepts any non-empty __session cookie", "auth.wrong-credential"),
        _f("auth-missing-403", "answers a create without a session with 403", "auth.missing-credential"),
        _f("status-200", "answers a create with HTTP 200 (and status 200)", "response.documented-status"),
        _f("content-type-text", "sends the envelope as text/plain", "response.content-type"),
        _f(
            "gzip-not-gzip",
            "labels the created resource Content-Encoding: gzip but sends it plain",
            "response.encoding",
        ),
        _f("envelope-status-200", "answers HTTP 201 with an envelope status of 200", "envelope.status"),
        _f(
            "errors-on-success",
            "carries an INVALID_CREDENTIALS entry in errors on success",
            "envelope.no-errors-on-success",
        ),
        _f(
            "errors-object-on-success",
            "sends errors as {} on success",
            "envelope.errors",
            "envelope.no-errors-on-success",
        ),
        _f("message-on-success", "says 'Workspace created' in message on success", "envelope.message-empty-on-success"),
        _f(
            "message-null-on-success",
            "sends message null on success",
            "envelope.message",
            "envelope.message-empty-on-success",
        ),
        _f("session-missing", "leaves session out of the envelope", "envelope.session"),
        _f("data-unwrapped", "puts the workspace itself in data, not in data.workspace", "envelope.data"),
        _f("error-entry-without-code", "sends error entries without a code", "error.body"),
        _f("errors-empty-on-error", "answers rejections with an empty errors list", "error.body"),
        _f("id-integer", "returns the workspace id as a number", "response.id"),
        _f("name-renamed", "returns the name as workspace_name", "response.name", "name.echoed"),
        _f(
            "description-as-list",
            "returns description as a list of lines",
            "response.description",
            "description.echoed",
        ),
        _f("organization-slug-missing", "leaves slug out of the organization", "response.organization"),
        _f("members-count-string", "returns members_count as a string", "response.members_count"),
        _f("created-at-not-rfc3339", "writes created_at as '2024-01-15 19:30:00'", "response.example-formats"),
        _f("updated-at-missing", "leaves updated_at out", "response.updated_at"),
        _f("created-at-stale", "stamps created_at with a time in 2020", "response.created-at-recent"),
        _f("same-id", "returns the same id for every create", "response.id-unique"),
        _f("name-trimmed", "trims the name before storing it", "name.edge-echoed"),
        _f("description-dropped", "does not store the description", "description.echoed"),
        _f("intermittent-500", "answers every 7th request with a 500", "robustness.no-server-error"),
        _f(
            "malformed-json-500",
            "answers malformed JSON with a 500",
            "robustness.malformed-body",
            "robustness.no-server-error",
        ),
        _f(
            "malformed-json-422",
            "answers a body that is not JSON with 422, where the outside fact gives 400",
            "robustness.malformed-body",
        ),
        _f(
            "description-null-500",
            "answers a null description with a 500",
            "description.type",
            "robustness.no-server-error",
        ),
        _f("nul-500", "answers a NUL in the name with a 500", "robustness.no-server-error"),
        _f("lone-surrogate-500", "answers a lone surrogate in the name with a 500", "robustness.no-server-error"),
        _f("any-content-type", "parses the body as JSON whatever its Content-Type", "robustness.wrong-content-type"),
        _f(
            "unknown-field-500",
            "answers unknown body fields with a 500",
            "request.unknown-fields",
            "robustness.no-server-error",
        ),
        _f(
            "control-character-name-rejected",
            "rejects a name containing a control character (U+0001-U+001F)",
            "request.unusual-text-accepted",
        ),
        _f(
            "blank-description-rejected",
            "rejects a description made only of whitespace",
            "request.unusual-text-accepted",
        ),
        _f(
            "non-integer-name-coerced",
            "accepts a name that is a boolean, float, array or object, as its text",
            "name.type",
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


class Directory(Store):
    """Workspaces plus the organizations and memberships a Wacht deployment already has."""

    def __init__(self, path: str, organizations, user_id: str):
        super().__init__(path)
        with self._lock:
            self._db.execute("CREATE TABLE IF NOT EXISTS organizations (id TEXT PRIMARY KEY, name TEXT, slug TEXT)")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS memberships "
                "(id TEXT PRIMARY KEY, organization_id TEXT, user_id TEXT, role TEXT)"
            )
            for n, (org_id, name, slug, role) in enumerate(organizations, 1):
                self._db.execute("INSERT OR IGNORE INTO organizations VALUES (?, ?, ?)", (org_id, name, slug))
                if role:
                    self._db.execute(
                        "INSERT OR IGNORE INTO memberships VALUES (?, ?, ?, ?)",
                        (f"77777777777777777{n}", org_id, user_id, role),
                    )

    def organization(self, org_id: str) -> dict | None:
        with self._lock:
            row = self._db.execute("SELECT id, name, slug FROM organizations WHERE id = ?", (org_id,)).fetchone()
        return None if row is None else {"id": row[0], "name": row[1], "slug": row[2]}

    def membership(self, org_id: str, user_id: str) -> str | None:
        with self._lock:
            row = self._db.execute(
                "SELECT id FROM memberships WHERE organization_id = ? AND user_id = ?", (org_id, user_id)
            ).fetchone()
        return None if row is None else row[0]

    def may_create(self, org_id: str, user_id: str) -> bool:
        with self._lock:
            row = self._db.execute(
                "SELECT role FROM memberships WHERE organization_id = ? AND user_id = ?", (org_id, user_id)
            ).fetchone()
        return row is not None and row[0] == "admin"


class Rejection(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code = status, code


def _session(behaviour: Behaviour) -> dict:
    signin = dict(SIGNIN)
    if behaviour.has("signin-created-at-not-rfc3339"):
        signin["created_at"] = signin["created_at"].replace("T", " ").rstrip("Z")
    return {"signin_attempts": [], "signins": [signin], "signup_attempts": [], "active_signin": dict(signin)}


def _picky_problem(name: str, description, behaviour: Behaviour) -> str | None:
    """The generated-only faults: a valid body refused for a quirk the page does not state."""
    if (behaviour.has("control-character-name-rejected") or behaviour.variant == "terse-errors") and any(
        "\x01" <= c <= "\x1f" for c in name
    ):
        return "name must not contain control characters"
    if (
        behaviour.has("blank-description-rejected")
        and isinstance(description, str)
        and description
        and not description.strip()
    ):
        return "description must not be blank"
    return picky_text_problem("name", name, behaviour)


def _validated(body: dict, behaviour: Behaviour) -> dict:
    """The create's fields, or a Rejection with the code Wacht's frontend API would use."""
    unknown = sorted(set(body) - set(FIELDS))
    if unknown and behaviour.has("unknown-field-500"):
        raise RuntimeError("unknown field")
    if unknown and behaviour.variant == "null-errors":
        raise Rejection(400, "UNKNOWN_FIELD", f"{unknown[0]}: unknown field")
    name = body.get("name")
    if name is None:
        if behaviour.has("name-missing-500") and "name" not in body:
            raise RuntimeError("KeyError: 'name'")
        if (behaviour.has("name-missing-accepted") and "name" not in body) or (
            behaviour.has("name-null-accepted") and "name" in body
        ):
            name = "Untitled"
        else:
            raise Rejection(400, "REQUIRED_FIELD", "name is required")
    if isinstance(name, int) and not isinstance(name, bool) and behaviour.has("name-number-coerced"):
        name = str(name)
    if isinstance(name, (bool, float, list, dict)) and behaviour.has("non-integer-name-coerced"):
        name = json.dumps(name, ensure_ascii=False)
    if not isinstance(name, str):
        raise Rejection(400, "INVALID_FIELD", "name must be a string")
    if name == "":
        if behaviour.has("name-empty-500"):
            raise RuntimeError("IndexError: string index out of range")
        if not behaviour.has("name-empty-accepted"):
            raise Rejection(400, "REQUIRED_FIELD", "name must not be empty")
    description = body.get("description")
    if "description" in body and description is None:
        if behaviour.has("description-null-500"):
            raise RuntimeError("AttributeError: 'NoneType' object has no attribute 'strip'")
        if behaviour.variant != "terse-errors":
            del body["description"]  # a null description is no description
    if (
        isinstance(description, int)
        and not isinstance(description, bool)
        and behaviour.has("description-number-coerced")
    ):
        description = str(description)
    if "description" in body and not isinstance(description, str):
        raise Rejection(400, "INVALID_FIELD", "description must be a string")
    org_id = body.get("organization_id")
    if org_id is None:
        if not behaviour.has("organization-id-missing-accepted"):
            raise Rejection(400, "REQUIRED_FIELD", "organization_id is required")
        org_id = ACTIVE_ORGANIZATION
    if isinstance(org_id, int) and not isinstance(org_id, bool) and behaviour.has("organization-id-number-looked-up"):
        org_id = str(org_id)
    if not isinstance(org_id, str):
        raise Rejection(400, "INVALID_FIELD", "organization_id must be a string")
    if behaviour.variant == "org-format-checked" and not (
        org_id.startswith("org_") and org_id[4:].isascii() and org_id[4:].isdigit()
    ):
        raise Rejection(400, "INVALID_FIELD", "organization_id is not an organization id")
    if has_lone_surrogate([name, description, org_id]) and not behaviour.has("lone-surrogate-500"):
        raise Rejection(400, "INVALID_FIELD", "text must be valid Unicode (lone surrogate)")
    if "\x00" in name and behaviour.has("nul-500"):
        raise RuntimeError("embedded null character")
    problem = _picky_problem(name, description, behaviour)
    if problem:
        raise Rejection(400, "INVALID_FIELD", problem)
    return {"name": name, "description": description, "organization_id": org_id}


def create_app(behaviour: Behaviour | None = None, credential: str = "", db: str = ":memory:") -> Starlette:
    behaviour = behaviour or Behaviour()
    store = Directory(db, ORGANIZATIONS, USER_ID)

    def envelope(status: int, data, errors, *, signed_in: bool = True, message: str = "") -> dict:
        body = {
            "status": status,
            "message": message,
            "data": data,
            "session": _session(behaviour) if signed_in else None,
            "errors": errors,
        }
        if behaviour.variant == "chatty":
            body["request_id"] = "req_" + secrets.token_hex(8)
        return body

    def error(status: int, code: str, message: str, *, signed_in: bool = True):
        entry: dict[str, str | None] = (
            {"message": message} if behaviour.has("error-entry-without-code") else {"code": code, "message": message}
        )
        if behaviour.variant == "chatty":
            entry["field"] = None
        errors = [] if behaviour.has("errors-empty-on-error") else [entry]
        carried = 200 if behaviour.has("error-envelope-status-200") else status
        if behaviour.variant == "terse-errors":
            return json_response({"status": carried, "errors": errors}, status)
        return json_response(envelope(carried, None, errors, signed_in=signed_in, message=message), status)

    def signed_in(request: Request) -> bool:
        if behaviour.has("auth-not-enforced"):
            return True
        cookie = request.cookies.get("__session")
        if behaviour.has("any-session-accepted"):
            return bool(cookie)
        return bool(credential) and cookie == credential

    def organization_for(org_id: str) -> dict:
        org = store.organization(org_id)
        member = org is not None and store.membership(org_id, USER_ID) is not None
        if member and not store.may_create(org_id, USER_ID) and not behaviour.has("permission-not-checked"):
            raise Rejection(403, "FORBIDDEN", "you may not create workspaces in this organization")
        if org is not None and (member or behaviour.has("foreign-organization-accepted")):  # member implies org
            return org
        if org is None and behaviour.variant != "null-errors":
            raise Rejection(404, "NOT_FOUND", "organization not found")
        raise Rejection(403, "FORBIDDEN", "you are not a member of this organization")

    async def create_workspace(request: Request):
        if behaviour.has("intermittent-500") and behaviour.next_request() % 7 == 0:
            return PlainTextResponse("upstream hiccup", status_code=500)
        if not signed_in(request):
            status = 403 if behaviour.has("auth-missing-403") and "__session" not in request.cookies else 401
            return error(status, "UNAUTHORIZED", "no active sign-in", signed_in=False)
        media_types = None if behaviour.has("any-content-type") else ("application/json",)
        try:
            body = await read_json_object(request, media_types=media_types)
        except BadBody as bad:
            if behaviour.has("malformed-json-500") and "not valid JSON" in str(bad):
                return PlainTextResponse("Internal Server Error", status_code=500)
            if behaviour.has("malformed-json-422") and "not valid JSON" in str(bad):
                return error(422, "BAD_REQUEST_BODY", str(bad))
            return error(400, "BAD_REQUEST_BODY", str(bad))
        try:
            fields = _validated(body, behaviour)
            if behaviour.has("active-organization-used"):
                fields["organization_id"] = ACTIVE_ORGANIZATION
            organization = organization_for(fields["organization_id"])
        except Rejection as rejection:
            return error(rejection.status, rejection.code, str(rejection))
        except (RuntimeError, UnicodeEncodeError) as crash:  # only the faults get this far
            return PlainTextResponse(str(crash), status_code=500)
        workspace = _workspace(fields, organization, behaviour)
        try:
            store.insert(workspace, owner=organization["id"])
        except UnicodeEncodeError:
            return PlainTextResponse("Internal Server Error", status_code=500)
        return _created(workspace, behaviour, envelope)

    return Starlette(routes=[Route("/workspaces", create_workspace, methods=["POST"])])


def _workspace(fields: dict, organization: dict, behaviour: Behaviour) -> dict:
    now = now_rfc3339()
    name, description = fields["name"], fields["description"]
    if behaviour.has("name-trimmed"):
        name = name.strip()
    if behaviour.has("description-trimmed") and isinstance(description, str):
        description = description.strip()
    if behaviour.has("description-dropped"):
        description = None
    workspace = {
        "id": "workspace_"
        + ("100000001" if behaviour.has("same-id") else str(100000000 + secrets.randbelow(9 * 10**8))),
        "name": name,
        "description": description,
        "organization": dict(organization),
        "members_count": 1,
        "created_at": now,
        "updated_at": now,
    }
    if description is None and behaviour.variant == "chatty":
        del workspace["description"]
    if behaviour.variant == "chatty":
        workspace["image_url"] = ""
        workspace["slug"] = "ws-" + secrets.token_hex(4)
    if behaviour.has("id-integer"):
        workspace["id"] = 100000000 + secrets.randbelow(9 * 10**8)
    if behaviour.has("name-renamed"):
        workspace["workspace_name"] = workspace.pop("name")
    if behaviour.has("description-as-list") and isinstance(description, str):
        workspace["description"] = description.splitlines() or [description]
    if behaviour.has("organization-slug-missing"):
        del workspace["organization"]["slug"]
    if behaviour.has("members-count-string"):
        workspace["members_count"] = "1"
    if behaviour.has("created-at-not-rfc3339"):
        workspace["created_at"] = now.replace("T", " ")[:19]
    if behaviour.has("created-at-stale"):
        workspace["created_at"] = "2020-01-01T00:00:00Z"
    if behaviour.has("updated-at-missing"):
        del workspace["updated_at"]
    if behaviour.has("created-at-epoch"):
        workspace["created_at"] = 1705314600
    return workspace


def _created(workspace: dict, behaviour: Behaviour, envelope):
    status = 200 if behaviour.has("status-200") else 302 if behaviour.has("status-302") else 201
    # a list of error entries, but None or an object under faults
    errors: list[dict[str, str]] | dict[str, str] | None = None if behaviour.variant == "null-errors" else []
    if behaviour.has("errors-on-success"):
        errors = [{"code": "INVALID_CREDENTIALS", "message": "Invalid credentials. Please try again."}]
    if behaviour.has("errors-object-on-success"):
        errors = {}
    message = "Workspace created" if behaviour.has("message-on-success") else ""
    data = workspace if behaviour.has("data-unwrapped") else {"workspace": workspace}
    body = envelope(200 if behaviour.has("envelope-status-200") else status, data, errors, message=message)
    if behaviour.has("message-null-on-success"):
        body["message"] = None
    if behaviour.has("session-missing"):
        del body["session"]
    media_type = "text/plain" if behaviour.has("content-type-text") else "application/json"
    return lie_about_encoding(json_response(body, status, media_type=media_type), behaviour)
