"""Reference server for the Anthropic Admin API's Create Workspace (seed 004), with faults."""

from __future__ import annotations

import hashlib
import json
import random

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
    now_rfc3339,
    picky_text_problem,
    random_token,
    read_json_object,
    string_length,
)

K = "anthropic"
NAME_MIN, NAME_MAX = 1, 40
PALETTE = ["#6C5BB9", "#C15F3C", "#3C7FC1", "#4BA36B", "#B9A15B"]
TARGET_PARAMS: dict[str, str] = {}

VARIANTS = {
    v.name: v
    for v in [
        Variant("default", "ignores unknown body fields; no body size limit below 1 MiB"),
        Variant("strict", "rejects unknown body fields with 400 and bodies over 64 KiB with 413"),
        Variant("chatty", "adds undocumented fields to the workspace and the error body"),
        Variant(
            "overloaded",
            "answers every 5th request 529 overloaded_error and every 7th 500 api_error (each "
            "with Retry-After: 0), as a busy API does; rejects unknown body fields with 422",
            should_breaks=("robustness.transient-server-errors",),
        ),
    ]
}


_f = faults_of(K)


FAULTS = {
    f.name: f
    for f in [
        _f(
            "name-max-41", "accepts a 41-character ASCII name (an off-by-one in its ASCII fast path)", "name.max-length"
        ),
        _f("name-max-39", "rejects a 40-character name", "name.max-length"),
        _f("name-min-0", "accepts an empty name", "name.min-length"),
        _f("name-min-2", "rejects a 1-character name", "name.min-length"),
        _f("length-in-utf8-bytes", "counts the name's length in UTF-8 bytes", "name.edge-length"),
        _f("length-in-utf16-units", "counts the name's length in UTF-16 code units", "name.edge-length"),
        _f("length-in-graphemes", "does not count combining marks", "name.edge-length"),
        _f("trim-before-counting", "trims the name before counting it", "name.edge-length"),
        _f("casefold-before-counting", "case-folds the name before counting it", "name.edge-length"),
        _f("trim-before-storing", "trims the name before storing it", "name.edge-echoed"),
        _f("lowercase-before-storing", "lower-cases the name before storing it", "name.echoed"),
        _f("name-missing-accepted", "creates 'Untitled' when name is missing", "name.required"),
        _f("name-null-accepted", "treats a null name as 'Untitled'", "name.required"),
        _f("name-missing-500", "answers a missing name with a 500", "name.required", "robustness.no-server-error"),
        _f("name-number-coerced", "coerces a numeric name to a string", "name.type"),
        _f("auth-not-enforced", "creates without any credential", "auth.missing-credential", "auth.wrong-credential"),
        _f("any-credential-accepted", "accepts any non-empty X-Api-Key", "auth.wrong-credential"),
        _f("auth-missing-403", "answers a missing key with 403 permission_error", "auth.missing-credential"),
        _f("status-201", "answers a create with 201", "response.success-status"),
        _f("content-type-text", "sends the workspace as text/plain", "response.content-type"),
        _f("gzip-not-gzip", "labels the workspace Content-Encoding: gzip but sends it plain", "response.encoding"),
        _f("created-at-not-rfc3339", "writes created_at as '2024-10-30 23:58:27'", "response.created_at"),
        _f("created-at-missing", "leaves created_at out", "response.created_at"),
        _f("created-at-stale", "stamps created_at with a time in 2020", "response.created-at-recent"),
        _f("display-color-named", "gives display_color as a colour name", "response.display_color"),
        _f(
            "archived-at-not-datetime",
            "writes archived_at as 'never' instead of null",
            "response.archived_at",
            "archived_at.null-on-create",
        ),
        _f("name-renamed", "returns the name as workspace_name", "response.name", "name.echoed"),
        _f("type-missing", "leaves out type", "response.type"),
        _f("id-integer", "returns id as a number", "response.id"),
        _f("same-id", "returns the same id for every create", "response.id-unique"),
        _f("archived-on-create", "sets archived_at on a new workspace", "archived_at.null-on-create"),
        _f("error-plain-text", "answers rejections with a plain-text body", "error.body"),
        _f("error-type-mismatch", "labels validation errors authentication_error", "error.type-matches-status"),
        _f(
            "malformed-json-500",
            "answers malformed JSON with a 500",
            "robustness.malformed-body",
            "robustness.no-server-error",
        ),
        _f("lone-surrogate-500", "answers a lone surrogate in the name with a 500", "robustness.no-server-error"),
        _f("nul-500", "answers a NUL in the name with a 500", "robustness.no-server-error"),
        _f(
            "intermittent-502",
            "answers every 7th request with a 502, which the Errors page does not give as transient",
            "robustness.no-server-error",
        ),
        _f(
            "always-overloaded-on-unknown-fields",
            "answers every body with an unknown field 529 overloaded_error, however often it is retried",
            "robustness.no-server-error",
        ),
        _f(
            "malformed-json-422",
            "answers a body that is not JSON with 422, where the Errors page gives 400",
            "robustness.malformed-body",
        ),
        _f("any-content-type", "parses the body as JSON whatever its Content-Type", "robustness.wrong-content-type"),
        _f(
            "unknown-field-500",
            "answers unknown body fields with a 500",
            "request.unknown-fields",
            "robustness.no-server-error",
        ),
        # Only the generated probes reach these: the hand-picked names are printable, non-blank text
        # and the hand-picked wrong type is the integer 12345.
        _f(
            "control-character-name-rejected",
            "rejects a name containing a control character (U+0001-U+001F)",
            "request.unusual-text-accepted",
        ),
        _f("blank-name-rejected", "rejects a name made only of whitespace", "request.unusual-text-accepted"),
        _f(
            "name-container-accepted",
            "accepts a boolean, float, array or object as name, as its text",
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
        _f(
            "passing-500-every-7th",
            "answers every 7th request 500 api_error with Retry-After: 0, which succeeds "
            "when retried (a busy API, but a client without retries sees the 500)",
            "robustness.transient-server-errors",
        ),
    ]
}


def _error(behaviour: Behaviour, status: int, kind: str, message: str):
    if behaviour.has("error-plain-text"):
        return _text(message, status)
    if behaviour.has("error-type-mismatch") and kind == "invalid_request_error":
        kind = "authentication_error"
    body = {"type": "error", "error": {"type": kind, "message": message}}
    if behaviour.variant == "chatty":
        body["request_id"] = "req_" + random_token(20)
    return json_response(body, status)


def _text(message: str, status: int):
    return PlainTextResponse(message, status_code=status)


def _name_problem(name, behaviour: Behaviour) -> str | None:
    if not isinstance(name, str):
        return "name: Input should be a valid string"
    counted = name
    if behaviour.has("trim-before-counting"):
        counted = counted.strip()
    if behaviour.has("casefold-before-counting"):
        counted = counted.casefold()
    unit = {
        "length-in-utf8-bytes": "utf8-bytes",
        "length-in-utf16-units": "utf16-units",
        "length-in-graphemes": "graphemes",
    }.get(behaviour.fault or "", "code-points")
    length = string_length(counted, unit)
    low = 0 if behaviour.has("name-min-0") else 2 if behaviour.has("name-min-2") else NAME_MIN
    high = (
        41
        if behaviour.has("name-max-41") and name.isascii() and name == name.strip()
        else 39
        if behaviour.has("name-max-39")
        else NAME_MAX
    )
    if length < low:
        return f"name: String should have at least {NAME_MIN} character"
    if length > high:
        return f"name: String should have at most {NAME_MAX} characters"
    return picky_text_problem("name", name, behaviour)


def create_app(behaviour: Behaviour | None = None, credential: str = "", db: str = ":memory:") -> Starlette:
    behaviour = behaviour or Behaviour()
    store = Store(db)

    def authorized(request: Request) -> bool:
        if behaviour.has("auth-not-enforced"):
            return True
        key = request.headers.get("x-api-key")
        if behaviour.has("any-credential-accepted"):
            return bool(key)
        return key == credential

    first_sendings: set[bytes] = set()

    async def create_workspace(request: Request):
        if behaviour.has("intermittent-502") and behaviour.next_request() % 7 == 0:
            return _text("bad gateway", 502)
        if behaviour.has("passing-500-every-7th") and behaviour.next_request() % 7 == 0:
            passing = _error(behaviour, 500, "api_error", "please retry")
            passing.headers["retry-after"] = "0"
            return passing
        if not authorized(request):
            if behaviour.has("auth-missing-403") and not request.headers.get("x-api-key"):
                return _error(behaviour, 403, "permission_error", "this key may not create workspaces")
            return _error(behaviour, 401, "authentication_error", "invalid x-api-key")
        raw = await request.body()
        if behaviour.variant == "overloaded":
            # Half of all requests fail once, on their first sending only (the retry is the same
            # request and passes): deterministic however the suite's requests interleave.
            fingerprint = hashlib.sha256(raw + request.headers.get("x-api-key", "").encode()).digest()
            if fingerprint not in first_sendings and fingerprint[0] % 4 < 2:
                first_sendings.add(fingerprint)
                kind, status = ("overloaded_error", 529) if fingerprint[0] % 4 == 0 else ("api_error", 500)
                answer = _error(behaviour, status, kind, "please retry")
                answer.headers["retry-after"] = "0"
                return answer
        if behaviour.variant == "strict" and len(raw) > 64 * 1024:
            return _error(behaviour, 413, "request_too_large", "request exceeds the maximum size")
        media_types = None if behaviour.has("any-content-type") else ("application/json",)
        try:
            body = await read_json_object(request, media_types=media_types)
        except BadBody as bad:
            if behaviour.has("malformed-json-500") and "not valid JSON" in str(bad):
                return _text("Internal Server Error", 500)
            if behaviour.has("malformed-json-422") and "not valid JSON" in str(bad):
                return _error(behaviour, 422, "invalid_request_error", str(bad))
            return _error(behaviour, 400, "invalid_request_error", str(bad))
        unknown = sorted(set(body) - {"name"})
        if unknown and behaviour.has("always-overloaded-on-unknown-fields"):
            return _error(behaviour, 529, "overloaded_error", "overloaded")
        if unknown and behaviour.variant == "overloaded":
            return _error(behaviour, 422, "invalid_request_error", f"{unknown[0]}: Extra inputs are not permitted")
        if unknown and behaviour.has("unknown-field-500"):
            return _text("KeyError", 500)
        if unknown and behaviour.variant == "strict":
            return _error(behaviour, 400, "invalid_request_error", f"{unknown[0]}: Extra inputs are not permitted")
        if "name" not in body:
            if behaviour.has("name-missing-500"):
                return _text("KeyError: 'name'", 500)
            if not behaviour.has("name-missing-accepted"):
                return _error(behaviour, 400, "invalid_request_error", "name: Field required")
            body["name"] = "Untitled"
        name = body["name"]
        if name is None and behaviour.has("name-null-accepted"):
            name = "Untitled"
        if isinstance(name, (int, float)) and not isinstance(name, bool) and behaviour.has("name-number-coerced"):
            name = str(name)
        if isinstance(name, (bool, float, list, dict)) and behaviour.has("name-container-accepted"):
            name = json.dumps(name, ensure_ascii=False)[:NAME_MAX]
        problem = _name_problem(name, behaviour)
        if problem:
            return _error(behaviour, 400, "invalid_request_error", problem)
        if behaviour.has("control-character-name-rejected") and any("\x01" <= c <= "\x1f" for c in name):
            return _error(behaviour, 400, "invalid_request_error", "name: control characters are not allowed")
        if behaviour.has("blank-name-rejected") and name and not name.strip():
            return _error(behaviour, 400, "invalid_request_error", "name: must not be blank")
        if has_lone_surrogate(name) and not behaviour.has("lone-surrogate-500"):
            return _error(behaviour, 400, "invalid_request_error", "name: not valid Unicode (lone surrogate)")
        if "\x00" in name and behaviour.has("nul-500"):
            return _text("embedded null character", 500)
        if behaviour.has("trim-before-storing"):
            name = name.strip()
        if behaviour.has("lowercase-before-storing"):
            name = name.lower()
        workspace = _workspace(name, behaviour)
        try:
            store.insert(workspace)
        except UnicodeEncodeError:
            return _text("Internal Server Error", 500)
        status = 201 if behaviour.has("status-201") else 200
        if behaviour.has("content-type-text"):
            return json_response(workspace, status, media_type="text/plain")
        if behaviour.has("gzip-not-gzip"):
            answer = json_response(workspace, status)
            answer.headers["content-encoding"] = "gzip"
            return answer
        return json_response(workspace, status)

    async def archive_workspace(request: Request):
        if not authorized(request):
            return _error(behaviour, 401, "authentication_error", "invalid x-api-key")
        doc = store.get(request.path_params["workspace_id"])
        if doc is None:
            return _error(behaviour, 404, "not_found_error", "no such workspace")
        doc["archived_at"] = doc["archived_at"] or now_rfc3339()
        store.replace(doc)
        return json_response(doc, 200)

    return Starlette(
        routes=[
            Route("/v1/organizations/workspaces", create_workspace, methods=["POST"]),
            Route("/v1/organizations/workspaces/{workspace_id}/archive", archive_workspace, methods=["POST"]),
        ]
    )


def _workspace(name: str, behaviour: Behaviour) -> dict:
    created = now_rfc3339()
    if behaviour.has("created-at-not-rfc3339"):
        created = created.replace("T", " ")[:19]
    if behaviour.has("created-at-stale"):
        created = "2020-01-01T00:00:00Z"
    workspace: dict[str, object] = {  # object: faults retype its fields
        "id": "wrkspc_01" + ("SAMESAMESAMESAMESAMESAME" if behaviour.has("same-id") else random_token(24)),
        "archived_at": now_rfc3339() if behaviour.has("archived-on-create") else None,
        "created_at": created,
        "display_color": "purple" if behaviour.has("display-color-named") else random.choice(PALETTE),
        "name": name,
        "type": "workspace",
    }
    if behaviour.has("created-at-missing"):
        del workspace["created_at"]
    if behaviour.has("archived-at-not-datetime"):
        workspace["archived_at"] = "never"
    if behaviour.has("name-renamed"):
        workspace["workspace_name"] = workspace.pop("name")
    if behaviour.has("type-missing"):
        del workspace["type"]
    if behaviour.has("id-integer"):
        workspace["id"] = random.randint(1, 10**9)
    if behaviour.variant == "chatty":
        workspace["data_residency"] = {"workspace_geo": "us", "allowed_inference_geos": "unrestricted"}
    return workspace
