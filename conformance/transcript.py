"""Recorded exchanges: what was sent and received, redacted, and a curl line to replay it."""
from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

CREDENTIAL_ENV = "$CONFORMANCE_CREDENTIAL"
REDACTED = "[redacted]"
# Response headers whose values are credentials whatever their content.
_SECRET_HEADER = re.compile(r"authorization|cookie|api[-_]?key|token|secret|session", re.I)
BODY_LIMIT = 4000  # characters of a body kept as evidence; enough to read, small enough to ship
CURL_BODY_LIMIT = 64 * 1024  # longer bodies are not inlined in the reproduction line
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def printable(value):
    """Text as it leaves the process, in every report, console line and curl line.

    A lone surrogate (which a target can send as the JSON escape "\\ud800", and the generated
    probes send too) cannot be written as UTF-8: it is written as its visible escape, the six
    characters `\\ud800`, so the reader still sees exactly what was sent. The same form the
    suite sends such text in (`encode_json`, multipart parts). Nothing else is changed: NUL and
    control characters are escaped by each format's own writer (JSON, XML, HTML), invalid UTF-8
    in a body was already decoded to U+FFFD (and the exchange says so). Dicts and lists are
    walked, keys too."""
    if isinstance(value, str):
        return _LONE_SURROGATE.sub(_escape_surrogate, value) if _LONE_SURROGATE.search(value) else value
    if isinstance(value, dict):
        return {printable(k): printable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [printable(v) for v in value]
    return value


def _escape_surrogate(match: re.Match) -> str:
    return f"\\u{ord(match.group()):04x}"


class Redactor:
    """Removes the credential from anything that leaves the process."""

    def __init__(self, secret: str | None):
        self.secret = secret or None

    def text(self, value: str) -> str:
        if self.secret and self.secret in value:
            value = value.replace(self.secret, CREDENTIAL_ENV)
        return value

    def url(self, url: str) -> str:
        parts = urlsplit(url)
        if parts.password:
            netloc = f"{parts.username}:{REDACTED}@{parts.hostname}" + (
                f":{parts.port}" if parts.port else ""
            )
            url = urlunsplit(parts._replace(netloc=netloc))
        return self.text(url)

    def headers(self, headers, *, response: bool) -> dict[str, str]:
        out = {}
        for name, value in headers:
            if response and _SECRET_HEADER.search(name):
                value = REDACTED
            out[name] = self.text(value)
        return out


@dataclass
class Exchange:
    """One request and its answer (or the transport error that replaced the answer)."""

    method: str
    url: str
    request_headers: dict[str, str]
    request_body: str
    status: int | None = None
    response_headers: dict[str, str] = field(default_factory=dict)
    response_text: str = ""
    response_truncated: bool = False
    json: object = None
    json_error: str | None = None
    error: str | None = None
    elapsed: float = 0.0
    waits: list[float] = field(default_factory=list)
    curl: str = ""
    note: str = ""
    authenticated: bool = True  # sent with the run's credential (not an auth probe's missing or wrong one)

    @property
    def content_type(self) -> str:
        return self.response_headers.get("content-type", "")

    def to_dict(self) -> dict:
        return printable({
            "request": {
                "method": self.method,
                "url": self.url,
                "headers": self.request_headers,
                "body": _clip(self.request_body),
            },
            "response": None
            if self.status is None
            else {
                "status": self.status,
                "headers": self.response_headers,
                "body": _clip(_pretty(self.response_text, self.json)),
                "truncated": self.response_truncated,
                "parse_error": self.json_error,
            },
            "error": self.error,
            "elapsed_ms": round(self.elapsed * 1000, 1),
            "retry_waits_s": self.waits,
            "curl": self.curl,
            "note": self.note,
            "authenticated": self.authenticated,
        })


def _pretty(text: str, parsed) -> str:
    if parsed is not None:
        try:
            return json.dumps(parsed, indent=2, ensure_ascii=False)
        except (RecursionError, ValueError, TypeError):  # nested too deep to re-indent: as received
            pass
    return text


def _clip(text: str) -> str:
    if len(text) <= BODY_LIMIT:
        return text
    return text[:BODY_LIMIT] + f"\n… ({len(text) - BODY_LIMIT} more characters not shown)"


def curl_command(method: str, url: str, headers: dict[str, str], body: str | None,
                 multipart: list[tuple[str, str]] | None = None) -> str:
    """A shell line that replays the request; the credential stays in the environment."""
    parts = ["curl", "-sS", "-X", shlex.quote(method), shlex.quote(url)]
    for name, value in headers.items():
        if name.lower() in ("content-length", "host", "accept-encoding", "connection", "user-agent"):
            continue
        if multipart is not None and name.lower() == "content-type":
            continue  # curl writes its own boundary
        parts += ["-H", _quote_keeping_env(f"{name}: {value}")]
    if multipart is not None:
        for name, value in multipart:
            parts += ["-F", _quote_keeping_env(f"{name}={value}")]
    elif body and len(body) > CURL_BODY_LIMIT:
        # A megabyte on one line helps nobody (and bloated every report): say what it was.
        return " ".join(parts + ["--data-binary", "@body.txt"]) + (
            f"  # body.txt: the {len(body)}-character body this probe sent (too long to inline)")
    elif body:
        parts += ["--data-binary", shlex.quote(body)]
    return " ".join(parts)


def _quote_keeping_env(text: str) -> str:
    """Double-quote so that $CONFORMANCE_CREDENTIAL expands when the line is pasted."""
    if CREDENTIAL_ENV not in text:
        return shlex.quote(text)
    escaped = re.sub(r'([\\"`$])', r"\\\1", text)  # nothing expands inside the quotes...
    return '"' + escaped.replace("\\" + CREDENTIAL_ENV, CREDENTIAL_ENV) + '"'  # ...but the credential
