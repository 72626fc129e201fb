#!/usr/bin/env python3
"""Wacht backend API "Create workspace" (POST /workspaces, multipart/form-data).

Written from the Wacht backend documentation page (seed 003) plus the facts in
the seeds README (401 without a valid session, 403 outside the organization,
400 on a body that fails validation; error entries `{"code", "message"}`).
Choices where the page is silent are listed in NOTES-d3lay-wacht.md.

Run: python wacht_backend_fastapi.py --port 8084 --credential SECRET \
        --organization-id 123456789012345678 [--mode conformant|default]
"""
import argparse
import hashlib
import hmac
import secrets
import threading
import time
from datetime import datetime, timezone
from typing import Annotated, Any

from fastapi import Cookie, Depends, FastAPI, File, Form, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

SESSION_COOKIE = "session_id"
UINT64_MAX = 2**64 - 1
NAME_MAX = 255
DESCRIPTION_MAX = 2000
IMAGE_MAX_BYTES = 5 * 1024 * 1024
FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


# --------------------------------------------------------------------------- models
class Workspace(BaseModel):
    id: str
    organization_id: str
    name: str
    description: str | None
    image_url: str | None
    whitelisted_ips: list[str]
    enable_ip_restriction: bool
    enforce_mfa: bool
    member_count: int
    public_metadata: dict[str, Any]
    private_metadata: dict[str, Any]
    created_at: str
    updated_at: str


class Membership(BaseModel):
    id: str
    workspace_id: str
    organization_membership_id: str
    user_id: str
    created_at: str
    updated_at: str


class CreateWorkspaceData(BaseModel):
    workspace: Workspace
    membership: Membership


class SessionInfo(BaseModel):
    id: str
    created_at: str
    updated_at: str


class ErrorEntry(BaseModel):
    code: str
    message: str


class Envelope(BaseModel):
    status: int
    message: str
    data: CreateWorkspaceData | None
    session: SessionInfo | None
    errors: list[ErrorEntry] | None


# --------------------------------------------------------------------------- helpers
class WachtError(Exception):
    def __init__(self, status: int, code: str, message: str,
                 session: SessionInfo | None = None):
        super().__init__(message)
        self.status = status
        self.errors = [ErrorEntry(code=code, message=message)]
        self.message = message
        self.session = session


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _stable_id(seed: str) -> str:
    """18-digit uint64-style id derived from a seed."""
    return str(10**17 + int(hashlib.sha256(seed.encode()).hexdigest(), 16) % (9 * 10**17))


class SnowflakeIds:
    """Monotonic, 18/19-digit decimal ids (uint64), snowflake style."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last = 0
        self._node = secrets.randbelow(1024)

    def next(self) -> str:
        with self._lock:
            candidate = ((int(time.time() * 1000) - 1_600_000_000_000) << 22) | (self._node << 12)
            self._last = max(candidate, self._last + 1)
            return str(self._last)


def _error_response(status: int, message: str, errors: list[ErrorEntry],
                    session: SessionInfo | None) -> JSONResponse:
    env = Envelope(status=status, message=message, data=None, session=session, errors=errors)
    return JSONResponse(status_code=status, content=env.model_dump(mode="json"))


_FIELDS = ("name", "organization_id", "description", "image")


def _map_validation_errors(exc: RequestValidationError) -> list[ErrorEntry]:
    """Turn FastAPI validation errors into Wacht error entries (no input echoed)."""
    out: list[ErrorEntry] = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p != "body"]
        field = loc[0] if loc else ""
        etype = err.get("type", "")
        if field not in _FIELDS:
            entry = ErrorEntry(code="BAD_REQUEST_BODY", message="invalid request body")
        elif etype == "missing":
            entry = ErrorEntry(code="REQUIRED_FIELD", message=f"{field} is required")
        elif field == "organization_id":
            entry = ErrorEntry(code="BAD_REQUEST_BODY",
                               message="organization_id must be an unsigned 64-bit integer string")
        elif etype == "string_too_long":
            limit = err.get("ctx", {}).get("max_length")
            entry = ErrorEntry(code="BAD_REQUEST_BODY",
                               message=f"{field} must be at most {limit} characters")
        elif etype == "value_error" and "blank" in err.get("msg", ""):
            entry = ErrorEntry(code="REQUIRED_FIELD", message=f"{field} must not be empty")
        elif field == "image" and etype == "too_long":
            entry = ErrorEntry(code="BAD_REQUEST_BODY", message="image must be at most 5 MiB")
        elif field == "image":
            entry = ErrorEntry(code="BAD_REQUEST_BODY", message="image must be a file upload")
        else:
            entry = ErrorEntry(code="BAD_REQUEST_BODY", message=f"{field} is invalid")
        if entry not in out:
            out.append(entry)
    return out or [ErrorEntry(code="BAD_REQUEST_BODY", message="invalid request body")]


def _field_error(field: str, etype: str, msg: str, value: Any, **ctx: Any) -> RequestValidationError:
    """A validation error in FastAPI's own shape, so both modes route it normally."""
    err: dict[str, Any] = {"type": etype, "loc": ("body", field), "msg": msg, "input": value}
    if ctx:
        err["ctx"] = ctx
    return RequestValidationError([err])


# --------------------------------------------------------------------------- app
def create_app(credential: str, organization_id: str, mode: str = "conformant") -> FastAPI:
    if mode not in ("conformant", "default"):
        raise ValueError("mode must be 'conformant' or 'default'")

    app = FastAPI(title="Wacht backend API (workspaces)")

    started = _now()
    session_info = SessionInfo(id=_stable_id("session:" + credential),
                               created_at=started, updated_at=started)
    user_id = _stable_id("user:" + credential)
    org_membership_id = _stable_id(f"orgmember:{credential}:{organization_id}")

    lock = threading.Lock()
    ids = SnowflakeIds()
    workspaces: dict[str, Workspace] = {}
    memberships: dict[str, Membership] = {}
    images: dict[str, tuple[str, bytes]] = {}

    def _valid_cookie(value: str | None) -> bool:
        return bool(value) and hmac.compare_digest(value.encode(), credential.encode())

    def current_session(
        session_id: Annotated[str | None, Cookie(alias=SESSION_COOKIE)] = None,
    ) -> SessionInfo:
        if not _valid_cookie(session_id):
            raise WachtError(401, "UNAUTHORIZED", "Invalid or missing session.")
        return session_info

    @app.exception_handler(WachtError)
    async def wacht_error_handler(request: Request, exc: WachtError) -> JSONResponse:
        return _error_response(exc.status, exc.message, exc.errors, exc.session)

    if mode == "conformant":
        def _unauthorized() -> JSONResponse:
            return _error_response(401, "Invalid or missing session.",
                                   [ErrorEntry(code="UNAUTHORIZED",
                                               message="Invalid or missing session.")], None)

        @app.exception_handler(RequestValidationError)
        async def validation_handler(request: Request, exc: RequestValidationError) -> JSONResponse:
            # FastAPI reads the form before dependencies run: authenticate first.
            if not _valid_cookie(request.cookies.get(SESSION_COOKIE)):
                return _unauthorized()
            ctype = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
            if ctype not in FORM_TYPES:
                errors = [ErrorEntry(code="BAD_REQUEST_BODY",
                                     message="request body must be multipart/form-data")]
            else:
                errors = _map_validation_errors(exc)
            return _error_response(400, "Invalid request body", errors, session_info)

        @app.exception_handler(StarletteHTTPException)
        async def http_error_handler(request: Request, exc: StarletteHTTPException) -> JSONResponse:
            valid = _valid_cookie(request.cookies.get(SESSION_COOKIE))
            if exc.status_code == 400 and not valid:
                return _unauthorized()  # unparseable form from an unauthenticated caller
            codes = {400: "BAD_REQUEST_BODY", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}
            resp = _error_response(exc.status_code, str(exc.detail),
                                   [ErrorEntry(code=codes.get(exc.status_code, "ERROR"),
                                               message=str(exc.detail))],
                                   session_info if valid else None)
            for k, v in (exc.headers or {}).items():
                resp.headers[k] = v
            return resp

    @app.post("/workspaces", response_model=Envelope)
    async def create_workspace(
        request: Request,
        session: Annotated[SessionInfo, Depends(current_session)],
        name: Annotated[str, Form(max_length=NAME_MAX, description="Workspace name")],
        organization_id_: Annotated[str, Form(alias="organization_id", pattern=r"^[0-9]{1,20}$",
                                              description="Parent organization ID (uint64)")],
        description: Annotated[str | None, Form(max_length=DESCRIPTION_MAX,
                                                description="Workspace description")] = None,
        image: Annotated[UploadFile | None, File(description="Workspace profile image")] = None,
    ) -> JSONResponse:
        if not name.strip():
            raise _field_error("name", "value_error", "Value error, must not be blank", name)
        if int(organization_id_) > UINT64_MAX:
            raise _field_error("organization_id", "value_error",
                               "Value error, must fit in an unsigned 64-bit integer",
                               organization_id_)
        image_bytes: bytes | None = None
        if image is not None:
            image_bytes = await image.read(IMAGE_MAX_BYTES + 1)
            if len(image_bytes) > IMAGE_MAX_BYTES:
                raise _field_error("image", "too_long", "image must be at most 5 MiB",
                                   image.filename or "", max_length=IMAGE_MAX_BYTES)
            if not image_bytes:
                image_bytes = None

        if organization_id_ != organization_id:
            raise WachtError(403, "FORBIDDEN", "You are not a member of this organization.",
                             session)

        now = _now()
        with lock:
            ws_id = ids.next()
            image_url = None
            if image_bytes is not None:
                images[ws_id] = (image.content_type or "application/octet-stream", image_bytes)
                image_url = str(request.url_for("get_workspace_image", workspace_id=ws_id))
            ws = Workspace(
                id=ws_id,
                organization_id=organization_id,
                name=name,
                description=description,
                image_url=image_url,
                whitelisted_ips=[],
                enable_ip_restriction=False,
                enforce_mfa=False,
                member_count=1,
                public_metadata={},
                private_metadata={},
                created_at=now,
                updated_at=now,
            )
            membership = Membership(
                id=ids.next(),
                workspace_id=ws_id,
                organization_membership_id=org_membership_id,
                user_id=user_id,
                created_at=now,
                updated_at=now,
            )
            workspaces[ws_id] = ws
            memberships[membership.id] = membership
        env = Envelope(status=200, message="",
                       data=CreateWorkspaceData(workspace=ws, membership=membership),
                       session=session, errors=None)
        return JSONResponse(status_code=200, content=env.model_dump(mode="json"))

    @app.get("/workspaces/{workspace_id}/image", name="get_workspace_image",
             include_in_schema=False)
    def get_workspace_image(workspace_id: str) -> Response:
        if workspace_id not in images:
            raise StarletteHTTPException(404, "Not Found")
        ctype, data = images[workspace_id]
        return Response(content=data, media_type=ctype)

    return app


def main() -> None:
    import uvicorn

    ap = argparse.ArgumentParser(description="Wacht backend Create Workspace server")
    ap.add_argument("--port", type=int, default=8084)
    ap.add_argument("--credential", required=True, help="valid value of the session_id cookie")
    ap.add_argument("--organization-id", default="123456789012345678")
    ap.add_argument("--mode", choices=("conformant", "default"), default="conformant")
    args = ap.parse_args()
    app = create_app(args.credential, args.organization_id, args.mode)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
