#!/usr/bin/env python3
"""Wacht frontend API "Create workspace" (POST /workspaces, JSON body).

Written from the Wacht frontend documentation page (seed 001) plus the facts in
the seeds README (session cookie `__session`; 401 without an active sign-in,
403 outside the organization, 400 on a body that fails validation; error
entries `{"code", "message"}`). Choices where the page is silent are listed in
NOTES-d3lay-wacht.md.

Run: python wacht_frontend_fastapi.py --port 8082 --credential SECRET \
        --organization-id org_456789123 [--mode conformant|default]
"""

import argparse
import hashlib
import hmac
import itertools
import secrets
import threading
from datetime import datetime, timezone
from typing import Annotated, Any

from fastapi import Cookie, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator
from starlette.exceptions import HTTPException as StarletteHTTPException

SESSION_COOKIE = "__session"
NAME_MAX = 255
DESCRIPTION_MAX = 2000


# --------------------------------------------------------------------------- models
class CreateWorkspaceRequest(BaseModel):
    """Request body documented on the page: name, description, organization_id."""

    model_config = ConfigDict(extra="ignore")

    name: str = Field(min_length=1, max_length=NAME_MAX)
    description: str | None = Field(default=None, max_length=DESCRIPTION_MAX)
    organization_id: str = Field(min_length=1)

    @field_validator("name", "organization_id")
    @classmethod
    def not_blank(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("must not be blank")
        return v


class OrganizationRef(BaseModel):
    id: str
    name: str
    slug: str


class Workspace(BaseModel):
    id: str
    name: str
    description: str | None
    organization: OrganizationRef
    members_count: int
    created_at: str
    updated_at: str


class SignIn(BaseModel):
    id: str
    user_id: str
    created_at: str


class Session(BaseModel):
    signin_attempts: list[Any] = []
    signins: list[SignIn] = []
    signup_attempts: list[Any] = []
    active_signin: SignIn | None = None


class ErrorEntry(BaseModel):
    code: str
    message: str


class WorkspaceData(BaseModel):
    workspace: Workspace


class Envelope(BaseModel):
    status: int
    message: str
    data: WorkspaceData | None
    session: Session
    errors: list[ErrorEntry]


# --------------------------------------------------------------------------- helpers
class WachtError(Exception):
    def __init__(self, status: int, code: str, message: str, session: Session | None = None,
                 errors: list[ErrorEntry] | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.session = session
        self.errors = errors or [ErrorEntry(code=code, message=message)]


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _digits(seed: str, n: int = 9) -> str:
    return str(int(hashlib.sha256(seed.encode()).hexdigest(), 16))[:n]


def _error_response(status: int, message: str, errors: list[ErrorEntry],
                    session: Session | None) -> JSONResponse:
    env = Envelope(status=status, message=message, data=None,
                   session=session or Session(), errors=errors)
    return JSONResponse(status_code=status, content=env.model_dump(mode="json"))


_FIELD_ORDER = ("name", "description", "organization_id")


def _map_validation_errors(exc: RequestValidationError) -> list[ErrorEntry]:
    """Turn pydantic/FastAPI validation errors into Wacht error entries.

    Messages deliberately do not echo the submitted value."""
    out: list[ErrorEntry] = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p != "body"]
        field = loc[0] if loc else ""
        etype = err.get("type", "")
        if etype == "json_invalid" or not field or field not in _FIELD_ORDER:
            if etype == "missing" and not field:
                msg = "request body is required"
            else:
                msg = "request body must be a valid JSON object"
            entry = ErrorEntry(code="BAD_REQUEST_BODY", message=msg)
        elif etype == "missing":
            entry = ErrorEntry(code="REQUIRED_FIELD", message=f"{field} is required")
        elif etype == "string_too_short" or (etype == "value_error" and "blank" in err.get("msg", "")):
            entry = ErrorEntry(code="REQUIRED_FIELD", message=f"{field} must not be empty")
        elif etype == "string_too_long":
            limit = err.get("ctx", {}).get("max_length")
            entry = ErrorEntry(code="BAD_REQUEST_BODY",
                               message=f"{field} must be at most {limit} characters")
        elif etype == "string_type":
            entry = ErrorEntry(code="BAD_REQUEST_BODY", message=f"{field} must be a string")
        else:
            entry = ErrorEntry(code="BAD_REQUEST_BODY", message=f"{field} is invalid")
        if entry not in out:
            out.append(entry)
    return out or [ErrorEntry(code="BAD_REQUEST_BODY", message="invalid request body")]


# --------------------------------------------------------------------------- app
def create_app(credential: str, organization_id: str, mode: str = "conformant") -> FastAPI:
    if mode not in ("conformant", "default"):
        raise ValueError("mode must be 'conformant' or 'default'")

    app = FastAPI(title="Wacht frontend API (workspaces)")

    # The single signed-in user and the one organization they belong to.
    user_id = "user_" + _digits("user:" + credential)
    signin = SignIn(id="signin_" + _digits("signin:" + credential), user_id=user_id,
                    created_at=_now())
    active_session = Session(signins=[signin], active_signin=signin)
    organization = OrganizationRef(id=organization_id, name="Acme Corporation", slug="acme-corp")

    lock = threading.Lock()
    workspaces: dict[str, Workspace] = {}
    ids = itertools.count(secrets.randbelow(10**8) + 10**8)

    def _valid_cookie(value: str | None) -> bool:
        return bool(value) and hmac.compare_digest(value.encode(), credential.encode())

    def current_session(
        session_token: Annotated[str | None, Cookie(alias=SESSION_COOKIE)] = None,
    ) -> Session:
        if not _valid_cookie(session_token):
            raise WachtError(401, "UNAUTHORIZED", "No active sign-in. Please sign in.")
        return active_session

    @app.exception_handler(WachtError)
    async def wacht_error_handler(request: Request, exc: WachtError) -> JSONResponse:
        return _error_response(exc.status, exc.message, exc.errors, exc.session)

    if mode == "conformant":
        @app.exception_handler(RequestValidationError)
        async def validation_handler(request: Request, exc: RequestValidationError) -> JSONResponse:
            # FastAPI parses the JSON body before dependencies run; authenticate first
            # so an unauthenticated caller always gets 401, never 400.
            if not _valid_cookie(request.cookies.get(SESSION_COOKIE)):
                return _error_response(401, "No active sign-in. Please sign in.",
                                       [ErrorEntry(code="UNAUTHORIZED",
                                                   message="No active sign-in. Please sign in.")],
                                       None)
            return _error_response(400, "Invalid request body", _map_validation_errors(exc),
                                   active_session)

        @app.exception_handler(StarletteHTTPException)
        async def http_error_handler(request: Request, exc: StarletteHTTPException) -> JSONResponse:
            codes = {400: "BAD_REQUEST_BODY", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}
            session = active_session if _valid_cookie(request.cookies.get(SESSION_COOKIE)) else None
            resp = _error_response(exc.status_code, str(exc.detail),
                                   [ErrorEntry(code=codes.get(exc.status_code, "ERROR"),
                                               message=str(exc.detail))], session)
            for k, v in (exc.headers or {}).items():
                resp.headers[k] = v
            return resp

    @app.post("/workspaces", status_code=201, response_model=Envelope)
    def create_workspace(
        body: CreateWorkspaceRequest,
        session: Annotated[Session, Depends(current_session)],
    ) -> JSONResponse:
        if body.organization_id != organization_id:
            raise WachtError(403, "FORBIDDEN",
                             "You are not a member of this organization.", session)
        now = _now()
        with lock:
            ws = Workspace(
                id=f"workspace_{next(ids)}",
                name=body.name,
                description=body.description,
                organization=organization,
                members_count=1,
                created_at=now,
                updated_at=now,
            )
            workspaces[ws.id] = ws
        env = Envelope(status=201, message="", data=WorkspaceData(workspace=ws),
                       session=session, errors=[])
        return JSONResponse(status_code=201, content=env.model_dump(mode="json"))

    return app


def main() -> None:
    import uvicorn

    ap = argparse.ArgumentParser(description="Wacht frontend Create Workspace server")
    ap.add_argument("--port", type=int, default=8082)
    ap.add_argument("--credential", required=True, help="valid value of the __session cookie")
    ap.add_argument("--organization-id", default="org_456789123")
    ap.add_argument("--mode", choices=("conformant", "default"), default="conformant")
    args = ap.parse_args()
    app = create_app(args.credential, args.organization_id, args.mode)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
