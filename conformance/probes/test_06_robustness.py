"""Workflow 6: malformed and hostile input gets a 4xx (or is handled), never a 5xx.

A 5xx to a malformed body breaks two requirements at once: the probe's own (the body is
rejected with a 4xx) and robustness.no-server-error, which the passive checks add."""

from __future__ import annotations

from typing import TYPE_CHECKING

from conformance.engine import cases
from conformance.engine.checks import describe, expect_no_server_error, expect_rejected, fail
from conformance.engine.creates import OWN, none, own
from conformance.engine.payloads import baseline, baseline_with
from conformance.engine.runner import probe
from conformance.model.encodings import encode_json
from conformance.model.statuses import status_allowed

if TYPE_CHECKING:  # annotations only
    from conformance.client.target import Target
    from conformance.client.transcript import Exchange
    from conformance.engine.cases import Case
    from conformance.model.profile import Profile

OVERSIZED = 1 << 20  # 1 MiB: far above any name limit, small enough to send to a live target


def _oversized_creates(profile: Profile, case: Case) -> tuple:
    return () if profile.request_schema.get("required") else (OWN,)


def _rejected_with_a_4xx(target: Target, exchange: Exchange, requirement: str, why: str) -> None:
    """These requirements ask for a 4xx: a 5xx is their own breach, besides no-server-error's
    (elsewhere a 5xx only blocks the probe's requirement, see checks._not_a_server_error)."""
    if exchange.status is not None and exchange.status >= 500:
        fail(target, requirement, why, "a rejection with a 4xx", describe(exchange), exchange)
    expect_rejected(target, exchange, requirement, why)


@probe(cases.single("robustness.malformed-body"), creates=none)
def test_malformed_body_is_rejected(target: Target, case: Case):
    if target.profile.primary_encoding == "multipart":
        exchange = target.create(
            raw=b"--conformance\r\nthis is not a form part\r\n",
            content_type="multipart/form-data; boundary=conformance",
        )
    else:
        body = encode_json(baseline(target))[:-2]  # cut before the closing brace
        exchange = target.create(raw=body, content_type="application/json")
    _rejected_with_a_4xx(target, exchange, case.requirement, "a malformed body is rejected")


@probe(cases.undocumented_content_types, creates=none)
def test_undocumented_content_type_is_rejected(target: Target, case: Case):
    media = case["content_type"]
    exchange = target.create(raw=encode_json(baseline(target)), content_type=media)
    _rejected_with_a_4xx(target, exchange, case.requirement, f"a body labelled {media} is rejected")


@probe(cases.hostile_strings, creates=own)
def test_hostile_string_gets_no_server_error(target: Target, case: Case):
    exchange = target.create(baseline_with(target, case.field_name, case["value"]))
    expect_no_server_error(target, exchange, f"a {case.id} in `{case.field}` is handled")
    target.observe(case.requirement, f"{case.id} in `{case.field}`: HTTP {exchange.status}")


@probe(cases.single("robustness.no-server-error"), creates=_oversized_creates)
def test_oversized_body_gets_no_server_error(target: Target, case: Case):
    """The body also lacks a required field, so a target that reads it all and behaves
    refuses it and creates nothing; only where nothing is required is it otherwise valid."""
    required = target.profile.request_schema.get("required", [])[:1]
    body = baseline(target, omit=tuple(required), x_conformance_padding="p" * OVERSIZED)
    exchange = target.create(body, note="1 MiB body")
    expect_no_server_error(target, exchange, "an oversized body is handled")
    target.observe(case.requirement, f"1 MiB body: HTTP {exchange.status}")


@probe(cases.single("request.unknown-fields"), creates=own)
def test_unknown_field_is_ignored_or_rejected(target: Target, case: Case):
    exchange = target.create(baseline(target, x_conformance_unknown="ignore me"))
    profile = target.profile
    if status_allowed(exchange.status, profile.success_statuses):
        target.observe(case.requirement, "unknown fields are accepted and ignored")
        return
    allowed = profile.rejection(case.requirement)["statuses"]
    if not status_allowed(exchange.status, allowed):
        fail(
            target,
            case.requirement,
            "an unknown field is ignored or rejected",
            f"HTTP {' or '.join(map(str, profile.success_statuses + allowed))}",
            f"HTTP {exchange.status}",
            exchange,
        )
    target.observe(case.requirement, f"unknown fields are rejected with HTTP {exchange.status}")
