"""d3lay `POST /workspaces`, written from the provider page only
(seeds/002_3e40ed99435aecaf.txt), the way FastAPI's official docs teach it.

    create_app(credential, mode="conformant") -> FastAPI

mode="default"    : validation errors go to FastAPI's own handler (422 {"detail": [...]}),
                    other errors are plain HTTPException ({"detail": "..."}).
mode="conformant" : a RequestValidationError handler (and an HTTPException handler) answer
                    with one JSON error envelope and the production status codes listed in
                    NOTES-d3lay-fastapi.md (the page documents only the 201 "Created" reply).
"""


import email.message
import hashlib
import secrets
import sqlite3
import threading
import uuid
from datetime import datetime, timezone
from enum import Enum
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, HTTPException, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

MODES = ("default", "conformant")


# --------------------------------------------------------------------------- models


class APIVersion(str, Enum):
    v1 = "v1"


class WorkspaceType(str, Enum):
    single_user = "single_user"
    multi_user = "multi_user"


# The page states no lengths; 1..255 is our production choice (see NOTES).
ShortText = Annotated[str, Field(min_length=1, max_length=255)]


class WorkspaceCreate(BaseModel):
    identifier: ShortText = Field(examples=["delay"])
    name: ShortText = Field(examples=["Delay Technologies"])
    workspace_type: WorkspaceType = Field(examples=["multi_user"])
    owner_id: uuid.UUID | None = Field(
        default=None, examples=["3fa85f64-5717-4562-b3fc-2c963f66afa6"]
    )
    domain_name: ShortText | None = Field(default=None, examples=["d3lay.com"])


class Workspace(BaseModel):
    id: uuid.UUID
    identifier: str
    name: str
    owner_id: uuid.UUID | None = None
    workspace_type: WorkspaceType
    domain_name: str | None = None
    created_at: datetime
    updated_at: datetime
    created_by: uuid.UUID | None = None
    updated_by: uuid.UUID | None = None


# --------------------------------------------------------------------------- storage


class WorkspaceStore:
    """stdlib sqlite3, in-memory, one connection guarded by a lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._db = sqlite3.connect(":memory:", check_same_thread=False)
        self._db.row_factory = sqlite3.Row
        with self._lock, self._db:
            self._db.execute(
                """
                CREATE TABLE workspaces (
                    id             TEXT PRIMARY KEY,
                    identifier     TEXT NOT NULL UNIQUE,
                    name           TEXT NOT NULL,
                    owner_id       TEXT,
                    workspace_type TEXT NOT NULL
                                   CHECK (workspace_type IN ('single_user', 'multi_user')),
                    domain_name    TEXT,
                    created_at     TEXT NOT NULL,
                    updated_at     TEXT NOT NULL,
                    created_by     TEXT,
                    updated_by     TEXT
                )
                """
            )

    def create(self, data: WorkspaceCreate, principal: uuid.UUID) -> dict[str, Any] | None:
        """Insert; returns the row, or None when `identifier` is already taken."""
        now = datetime.now(timezone.utc).replace(microsecond=0)
        row = {
            "id": str(uuid.uuid4()),
            "identifier": data.identifier,
            "name": data.name,
            "owner_id": str(data.owner_id) if data.owner_id is not None else None,
            "workspace_type": data.workspace_type.value,
            "domain_name": data.domain_name,
            "created_at": now.isoformat(),
            "updated_at": now.isoformat(),
            "created_by": str(principal),
            "updated_by": str(principal),
        }
        with self._lock:
            try:
                with self._db:
                    self._db.execute(
                        "INSERT INTO workspaces (id, identifier, name, owner_id, workspace_type,"
                        " domain_name, created_at, updated_at, created_by, updated_by)"
                        " VALUES (:id, :identifier, :name, :owner_id, :workspace_type,"
                        " :domain_name, :created_at, :updated_at, :created_by, :updated_by)",
                        row,
                    )
            except sqlite3.IntegrityError:
                return None
            got = self._db.execute("SELECT * FROM workspaces WHERE id = ?", (row["id"],)).fetchone()
        return dict(got)


# --------------------------------------------------------------------------- helpers


def _error_body(code: str, message: str, details: list[dict[str, Any]] | None = None) -> dict:
    err: dict[str, Any] = {"code": code, "message": message}
    if details:
        err["details"] = details
    return {"error": err}


def _token_ok(authorization: str | None, credential: str) -> bool:
    """Same parsing as fastapi.security.HTTPBearer: '<scheme> <token>', scheme case-insensitive."""
    if not authorization:
        return False
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return False
    return secrets.compare_digest(token.encode(), credential.encode())


def _is_json_content_type(value: str | None) -> bool:
    if not value:
        return False
    msg = email.message.Message()
    msg["content-type"] = value
    sub = msg.get_content_subtype()
    return msg.get_content_maintype() == "application" and (sub == "json" or sub.endswith("+json"))


def _field_name(loc: tuple | list) -> str:
    parts = [str(p) for p in loc[1:]] if loc and loc[0] in ("body", "header", "query") else [
        str(p) for p in loc
    ]
    return ".".join(parts) if parts else "body"


_UNAUTH_HEADERS = {"WWW-Authenticate": "Bearer"}


# --------------------------------------------------------------------------- app


def create_app(credential: str, mode: str = "conformant") -> FastAPI:
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")

    app = FastAPI(title="d3lay (FastAPI, from the provider page)", version="v1")
    store = WorkspaceStore()
    app.state.store = store
    # No user directory behind a single shared token: the caller's id is a stable UUID
    # derived from the token (never the token itself).
    principal_id = uuid.uuid5(
        uuid.NAMESPACE_URL,
        "urn:d3lay:principal:" + hashlib.sha256(credential.encode()).hexdigest(),
    )

    bearer = HTTPBearer(auto_error=False)

    def require_token(
        creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> uuid.UUID:
        if creds is None or not secrets.compare_digest(
            creds.credentials.encode(), credential.encode()
        ):
            raise HTTPException(
                status_code=status.HTTP_401_UNAUTHORIZED,
                detail="Missing or invalid bearer token",
                headers=_UNAUTH_HEADERS,
            )
        return principal_id

    @app.post(
        "/workspaces",
        status_code=status.HTTP_201_CREATED,
        response_model=Workspace,
        summary="Create a new workspace",
        responses={
            401: {"description": "Missing or invalid bearer token"},
            409: {"description": "identifier already in use"},
        },
    )
    def create_workspace(
        workspace: WorkspaceCreate,
        principal: Annotated[uuid.UUID, Depends(require_token)],
        x_api_version: Annotated[APIVersion, Header(alias="X-API-Version")] = APIVersion.v1,
    ) -> Any:
        row = store.create(workspace, principal)
        if row is None:
            raise HTTPException(
                status_code=status.HTTP_409_CONFLICT,
                detail=f"A workspace with identifier {workspace.identifier!r} already exists",
            )
        return row

    if mode == "conformant":
        _install_conformant_handlers(app, credential)

    return app


def _install_conformant_handlers(app: FastAPI, credential: str) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def http_exception_handler(request: Request, exc: StarletteHTTPException):
        codes = {
            400: "bad_request",
            401: "unauthorized",
            403: "forbidden",
            404: "not_found",
            405: "method_not_allowed",
            409: "conflict",
            413: "payload_too_large",
            415: "unsupported_media_type",
        }
        return JSONResponse(
            status_code=exc.status_code,
            content=_error_body(codes.get(exc.status_code, "error"), str(exc.detail)),
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(RequestValidationError)
    async def validation_exception_handler(request: Request, exc: RequestValidationError):
        # FastAPI parses the JSON body before it runs dependencies, so a bad body would
        # otherwise beat a bad token. Authentication is answered first.
        if not _token_ok(request.headers.get("authorization"), credential):
            return JSONResponse(
                status_code=401,
                content=_error_body("unauthorized", "Missing or invalid bearer token"),
                headers=_UNAUTH_HEADERS,
            )

        errors = list(exc.errors())

        version_errs = [e for e in errors if tuple(e.get("loc", ()))[:1] == ("header",)]
        if version_errs:
            return JSONResponse(
                status_code=400,
                content=_error_body(
                    "unsupported_api_version",
                    "X-API-Version must be 'v1'",
                    [{"field": "X-API-Version", "message": version_errs[0].get("msg", "")}],
                ),
            )

        body_present = exc.body not in (None, b"")
        if body_present and not _is_json_content_type(request.headers.get("content-type")):
            return JSONResponse(
                status_code=415,
                content=_error_body(
                    "unsupported_media_type", "Request body must be sent as application/json"
                ),
            )

        if any(e.get("type") == "json_invalid" for e in errors):
            return JSONResponse(
                status_code=400,
                content=_error_body("invalid_json", "Request body is not valid JSON"),
            )

        details = [
            {
                "field": _field_name(e.get("loc", ())),
                "type": e.get("type"),
                "message": e.get("msg"),
            }
            for e in errors
        ]
        return JSONResponse(
            status_code=422,
            content=_error_body("validation_error", "Request body failed validation", details),
        )
