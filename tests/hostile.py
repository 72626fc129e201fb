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
