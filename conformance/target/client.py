"""The client bound to a target: auth applied, every exchange recorded and redacted, bounded.

Bounds, because users point this at production: a hard request budget, one deadline per
request (connect to last body byte), a capped response size after decoding, a bounded
Retry-After wait on 429/503 (and a run-wide bound on all the waits together, after which nothing
more is sent), never a redirect followed, and a breaker that stops probing once the target is
plainly unreachable, or has gone away after answering (the request it went away after is a
finding, see Target._went_away).
"""
from __future__ import annotations

import contextlib
import copy
import http.cookiejar
import itertools
import json
import os
import socket
import threading
import time
import zlib
from dataclasses import dataclass, field
from typing import Callable

import httpx

from conformance.model.outcome import (
    BudgetExhausted,
    ConformanceFailure,
    DryRun,
    Finding,
    ProbeError,
    TargetUnreachable,
    TargetWentAway,
    WaitSpent,
)
from conformance.model.profile import Profile
from conformance.settings import DEFAULT_EXAMPLES, DEFAULT_MAX_WAIT
from conformance.target.deadline import DeadlineBackend, deadline_transport
from conformance.target.decoding import ACCEPT_ENCODING, RESPONSE_LIMIT, read_body
from conformance.target.decoding import Body as ReceivedBody
from conformance.target.transcript import Exchange, Redactor, curl_command, printable

JSON_DEPTH_LIMIT = 64  # no documented answer nests deeper than a few levels
RETRY_STATUSES = (429, 503)  # "wait and ask again": a target answering only these is never judged on them
MAX_RETRIES = 2
MAX_RETRY_WAIT = 5.0
BREAKER_THRESHOLD = 2  # consecutive transport failures before the target is declared unreachable


class Budget:
    """A hard cap on requests sent, shared by every probe of a process, and across
    pytest-xdist workers when given a counter file (so `-n 4` cannot send 4x the budget)."""

    def __init__(self, limit: int | None, counter_file: str | None = None):
        self.limit = limit
        self.sent = 0  # by this process
        self.counter_file = counter_file
        self._lock = threading.Lock()

    def take(self) -> None:
        with self._lock:
            if self.limit is not None:
                spent = self._take_shared() if self.counter_file else self.sent
                if spent >= self.limit:
                    raise BudgetExhausted(f"the request budget (--conformance-max-requests {self.limit}) is spent")
            self.sent += 1

    def _take_shared(self) -> int:
        """Read-and-increment the run-wide count; returns the count before this request, or
        the limit when it is already reached."""
        with locked_numbers(self.counter_file) as numbers:
            spent = numbers[0] if numbers else 0
            if spent < self.limit:
                numbers[:] = [spent + 1]
            return spent


class WaitBudget:
    """The run's time for honouring Retry-After, in all (--conformance-max-wait): shared by every
    probe of a process, and across pytest-xdist workers when given a counter file, which holds
    "<milliseconds waited> <1 once spent>". Once a wait does not fit, nothing more is sent."""

    def __init__(self, limit: float, counter_file: str | None = None):
        self.limit = limit
        self.counter_file = counter_file
        self.waited = 0.0  # by this process
        self.spent = False  # known spent, here
        self._lock = threading.Lock()

    def check(self) -> None:
        """Before a request is sent: raise WaitSpent (not run) once the run stopped sending."""
        if not self.spent and self.counter_file:
            with locked_numbers(self.counter_file) as numbers:
                self.spent = len(numbers) > 1 and numbers[1] == 1
        if self.spent:
            raise WaitSpent(f"not sent: the run stopped sending once its time for waiting on the target "
                            f"(--conformance-max-wait {self.limit:g} s) was spent", first=False)

    def take(self, seconds: float) -> tuple[bool, float]:
        """Reserve `seconds` of waiting: (whether it fits, the run's waits in all so far). A wait
        that does not fit marks the run spent."""
        with self._lock:
            if self.counter_file:
                with locked_numbers(self.counter_file) as numbers:
                    waited_ms, spent = (numbers + [0, 0])[:2]
                    fits = not spent and waited_ms + seconds * 1000 <= self.limit * 1000
                    numbers[:] = [waited_ms + round(seconds * 1000), 0] if fits else [waited_ms, 1]
                    total = (waited_ms + (round(seconds * 1000) if fits else 0)) / 1000
            else:
                fits = not self.spent and self.waited + seconds <= self.limit
                total = self.waited + (seconds if fits else 0)
            if fits:
                self.waited += seconds
            else:
                self.spent = True
            return fits, total


class WentAway:
    """Whether the target has gone away after answering, run-wide: under pytest-xdist the first
    worker to see it records why in the run's directory, so the others do not blame a request of
    their own for it."""

    def __init__(self, directory: str | None = None):
        self.directory = directory
        self.reason: str | None = None

    def known(self) -> str | None:
        if self.reason is None and self.directory:
            path = os.path.join(self.directory, "went-away")
            if os.path.exists(path):
                with open(path, encoding="utf-8", errors="replace") as handle:
                    self.reason = handle.read() or None
        return self.reason

    def claim(self, reason: str) -> str | None:
        """Record `reason`; returns the reason recorded before (another worker saw it first), or None."""
        if self.known() is not None:
            return self.reason
        if self.directory:
            import fcntl

            with open(os.path.join(self.directory, "went-away"), "a+", encoding="utf-8", errors="replace") as handle:
                fcntl.flock(handle, fcntl.LOCK_EX)
                handle.seek(0)
                earlier = handle.read()
                if earlier:
                    self.reason = earlier
                    return earlier
                handle.write(reason)
        self.reason = reason
        return None


@contextlib.contextmanager
def locked_numbers(path: str):
    """The whole numbers a run-wide counter file holds (the workers of one pytest-xdist run
    share it), as a list to change in place: read under an exclusive lock, written back when
    changed, before the lock is let go."""
    import fcntl

    with open(path, "r+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        before = [int(n) for n in handle.read().split()]
        numbers = list(before)
        yield numbers
        if numbers != before:
            handle.seek(0)
            handle.write(" ".join(map(str, numbers)))
            handle.truncate()


class CreateCount:
    """The workspaces the run's creates made (answers with a 2xx status), counted across
    pytest-xdist workers when given a counter file, so `--conformance-max-creates N` holds for
    the whole run, not per worker. Under a cap, a create holds a place while it is in flight
    (two workers never both send the last one the budget allows); a place is kept under the
    holder's process id, so one a worker killed mid-request held is given back. The file holds
    "<made> <pid of each create in flight>..."."""

    def __init__(self, counter_file: str | None = None):
        self.counter_file = counter_file
        self.mine = 0  # made by this process's creates

    def made(self) -> int:
        """How many the whole run has made so far."""
        if not self.counter_file:
            return self.mine
        with locked_numbers(self.counter_file) as numbers:
            return numbers[0] if numbers else 0

    def reserve(self, cap: int, wait: float) -> bool:
        """Hold a place for one create, or raise CreatesLeftOut once `cap` workspaces exist.
        Where the places left are held by creates in flight in other workers, wait up to `wait`
        seconds for them to be answered (they may be refused) rather than guess."""
        from conformance.model.outcome import CreatesLeftOut

        if not self.counter_file:
            if self.mine >= cap:
                raise CreatesLeftOut(f"the workspace budget is spent: {self.mine} created, "
                                     f"--conformance-max-creates {cap}")
            return False
        deadline = time.monotonic() + wait
        while True:
            with locked_numbers(self.counter_file) as numbers:
                made, flying = _made_and_flying(numbers)
                if made >= cap:
                    raise CreatesLeftOut(f"the workspace budget is spent: {made} created, "
                                         f"--conformance-max-creates {cap}")
                if made + len(flying) < cap:
                    numbers[:] = [made, *flying, os.getpid()]
                    return True
            if time.monotonic() > deadline:
                raise CreatesLeftOut(f"no place in the workspace budget came free in {wait:.0f} s: {made} "
                                     f"created and {len(flying)} creates in flight in other workers, "
                                     f"--conformance-max-creates {cap}")
            time.sleep(0.005)

    def settle(self, made: bool, held: bool) -> None:
        """A create was answered (`made`: with a 2xx status); give back its place if `held`."""
        self.mine += made
        if held:
            with locked_numbers(self.counter_file) as numbers:
                count, flying = _made_and_flying(numbers)
                if os.getpid() in flying:
                    flying.remove(os.getpid())
                numbers[:] = [count + made, *flying]


def _made_and_flying(numbers: list[int]) -> tuple[int, list[int]]:
    """The count made, and the places in flight of processes that still exist."""
    return (numbers[0] if numbers else 0), [pid for pid in numbers[1:] if _alive(pid)]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # no signal sent: only whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, as another user's
        return True
    return True


class SharedCreates:
    """The run's shared creates (the baseline, the minimal body, ...: see Target.shared_create),
    each made once for the whole run. Under pytest-xdist they are kept in a directory every
    worker reads: the first worker to need one makes it while holding its lock, the others read
    its exchange, so a parallel run leaves the same workspaces as a serial one."""

    def __init__(self, directory: str | None = None):
        self.directory = directory
        self.here: dict[str, tuple] = {}  # kind -> (exchange, body), as this process knows them

    def known(self, kind: str) -> tuple | None:
        if kind not in self.here and self.directory:
            path = self._path(kind)
            if os.path.exists(path):
                self.here[kind] = self._read(path)
        return self.here.get(kind)

    def get(self, kind: str, make) -> tuple[tuple, bool]:
        """(exchange, body) of `kind`, and whether `make()` was called for it here."""
        if kind in self.here:
            return self.here[kind], False
        if not self.directory:
            self.here[kind] = make()
            return self.here[kind], True
        import fcntl
        import pickle

        path = self._path(kind)
        with open(path + ".lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # held by the worker making it, while it sends
            if os.path.exists(path):
                self.here[kind] = self._read(path)
                return self.here[kind], False
            self.here[kind] = made = make()  # if it raises, the next worker to need it tries
            with open(path + ".part", "wb") as out:
                pickle.dump(made, out)
            os.replace(path + ".part", path)
            return made, True

    def _path(self, kind: str) -> str:
        import hashlib

        return os.path.join(self.directory, "shared-" + hashlib.sha256(kind.encode("utf-8", "surrogatepass")).hexdigest()[:24])

    @staticmethod
    def _read(path: str) -> tuple:
        import pickle

        with open(path, "rb") as handle:  # written by a worker of this run, in the run's private directory
            return pickle.load(handle)


class Slots:
    """A cap on requests in flight at once across pytest-xdist workers: N lock files, a
    request holds one for its duration. Within one process requests are sequential anyway."""

    def __init__(self, limit: int | None, directory: str | None = None, wait: float = 60.0):
        self.limit, self.directory, self.wait = limit, directory, wait
        self._held = None

    def __enter__(self):
        if not self.limit or not self.directory:
            return self
        import fcntl
        import os

        deadline = time.monotonic() + self.wait
        while True:
            for slot in range(self.limit):
                handle = open(os.path.join(self.directory, f"slot-{slot}"), "a")
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError:
                    handle.close()
                    continue
                self._held = handle
                return self
            if time.monotonic() > deadline:
                raise ProbeError(f"no request slot came free in {self.wait:.0f} s (--conformance-max-concurrency {self.limit})")
            time.sleep(0.002)

    def __exit__(self, *exc):
        if self._held is not None:
            self._held.close()  # closing releases the lock
            self._held = None


@dataclass
class Breaker:
    failures: int = 0
    reason: str | None = None
    went_away: bool = False  # it answered before: the request it went away after is a finding

    def check(self) -> None:
        if self.reason:
            raise (TargetWentAway if self.went_away else TargetUnreachable)(self.reason)


class Namer:
    """Per-run unique, recognisable values: `conformance-<run>-<n>`, so owners can find them."""

    def __init__(self, run_id: str):
        self.prefix = f"conformance-{run_id}-"
        self._counter = itertools.count(1)

    def tag(self) -> str:
        return f"{self.prefix}{next(self._counter):04d}"

    def of_length(self, length: int, filler: str = "x") -> str:
        """A string of exactly `length` code points, led by a unique tag when it fits."""
        tag = self.tag() + "-"
        if length <= len(tag):
            # Too short to carry the tag: an ordinary (printable ASCII) first character that
            # differs between runs and between calls, so reruns rarely collide.
            from conformance.model.tolerance import ordinary_lead

            lead = ordinary_lead(self.prefix, next(self._counter))
            return (lead + filler * length)[:length] if length else ""
        # Cut to length: a filler of several code points (e + combining accent) must not overshoot.
        return (tag + filler * (length - len(tag)))[:length]


    def keep_class(self, drawn: str, max_length: int | None = None) -> str:
        """`drawn` made unique to this run without changing what kind of text it is, so a
        generated whitespace-only or digits-only name stays one (a server that refuses those
        must still be caught) and a rerun never collides with a name a uniqueness rule holds."""
        number = zlib.crc32(self.prefix.encode()) * 4096 + next(self._counter) % 4096
        if drawn and drawn.isspace():
            suffix = _in_base(number, " \u00a0\u2002\u2003\u3000")
        elif drawn and drawn.isdigit():
            suffix = str(number)
        else:
            suffix = "-" + self.prefix.removeprefix("conformance-") + str(number % 4096)
        if max_length is not None:
            if len(suffix) > max_length:
                return drawn
            drawn = drawn[:max_length - len(suffix)]
        return drawn + suffix


def _in_base(number: int, digits: str) -> str:
    out = ""
    while True:
        number, rest = divmod(number, len(digits))
        out = digits[rest] + out
        if not number:
            return out


def credential_name(profile: Profile, params: dict) -> str:
    """The header or cookie the credential goes in: the profile's `auth.name`, unless the profile
    lets a target param name it (`auth.name_param`, for a page that leaves the name open) and
    the user gave that param."""
    auth = profile.auth
    chosen = params.get(auth["name_param"]) if auth.get("name_param") else None
    return chosen or auth["name"]


def credential_place(profile: Profile, params: dict) -> str:
    """Where the credential goes, for people: `header X-Api-Key`, `cookie __session`."""
    return f"{'cookie' if profile.auth['in'] == 'cookie' else profile.auth['in']} {credential_name(profile, params)}"


def accepted(exchange: Exchange, profile: Profile) -> bool:
    """The create succeeded with a documented status and a JSON answer."""
    from conformance.probes.checks import status_allowed

    return status_allowed(exchange.status, profile.success_statuses) and exchange.json is not None


def encode_json(payload) -> bytes:
    # backslashreplace turns a lone surrogate into its JSON escape (\ud800), which is exactly
    # the hostile-but-valid JSON text we want to send; every other character goes as UTF-8.
    return json.dumps(payload, ensure_ascii=False).encode("utf-8", "backslashreplace")


@dataclass
class Credentials:
    """Where an auth placement may put the credential: headers, cookies, query parameters."""

    headers: dict
    cookies: dict = field(default_factory=dict)
    params: dict = field(default_factory=dict)


# The profile's `auth.in` names one of these: (credentials, auth.name, value) -> None.
AUTH_PLACEMENTS: dict[str, Callable[[Credentials, str, str], None]] = {}


def _registry_decorator(table: dict):
    """`@decorator(name)` files the decorated function in `table` under `name`."""
    def by_name(name: str):
        def register(function):
            table[name] = function
            return function
        return register
    return by_name


# Register a way of placing the credential, e.g. `@auth_placement("query")`.
auth_placement = _registry_decorator(AUTH_PLACEMENTS)


@auth_placement("header")
def _in_header(credentials: Credentials, name: str, value: str) -> None:
    credentials.headers[name] = value


@auth_placement("cookie")
def _in_cookie(credentials: Credentials, name: str, value: str) -> None:
    credentials.cookies[name] = value


@dataclass
class Body:
    content: bytes
    media_type: str
    form_fields: list[tuple[str, str]] | None = None  # a form, shown and replayed field by field


# The profile's `encodings` keys name these: (payload, files) -> Body.
ENCODINGS: dict[str, Callable[[object, dict], Body]] = {}


# Register a request body encoding, e.g. `@body_encoding("urlencoded")`.
body_encoding = _registry_decorator(ENCODINGS)


@body_encoding("json")
def _json_body(payload, files: dict) -> Body:
    return Body(encode_json(payload), "application/json")


@body_encoding("multipart")
def _multipart_body(payload, files: dict) -> Body:
    fields = _form_fields(payload)
    # Encoded here, not by httpx: httpx sends a form without a file part as
    # application/x-www-form-urlencoded, which is not the documented encoding.
    media_type, content = encode_multipart(fields, files)
    return Body(content, media_type, fields)


class Target:
    def __init__(self, profile: Profile, base_url: str, credential: str | None,
                 params: dict[str, str], *, run_id: str, budget: Budget,
                 timeout: float = 10.0, transport: httpx.BaseTransport | None = None,
                 dry_run: bool = False, slots: "Slots | None" = None, examples: int = DEFAULT_EXAMPLES,
                 hypothesis_seed: int = 0, create_count: CreateCount | None = None,
                 shares: SharedCreates | None = None, waits: WaitBudget | None = None,
                 went_away: WentAway | None = None):
        self.profile = profile
        self.examples = examples  # per generated probe
        self.hypothesis_seed = hypothesis_seed
        self.dry_run = dry_run
        self.slots = slots or Slots(None)
        self.created: list[str] = []  # ids of the workspaces this process created
        self.created_before = 0
        self.create_count = create_count or CreateCount()  # creates answered with a 2xx status, id or not
        self.base_url = base_url.rstrip("/")
        self.credential = credential
        self.params = dict(params)
        self.budget = budget
        self.redactor = Redactor(credential, base_url)
        self.timeout = timeout
        self.names = Namer(run_id)
        self.breaker = Breaker()
        self.waits = waits or WaitBudget(DEFAULT_MAX_WAIT)
        self.went_away = went_away or WentAway()
        self.answered = 0  # answers this process received: a target that answered can go away
        self.last_answered: Exchange | None = None
        self.transcript: list[Exchange] = []
        self.observations = []
        self.shares = shares or SharedCreates()
        from conformance.probes.creates import UNLIMITED

        self.create_plan = UNLIMITED  # which cases the workspace budget admits (conformance.probes.creates)
        self._deadline = DeadlineBackend()
        # Each request carries exactly what its probe says: a cookie a target sets is never sent
        # back (a missing-credential probe must not ride on a session an earlier answer opened).
        no_cookies = http.cookiejar.CookieJar(policy=http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
        self._http = httpx.Client(timeout=timeout, follow_redirects=False, cookies=no_cookies,
                                  transport=transport or deadline_transport(self._deadline, tls=not self.base_url.startswith("http://")),
                                  headers={"user-agent": "workspace-conformance", "accept-encoding": ACCEPT_ENCODING})

    @property
    def url(self) -> str:
        return self.base_url + self.profile.path

    def close(self) -> None:
        self._http.close()

    def begin(self) -> None:
        """Start a fresh transcript for the next probe."""
        self.transcript = []
        self.observations = []
        self.created_before = len(self.created)  # what this probe creates is created[created_before:]

    def observe(self, requirement: str, text: str) -> None:
        """Record what the target chose where its document is silent."""
        from conformance.model.outcome import Observation

        self.observations.append(Observation(requirement, text))

    def baseline(self) -> Exchange:
        """One create with every documented field, made once and shared by the probes that
        only read its answer (status, content type, each resource field)."""
        from conformance.probes.payloads import baseline

        return self.shared_create("baseline", lambda: baseline(self, full=True))

    def minimal(self) -> Exchange:
        """One create with the required fields only: the resource must keep its documented
        shape when the optional inputs are absent too (null, not false; absent, not garbage)."""
        from conformance.probes.payloads import baseline

        return self.shared_create("minimal", lambda: baseline(self, full=False))

    def shared_create(self, kind: str, build, *, files=None) -> Exchange:
        """The create of `build()`'s body (and `files`, a form's file parts), sent once per run
        and shared by every probe that only reads its answer: each workspace left on a live
        target has a cost."""
        def make() -> tuple[Exchange, dict]:
            body = build()
            return self.create(body, files=files, note=f"{kind} create"), body

        (made, _), sent_here = self.shares.get(kind, make)
        if sent_here:
            return made
        shared = copy.copy(made)
        shared.shared = True
        shared.note = f"{kind} create (sent once, shared by the probes that read it)"
        self.transcript.append(shared)
        return made

    def shared_body(self, kind: str) -> dict | None:
        """The body a shared create sent (None before it was sent)."""
        found = self.shares.known(kind)
        return None if found is None else dict(found[1])

    # -- sending ------------------------------------------------------------------
    def create(self, payload=None, *, files=None, auth: str = "valid", headers=None,
               raw: bytes | None = None, content_type: str | None = None,
               encoding: str | None = None, note: str = "") -> Exchange:
        limit = self.create_plan.limit
        # A hard cap: a target that accepted what it should have refused spent the budget sooner
        # than planned; nothing more is sent that could leave a workspace behind. (With 0, only
        # refusals are expected: the first workspace a target makes anyway stops the sending.)
        held = self.create_count.reserve(max(limit, 1), self._longest_create()) if limit is not None else False
        exchange = None
        try:
            exchange = self._create(payload, files, auth, headers, raw, content_type, encoding, note)
        finally:
            # Any 2xx counts, documented or not: a target answering 202 where its page says 200
            # still made a workspace (and fails response.success-status for it).
            made = exchange is not None and exchange.status is not None and 200 <= exchange.status < 300
            self.create_count.settle(made, held)
        return exchange

    def _longest_create(self) -> float:
        """How long a create another worker holds a place for may take: every attempt, the
        waits between them and the wait for a request slot."""
        return self.timeout * (MAX_RETRIES + 1) + MAX_RETRY_WAIT * MAX_RETRIES + self.slots.wait + 5 + 1.5

    def _create(self, payload, files, auth, headers, raw, content_type, encoding, note) -> Exchange:
        encoding = encoding or self.profile.primary_encoding
        request_headers = dict(self.profile.data.get("headers", {}))
        request_headers.update(headers or {})
        credentials = self._apply_auth(auth, request_headers)
        if raw is not None:
            body = Body(raw, content_type or "application/json")
        elif encoding in ENCODINGS:
            body = ENCODINGS[encoding](payload, files or {})
        else:
            raise ValueError(f"unknown body encoding {encoding!r}: known are {', '.join(ENCODINGS)}")
        request_headers["content-type"] = body.media_type
        request = self._http.build_request(self.profile.method, self.url, headers=request_headers,
                                           params=credentials.params or None, content=body.content)
        body_text = self._describe_body(request, body.form_fields, files)
        shown_headers = self.redactor.headers(request.headers.items(), response=False)
        exchange = Exchange(
            method=request.method, url=self.redactor.url(str(request.url)),
            request_headers=shown_headers, request_body=self.redactor.text(body_text), note=note,
            authenticated=auth == "valid",
        )
        exchange.curl = curl_command(
            request.method, exchange.url, shown_headers,
            None if body.form_fields is not None else exchange.request_body,
            multipart=None if body.form_fields is None else [(k, self.redactor.text(v)) for k, v in body.form_fields],
            files=[(k, "@" + (f[0] or "file")) for k, f in (files or {}).items()],
        )
        self.transcript.append(exchange)
        self._send(request, exchange)
        return exchange

    def call(self, method: str, path: str, *, note: str = "") -> Exchange:
        """A bodiless request to another documented path (e.g. archive), same bounds and auth."""
        headers = {}
        credentials = self._apply_auth("valid", headers)
        request = self._http.build_request(method, self.base_url + path, headers=headers,
                                           params=credentials.params or None)
        shown = self.redactor.headers(request.headers.items(), response=False)
        exchange = Exchange(method=method, url=self.redactor.url(str(request.url)), request_headers=shown,
                            request_body="", note=note)
        exchange.curl = curl_command(method, exchange.url, shown, None)
        self.transcript.append(exchange)
        self._send(request, exchange)
        return exchange

    def _apply_auth(self, auth: str, headers: dict) -> "Credentials":
        """Place the credential (valid, wrong or missing) where the profile's `auth.in` says."""
        credentials = Credentials(headers)
        if auth == "missing" or not self.credential:
            return credentials
        secret = self.credential if auth == "valid" else "conformance-wrong-credential-0000"
        scheme = self.profile.auth
        value = f"{scheme['scheme']} {secret}" if scheme.get("scheme") else secret
        place = AUTH_PLACEMENTS.get(scheme["in"])
        if place is None:
            raise ValueError(f"unknown auth placement {scheme['in']!r}: known are {', '.join(AUTH_PLACEMENTS)}")
        place(credentials, credential_name(self.profile, self.params), value)
        if credentials.cookies:
            headers["cookie"] = "; ".join(f"{k}={v}" for k, v in credentials.cookies.items())
        return credentials

    def _describe_body(self, request: httpx.Request, fields, files) -> str:
        if fields is None:
            return request.read().decode("utf-8", "replace")
        lines = [f"{k}={v}" for k, v in fields]
        lines += [f"{k}=@{f[0]} ({len(f[1])} bytes, {f[2]})" for k, f in (files or {}).items()]
        return "multipart/form-data:\n" + "\n".join(lines)

    def _send(self, request: httpx.Request, exchange: Exchange) -> None:
        self.breaker.check()
        if self.dry_run:
            exchange.note = (exchange.note + "; " if exchange.note else "") + "not sent (dry run)"
            raise DryRun("dry run: the request was listed, not sent")
        for attempt in range(MAX_RETRIES + 1):
            self.waits.check()
            self.budget.take()
            started = time.perf_counter()
            try:
                with self.slots, self._deadline.request(self.timeout):
                    response = self._http.send(request, stream=True)
                    try:
                        body = read_body(response)
                    finally:
                        response.close()
            except httpx.TransportError as exc:
                exchange.elapsed = time.perf_counter() - started
                if isinstance(exc, httpx.TimeoutException) and exchange.elapsed >= self.timeout:
                    problem = (f"the target did not answer in time (--request-timeout {self.timeout:g} s "
                               "covers the whole request, body included)")
                else:
                    problem = _describe_transport_error(exc)
                exchange.error = self.redactor.text(f"{problem}: {self.redactor.url(self.base_url)}")
                if self.answered and not isinstance(exc, httpx.TimeoutException):
                    self._went_away(exchange, dropped=not isinstance(exc, httpx.ConnectError))
                self.breaker.failures += 1
                if self.breaker.failures >= BREAKER_THRESHOLD or isinstance(exc, httpx.ConnectError):
                    earlier = self.went_away.known()  # another worker saw it go away
                    self.breaker.reason, self.breaker.went_away = earlier or exchange.error, bool(earlier)
                    raise (TargetWentAway if earlier else TargetUnreachable)(self.breaker.reason) from None
                raise ProbeError(exchange.error) from None
            exchange.elapsed = time.perf_counter() - started
            self.breaker.failures = 0
            self.answered += 1
            self.last_answered = exchange
            status = response.status_code
            wait = _retry_wait(response, self.profile.transient_statuses)
            if wait is None or (attempt == MAX_RETRIES and status not in RETRY_STATUSES):
                # A documented passing 5xx (Anthropic's 529) that persists is judged as any 5xx.
                self._record(exchange, response, body)
                return
            asked = self._asked_to_wait(response, body)
            if attempt == MAX_RETRIES:
                exchange.error = self.redactor.text(f"{asked}, {MAX_RETRIES + 1} times in a row: not judged "
                                                    "(the target asked the suite to come back later)")
                raise ProbeError(exchange.error)
            fits, total = self.waits.take(wait)
            if not fits:
                exchange.error = self.redactor.text(
                    f"{asked}; the run stopped after waiting {_seconds(total)} s in all "
                    f"(--conformance-max-wait {self.waits.limit:g})")
                raise WaitSpent(self.redactor.text(f"the target kept answering {_status_and_retry_after(response)}; "
                                                   f"the run stopped after waiting {_seconds(total)} s in all"))
            exchange.retried.append(status)
            exchange.waits.append(wait)
            time.sleep(wait)

    def _asked_to_wait(self, response: httpx.Response, received: ReceivedBody) -> str:
        """`HTTP 429 (Retry-After 1) {"type": "error", ...}`: an answer retried or not judged."""
        text = received.data[:160].decode("utf-8", "replace").replace("\n", " ").strip()
        return printable(f"HTTP {_status_and_retry_after(response)} {text}".rstrip())

    def _went_away(self, exchange: Exchange, dropped: bool) -> None:
        """A target that answered earlier requests and now refuses connections has gone away:
        after `exchange`, which it hung up on (`dropped`), or after the last request it answered.
        That request fails robustness.no-server-error, with its curl line; whatever comes next
        is not sent (TargetWentAway). A connection dropped while the target still listens is not
        this (an idle keep-alive connection it closed, say): returns, and the caller goes on."""
        from conformance.model.catalog import rid

        if dropped and self._still_listening():
            return
        killer = exchange if dropped else self.last_answered
        if killer is not exchange:  # answered earlier, perhaps in another probe: shown again here
            killer = copy.copy(killer)
            killer.note = ((killer.note + "; ") if killer.note else "") + \
                "the last request the target answered before it went away (sent once, earlier; shown again here)"
            self.transcript.append(killer)
        what = f" ({killer.note.split(';')[0]})" if killer.note else ""
        reason = self.redactor.text(f"the target went away after {killer.method} {killer.url}{what}: it had "
                                    f"answered {self.answered} requests, then stopped accepting connections; "
                                    "the rest of the run was not checked")
        if not dropped and self.went_away.directory:
            time.sleep(1.0)  # under xdist, the worker whose request was hung up on names it first
        earlier = self.went_away.claim(reason)
        self.breaker.reason, self.breaker.went_away = earlier or reason, True
        if earlier:
            raise TargetWentAway(earlier)
        index = next(i for i, e in enumerate(self.transcript) if e is killer)
        observed = ("the target closed the connection without answering this request, and then stopped "
                    "accepting connections" if dropped else
                    "the target answered this request, and then stopped accepting connections "
                    f"({exchange.error})")
        raise ConformanceFailure([Finding(rid(self.profile, "robustness.no-server-error"),
                                          "no request takes the target down",
                                          "an answer, and the target still up after it",
                                          self.redactor.text(f"{observed}; replay: {killer.curl}"), index)])

    def _still_listening(self) -> bool:
        """Whether the target's port still takes connections, asked a few times over half a second
        (a process that exits closes its port a moment after the connection it hung up on)."""
        from urllib.parse import urlsplit

        parts = urlsplit(self.base_url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        for attempt in range(5):
            try:
                socket.create_connection((parts.hostname, port), timeout=min(1.0, self.timeout)).close()
            except ConnectionRefusedError:
                return False
            except OSError:
                return True  # unknown (a timeout, a routing problem): no claim is made
            if attempt < 4:
                time.sleep(0.1)
        return True

    def _record(self, exchange: Exchange, response: httpx.Response, received: ReceivedBody) -> None:
        exchange.status = response.status_code
        exchange.response_headers = self.redactor.headers(response.headers.items(), response=True)
        exchange.response_truncated = truncated = received.truncated
        body = received.data
        if received.problem:
            exchange.encoding_problem = self.redactor.text(received.problem)
            exchange.json_error = f"the body could not be decoded: {exchange.encoding_problem}"
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            text = body.decode("utf-8", "replace")
            exchange.json_error = exchange.json_error or f"the body is not valid UTF-8 ({exc.reason} at byte {exc.start})"
        exchange.response_text = self.redactor.text(text)
        if exchange.json_error is None:
            if truncated:
                exchange.json_error = f"the body is larger than {RESPONSE_LIMIT} bytes and was cut"
            elif nesting_exceeds(text, JSON_DEPTH_LIMIT):
                # Parsing it would recurse past Python's limit in the parser, the redactor and
                # the schema validator: the answer is judged as one that is not usable JSON.
                exchange.json_error = f"the body nests JSON more than {JSON_DEPTH_LIMIT} levels deep"
            else:
                try:
                    parsed = json.loads(text)
                except ValueError as exc:
                    exchange.json_error = f"the body is not JSON ({exc})"
                else:
                    exchange.json = self._redact_json(parsed)
                    self._note_created(exchange)

    def _note_created(self, exchange: Exchange) -> None:
        """Remember what was created, for --cleanup and for the report."""
        from conformance.probes.checks import status_allowed

        if not status_allowed(exchange.status, self.profile.success_statuses):
            return
        try:
            from conformance.model.profile import resolve_pointer

            workspace_id = resolve_pointer(exchange.json, self.profile.resource_at + "/id")
        except (KeyError, IndexError, ValueError, TypeError):
            return
        if isinstance(workspace_id, (str, int)) and not isinstance(workspace_id, bool):
            self.created.append(str(workspace_id))

    def _redact_json(self, value):
        if not self.redactor.secret:
            return value
        if isinstance(value, str):
            return self.redactor.text(value)
        if isinstance(value, list):
            return [self._redact_json(v) for v in value]
        if isinstance(value, dict):
            return {self.redactor.text(k): self._redact_json(v) for k, v in value.items()}
        return value

    def __repr__(self) -> str:  # shows up in Hypothesis reproductions: never the secret
        return f"<Target {self.profile.key} at {self.redactor.url(self.base_url)}>"


def encode_multipart(fields: list[tuple[str, str]], files: dict) -> tuple[str, bytes]:
    """An RFC 7578 multipart/form-data body: text parts in UTF-8, then the file parts
    (`files` maps a field to (filename, bytes, content type)); returns (Content-Type, body)."""
    import secrets

    boundary = "conformance-" + secrets.token_hex(12)

    def disposition(name: str, filename: str | None = None) -> str:
        # Quoting as browsers do (HTML's form-data encoding): CR, LF and '"' percent-escaped.
        def q(text):
            return text.replace("\r", "%0D").replace("\n", "%0A").replace('"', "%22")
        extra = "" if filename is None else f'; filename="{q(filename)}"'
        return f'Content-Disposition: form-data; name="{q(name)}"{extra}'

    out = bytearray()
    for name, value in fields:
        out += f"--{boundary}\r\n{disposition(name)}\r\n\r\n".encode("utf-8", "backslashreplace")
        out += value.encode("utf-8", "backslashreplace") + b"\r\n"
    for name, (filename, content, media_type) in files.items():
        head = f"--{boundary}\r\n{disposition(name, filename or 'file')}\r\nContent-Type: {media_type}\r\n\r\n"
        out += head.encode("utf-8", "backslashreplace") + bytes(content) + b"\r\n"
    out += f"--{boundary}--\r\n".encode("ascii")
    return f"multipart/form-data; boundary={boundary}", bytes(out)


def _form_fields(payload) -> list[tuple[str, str]]:
    fields = []
    for key, value in (payload or {}).items():
        if value is None:
            continue
        fields.append((key, value if isinstance(value, str) else json.dumps(value)))
    return fields


def nesting_exceeds(text: str, limit: int) -> bool:
    """Whether JSON text opens more than `limit` arrays or objects inside one another
    (brackets inside strings do not count). Linear, and free for ordinary bodies."""
    if text.count("[") + text.count("{") <= limit:
        return False
    depth, in_string, escaped = 0, False, False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return True
        elif char in "]}":
            depth -= 1
    return False


def _retry_wait(response: httpx.Response, transient=()) -> float | None:
    if response.status_code not in RETRY_STATUSES and response.status_code not in transient:
        return None
    header = response.headers.get("retry-after", "1")
    try:
        wait = float(header)
    except ValueError:
        wait = 1.0  # an HTTP-date, or garbage: wait a little and try once more
    return max(0.0, min(wait, MAX_RETRY_WAIT))


def _status_and_retry_after(response: httpx.Response) -> str:
    """`429 (Retry-After 999999)`, `503 (no Retry-After)`: the header as sent, clipped."""
    header = response.headers.get("retry-after")
    shown = "no Retry-After" if header is None else f"Retry-After {header[:40]}"
    return printable(f"{response.status_code} ({shown})")


def _seconds(total: float) -> str:
    return f"{round(total, 1):g}"


def _describe_transport_error(exc: httpx.TransportError) -> str:
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
        elif "name or service not known" in lowered or "nodename" in lowered or "getaddrinfo" in lowered \
                or "name resolution" in lowered:
            kind = f"the host name could not be resolved ({text})"
        elif "refused" in lowered:
            kind = "the connection was refused"
        else:
            kind = text
    return kind
