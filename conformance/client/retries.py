"""How the client reads an answer that asks it to wait (429, 503, a provider's passing 5xx) and
a transport failure, in words a user can act on."""

from __future__ import annotations

import httpx

from conformance.text import printable

RETRY_STATUSES = (429, 503)  # "wait and ask again": a target answering only these is never judged on them
MAX_RETRIES = 2
MAX_RETRY_WAIT = 5.0


def retry_wait(response: httpx.Response, transient=()) -> float | None:
    if response.status_code not in RETRY_STATUSES and response.status_code not in transient:
        return None
    header = response.headers.get("retry-after", "1")
    try:
        wait = float(header)
    except ValueError:
        wait = 1.0  # an HTTP-date, or garbage: wait a little and try once more
    return max(0.0, min(wait, MAX_RETRY_WAIT))


def status_and_retry_after(response: httpx.Response) -> str:
    """`429 (Retry-After 999999)`, `503 (no Retry-After)`: the header as sent, clipped."""
    header = response.headers.get("retry-after")
    shown = "no Retry-After" if header is None else f"Retry-After {header[:40]}"
    return printable(f"{response.status_code} ({shown})")


def seconds_text(total: float) -> str:
    return f"{round(total, 1):g}"


def describe_transport_error(exc: httpx.TransportError) -> str:
    kind = {
        httpx.ConnectTimeout: "the connection timed out",
        httpx.ReadTimeout: "the target did not answer in time",
        httpx.WriteTimeout: "the request could not be sent in time",
        httpx.PoolTimeout: "no connection was free in time",
        httpx.RemoteProtocolError: "the target broke the HTTP exchange (closed the connection mid-response?)",
    }.get(type(exc))
    if kind is None:
        text = str(exc) or type(exc).__name__
        lowered = text.lower()
        if "certificate" in lowered or "ssl" in lowered or "tls" in lowered:
            kind = f"the TLS handshake failed ({text})"
        elif (
            "name or service not known" in lowered
            or "nodename" in lowered
            or "getaddrinfo" in lowered
            or "name resolution" in lowered
        ):
            kind = f"the host name could not be resolved ({text})"
        elif "refused" in lowered:
            kind = "the connection was refused"
        else:
            kind = text
    return kind
