"""Reference server for Wacht's backend API Create Workspace (seed 003), with faults.

The body is multipart/form-data, parsed by Starlette's own form parser (python-multipart);
the answer is the envelope the page documents, status 200 with `errors: null` on success.
Organizations and memberships live in the same SQLite database as the workspaces.
"""

from __future__ import annotations

import json
import logging
import secrets

from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from conformance.reference.common import (
    Behaviour,
    Variant,
    faults_of,
    json_response,
    lie_about_encoding,
    now_rfc3339,
    picky_text_problem,
)
from conformance.reference.wacht_frontend import Directory, Rejection

# A broken form is the client's mistake, answered 400: python-multipart's warning about it
# would only clutter the console of whoever runs the suite.
logging.getLogger("python_multipart.multipart").setLevel(logging.ERROR)

K = "wacht-backend"
UINT64_MAX = 2**64 - 1
USER_ID = "555555555555555555"
SESSION = {"id": "123456789012345678", "created_at": "2023-11-07T05:31:56Z", "updated_at": "2023-11-07T05:31:56Z"}
ORGANIZATIONS = [  # (id, name, slug, the caller is a member)
    ("999999999999999999", "Acme Corporation", "acme-corp", True),
    ("999999999999999998", "Acme Labs", "acme-labs", True),
    ("888888888888888888", "Globex Corporation", "globex", False),
]
TARGET_PARAMS = {"organization_id": "999999999999999999", "foreign_organization_id": "888888888888888888"}
FIELDS = ("name", "organization_id", "description", "image")
IMAGE_LIMIT = 5 * 1024 * 1024
STRICT_BODY_LIMIT = 64 * 1024

VARIANTS = {
    v.name: v
    for v in [
        Variant(
            "default",
            "401 without a valid session; 400 for validation; unknown form fields ignored; "
            "image_url null when no image was sent",
        ),
        Variant("forbidden", "403 without a valid session; 422 for validation"),
        Variant(
            "strict",
            "rejects unknown form fields with 400 and bodies over 64 KiB with 413; "
            "leaves image_url out when no image was sent",
        ),
        Variant(
            "chatty",
            "adds undocumented fields to the workspace, the membership and the envelope; "
            'image_url "" when no image was sent',
        ),
        Variant(
            "lookup-only",
            "checks no format: looks any organization_id up as text and answers 404 when none "
            "matches ('abc', '-1', '\u0ae6' included)",
        ),
        Variant("lenient-numbers", "reads '+12' and leading zeros as the number they spell, stored canonically"),
    ]
}


_f = faults_of(K)


FAULTS = {
    f.name: f
    for f in [
        _f("name-missing-accepted", "creates 'Untitled' when name is missing", "name.required"),
        _f(
            "organization-id-missing-accepted",
            "falls back to the caller's first organization when organization_id is missing",
            "organization_id.required",
        ),
        _f(
            "organization-id-int-parsed",
            "reads organization_id with int(), so Unicode digits, '1_000' and ' 12 ' "
            "name an organization, and returns organization_id as sent",
            "organization_id.format-edge",
        ),
        _f(
            "organization-id-isdigit",
            "checks organization_id with str.isdigit() and reads it with int(), so "
            "'\u0ae6' (a Gujarati zero) or full-width digits name an organization; returns it as sent",
            "organization_id.format-edge",
        ),
        _f(
            "uint64-wraps",
            "reads organization_id modulo 2^64, so 2^64 + an id names that organization",
            "organization_id.format",
        ),
        _f(
            "membership-other-workspace",
            "answers a membership whose workspace_id is not the created workspace's",
            "envelope.membership-workspace-id",
        ),
        _f("error-session-missing", "leaves session out of error answers", "envelope.session-on-every-answer"),
        _f("name-empty-accepted", "accepts an empty name", "name.min-length"),
        _f("foreign-organization-accepted", "skips the membership check", "organization_id.foreign"),
        _f(
            "organization-id-as-number",
            "returns organization_id as a JSON number",
            "response.organization_id",
            "organization_id.echoed",
        ),
        _f("auth-not-enforced", "creates without any session", "auth.missing-credential", "auth.wrong-credential"),
        _f("any-session-accepted", "accepts any non-empty session_id cookie", "auth.wrong-credential"),
        _f("auth-missing-400", "answers a create without a session with 400", "auth.missing-credential"),
        _f(
            "status-201",
            "answers a create with HTTP 201 (and status 201), as the frontend API does",
            "response.documented-status",
        ),
        _f("content-type-text", "sends the envelope as text/plain", "response.content-type"),
        _f(
            "gzip-not-gzip",
            "labels the created resource Content-Encoding: gzip but sends it plain",
            "response.encoding",
        ),
        _f("envelope-status-201", "answers HTTP 200 with an envelope status of 201", "envelope.status"),
        _f("error-envelope-status-200", "puts status 200 in the envelope of every error answer", "envelope.status"),
        _f(
            "errors-example-on-success",
            "copies the page's example INVALID_CREDENTIALS entry into errors on success",
            "envelope.errors-null-on-success",
        ),
        _f(
            "errors-empty-list-on-success",
            "sends errors [] instead of null on success",
            "envelope.errors-null-on-success",
        ),
        _f(
            "errors-string-on-success",
            'sends errors "" on success',
            "envelope.errors",
            "envelope.errors-null-on-success",
        ),
        _f("message-on-success", "says 'Workspace created' in message on success", "envelope.message-empty-on-success"),
        _f(
            "message-null-on-success",
            "sends message null on success",
            "envelope.message",
            "envelope.message-empty-on-success",
        ),
        _f("session-missing", "leaves session out of the envelope", "envelope.session"),
        _f("membership-missing", "leaves membership out of data", "envelope.membership"),
        _f("data-unwrapped", "puts the workspace's fields in data itself, not in data.workspace", "envelope.data"),
        _f("error-entry-without-code", "sends error entries without a code", "error.body"),
        _f("id-integer", "returns the workspace id as a number", "response.id"),
        _f("name-renamed", "returns the name as workspace_name", "response.name", "name.echoed"),
        _f(
            "description-as-list",
            "returns description as a list of lines",
            "response.description",
            "description.echoed",
        ),
        _f("image-url-number", "returns image_url as 0 when there is no image", "response.image_url"),
        _f(
            "whitelisted-ips-string",
            "returns whitelisted_ips as one comma-separated string",
            "response.whitelisted_ips",
        ),
        _f("ip-restriction-string", 'returns enable_ip_restriction as "false"', "response.enable_ip_restriction"),
        _f("enforce-mfa-missing", "leaves enforce_mfa out", "response.enforce_mfa"),
        _f("member-count-string", "returns member_count as a string", "response.member_count"),
        _f("public-metadata-null", "returns public_metadata as null", "response.public_metadata"),
        _f("private-metadata-string", "returns private_metadata as a JSON string", "response.private_metadata"),
        _f("created-at-not-rfc3339", "writes created_at as '2024-01-15 10:30:00'", "response.example-formats"),
        _f("updated-at-epoch", "writes updated_at as epoch seconds", "response.updated_at"),
        _f("created-at-stale", "stamps created_at with a time in 2020", "response.created-at-recent"),
        _f("same-id", "returns the same id for every create", "response.id-unique"),
        _f("name-trimmed", "trims the name before storing it", "name.edge-echoed"),
        _f("description-dropped", "does not store the description", "description.echoed"),
        _f("image-part-rejected", "refuses any file part with 400", "image.file-part"),
        _f("image-ignored", "accepts the image but leaves image_url null", "image.image-url"),
        _f("intermittent-500", "answers every 7th request with a 500", "robustness.no-server-error"),
        _f(
            "malformed-multipart-500",
            "answers a broken multipart body with a 500",
            "robustness.malformed-body",
            "robustness.no-server-error",
        ),
        _f("nul-500", "answers a NUL in the name with a 500", "robustness.no-server-error"),
        _f("json-accepted", "also takes the fields from a JSON body", "robustness.wrong-content-type"),
        _f(
            "unknown-field-500",
            "answers unknown form fields with a 500",
            "request.unknown-fields",
            "robustness.no-server-error",
        ),
        # Only Hypothesis-generated bodies reach these: the hand-picked probes send plain text.
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
        _f("description-trimmed", "trims the description before storing it", "description.edge-echoed"),
        _f("status-302", "answers a successful create with HTTP 302 and the envelope", "response.success-status"),
        _f("created-at-epoch", "writes created_at as seconds since 1970", "response.created_at"),
        _f(
            "tilde-or-backquote-name-rejected",
            "rejects a name holding ~ or a backquote (ordinary printable ASCII)",
            "request.valid-accepted",
            generated_only=True,
        ),
        _f(
            "tilde-or-backquote-description-rejected",
            "rejects a description holding ~ or a backquote (ordinary printable ASCII)",
            "request.valid-accepted",
            generated_only=True,
        ),
    ]
}


def _new_id(behaviour: Behaviour) -> str:
    if behaviour.has("same-id"):
        return "123456789012345678"
    return str(10**17 + secrets.randbelow(9 * 10**17))  # 18 digits, like the page's snowflake ids


def _uint64_problem(value: str, behaviour: Behaviour) -> str | None:
    if behaviour.variant == "lookup-only":
        return None  # no format check: an id that names no organization is a 404 below
    digits = value
    if behaviour.variant == "lenient-numbers" and value.startswith("+"):
        digits = value[1:]
    if behaviour.has("organization-id-isdigit"):
        ok = digits.isdigit()
    elif behaviour.has("organization-id-int-parsed"):
        try:
            int(digits)
            ok = True
        except ValueError:
            ok = False
    else:
        ok = digits.isascii() and digits.isdigit()
    if not ok:
        return "organization_id must be a decimal uint64"
    if int(digits) > UINT64_MAX and not behaviour.has("uint64-wraps"):
        return "organization_id is out of range for uint64"
    return None


def _organization_key(value: str, behaviour: Behaviour) -> str:
    """The id an organization is looked up (and stored) under."""
    if behaviour.has("organization-id-int-parsed") or behaviour.has("organization-id-isdigit"):
        return str(int(value))
    if behaviour.has("uint64-wraps"):
        return str(int(value) % 2**64)
    if behaviour.variant == "lenient-numbers":
        return str(int(value.lstrip("+")))
    return value


async def _fields(request: Request, behaviour: Behaviour):
    """The form's fields (text) and file parts, or a Rejection; the JSON fault reads JSON too."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media == "application/json" and behaviour.has("json-accepted"):
        try:
            body = json.loads(await request.body())
        except ValueError:
            raise Rejection(400, "BAD_REQUEST_BODY", "the body is not valid JSON") from None
        if not isinstance(body, dict):
            raise Rejection(400, "BAD_REQUEST_BODY", "the body must be an object")
        return {k: v if isinstance(v, str) else json.dumps(v) for k, v in body.items()}, {}
    if media != "multipart/form-data":
        raise Rejection(400, "BAD_REQUEST_BODY", f"Content-Type must be multipart/form-data, not {media or 'absent'}")
    text: dict[str, str] = {}
    files: dict[str, tuple[str | None, bytes, str | None]] = {}  # name -> (file name, content, media type)
    try:
        async with request.form() as form:
            for key, value in form.multi_items():
                if isinstance(value, UploadFile):
                    files[key] = (value.filename, await value.read(IMAGE_LIMIT + 1), value.content_type)
                else:
                    text.setdefault(key, value)
    except HTTPException as bad:  # Starlette's answer to a form it cannot parse
        if behaviour.has("malformed-multipart-500"):
            raise RuntimeError("multipart parser crashed") from None
        raise Rejection(400, "BAD_REQUEST_BODY", f"the multipart body cannot be read: {bad.detail}") from None
    return text, files


def _validated(text: dict, files: dict, behaviour: Behaviour) -> dict:
    validation = 422 if behaviour.variant == "forbidden" else 400
    unknown = sorted((set(text) | set(files)) - set(FIELDS))
    if unknown and behaviour.has("unknown-field-500"):
        raise RuntimeError("unknown field")
    if unknown and behaviour.variant == "strict":
        raise Rejection(400, "UNKNOWN_FIELD", f"{unknown[0]}: unknown form field")
    name = text.get("name")
    if name is None:
        if not behaviour.has("name-missing-accepted"):
            raise Rejection(validation, "REQUIRED_FIELD", "name is required")
        name = "Untitled"
    if name == "" and not behaviour.has("name-empty-accepted"):
        raise Rejection(validation, "REQUIRED_FIELD", "name must not be empty")
    if "\x00" in name and behaviour.has("nul-500"):
        raise RuntimeError("embedded null character")
    if behaviour.has("control-character-name-rejected") and any("\x01" <= c <= "\x1f" for c in name):
        raise Rejection(validation, "INVALID_FIELD", "name must not contain control characters")
    if behaviour.has("digits-only-name-rejected") and name.isdigit():
        raise Rejection(validation, "INVALID_FIELD", "name must not be an id")
    picky = picky_text_problem("name", name, behaviour)
    if picky:
        raise Rejection(validation, "INVALID_FIELD", picky)
    description = text.get("description")
    picky = picky_text_problem("description", description, behaviour)
    if picky:
        raise Rejection(validation, "INVALID_FIELD", picky)
    if behaviour.has("blank-description-rejected") and description and not description.strip():
        raise Rejection(validation, "INVALID_FIELD", "description must not be blank")
    org_id = text.get("organization_id")
    if org_id is None:
        if not behaviour.has("organization-id-missing-accepted"):
            raise Rejection(validation, "REQUIRED_FIELD", "organization_id is required")
        org_id = ORGANIZATIONS[0][0]
    problem = _uint64_problem(org_id, behaviour)
    if problem:
        raise Rejection(validation, "INVALID_FIELD", problem)
    sent_org_id, org_id = org_id, _organization_key(org_id, behaviour)
    image = files.get("image")
    if "image" in text:
        raise Rejection(validation, "INVALID_FIELD", "image must be a file part")
    if image is not None:
        if behaviour.has("image-part-rejected"):
            raise Rejection(validation, "INVALID_FIELD", "image uploads are not supported")
        _filename, content, media_type = image
        if len(content) > IMAGE_LIMIT or not (media_type or "").startswith("image/"):
            raise Rejection(validation, "INVALID_FIELD", "image must be an image of at most 5 MiB")
    return {
        "name": name,
        "description": description,
        "organization_id": org_id,
        "image": image,
        "sent_organization_id": sent_org_id,
    }


def create_app(behaviour: Behaviour | None = None, credential: str = "", db: str = ":memory:") -> Starlette:
    behaviour = behaviour or Behaviour()
    store = Directory(db, ORGANIZATIONS, USER_ID)

    def envelope(status: int, data, errors, *, signed_in: bool = True, message: str = "") -> dict:
        body = {
            "status": status,
            "message": message,
            "data": data,
            "session": dict(SESSION) if signed_in else None,
            "errors": errors,
        }
        if errors and behaviour.has("error-session-missing"):
            del body["session"]
        if behaviour.variant == "chatty":
            body["trace_id"] = secrets.token_hex(8)
        return body

    def error(status: int, code: str, message: str, *, signed_in: bool = True):
        entry = (
            {"message": message} if behaviour.has("error-entry-without-code") else {"code": code, "message": message}
        )
        carried = 200 if behaviour.has("error-envelope-status-200") else status
        return json_response(envelope(carried, None, [entry], signed_in=signed_in, message=message), status)

    def signed_in(request: Request) -> bool:
        if behaviour.has("auth-not-enforced"):
            return True
        cookie = request.cookies.get("session_id")
        if behaviour.has("any-session-accepted"):
            return bool(cookie)
        return bool(credential) and cookie == credential

    def membership_in(org_id: str) -> str:
        org = store.organization(org_id)
        membership = None if org is None else store.membership(org_id, USER_ID)
        if membership is None and org is not None and behaviour.has("foreign-organization-accepted"):
            membership = "000000000000000000"
        if membership is not None:
            return membership
        if org is None:
            raise Rejection(404, "NOT_FOUND", "organization not found")
        raise Rejection(403, "FORBIDDEN", "you are not a member of this organization")

    async def create_workspace(request: Request):
        if behaviour.has("intermittent-500") and behaviour.next_request() % 7 == 0:
            return PlainTextResponse("upstream hiccup", status_code=500)
        if not signed_in(request):
            status = 403 if behaviour.variant == "forbidden" else 401
            if behaviour.has("auth-missing-400") and "session_id" not in request.cookies:
                status = 400
            return error(status, "UNAUTHORIZED", "a valid session_id cookie is required", signed_in=False)
        if behaviour.variant == "strict" and int(request.headers.get("content-length") or 0) > STRICT_BODY_LIMIT:
            return error(413, "PAYLOAD_TOO_LARGE", "the body is larger than 64 KiB")
        try:
            text, files = await _fields(request, behaviour)
            fields = _validated(text, files, behaviour)
            organization_membership_id = membership_in(fields["organization_id"])
        except Rejection as rejection:
            return error(rejection.status, rejection.code, str(rejection))
        except RuntimeError as crash:
            return PlainTextResponse(str(crash), status_code=500)
        workspace, membership = _created(fields, organization_membership_id, behaviour)
        store.insert(workspace, owner=fields["organization_id"])
        return _answer(workspace, membership, behaviour, envelope)

    return Starlette(routes=[Route("/workspaces", create_workspace, methods=["POST"])])


def _created(fields: dict, organization_membership_id: str, behaviour: Behaviour) -> tuple[dict, dict]:
    now = now_rfc3339()
    workspace_id = _new_id(behaviour)
    name, description = fields["name"], fields["description"]
    if behaviour.has("name-trimmed"):
        name = name.strip()
    if behaviour.has("description-trimmed") and isinstance(description, str):
        description = description.strip()
    if behaviour.has("description-dropped"):
        description = None
    image_url = None
    if fields["image"] is not None and not behaviour.has("image-ignored"):
        image_url = f"https://cdn.conformance.invalid/workspaces/{workspace_id}/{fields['image'][0] or 'image'}"
    workspace = {
        "id": workspace_id,
        "organization_id": fields["sent_organization_id"]
        if behaviour.has("organization-id-int-parsed") or behaviour.has("organization-id-isdigit")
        else fields["organization_id"],
        "name": name,
        "description": description,
        "image_url": image_url,
        "whitelisted_ips": [],
        "enable_ip_restriction": False,
        "enforce_mfa": False,
        "member_count": 1,
        "public_metadata": {},
        "private_metadata": {},
        "created_at": now,
        "updated_at": now,
    }
    membership: dict[str, object] = {
        "id": _new_id(behaviour),
        "workspace_id": _new_id(behaviour) if behaviour.has("membership-other-workspace") else workspace_id,
        "organization_membership_id": organization_membership_id,
        "user_id": USER_ID,
        "created_at": now,
        "updated_at": now,
    }
    if behaviour.variant == "strict" and image_url is None:
        del workspace["image_url"]
    if behaviour.variant == "chatty":
        workspace["image_url"] = workspace["image_url"] or ""
        workspace["deployment_id"] = "100000000000000001"
        membership["roles"] = []
    _break(workspace, behaviour)
    return workspace, membership


def _break(workspace: dict, behaviour: Behaviour) -> None:
    """The response-field faults, each one change to an otherwise conformant workspace."""
    if behaviour.has("id-integer"):
        workspace["id"] = int(workspace["id"])
    if behaviour.has("organization-id-as-number"):
        workspace["organization_id"] = int(workspace["organization_id"])
    if behaviour.has("name-renamed"):
        workspace["workspace_name"] = workspace.pop("name")
    if behaviour.has("description-as-list") and isinstance(workspace["description"], str):
        workspace["description"] = workspace["description"].splitlines() or [workspace["description"]]
    if behaviour.has("image-url-number") and workspace.get("image_url") is None:
        workspace["image_url"] = 0
    if behaviour.has("whitelisted-ips-string"):
        workspace["whitelisted_ips"] = ",".join(workspace["whitelisted_ips"])
    if behaviour.has("ip-restriction-string"):
        workspace["enable_ip_restriction"] = "false"
    if behaviour.has("enforce-mfa-missing"):
        del workspace["enforce_mfa"]
    if behaviour.has("member-count-string"):
        workspace["member_count"] = str(workspace["member_count"])
    if behaviour.has("public-metadata-null"):
        workspace["public_metadata"] = None
    if behaviour.has("private-metadata-string"):
        workspace["private_metadata"] = "{}"
    if behaviour.has("created-at-not-rfc3339"):
        workspace["created_at"] = workspace["created_at"].replace("T", " ")[:19]
    if behaviour.has("updated-at-epoch"):
        workspace["updated_at"] = 1705314600
    if behaviour.has("created-at-stale"):
        workspace["created_at"] = "2020-01-01T00:00:00Z"
    if behaviour.has("created-at-epoch"):
        workspace["created_at"] = 1705314600


def _answer(workspace: dict, membership: dict, behaviour: Behaviour, envelope):
    status = 201 if behaviour.has("status-201") else 302 if behaviour.has("status-302") else 200
    errors: list[dict[str, str]] | str | None = None  # a string under the errors-string-on-success fault
    if behaviour.has("errors-example-on-success"):
        errors = [{"code": "INVALID_CREDENTIALS", "message": "Invalid credentials. Please try again."}]
    if behaviour.has("errors-empty-list-on-success"):
        errors = []
    if behaviour.has("errors-string-on-success"):
        errors = ""
    message = "Workspace created" if behaviour.has("message-on-success") else ""
    data = {"workspace": workspace, "membership": membership}
    if behaviour.has("membership-missing"):
        del data["membership"]
    if behaviour.has("data-unwrapped"):
        data = {**workspace, "membership": membership}
    body = envelope(201 if behaviour.has("envelope-status-201") else status, data, errors, message=message)
    if behaviour.has("message-null-on-success"):
        body["message"] = None
    if behaviour.has("session-missing"):
        del body["session"]
    media_type = "text/plain" if behaviour.has("content-type-text") else "application/json"
    return lie_about_encoding(json_response(body, status, media_type=media_type), behaviour)
