"""Deliberately hostile loopback servers, written at the socket level so they can do what no
well-behaved framework would: hang, lie about lengths, send garbage, close mid-answer."""
from __future__ import annotations

import socket
import threading
import time


class RawServer:
    """Accepts connections on a loopback address and hands each to `handler(conn, request)`."""

    def __init__(self, handler, host: str = "127.0.0.1", read_first: bool = True):
        self.handler = handler
        self.read_first = read_first
        self.stop_event = threading.Event()
        self.connections = 0
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, 0))
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.host, self.port = self.sock.getsockname()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def _serve(self) -> None:
        while not self.stop_event.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        conn.settimeout(5)
        try:
            request = _read_request(conn) if self.read_first else b""
            self.handler(self, conn, request)
        except OSError:
            pass
        finally:
            conn.close()

    def close(self) -> None:
        self.stop_event.set()
        self.thread.join(timeout=2)
        self.sock.close()


def _read_request(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    deadline = time.monotonic() + 5
    while len(body) < min(length, 2 << 20) and time.monotonic() < deadline:
        chunk = conn.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


def answer(status: str, body: bytes, content_type: str = "application/json", extra: str = ""):
    def handler(server, conn, request):
        conn.sendall(f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
                     f"Connection: close\r\n{extra}\r\n".encode() + body)
    return handler


def hang(server, conn, request):
    server.stop_event.wait(30)  # bounded: the test stops the server long before


def huge_body(server, conn, request):
    size = 50 * 1024 * 1024
    conn.sendall(f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {size}\r\n"
                 "Connection: close\r\n\r\n".encode())
    chunk, sent = b"[" + b"0," * 32767, 0
    while sent < size and not server.stop_event.is_set():
        conn.sendall(chunk)  # raises once the client hangs up: the loop ends there
        sent += len(chunk)


def close_mid_answer(server, conn, request):
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"id\": ")


def echo_secrets(server, conn, request):
    """Sends the request back, credential included, in the body and in cookie headers."""
    head = request.split(b"\r\n\r\n")[0].decode("latin-1")
    secret_lines = [line for line in head.split("\r\n") if ":" in line]
    body = ("{\"type\": \"error\", \"error\": {\"type\": \"invalid_request_error\", \"message\": "
            + __import__("json").dumps(head) + "}}").encode()
    cookies = "".join(f"Set-Cookie: echo={line.split(':', 1)[1].strip()}\r\n" for line in secret_lines)
    conn.sendall(f"HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
                 f"{cookies}X-Echo-Authorization: {head.splitlines()[-1]}\r\nConnection: close\r\n\r\n".encode() + body)


class EchoingProxy:
    """A real HTTP server in front of a reference server, behaving as many hand-written servers
    do: it accepts a lone surrogate in any text (the reference refuses it), echoes it back in
    the created resource, and echoes the whole offending input in every 4xx error message.
    What it sends is valid JSON text (the surrogate as the escape "\\ud800"), as json.dumps writes."""

    def __init__(self, upstream: str):
        import http.server
        from urllib.parse import urlsplit

        parts = urlsplit(upstream)
        self.upstream_host, self.upstream_port = parts.hostname, parts.port
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                proxy.forward(self)

            do_GET = do_PUT = do_PATCH = do_DELETE = do_POST

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base_path = parts.path
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{self.base_path}"

    def forward(self, handler) -> None:
        import http.client
        import json

        body = handler.rfile.read(int(handler.headers.get("content-length") or 0))
        try:
            sent = json.loads(body)
        except ValueError:
            sent, restore = None, {}
        else:
            restore = {}
            sent = _without_surrogates(sent, restore)
            body = json.dumps(sent).encode()
        headers = {k: v for k, v in handler.headers.items() if k.lower() not in ("host", "content-length")}
        upstream = http.client.HTTPConnection(self.upstream_host, self.upstream_port, timeout=10)
        try:
            upstream.request(handler.command, handler.path, body=body or None, headers=headers)
            answer = upstream.getresponse()
            status, answer_headers, answer_body = answer.status, answer.getheaders(), answer.read()
        finally:
            upstream.close()
        try:
            parsed = json.loads(answer_body)
        except ValueError:
            parsed = None
        if parsed is not None:
            parsed = _restored(parsed, restore)
            if 400 <= status < 500:
                echoed = _restored(sent, restore) if sent is not None else body.decode("utf-8", "replace")
                parsed = _echo_in_messages(parsed, json.dumps(echoed, ensure_ascii=False)[:2000])
            answer_body = json.dumps(parsed).encode()  # ASCII: a lone surrogate goes as "\ud800"
        handler.send_response(status)
        for name, value in answer_headers:
            if name.lower() not in ("content-length", "transfer-encoding", "connection", "date", "server"):
                handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(answer_body)))
        handler.end_headers()
        handler.wfile.write(answer_body)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=2)


def _without_surrogates(value, restore: dict):
    """Each string holding a lone surrogate goes upstream with private-use characters instead
    (same length in UTF-16 and UTF-8); `restore` maps it back."""
    if isinstance(value, str):
        replaced = "".join(chr(ord(c) - 0xD800 + 0xE000) if 0xD800 <= ord(c) <= 0xDFFF else c for c in value)
        if replaced != value:
            restore[replaced] = value
        return replaced
    if isinstance(value, list):
        return [_without_surrogates(v, restore) for v in value]
    if isinstance(value, dict):
        return {_without_surrogates(k, restore): _without_surrogates(v, restore) for k, v in value.items()}
    return value


def _restored(value, restore: dict):
    if isinstance(value, str):
        return restore.get(value, value)
    if isinstance(value, list):
        return [_restored(v, restore) for v in value]
    if isinstance(value, dict):
        return {_restored(k, restore): _restored(v, restore) for k, v in value.items()}
    return value


def _echo_in_messages(value, echoed: str):
    if isinstance(value, dict):
        return {k: (f"{v} (you sent: {echoed})" if k == "message" and isinstance(v, str)
                    else _echo_in_messages(v, echoed)) for k, v in value.items()}
    if isinstance(value, list):
        return [_echo_in_messages(v, echoed) for v in value]
    return value
