"""What every reference server shares: SQLite state, fault switches, body parsing, serving."""

from __future__ import annotations

import itertools
import json
import secrets
import sqlite3
import threading
import time
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timezone

from starlette.requests import Request
from starlette.responses import Response

DEMO_CREDENTIAL = "conformance-demo-credential"


@dataclass(frozen=True)
class Fault:
    """One small deviation from the page, and the requirements that must catch it."""

    name: str
    description: str
    caught_by: tuple[str, ...]
    generated_only: bool = False  # only the Hypothesis-generated probes are expected to find it


def faults_of(provider: str):
    """`_f(name, description, *requirement suffixes)`: a Fault declaring `<provider>.<suffix>` ids."""

    def make(name: str, description: str, *suffixes: str, generated_only: bool = False) -> Fault:
        return Fault(name, description, tuple(f"{provider}.{s}" for s in suffixes), generated_only)

    return make


@dataclass(frozen=True)
class Variant:
    """A conformant implementation choice where the page is silent.

    `params` adjusts the target parameters the selftest passes this variant: a value to add or
    replace, or None to leave a parameter out (so the suite's fallback for it is exercised).
    """

    name: str
    description: str
    params: dict | None = None
    # SHOULD requirements this variant breaks on purpose, to show that breaking them is not a
    # MUST failure (an ignored X-API-Version, a refused control character): the selftest
    # accepts their failure, and only theirs, and checks that each really is a SHOULD.
    should_breaks: tuple[str, ...] = ()

    def target_params(self, defaults: dict) -> dict:
        merged = {**defaults, **(self.params or {})}
        return {k: v for k, v in merged.items() if v is not None}


class Behaviour:
    """Which fault (if any) and which variant a server instance runs."""

    def __init__(self, fault: str | None = None, variant: str = "default"):
        self.fault = fault
        self.variant = variant
        self._requests = itertools.count(1)

    def has(self, fault: str) -> bool:
        return self.fault == fault

    def next_request(self) -> int:
        return next(self._requests)


class Store:
    """Workspaces as JSON documents in SQLite; uniqueness is asked of SQL, not of a dict."""

    def __init__(self, path: str = ":memory:"):
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS workspaces (row INTEGER PRIMARY KEY, id TEXT NOT NULL, "
            "owner TEXT, name TEXT, doc TEXT NOT NULL, created REAL NOT NULL)"
        )

    def insert(self, doc: dict, owner: str = "") -> None:
        # Text is stored as UTF-8, so a lone surrogate raises UnicodeEncodeError here, as in
        # real servers: the conformant apps reject it first, a fault lets it through to a 500.
        text = json.dumps(doc, ensure_ascii=False)
        with self._lock:
            self._db.execute(
                "INSERT INTO workspaces (id, owner, name, doc, created) VALUES (?, ?, ?, ?, ?)",
                (str(doc["id"]), owner, doc.get("name"), text, time.time()),
            )

    def name_taken(self, name: str, owner: str = "") -> bool:
        with self._lock:
            row = self._db.execute("SELECT 1 FROM workspaces WHERE name = ? AND owner = ?", (name, owner)).fetchone()
        return row is not None

    def domain_taken(self, domain: str) -> bool:
        with self._lock:
            row = self._db.execute(
                "SELECT 1 FROM workspaces WHERE json_extract(doc, '$.domain_name') = ?", (domain,)
            ).fetchone()
        return row is not None

    def get(self, workspace_id: str) -> dict | None:
        with self._lock:
            row = self._db.execute("SELECT doc FROM workspaces WHERE id = ?", (workspace_id,)).fetchone()
        return None if row is None else json.loads(row[0])

    def replace(self, doc: dict) -> None:
        with self._lock:
            self._db.execute(
                "UPDATE workspaces SET doc = ? WHERE id = ?", (json.dumps(doc, ensure_ascii=False), doc["id"])
            )


def now_rfc3339() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def random_token(n: int = 24) -> str:
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZabcdefghijkmnopqrstuvwxyz"
    return "".join(secrets.choice(alphabet) for _ in range(n))


def has_lone_surrogate(value) -> bool:
    if isinstance(value, str):
        return any(0xD800 <= ord(c) <= 0xDFFF for c in value)
    if isinstance(value, dict):
        return any(has_lone_surrogate(k) or has_lone_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_lone_surrogate(v) for v in value)
    return False


class BadBody(Exception):
    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


async def read_json_object(request: Request, *, media_types=("application/json",)) -> dict:
    """The body as a JSON object; media_types=None accepts any Content-Type (a fault)."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_types is not None and media not in media_types:
        raise BadBody(f"Content-Type must be application/json, not {media or 'absent'}")
    raw = await request.body()
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadBody(f"the body is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise BadBody("the body must be a JSON object")
    return body


def json_response(body, status: int, *, media_type: str = "application/json") -> Response:
    return Response(json.dumps(body, ensure_ascii=False), status_code=status, media_type=media_type)


def lie_about_encoding(response: Response, behaviour) -> Response:
    """The gzip-not-gzip fault: the created resource labelled `Content-Encoding: gzip`, sent plain."""
    if behaviour.has("gzip-not-gzip"):
        response.headers["content-encoding"] = "gzip"
    return response


def string_length(text: str, unit: str) -> int:
    """How a (possibly faulty) server counts a name: code points unless a fault says otherwise."""
    if unit == "utf8-bytes":
        return len(text.encode("utf-8", "surrogatepass"))
    if unit == "utf16-units":
        return len(text.encode("utf-16-le", "surrogatepass")) // 2
    if unit == "graphemes":
        return sum(1 for c in text if not unicodedata.combining(c))
    return len(text)


def picky_text_problem(field: str, value, behaviour: Behaviour) -> str | None:
    """Generated-only faults any reference may carry: a valid text refused for a quirk the page
    does not state (digits only, taken for an id; a combining mark, taken for garbage)."""
    if not isinstance(value, str) or not value:
        return None
    if behaviour.has(f"digits-only-{field}-rejected") and value.isdigit():
        return f"{field} must not be only digits"
    if behaviour.has(f"combining-mark-{field}-rejected") and any(unicodedata.category(c) == "Mn" for c in value):
        return f"{field} must not contain combining marks"
    if behaviour.has(f"tilde-or-backquote-{field}-rejected") and ("~" in value or "`" in value):
        return f"{field} must not contain ~ or `"
    return None
