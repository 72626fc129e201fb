"""Small implementation of Orgo's "Create workspace" endpoint.

Source: https://docs.orgo.ai  POST /workspaces under base https://www.orgo.ai/api
(seed 000_d87ba1a65334872c.txt), so the route here is POST /api/workspaces.

Run:  python orgo_fastapi.py --port 8002 --credential SECRET [--mode conformant|default]
"""
from __future__ import annotations

import argparse
import secrets
import threading
import uuid
from datetime import datetime, timezone
from typing import Literal, Optional

import uvicorn
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, field_validator
from starlette.exceptions import HTTPException as StarletteHTTPException

MAX_BODY_BYTES = 1024 * 1024  # our choice; page silent


def orgo_error(status: int, message: str, headers: Optional[dict] = None) -> JSONResponse:
    # Error body shape is not documented; we use {"error": "<message>"}.
    return JSONResponse(status_code=status, content={"error": message}, headers=headers)


class CreateWorkspaceRequest(BaseModel):
    # Unknown fields are ignored (Pydantic default; page silent).
    name: str = Field(..., min_length=1, description="Workspace name. Must be unique within your account.",
                      examples=["my-workspace"])
    icon_url: Optional[str] = Field(default=None, description="Optional URL of an icon for the workspace.")
    status: Literal["active", "inactive"] = Field(default="active", description="Workspace status: active or inactive.")

    @field_validator("name", "icon_url")
    @classmethod
    def encodable(cls, v):
        # Added after the conformance suite found a 500 here: a lone surrogate (valid JSON
        # text, "\ud800") cannot be stored or answered as UTF-8, so it is refused up front.
        if isinstance(v, str):
            try:
                v.encode("utf-8")
            except UnicodeEncodeError:
                raise ValueError("text must be valid Unicode") from None
        return v

    @field_validator("name")
    @classmethod
    def name_not_blank(cls, v: str) -> str:
        # Page: 400 when "Name is empty"; we treat whitespace-only as empty.
        if not v.strip():
            raise ValueError("Name is empty")
        return v


class Workspace(BaseModel):
    id: str
    name: str
    user_id: str
    status: Literal["active", "inactive"]
    icon_url: Optional[str] = None
    created_at: str
    updated_at: str


def _now_iso() -> str:
    # e.g. 2026-04-07T10:30:00.123Z (ISO 8601, UTC)
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _validation_message(errors) -> str:
    for err in errors:
        loc = [str(p) for p in err.get("loc", ()) if p != "body"]
        field = loc[0] if loc else None
        etype = err.get("type")
        if etype == "json_invalid":
            return "Invalid JSON body"
        if field == "name":
            if etype == "missing":
                return "Name is required"
            if etype in ("string_too_short", "value_error"):
                return "Name is empty"
            return "Name must be a string"
        if field == "status":
            return "Status must be one of: active, inactive"
        if field == "icon_url":
            return "icon_url must be a string"
        if not loc:
            return "Request body must be a JSON object"
    return "Invalid request body"


def create_app(credential: str, mode: str = "conformant") -> FastAPI:
    if mode not in ("conformant", "default"):
        raise ValueError("mode must be 'conformant' or 'default'")

    app = FastAPI(title="Orgo API (Workspaces) - local implementation")
    # One API key == one account; the owner id is fixed per app instance.
    user_id = str(uuid.uuid4())
    store: dict[str, Workspace] = {}
    lock = threading.Lock()

    @app.middleware("http")
    async def auth_and_size(request: Request, call_next):
        auth = request.headers.get("authorization", "")
        scheme, _, token = auth.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token or not secrets.compare_digest(token.encode(), credential.encode()):
            return orgo_error(401, "Unauthorized", headers={"WWW-Authenticate": "Bearer"})
        cl = request.headers.get("content-length")
        if cl is not None and cl.isdigit() and int(cl) > MAX_BODY_BYTES:
            return orgo_error(413, "Request body too large")
        return await call_next(request)

    @app.exception_handler(StarletteHTTPException)
    async def http_exc_handler(request: Request, exc: StarletteHTTPException):
        msg = exc.detail if isinstance(exc.detail, str) else "Error"
        return orgo_error(exc.status_code, msg, headers=getattr(exc, "headers", None))

    if mode == "conformant":
        @app.exception_handler(RequestValidationError)
        async def validation_handler(request: Request, exc: RequestValidationError):
            return orgo_error(400, _validation_message(exc.errors()))
    # mode == "default": FastAPI's built-in 422 {"detail": [...]} handler is used.

    @app.exception_handler(Exception)
    async def unhandled(request: Request, exc: Exception):
        return orgo_error(500, "Internal server error")

    @app.post("/api/workspaces", response_model=Workspace, status_code=201)
    async def create_workspace(body: CreateWorkspaceRequest) -> Workspace:
        with lock:
            if any(ws.name == body.name for ws in store.values()):
                raise StarletteHTTPException(400, "A workspace with this name already exists")
            now = _now_iso()
            ws = Workspace(
                id=str(uuid.uuid4()),
                name=body.name,
                user_id=user_id,
                status=body.status,
                icon_url=body.icon_url,
                created_at=now,
                updated_at=now,
            )
            store[ws.id] = ws
        return ws

    @app.get("/api/workspaces/{workspace_id}", response_model=Workspace)
    async def get_workspace(workspace_id: str) -> Workspace:
        ws = store.get(workspace_id)
        if ws is None:
            raise StarletteHTTPException(404, "Workspace not found")
        return ws

    return app


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--credential", required=True)
    p.add_argument("--mode", choices=["conformant", "default"], default="conformant")
    a = p.parse_args()
    uvicorn.run(create_app(a.credential, a.mode), host="127.0.0.1", port=a.port)


if __name__ == "__main__":
    main()
