"""The client bound to a target: auth applied, every exchange recorded and redacted, bounded.

Bounds, because users point this at production: a hard request budget, one deadline per
request (connect to last body byte), a capped response size after decoding, a bounded
Retry-After wait on 429/503 (and a run-wide bound on all the waits together, after which nothing
more is sent), never a redirect followed, and a breaker that stops probing once the target is
plainly unreachable, or has gone away after answering (the request it went away after is a
finding, see conformance.client.departure).
"""

from __future__ import annotations

import copy
import http.cookiejar
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import httpx

from conformance.client.counters import Budget, CreateCount, SharedCreates, Slots, WaitBudget, WentAway
from conformance.client.deadline import DeadlineBackend, deadline_transport
from conformance.client.decoding import ACCEPT_ENCODING, read_body, record_answer
from conformance.client.decoding import Body as ReceivedBody
from conformance.client.departure import judge_departure
from conformance.client.naming import Namer
from conformance.client.retries import (
    MAX_RETRIES,
    MAX_RETRY_WAIT,
    RETRY_STATUSES,
    describe_transport_error,
    retry_wait,
    seconds_text,
    status_and_retry_after,
)
from conformance.client.transcript import Exchange, Redactor, curl_command
from conformance.defaults import DEFAULT_EXAMPLES, DEFAULT_MAX_WAIT, DEFAULT_REQUEST_TIMEOUT
from conformance.model.auth import AUTH_PLACEMENTS, Credentials, credential_name
from conformance.model.encodings import ENCODINGS, Body
from conformance.model.outcome import DryRun, Observation, ProbeError, TargetUnreachable, TargetWentAway, WaitSpent
from conformance.model.profile import Profile, resolve_pointer
from conformance.model.statuses import status_allowed
from conformance.text import printable

if TYPE_CHECKING:  # an annotation only: the client never imports the engine
    from conformance.engine.creates import CreatePlan

BREAKER_THRESHOLD = 2  # consecutive transport failures before the target is declared unreachable


@dataclass
class Breaker:
    failures: int = 0
    reason: str | None = None
    went_away: bool = False  # it answered before: the request it went away after is a finding

    def check(self) -> None:
        if self.reason:
            raise (TargetWentAway if self.went_away else TargetUnreachable)(self.reason)


def accepted(exchange: Exchange, profile: Profile) -> bool:
    """The create succeeded with a documented status and a JSON answer."""
    return status_allowed(exchange.status, profile.success_statuses) and exchange.json is not None


def endpoint_url(base_url: str, profile: Profile) -> str:
    """The URL a create is POSTed to: the base URL and the documented path."""
    return base_url.rstrip("/") + profile.path


def split_endpoint(given: str | None, profile: Profile) -> tuple[str | None, bool]:
    """The target-URL rule: a user may give the base URL or the endpoint's full URL. A trailing
    documented path (`.../v1/organizations/workspaces`) is taken off, so it is not appended
    twice; returns the base URL and whether a path was taken off."""
    if given is None:
        return None, False

    path = profile.path.rstrip("/")
    parts = urlsplit(given)
    if path and not parts.query and not parts.fragment and parts.path.rstrip("/").endswith(path):
        trimmed = given.rstrip("/")
        return trimmed[: len(trimmed) - len(path)], True
    return given, False


class Target:
    def __init__(
        self,
        profile: Profile,
        base_url: str,
        credential: str | None,
        params: dict[str, str],
        *,
        run_id: str,
        budget: Budget,
        timeout: float = DEFAULT_REQUEST_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
        dry_run: bool = False,
        slots: Slots | None = None,
        examples: int = DEFAULT_EXAMPLES,
        hypothesis_seed: int = 0,
        create_count: CreateCount | None = None,
        shares: SharedCreates | None = None,
        waits: WaitBudget | None = None,
        went_away: WentAway | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
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
        self.sleep = sleep  # how a Retry-After is waited out (tests of what follows pass one that returns at once)
        self.answered = 0  # answers this process received: a target that answered can go away
        self.last_answered: Exchange | None = None
        self.transcript: list[Exchange] = []
        self.observations: list[Observation] = []
        self.shares = shares or SharedCreates()
        # Which cases the workspace budget admits (conformance.engine.creates.CreatePlan; None:
        # no budget). The client reads only its limit.
        self.create_plan: CreatePlan | None = None
        self._deadline = DeadlineBackend()
        # Each request carries exactly what its probe says: a cookie a target sets is never sent
        # back (a missing-credential probe must not ride on a session an earlier answer opened).
        no_cookies = http.cookiejar.CookieJar(policy=http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
        self._http = httpx.Client(
            timeout=timeout,
            follow_redirects=False,
            cookies=no_cookies,
            transport=transport or deadline_transport(self._deadline, tls=not self.base_url.startswith("http://")),
            headers={"user-agent": "workspace-conformance", "accept-encoding": ACCEPT_ENCODING},
        )

    @property
    def url(self) -> str:
        return endpoint_url(self.base_url, self.profile)

    def close(self) -> None:
        self._http.close()

    def begin(self) -> None:
        """Start a fresh transcript for the next probe."""
        self.transcript = []
        self.observations = []
        self.created_before = len(self.created)  # what this probe creates is created[created_before:]

    def observe(self, requirement: str, text: str) -> None:
        """Record what the target chose where its document is silent."""
        self.observations.append(Observation(requirement, text))

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
    def create(
        self,
        payload=None,
        *,
        files=None,
        auth: str = "valid",
        headers=None,
        raw: bytes | None = None,
        content_type: str | None = None,
        encoding: str | None = None,
        note: str = "",
    ) -> Exchange:
        limit = self.create_plan.limit if self.create_plan is not None else None
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
        request = self._http.build_request(
            self.profile.method,
            self.url,
            headers=request_headers,
            params=credentials.params or None,
            content=body.content,
        )
        body_text = self._describe_body(request, body.form_fields, files)
        shown_headers = self.redactor.headers(request.headers.items(), response=False)
        exchange = Exchange(
            method=request.method,
            url=self.redactor.url(str(request.url)),
            request_headers=shown_headers,
            request_body=self.redactor.text(body_text),
            note=note,
            authenticated=auth == "valid",
        )
        exchange.curl = curl_command(
            request.method,
            exchange.url,
            shown_headers,
            None if body.form_fields is not None else exchange.request_body,
            multipart=None if body.form_fields is None else [(k, self.redactor.text(v)) for k, v in body.form_fields],
            files=[(k, "@" + (f[0] or "file")) for k, f in (files or {}).items()],
        )
        self.transcript.append(exchange)
        self._send(request, exchange)
        return exchange

    def call(self, method: str, path: str, *, note: str = "") -> Exchange:
        """A bodiless request to another documented path (e.g. archive), same bounds and auth."""
        headers: dict[str, str] = {}
        credentials = self._apply_auth("valid", headers)
        request = self._http.build_request(
            method, self.base_url + path, headers=headers, params=credentials.params or None
        )
        shown = self.redactor.headers(request.headers.items(), response=False)
        exchange = Exchange(
            method=method, url=self.redactor.url(str(request.url)), request_headers=shown, request_body="", note=note
        )
        exchange.curl = curl_command(method, exchange.url, shown, None)
        self.transcript.append(exchange)
        self._send(request, exchange)
        return exchange

    def _apply_auth(self, auth: str, headers: dict) -> Credentials:
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
                    problem = (
                        f"the target did not answer in time (--request-timeout {self.timeout:g} s "
                        "covers the whole request, body included)"
                    )
                else:
                    problem = describe_transport_error(exc)
                exchange.error = self.redactor.text(f"{problem}: {self.redactor.url(self.base_url)}")
                if self.answered and not isinstance(exc, httpx.TimeoutException):
                    judge_departure(self, exchange, dropped=not isinstance(exc, httpx.ConnectError))
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
            wait = retry_wait(response, self.profile.transient_statuses)
            if wait is None or (attempt == MAX_RETRIES and status not in RETRY_STATUSES):
                # A documented passing 5xx (Anthropic's 529) that persists is judged as any 5xx.
                self._record(exchange, response, body)
                return
            asked = self._asked_to_wait(response, body)
            if attempt == MAX_RETRIES:
                exchange.error = self.redactor.text(
                    f"{asked}, {MAX_RETRIES + 1} times in a row: not judged "
                    "(the target asked the suite to come back later)"
                )
                raise ProbeError(exchange.error)
            fits, total = self.waits.take(wait)
            if not fits:
                exchange.error = self.redactor.text(
                    f"{asked}; the run stopped after waiting {seconds_text(total)} s in all "
                    f"(--conformance-max-wait {self.waits.limit:g})"
                )
                raise WaitSpent(
                    self.redactor.text(
                        f"the target kept answering {status_and_retry_after(response)}; "
                        f"the run stopped after waiting {seconds_text(total)} s in all"
                    )
                )
            exchange.retried.append(status)
            exchange.waits.append(wait)
            self.sleep(wait)

    def _asked_to_wait(self, response: httpx.Response, received: ReceivedBody) -> str:
        """`HTTP 429 (Retry-After 1) {"type": "error", ...}`: an answer retried or not judged."""
        text = received.data[:160].decode("utf-8", "replace").replace("\n", " ").strip()
        return printable(f"HTTP {status_and_retry_after(response)} {text}".rstrip())

    def _record(self, exchange: Exchange, response: httpx.Response, received: ReceivedBody) -> None:
        record_answer(exchange, response, received, self.redactor)
        if exchange.json is not None:
            self._note_created(exchange)

    def _note_created(self, exchange: Exchange) -> None:
        """Remember what was created, for --cleanup and for the report."""
        if not status_allowed(exchange.status, self.profile.success_statuses):
            return
        try:
            workspace_id = resolve_pointer(exchange.json, self.profile.resource_at + "/id")
        except (KeyError, IndexError, ValueError, TypeError):
            return
        if isinstance(workspace_id, (str, int)) and not isinstance(workspace_id, bool):
            self.created.append(str(workspace_id))

    def __repr__(self) -> str:  # shows up in Hypothesis reproductions: never the secret
        return f"<Target {self.profile.key} at {self.redactor.url(self.base_url)}>"
