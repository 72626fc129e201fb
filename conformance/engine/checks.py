"""Judgments shared by the probes: each returns findings, or raises ConformanceFailure.

The passive checks run on every exchange a probe makes, the way Schemathesis runs
`not_a_server_error` on every response: a 5xx or a malformed error body is caught wherever it
appears, and blamed on its own requirement, not on the probe that happened to see it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, NoReturn

from conformance.client.transcript import Exchange
from conformance.model.catalog import rid
from conformance.model.outcome import CheckBlocked, ConformanceFailure, Finding
from conformance.model.profile import ABSENT, Profile, resolve_pointer, value_at
from conformance.model.statuses import status_allowed, statuses_text

if TYPE_CHECKING:  # annotations only
    from conformance.client.target import Target


def describe(exchange: Exchange) -> str:
    if exchange.status is None:
        return exchange.error or "no answer"
    body = exchange.response_text.strip().replace("\n", " ")
    if len(body) > 160:
        body = body[:160] + "…"
    return f"HTTP {exchange.status} {body}".rstrip()


def index_of(target: Target, exchange: Exchange) -> int | None:
    try:
        return next(i for i, e in enumerate(target.transcript) if e is exchange)
    except StopIteration:
        return None


def fail(
    target: Target, requirement: str, title: str, expected: str, observed: str, exchange: Exchange | None = None
) -> NoReturn:
    raise ConformanceFailure(
        [Finding(requirement, title, expected, observed, None if exchange is None else index_of(target, exchange))]
    )


# -- the probe-side judgments ---------------------------------------------------------
def _not_a_server_error(target: Target, exchange: Exchange) -> None:
    """A 5xx says nothing about the requirement the probe checks: robustness.no-server-error
    (a passive check) takes the blame, and the probe's own requirement is blocked by it."""
    if exchange.status is not None and exchange.status >= 500:
        raise CheckBlocked(
            rid(target.profile, "robustness.no-server-error"), f"the target answered HTTP {exchange.status}"
        )


def expect_created(target: Target, exchange: Exchange, requirement: str, why: str):
    """The create succeeded with a documented status; returns the resource object."""
    profile = target.profile
    _not_a_server_error(target, exchange)
    if not status_allowed(exchange.status, profile.success_statuses):
        fail(target, requirement, why, f"HTTP {statuses_text(profile.success_statuses)}", describe(exchange), exchange)
    if exchange.encoding_problem:
        fail(
            target,
            rid(target.profile, "response.encoding"),
            "the body is coded as its Content-Encoding says",
            "a body its Content-Encoding header describes",
            exchange.encoding_problem,
            exchange,
        )
    if exchange.json is None:
        # Accepted, but not answered in JSON: that is the media-type requirement's breach, not
        # the breach of whatever limit the probe was testing.
        fail(
            target,
            rid(target.profile, "response.content-type"),
            "the created resource is JSON",
            "a JSON body",
            exchange.json_error or "no body",
            exchange,
        )
    try:
        return resolve_pointer(exchange.json, profile.resource_at)
    except (KeyError, IndexError, ValueError, TypeError):
        fail(target, requirement, why, f"the resource at {profile.resource_at!r}", describe(exchange), exchange)


def expect_rejected(target: Target, exchange: Exchange, requirement: str, why: str, situation: str | None = None):
    """The target refused with one of the statuses documented for this situation."""
    _not_a_server_error(target, exchange)
    rejection = target.profile.rejection(situation or requirement)
    allowed = rejection["statuses"]
    if not status_allowed(exchange.status, allowed):
        fail(target, requirement, why, f"a rejection with HTTP {statuses_text(allowed)}", describe(exchange), exchange)
    if len(allowed) > 1 or any(isinstance(s, str) for s in allowed):
        target.observe(requirement, f"rejected with HTTP {exchange.status}")


def expect_null_rejected_or_absent(target: Target, exchange: Exchange, requirement: str, field: str) -> None:
    """An optional field sent as null: refusing it and reading it as "not given" are both sound;
    storing a value the resource schema does not allow is not."""
    profile = target.profile
    if not status_allowed(exchange.status, profile.success_statuses):
        expect_rejected(target, exchange, requirement, f"a null `{field}` is rejected or taken as absent")
        return
    resource = expect_created(target, exchange, requirement, f"a null `{field}` is taken as absent")
    pointer = profile.echo.get(field)
    stored = ABSENT if pointer is None else value_at(resource, pointer)
    schema = profile.resource_schema.get("properties", {}).get(pointer.strip("/") if pointer else "", {})
    if stored != ABSENT and schema:
        errors = list(profile.validator("resource").evolve(schema=schema).iter_errors(stored))
        if errors:
            fail(
                target,
                requirement,
                f"a null `{field}` accepted is stored as a valid value",
                "a value the resource schema allows",
                f"{stored!r}: {errors[0].message}",
                exchange,
            )
    target.observe(
        requirement, f"a null `{field}` is accepted and stored as {'(absent)' if stored == ABSENT else repr(stored)}"
    )


def expect_no_server_error(target: Target, exchange: Exchange, why: str):
    if exchange.status is not None and exchange.status >= 500:
        fail(
            target,
            rid(target.profile, "robustness.no-server-error"),
            why,
            "a 2xx or 4xx answer",
            describe(exchange),
            exchange,
        )


def expect_equal(
    target: Target, requirement: str, why: str, expected: object, observed: object, exchange: Exchange
) -> None:
    if observed != expected:
        fail(target, requirement, why, repr(expected), repr(observed), exchange)


_RFC3339 = re.compile(r"(\d{4}-\d\d-\d\d)[Tt ](\d\d:\d\d:\d\d)(?:\.(\d+))?([Zz]|[+-]\d\d:\d\d)?\Z")


def parse_timestamp(value: str) -> datetime:
    """Any RFC 3339 date-time (fractions of any length, `t`/`z` in lower case), which the
    schema's format check accepts and Python's fromisoformat does not always."""
    match = _RFC3339.match(value)
    if not match:
        raise ValueError(f"not an RFC 3339 date-time: {value!r}")
    day, time_, fraction, offset = match.groups()
    offset = "+00:00" if offset in (None, "Z", "z") else offset
    stamp = datetime.fromisoformat(f"{day}T{time_}.{(fraction or '0')[:6]:0<6}{offset}")
    return stamp


# -- passive checks, run on every exchange --------------------------------------------
def passive_findings(
    profile: Profile, transcript: list[tuple[int, Exchange]], already: list[Finding]
) -> tuple[set[str], list[Finding]]:
    """The requirements the passive checks judged on these exchanges, and what they found."""
    seen = {(f.requirement, f.exchange) for f in already}
    judged: set[str] = set()
    out: list[Finding] = []
    for index, exchange in transcript:
        for finding in _passive(profile, exchange, judged):
            finding.exchange = index
            if (finding.requirement, index) not in seen:
                seen.add((finding.requirement, index))
                out.append(finding)
    return judged, out


def _passive(profile: Profile, exchange: Exchange, judged: set[str]):
    status = exchange.status
    if status is None:
        return
    judged.add(rid(profile, "robustness.no-server-error"))
    judged.add(rid(profile, "response.encoding"))  # every body read was decoded as declared, or found not to be
    if exchange.encoding_problem:
        yield Finding(
            rid(profile, "response.encoding"),
            "every body is coded as its Content-Encoding header declares",
            "a body its Content-Encoding header describes",
            exchange.encoding_problem,
        )
    if status >= 500:
        yield Finding(
            rid(profile, "robustness.no-server-error"),
            "no request is answered with a 5xx",
            "a 2xx or 4xx answer",
            describe(exchange),
        )
    envelope = profile.envelope
    if envelope and isinstance(exchange.json, dict):
        # Where the page shows the envelope's status only in its success example, error answers
        # are not held to it (their shape is the error body's business).
        if envelope.get("status_on", "every-answer") == "every-answer" or 200 <= status < 300:
            judged.add(rid(profile, "envelope.status"))
            carried = value_at(exchange.json, envelope["status_pointer"])
            if carried != status:
                yield Finding(
                    rid(profile, "envelope.status"),
                    "the envelope status equals the HTTP status",
                    f"status {status}",
                    f"status {carried!r}",
                )
        yield from _on_every_answer(profile, envelope, exchange, judged)
    if 400 <= status < 500 and "error" in profile.schemas:
        yield from _error_body(profile, exchange, judged)


def _on_every_answer(profile: Profile, envelope: dict, exchange: Exchange, judged: set[str]) -> Iterator[Finding]:
    """Envelope members the page puts in every response (wacht-backend's session): an object,
    or null on an answer that refused the credential (there is no session to describe).
    `envelope`: the profile's envelope (profile.envelope, known to be given)."""
    refused = profile.rejection("auth")["statuses"]
    for rule in envelope.get("on_every_answer", []):
        judged.add(rule["id"])
        value = value_at(exchange.json, rule["pointer"])
        if isinstance(value, dict) or (value is None and status_allowed(exchange.status, refused)):
            continue
        yield Finding(
            rule["id"],
            rule["title"],
            f"an object at {rule['pointer']}",
            f"{'absent' if value == ABSENT else repr(value)} in an HTTP {exchange.status} answer",
        )


def _error_body(profile: Profile, exchange: Exchange, judged: set[str]):
    judged.add(rid(profile, "error.body"))
    title = "every rejection carries the documented error body"
    if exchange.json is None:
        yield Finding(rid(profile, "error.body"), title, "a JSON error body", exchange.json_error or "no body")
        return
    errors = sorted(profile.validator("error").iter_errors(exchange.json), key=lambda e: e.path)
    if errors:
        first = errors[0]
        where = "/" + "/".join(map(str, first.absolute_path))
        yield Finding(
            rid(profile, "error.body"), title, "a body valid against error.schema.json", f"at {where}: {first.message}"
        )
        return
    table = profile.error_type
    if table and str(exchange.status) in table["by_status"]:
        judged.add(rid(profile, "error.type-matches-status"))
        expected = table["by_status"][str(exchange.status)]
        actual = value_at(exchange.json, table["pointer"], missing=None)
        if actual != expected:
            yield Finding(
                rid(profile, "error.type-matches-status"),
                "the error type matches the status",
                f"{expected!r} for HTTP {exchange.status}",
                repr(actual),
            )
