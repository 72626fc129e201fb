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
        self.requests: list = []  # kept by the handlers that record what they received
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
        conn.sendall(
            f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
            f"Connection: close\r\n{extra}\r\n".encode()
            + body
        )

    return handler


def hang(server, conn, request):
    server.stop_event.wait(30)  # bounded: the test stops the server long before


def huge_body(server, conn, request):
    size = 50 * 1024 * 1024
    conn.sendall(
        f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {size}\r\n"
        "Connection: close\r\n\r\n".encode()
    )
    chunk, sent = b"[" + b"0," * 32767, 0
    while sent < size and not server.stop_event.is_set():
        conn.sendall(chunk)  # raises once the client hangs up: the loop ends there
        sent += len(chunk)


def close_mid_answer(server, conn, request):
    conn.sendall(b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"id": ')


def echo_secrets(server, conn, request):
    """Sends the request back, credential included, in the body and in cookie headers."""
    head = request.split(b"\r\n\r\n")[0].decode("latin-1")
    secret_lines = [line for line in head.split("\r\n") if ":" in line]
    body = (
        '{"type": "error", "error": {"type": "invalid_request_error", "message": '
        + __import__("json").dumps(head)
        + "}}"
    ).encode()
    cookies = "".join(f"Set-Cookie: echo={line.split(':', 1)[1].strip()}\r\n" for line in secret_lines)
    conn.sendall(
        f"HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        f"{cookies}X-Echo-Authorization: {head.splitlines()[-1]}\r\nConnection: close\r\n\r\n".encode()
        + body
    )


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
        return {
            k: (f"{v} (you sent: {echoed})" if k == "message" and isinstance(v, str) else _echo_in_messages(v, echoed))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_echo_in_messages(v, echoed) for v in value]
    return value


# -- round two: secrets, memory, time, paths ------------------------------------------------
def workspace(workspace_id: str, name: str = "conformance") -> bytes:
    """A created Anthropic workspace as the page documents it, with the id a test chooses."""
    return (
        __import__("json")
        .dumps(
            {
                "id": workspace_id,
                "type": "workspace",
                "name": name,
                "display_color": "#6C5BB9",
                "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "archived_at": None,
            }
        )
        .encode()
    )


def echo_encoded(secret: str):
    """Sends the credential back in every form a framework or a logger might write it."""
    import base64
    import json
    from urllib.parse import quote

    once = quote(secret, safe="")
    forms = {
        "literal": secret,
        "json_slash": secret.replace("/", "\\/"),  # as PHP's json_encode writes it (decoded: literal)
        "json_u": "".join(f"\\u{ord(c):04x}" for c in secret),
        "url": once,
        "url_twice": quote(once, safe=""),
        "base64": base64.b64encode(secret.encode()).decode(),
        "base64url": base64.urlsafe_b64encode(secret.encode()).decode().rstrip("="),
        "hex": secret.encode().hex(),
        "HEX": secret.encode().hex().upper(),
        "basic": base64.b64encode(b"user:" + secret.encode()).decode(),
    }
    # The body is JSON written by hand, so that `\/` and `\u` reach the suite as they are sent.
    text = ", ".join(f'"{k}": "{v}"' for k, v in forms.items()) + f', "raw": "{json.dumps(forms)[1:-1]}"'
    body = ('{"type": "error", "error": {"type": "invalid_request_error", "message": "echo", ' + text + "}}").encode()
    headers = "".join(f"X-Echo-{k}: {v}\r\n" for k, v in forms.items())

    def handler(server, conn, request):
        conn.sendall(
            f"HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            f"{headers}Connection: close\r\n\r\n".encode()
            + body
        )

    return handler, list(forms.values())


def compressed(megabytes: int, layers: int) -> bytes:
    """`megabytes` MiB of zeros gzipped, then gzipped again `layers - 1` times. Built from one
    compressed MiB repeated: after a full flush deflate starts afresh, so every further MiB of
    zeros compresses to the same bytes (a gigabyte bomb in a second, not in twenty)."""
    import gzip
    import struct
    import zlib

    block = bytes(1 << 20)
    engine = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    unit = engine.compress(block) + engine.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(megabytes):
        crc = zlib.crc32(block, crc)
    data = (
        b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
        + unit * megabytes
        + engine.flush()
        + struct.pack("<II", crc, (megabytes << 20) & 0xFFFFFFFF)
    )
    for _ in range(layers - 1):
        data = gzip.compress(data, 9)
    return data


def coded(body: bytes, encoding: str, status: str = "200 OK"):
    def handler(server, conn, request):
        conn.sendall(
            f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Encoding: {encoding}\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
            + body
        )

    return handler


def endless_processing(server, conn, request):
    """`102 Processing` every 0.2 s, for ever: each read is prompt, the answer never comes."""
    while not server.stop_event.is_set():
        conn.sendall(b"HTTP/1.1 102 Processing\r\n\r\n")
        server.stop_event.wait(0.2)


def drip(every: float = 0.3, first_only: bool = False):
    """Headers at once, then the body a byte at a time (each byte well within a read timeout).
    With `first_only`, only the first connection drips; later ones answer at once."""
    body = workspace("wrkspc_01DRIP")

    def handler(server, conn, request):
        head = (
            f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n"
        ).encode()
        if first_only and server.connections > 1:
            conn.sendall(head + body)
            return
        conn.sendall(head)
        for byte in body:
            if server.stop_event.wait(every):
                return
            conn.sendall(bytes([byte]))

    return handler


def created_with_id(workspace_id: str):
    """Answers every create with a workspace of the given id, and records each request line."""
    body = workspace(workspace_id)

    def handler(server, conn, request):
        server.requests.append(request.split(b"\r\n", 1)[0].decode("latin-1"))
        conn.sendall(
            f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n".encode()
            + body
        )

    return handler


ANSI = ("\x1b[2J\x1b[H\x1b]0;owned\x07\x1b[1A\x1b[2K\rCONFORMANT\x1b[31m\x9b2J\u202e").encode()


def ansi_500(server, conn, request):
    # Not JSON-escaped: raw escape bytes in the body, as a careless server would send them.
    body = b'{"type": "error", "error": {"type": "api_error", "message": "' + ANSI * 8 + b'"}}'
    conn.sendall(
        b"HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {len(body)}\r\n".encode()
        + b"X-Note: \x1b[2Jcleared\r\nConnection: close\r\n\r\n"
        + body
    )


def recording(handler):
    """The handler, with every request it received kept whole."""

    def record(server, conn, request):
        server.requests.append(request)
        handler(server, conn, request)

    return record


# -- round three: targets that fail, flake, rate-limit or die (issue 22) ------------------------
class Answering:
    """ASGI wrapper around an app (a reference server): each request is first shown to
    `decide(wrapper, method, body)`, which returns (status, JSON body bytes, extra headers) to
    answer instead of the app, or None to let the app answer. `posts` counts the creates seen."""

    def __init__(self, app, decide):
        self.app, self.decide, self.posts = app, decide, 0

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        chunks, more = [], True
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        if scope["method"] == "POST":
            self.posts += 1
        answer = self.decide(self, scope["method"], body)
        if answer is not None:
            status, payload, extra = answer
            headers = [(b"content-type", b"application/json")] + [(k.encode(), v.encode()) for k, v in extra.items()]
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": payload})
            return
        given = False

        async def replay():
            nonlocal given
            if given:
                return {"type": "http.disconnect"}
            given = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


API_ERROR = b'{"type": "error", "error": {"type": "api_error", "message": "Internal server error"}}'


def without_name(body: bytes) -> bool:
    import json

    try:
        sent = json.loads(body)
    except ValueError:
        return False
    return isinstance(sent, dict) and "name" not in sent


def dies_on(upstream: str, fatal: bytes):
    """A proxy to `upstream` that, on receiving a request containing `fatal` (a wrong credential),
    stops listening and hangs up without answering, as a process that exits on it does."""
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(upstream)

    def handler(server, conn, request):
        if fatal in request:
            server.stop_event.set()
            # Nothing listens any more: connection refused from now on. shutdown() first: a bare
            # close() from this thread leaves the socket listening while the accept loop's
            # accept() still holds it, and a loaded machine then accepts one more connection.
            try:
                server.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            server.sock.close()
            return  # the connection is closed unanswered
        head, _, body = request.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, path, _ = lines[0].split(" ", 2)
        headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
        headers = {k: v for k, v in headers.items() if k.lower() not in ("host", "connection")}
        upstream_conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        try:
            upstream_conn.request(method, path, body=body or None, headers=headers)
            answer = upstream_conn.getresponse()
            status, reason, answer_headers, answer_body = (
                answer.status,
                answer.reason,
                answer.getheaders(),
                answer.read(),
            )
        finally:
            upstream_conn.close()
        kept = "".join(
            f"{k}: {v}\r\n"
            for k, v in answer_headers
            if k.lower() not in ("content-length", "transfer-encoding", "connection")
        )
        conn.sendall(
            f"HTTP/1.1 {status} {reason}\r\n{kept}Content-Length: {len(answer_body)}\r\n"
            "Connection: close\r\n\r\n".encode("latin-1")
            + answer_body
        )

    return handler
