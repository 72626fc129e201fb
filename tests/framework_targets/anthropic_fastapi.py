"""Small implementation of Anthropic's Admin API "Create Workspace" endpoint.

Source: https://platform.claude.com/docs/en/api/admin/workspaces/create
(seed 004_4ca345a738944346.txt) plus Anthropic's documented error JSON shape
{"type": "error", "error": {"type": ..., "message": ...}}.

Run:  python anthropic_fastapi.py --port 8001 --credential SECRET [--mode conformant|default]
"""
from __future__ import annotations

import argparse
import random
import secrets
import string
import threading
from datetime import datetime, timezone
from typing import Literal, Optional

import uvicorn
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

MAX_BODY_BYTES = 1024 * 1024  # our choice; page silent
BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
COLORS = ["#6C5BB9", "#D4A27F", "#C2553F", "#4A90A4", "#7B9E3F", "#B84C8C", "#3F6FB8", "#A67C2E"]

ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    405: "invalid_request_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}


def anthropic_error(status: int, message: str, headers: Optional[dict] = None) -> JSONResponse:
    return JSONResponse(
        status_code=status,
        content={"type": "error", "error": {"type": ERROR_TYPES.get(status, "api_error"), "message": message}},
        headers=headers,
    )


class CreateWorkspaceRequest(BaseModel):
    # Unknown fields are rejected (our choice; the page lists only `name`).
    model_config = ConfigDict(extra="forbid")

    name: str = Field(..., min_length=1, max_length=40, description="Name of the Workspace.")


class Workspace(BaseModel):
    id: str
    archived_at: Optional[str] = None
    created_at: str
    display_color: str
    name: str
    type: Literal["workspace"] = "workspace"


def _now_rfc3339() -> str:
    # e.g. 2024-10-30T23:58:27.427722Z, like the documented example
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _new_id() -> str:
    # e.g. wrkspc_01JwQvzr7rXLA5AGx3HKfFUJ : "wrkspc_" + "01" + 22 base62 chars
    return "wrkspc_01" + "".join(secrets.choice(BASE62) for _ in range(22))


def _format_validation_errors(errors) -> str:
    parts = []
    for err in errors:
        loc = [str(p) for p in err.get("loc", ()) if p != "body"]
        where = ".".join(loc)
        if not where:
            where = "body"  # the whole body is missing or not a JSON object
        parts.append(f"{where}: {err.get('msg')}")
    return "; ".join(parts) or "Invalid request body"


def create_app(credential: str, mode: str = "conformant") -> FastAPI:
    if mode not in ("conformant", "default"):
        raise ValueError("mode must be 'conformant' or 'default'")

    app = FastAPI(title="Anthropic Admin API (Workspaces) - local implementation")
    store: dict[str, Workspace] = {}
    lock = threading.Lock()

    # Authentication runs before body parsing/validation, so a bad key always
    # yields 401 even when the body is also invalid.
    @app.middleware("http")
    async def auth_and_size(request: Request, call_next):
        key = request.headers.get("x-api-key")
        if key is None or key == "":
            return anthropic_error(401, "x-api-key header is required")
        if not secrets.compare_digest(key.encode(), credential.encode()):
            return anthropic_error(401, "invalid x-api-key")
        cl = request.headers.get("content-length")
        if cl is not None and cl.isdigit() and int(cl) > MAX_BODY_BYTES:
            return anthropic_error(413, "Request exceeds the maximum allowed number of bytes.")
        return await call_next(request)

    @app.exception_handler(StarletteHTTPException)
    async def http_exc_handler(request: Request, exc: StarletteHTTPException):
        msg = exc.detail if isinstance(exc.detail, str) else "error"
        if exc.status_code == 404 and msg == "Not Found":
            msg = f"Not found: {request.method} {request.url.path}"
        return anthropic_error(exc.status_code, msg, headers=getattr(exc, "headers", None))

    if mode == "conformant":
        @app.exception_handler(RequestValidationError)
        async def validation_handler(request: Request, exc: RequestValidationError):
            errors = exc.errors()
            if any(e.get("type") == "json_invalid" for e in errors):
                return anthropic_error(400, "Invalid JSON in request body")
            return anthropic_error(400, _format_validation_errors(errors))
    # mode == "default": FastAPI's built-in handler (422 {"detail": [...]}) stays in place.

    @app.exception_handler(Exception)
    async def unhandled(request: Request, exc: Exception):
        return anthropic_error(500, "Internal server error")

    @app.post("/v1/organizations/workspaces", response_model=Workspace, status_code=200)
    async def create_workspace(body: CreateWorkspaceRequest) -> Workspace:
        ws = Workspace(
            id=_new_id(),
            archived_at=None,
            created_at=_now_rfc3339(),
            display_color=random.choice(COLORS),
            name=body.name,
        )
        with lock:
            store[ws.id] = ws
        return ws

    @app.get("/v1/organizations/workspaces/{workspace_id}", response_model=Workspace)
    async def get_workspace(workspace_id: str) -> Workspace:
        ws = store.get(workspace_id)
        if ws is None:
            raise StarletteHTTPException(404, f"Workspace {workspace_id} not found")
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
