"""Recorded exchanges: what was sent and received, redacted, and a curl line to replay it."""

from __future__ import annotations

import base64
import re
import shlex
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit, urlunsplit

from conformance.text import pretty_json, printable

CREDENTIAL_ENV = "$CONFORMANCE_CREDENTIAL"
REDACTED = "[redacted]"
# Response headers whose values are credentials whatever their content.
_SECRET_HEADER = re.compile(r"authorization|cookie|api[-_]?key|token|secret|session", re.I)
BODY_LIMIT = 4000  # characters of a body kept as evidence; enough to read, small enough to ship
CURL_BODY_LIMIT = 64 * 1024  # longer bodies are not inlined in the reproduction line


class Redactor:
    """Removes the credential (and the password of the target URL) from anything that leaves
    the process, in every form a target can echo it: literal; JSON-escaped (`\\/`, `\\uXXXX`);
    percent-encoded once or twice (or mixed); base64, standard and URL-safe, alone or inside a
    longer base64 text (Basic auth); hex in either case."""

    def __init__(self, secret: str | None, target_url: str | None = None):
        self.secret = secret or None
        password = unquote(urlsplit(target_url).password or "") if target_url else ""
        forms = []
        if self.secret:
            forms.append((self.secret, CREDENTIAL_ENV))
        if password and password != self.secret:
            forms.append((password, REDACTED))
        self.secrets = [value for value, _ in forms]
        self._pattern = (
            re.compile("|".join(f"(?P<s{i}>{_echo_pattern(value)})" for i, (value, _) in enumerate(forms)))
            if forms
            else None
        )
        self._replacement = [replacement for _, replacement in forms]
        self._encoded = [form for value, _ in forms for form in _encoded_forms(value)]

    def leaks(self, value: str) -> bool:
        pattern = self._pattern
        return pattern is not None and self._may_hold(value) and pattern.search(value) is not None

    def text(self, value: str) -> str:
        pattern = self._pattern
        if pattern is None or not self._may_hold(value):
            return value
        return pattern.sub(self._replace, value)

    def _may_hold(self, value: str) -> bool:
        """A fast test that lets most text through untouched: the full pattern costs some
        200 ns a character, the substring tests here a few. False only when no form can match."""
        if self._pattern is None:
            return False
        if any(form in value for form in self._encoded):
            return True
        decoded = _unescaped(value)
        return any(secret in decoded for secret in self.secrets) or any(
            secret in decoded.replace("+", " ") for secret in self.secrets if " " in secret
        )

    def _replace(self, match: re.Match[str]) -> str:
        group = match.lastgroup
        # Every alternative of the pattern is a named group (s0, s1, ...). The message never
        # shows the pattern: it holds the secret.
        if group is None:
            raise ValueError("a redaction match outside the pattern's named forms")
        index = int(group[1:])
        literal = match.group() == self.secrets[index]
        return self._replacement[index] if literal else REDACTED

    def url(self, url: str) -> str:
        parts = urlsplit(url)
        if parts.username is not None or parts.password is not None:
            netloc = f"{REDACTED}@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
            url = urlunsplit(parts._replace(netloc=netloc))
        return self.text(url)

    def headers(self, headers, *, response: bool) -> dict[str, str]:
        out = {}
        for name, value in headers:
            if response and _SECRET_HEADER.search(name):
                value = REDACTED
            out[self.text(name)] = self.text(value)
        return out


def _echo_pattern(secret: str) -> str:
    """A regular expression matching `secret` as a target may echo it (see Redactor)."""

    def hex_of(byte: int) -> str:  # either letter case
        return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else c for c in f"{byte:02x}")

    def character(c: str) -> str:
        ways = [
            re.escape(c),
            r"\\u" + "".join(hex_of(b) for b in ord(c).to_bytes(2, "big")) if ord(c) < 0x10000 else re.escape(c),
        ]
        if c in '"\\/':
            ways.append(re.escape("\\" + c))
        utf8 = c.encode("utf-8")
        ways.append("".join("%" + hex_of(b) for b in utf8))
        ways.append("".join("%25" + hex_of(b) for b in utf8))
        if c == " ":
            ways.append(r"\+")
        return "(?:" + "|".join(ways) + ")"

    raw = secret.encode("utf-8")
    ways = ["".join(character(c) for c in secret), "".join(hex_of(b) for b in raw)]
    ways += [re.escape(form) for form in _encoded_forms(secret)[2:]]
    return "|".join(dict.fromkeys(ways))


def _encoded_forms(secret: str) -> list[str]:
    """Hex (either letter case), then the parts of base64 texts fixed by the secret whatever precedes it: one for
    each offset modulo 3 in the longer text (Basic auth: `user:secret`), standard and URL-safe."""
    raw = secret.encode("utf-8")
    forms = [raw.hex(), raw.hex().upper()]
    for shift in range(3):
        encoded = base64.b64encode(bytes(shift) + raw).decode("ascii")
        core = encoded[-(-4 * shift // 3) : (8 * (shift + len(raw))) // 6]
        if len(core) >= 4:
            forms += [core, core.replace("+", "-").replace("/", "_")]
    return list(dict.fromkeys(forms))


_JSON_ESCAPE = re.compile(r'\\u([0-9a-fA-F]{4})|\\(["\\/])')


def _unescaped(text: str) -> str:
    """`text` with JSON escapes and up to two rounds of percent-encoding undone."""
    if "%" in text:
        text = unquote(unquote(text))
    if "\\" in text:
        text = _JSON_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)) if m.group(1) else m.group(2), text)
    return text


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
    encoding_problem: str | None = None  # the body is not coded as its Content-Encoding says
    error: str | None = None
    elapsed: float = 0.0
    waits: list[float] = field(default_factory=list)
    retried: list[int] = field(default_factory=list)  # the statuses answered before each retry (429, 503, 500 ...)
    curl: str = ""
    note: str = ""
    authenticated: bool = True  # sent with the run's credential (not an auth probe's missing or wrong one)

    @property
    def content_type(self) -> str:
        return self.response_headers.get("content-type", "")

    def to_dict(self) -> dict:
        return printable(
            {
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
                    "encoding_problem": self.encoding_problem,
                },
                "error": self.error,
                "elapsed_ms": round(self.elapsed * 1000, 1),
                "retry_waits_s": self.waits,
                "retried_statuses": self.retried,
                "curl": self.curl,
                "note": self.note,
                "authenticated": self.authenticated,
            }
        )


def _pretty(text: str, parsed) -> str:
    if parsed is not None:
        try:
            return pretty_json(parsed)
        except (RecursionError, ValueError, TypeError):  # nested too deep to re-indent: as received
            pass
    return text


def _clip(text: str) -> str:
    if len(text) <= BODY_LIMIT:
        return text
    return text[:BODY_LIMIT] + f"\n… ({len(text) - BODY_LIMIT} more characters not shown)"


def curl_command(
    method: str,
    url: str,
    headers: dict[str, str],
    body: str | None,
    multipart: list[tuple[str, str]] | None = None,
    files: list[tuple[str, str]] | None = None,
) -> str:
    """A shell line that replays the request; the credential stays in the environment."""
    parts = ["curl", "-sS", "-X", shlex.quote(method), shlex.quote(url)]
    for name, value in headers.items():
        if name.lower() in ("content-length", "host", "accept-encoding", "connection", "user-agent"):
            continue
        if multipart is not None and name.lower() == "content-type":
            continue  # curl writes its own boundary
        parts += ["-H", _quote_keeping_env(f"{name}: {value}")]
    if multipart is not None:
        multipart = [*multipart, *(files or ())]
        for name, value in multipart:
            # -F reads `name=<path` and `name=@path` as local files and cuts at `;`: a text value
            # goes with --form-string, taken verbatim. A file part is "@file" by our own making.
            is_file = value.startswith("@") and (name, value) in (files or ())
            parts += ["-F" if is_file else "--form-string", _quote_keeping_env(f"{name}={value}")]
    elif body and len(body) > CURL_BODY_LIMIT:
        # A megabyte on one line helps nobody (and bloated every report): say what it was.
        return " ".join([*parts, "--data-binary", "@body.txt"]) + (
            f"  # body.txt: the {len(body)}-character body this probe sent (too long to inline)"
        )
    elif body:
        parts += ["--data-binary", shlex.quote(body)]
    return " ".join(parts)


def _quote_keeping_env(text: str) -> str:
    """Double-quote so that $CONFORMANCE_CREDENTIAL expands when the line is pasted."""
    if CREDENTIAL_ENV not in text:
        return shlex.quote(text)
    escaped = re.sub(r'([\\"`$])', r"\\\1", text)  # nothing expands inside the quotes...
    return '"' + escaped.replace("\\" + CREDENTIAL_ENV, CREDENTIAL_ENV) + '"'  # ...but the credential
