#!/usr/bin/env python3
"""d3lay "Create a new workspace" (POST /workspaces), standard library only.

Written from the d3lay documentation page (seed 002). Choices made where the
page is silent are listed in NOTES-d3lay-wacht.md.

Run: python d3lay_plain.py --port 8080 --credential SECRET
"""
import argparse
import hmac
import http.server
import json
import re
import threading
import uuid
from datetime import datetime, timezone

API_VERSIONS = ("v1",)
WORKSPACE_TYPES = ("single_user", "multi_user")
UUID_RE = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)
MAX_BODY = 1024 * 1024
MAX_LEN = 255


class ApiError(Exception):
    def __init__(self, status, error, message, headers=None):
        super().__init__(message)
        self.status = status
        self.error = error
        self.message = message
        self.headers = headers or {}


def _now():
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _validate(body):
    """Return the cleaned workspace fields, or raise ApiError(400)."""
    if not isinstance(body, dict):
        raise ApiError(400, "bad_request", "request body must be a JSON object")

    out = {}
    for field in ("identifier", "name"):
        if field not in body or body[field] is None:
            raise ApiError(400, "bad_request", f"missing required field: {field}")
        value = body[field]
        if not isinstance(value, str) or not value.strip() or len(value) > MAX_LEN:
            raise ApiError(400, "bad_request", f"invalid {field}: {value!r}")
        out[field] = value

    if "workspace_type" not in body or body["workspace_type"] is None:
        raise ApiError(400, "bad_request", "missing required field: workspace_type")
    wtype = body["workspace_type"]
    if not isinstance(wtype, str) or wtype not in WORKSPACE_TYPES:
        raise ApiError(
            400,
            "bad_request",
            f"invalid workspace_type: {wtype!r} (expected one of: "
            + ", ".join(WORKSPACE_TYPES)
            + ")",
        )
    out["workspace_type"] = wtype

    owner = body.get("owner_id")
    if owner is not None:
        if not isinstance(owner, str) or not UUID_RE.match(owner):
            raise ApiError(400, "bad_request", f"invalid owner_id: {owner!r} (expected a UUID)")
        out["owner_id"] = owner

    domain = body.get("domain_name")
    if domain is not None:
        if not isinstance(domain, str) or not domain.strip() or len(domain) > MAX_LEN:
            raise ApiError(400, "bad_request", f"invalid domain_name: {domain!r}")
        out["domain_name"] = domain
    return out


class Store:
    def __init__(self):
        self.lock = threading.Lock()
        self.by_id = {}
        self.by_identifier = {}

    def create(self, fields, caller_id):
        with self.lock:
            if fields["identifier"] in self.by_identifier:
                raise ApiError(
                    409,
                    "conflict",
                    f"workspace with identifier {fields['identifier']!r} already exists",
                )
            now = _now()
            ws = {
                "id": str(uuid.uuid4()),
                "identifier": fields["identifier"],
                "name": fields["name"],
                "owner_id": fields.get("owner_id", caller_id),
                "workspace_type": fields["workspace_type"],
            }
            if "domain_name" in fields:
                ws["domain_name"] = fields["domain_name"]
            ws.update(
                {
                    "created_at": now,
                    "updated_at": now,
                    "created_by": caller_id,
                    "updated_by": caller_id,
                }
            )
            self.by_id[ws["id"]] = ws
            self.by_identifier[ws["identifier"]] = ws["id"]
            return dict(ws)


def _make_handler(credential, store):
    caller_id = str(uuid.uuid5(uuid.NAMESPACE_URL, "d3lay-user:" + credential))

    class Handler(http.server.BaseHTTPRequestHandler):
        server_version = "d3lay-plain/1.0"
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):  # keep the console quiet
            pass

        def _send(self, status, payload, headers=None):
            data = json.dumps(payload).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def _error(self, err):
            self._send(err.status, {"error": err.error, "message": err.message}, err.headers)

        def _path(self):
            return self.path.split("?", 1)[0].rstrip("/") or "/"

        def _drain(self):
            length = self.headers.get("Content-Length")
            try:
                n = int(length) if length else 0
            except ValueError:
                n = 0
            if 0 < n <= MAX_BODY:
                self.rfile.read(n)
            elif n > MAX_BODY:
                self.close_connection = True

        def _not_allowed(self):
            self._drain()
            if self._path() == "/workspaces":
                self._error(ApiError(405, "method_not_allowed", f"method {self.command} not allowed",
                                     {"Allow": "POST"}))
            else:
                self._error(ApiError(404, "not_found", f"no route for {self.path!r}"))

        do_GET = do_PUT = do_PATCH = do_DELETE = _not_allowed

        def do_POST(self):
            try:
                if self._path() != "/workspaces":
                    self._drain()
                    raise ApiError(404, "not_found", f"no route for {self.path!r}")
                self._create()
            except ApiError as err:
                self._error(err)

        def _authenticate(self):
            header = self.headers.get("Authorization")
            if not header:
                raise ApiError(401, "unauthorized", "missing Authorization header",
                               {"WWW-Authenticate": "Bearer"})
            scheme, _, token = header.strip().partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise ApiError(401, "unauthorized", "Authorization header must be 'Bearer <token>'",
                               {"WWW-Authenticate": "Bearer"})
            if not hmac.compare_digest(token.strip().encode(), credential.encode()):
                raise ApiError(401, "unauthorized", "invalid bearer token",
                               {"WWW-Authenticate": 'Bearer error="invalid_token"'})

        def _read_body(self):
            length = self.headers.get("Content-Length")
            if length is None:
                if self.headers.get("Transfer-Encoding"):
                    self.close_connection = True
                    raise ApiError(411, "length_required", "Content-Length header is required")
                return b""
            try:
                n = int(length)
                if n < 0:
                    raise ValueError
            except ValueError:
                self.close_connection = True
                raise ApiError(400, "bad_request", f"invalid Content-Length: {length!r}")
            if n > MAX_BODY:
                self.close_connection = True
                raise ApiError(413, "payload_too_large", f"request body exceeds {MAX_BODY} bytes")
            return self.rfile.read(n)

        def _create(self):
            raw = self._read_body()
            self._authenticate()

            version = self.headers.get("X-API-Version")
            if version is not None and version.strip() not in API_VERSIONS:
                raise ApiError(400, "bad_request", f"unsupported X-API-Version: {version!r}")

            ctype = self.headers.get("Content-Type")
            if ctype is not None:
                media = ctype.split(";", 1)[0].strip().lower()
                if media != "application/json":
                    raise ApiError(415, "unsupported_media_type",
                                   f"unsupported Content-Type: {ctype!r} (use application/json)")

            if not raw.strip():
                raise ApiError(400, "bad_request", "request body is required")
            try:
                body = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, ValueError) as exc:
                raise ApiError(400, "bad_request", f"invalid JSON body: {exc}")

            fields = _validate(body)
            ws = store.create(fields, caller_id)
            self._send(201, ws, {"Location": f"/workspaces/{ws['id']}"})

    return Handler


def make_server(port: int, credential: str) -> http.server.ThreadingHTTPServer:
    store = Store()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), _make_handler(credential, store))
    server.daemon_threads = True
    return server


def main():
    ap = argparse.ArgumentParser(description="d3lay Create Workspace server")
    ap.add_argument("--port", type=int, default=8080)
    ap.add_argument("--credential", required=True)
    args = ap.parse_args()
    server = make_server(args.port, args.credential)
    print(f"d3lay listening on http://127.0.0.1:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
