"""One deadline per request: connecting, any number of 1xx answers, the headers and the body
all count against `--request-timeout`. httpx's own timeouts bound each read, so a target that
sends an endless `102 Processing` stream, or its body a byte a second, would never time out."""

from __future__ import annotations

import contextlib
import threading
import time

import httpcore
import httpx


class _Clock(threading.local):
    deadline: float | None = None


class DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's network backend with every connect, read and write cut at the deadline of
    the request in progress on this thread."""

    def __init__(self, inner: httpcore.NetworkBackend | None = None):
        self.inner = inner or httpcore.SyncBackend()
        self.clock = _Clock()

    @contextlib.contextmanager
    def request(self, seconds: float):
        self.clock.deadline = time.monotonic() + seconds
        try:
            yield
        finally:
            self.clock.deadline = None

    def left(self, timeout: float | None, timed_out: type[Exception]) -> float | None:
        if self.clock.deadline is None:
            return timeout
        left = self.clock.deadline - time.monotonic()
        if left <= 0:
            raise timed_out("the request's deadline passed")
        return left if timeout is None else min(timeout, left)

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        stream = self.inner.connect_tcp(
            host, port, self.left(timeout, httpcore.ConnectTimeout), local_address, socket_options
        )
        return _DeadlineStream(stream, self)

    def connect_unix_socket(self, path, timeout=None, socket_options=None):
        stream = self.inner.connect_unix_socket(path, self.left(timeout, httpcore.ConnectTimeout), socket_options)
        return _DeadlineStream(stream, self)

    def sleep(self, seconds: float) -> None:
        self.inner.sleep(seconds)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream, backend: DeadlineBackend):
        self.inner, self.backend = inner, backend

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self.inner.read(max_bytes, self.backend.left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.inner.write(buffer, self.backend.left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self.inner.close()

    def start_tls(self, ssl_context, server_hostname=None, timeout=None):
        stream = self.inner.start_tls(ssl_context, server_hostname, self.backend.left(timeout, httpcore.ConnectTimeout))
        return _DeadlineStream(stream, self.backend)

    def get_extra_info(self, info: str):
        return self.inner.get_extra_info(info)


def deadline_transport(backend: DeadlineBackend, tls: bool = True) -> httpx.HTTPTransport:
    """httpx's own transport, its connection pool given the deadline backend. httpx offers no
    parameter for the backend, so the pool's attribute is set; the check below fails loudly,
    at start-up, should a new httpx or httpcore rename it.

    `tls=False` for a plain-http target, which never opens a TLS connection (redirects are not
    followed): the trust store is then not loaded, 50 ms of every run's start-up."""
    transport = httpx.HTTPTransport(verify=tls)
    pool = transport._pool
    if not isinstance(getattr(pool, "_network_backend", None), httpcore.NetworkBackend):
        raise RuntimeError("this httpcore keeps its network backend elsewhere: the request deadline cannot be set")
    backend.inner = pool._network_backend
    pool._network_backend = backend
    return transport
