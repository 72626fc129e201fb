"""Workflow 1: a valid create, and the resource it returns.

Checks the documented success status and media type, every documented resource field against
the resource schema (format checking on), exact echo of what was submitted, documented
defaults, a fresh id per create, and a creation time that is now.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from conformance.client.target import accepted
from conformance.engine import cases
from conformance.engine.checks import describe, expect_created, expect_equal, fail, parse_timestamp
from conformance.engine.creates import shares
from conformance.engine.payloads import (
    baseline,
    baseline_create,
    baseline_with,
    echo_create,
    minimal_create,
    sent_body,
    tricky_value,
    unusual_create,
)
from conformance.engine.runner import probe
from conformance.model.catalog import rid
from conformance.model.formats import CHECKER as FORMATS
from conformance.model.outcome import CheckBlocked
from conformance.model.profile import value_at, values_at
from conformance.model.requirement import contract_rule, shape_of
from conformance.model.statuses import status_allowed
from conformance.model.tolerance import edge_finding

if TYPE_CHECKING:  # annotations only
    from conformance.client.target import Target
    from conformance.client.transcript import Exchange
    from conformance.engine.cases import Case
    from conformance.model.profile import Profile

RECENT = timedelta(minutes=5)  # generous: a live target's clock may drift from ours


@probe(cases.single("response.success-status"), creates=shares("baseline"))
def test_valid_create_answers_documented_status(target: Target, case: Case):
    expect_created(target, baseline_create(target), case.requirement, "a valid create succeeds")
    target.observe(case.requirement, f"answered HTTP {baseline_create(target).status}")


@probe(cases.single("response.documented-status"), creates=shares("baseline"))
def test_valid_create_answers_the_status_the_example_shows(target: Target, case: Case):
    """Where the page shows the exact code only inside an example body, a 2xx is the MUST
    (response.success-status) and the example's code this SHOULD."""
    exchange = baseline_create(target)
    expect_created(target, exchange, rid(target.profile, "response.success-status"), "a valid create succeeds")
    exact = target.profile.data["success"]["exact"]
    if not status_allowed(exchange.status, exact):
        fail(
            target,
            case.requirement,
            "a valid create answers the status the example shows",
            f"HTTP {' or '.join(map(str, exact))}",
            f"HTTP {exchange.status}",
            exchange,
        )


@probe(cases.single("response.content-type"), creates=shares("baseline"))
def test_created_resource_is_sent_as_json(target: Target, case: Case):
    exchange = baseline_create(target)
    expect_created(target, exchange, rid(target.profile, "response.success-status"), "a valid create succeeds")
    media = exchange.content_type.split(";")[0].strip().lower()
    if media != "application/json" and not (media.startswith("application/") and media.endswith("+json")):
        fail(
            target,
            case.requirement,
            "the resource is JSON",
            "Content-Type: application/json",
            f"Content-Type: {exchange.content_type or '(none)'}",
            exchange,
        )


@probe(cases.resource_fields, creates=shares("baseline", "minimal"))
def test_resource_field_matches_documented_schema(target: Target, case: Case):
    """Judged on a create with every field and on one with the required fields only."""
    for exchange in (baseline_create(target), minimal_create(target)):
        resource = expect_created(
            target, exchange, rid(target.profile, "response.success-status"), "a valid create succeeds"
        )
        _judge_field(target, case, exchange, resource)


def _judge_field(target: Target, case: Case, exchange: Exchange, resource: object):
    name, schema = case.field, case["schema"]
    why = f"the resource's `{name}` is as documented"
    if not isinstance(resource, dict):
        fail(target, case.requirement, why, "a JSON object", describe(exchange), exchange)
    if name not in resource:
        if name in target.profile.resource_schema.get("required", []):
            fail(target, case.requirement, why, f"`{name}` present", "absent", exchange)
        target.observe(case.requirement, f"`{name}` is left out when {exchange.note.split(' create')[0]}")
        return
    validator = target.profile.validator("resource")
    shape = shape_of(schema, contract_rule(target.profile.resource_schema))
    errors = list(validator.evolve(schema=shape).iter_errors(resource[name]))
    if errors:
        fail(target, case.requirement, why, _schema_text(shape), f"{resource[name]!r}: {errors[0].message}", exchange)


@probe(cases.example_formats("resource"), creates=shares("baseline"))
def test_field_has_the_format_the_example_shows(target: Target, case: Case):
    """An example-only object's formats (a date-time where the example shows one): a SHOULD,
    judged where the field is present with its JSON type (absence is the field's own finding)."""
    exchange = baseline_create(target)
    resource = expect_created(
        target, exchange, rid(target.profile, "response.success-status"), "a valid create succeeds"
    )
    _judge_formats(target, case, exchange, resource)


@probe(cases.example_formats("envelope"), creates=shares("baseline"))
def test_envelope_field_has_the_format_the_example_shows(target: Target, case: Case):
    exchange = _successful_envelope(target)
    _judge_formats(target, case, exchange, exchange.json)


def _judge_formats(target: Target, case: Case, exchange: Exchange, document: object):
    checked = 0
    for pointer, fmt in case["formats"].items():
        for value in values_at(document, pointer):
            if not isinstance(value, str):
                continue  # not text: the field's shape requirement says so
            checked += 1
            if not FORMATS.conforms(value, fmt):
                fail(
                    target,
                    case.requirement,
                    f"`{pointer.strip('/')}` is a {fmt}, as the example shows",
                    f"a {fmt}",
                    repr(value),
                    exchange,
                )
    if not checked:
        raise CheckBlocked(case["blocked_by"], "none of the fields with an example format was returned as text")


def _schema_text(schema: dict) -> str:
    keep = {k: v for k, v in schema.items() if not k.startswith("x-")}
    return "a value valid against " + repr(keep)


@probe(cases.echo_fields, creates=shares("echo"))
def test_submitted_value_is_echoed_exactly(target: Target, case: Case):
    """Judged on one create carrying an ordinary but easily altered value (mixed case,
    punctuation) in every echoed field; only when the target refuses that one does a field get
    a create of its own, so a refusal is attributed to the value that caused it."""
    exchange = echo_create(target)
    value = sent_body(target, "echo")[case.field]
    if not accepted(exchange, target.profile):
        value = tricky_value(target, case.field_name, case["schema"])
        exchange = target.create(baseline_with(target, case.field_name, value))
    resource = expect_created(target, exchange, case.requirement, f"a create with a mixed-case `{case.field}` succeeds")
    returned = value_at(resource, case["pointer"])
    expect_equal(target, case.requirement, f"`{case.field}` is returned as submitted", value, returned, exchange)


def _edge_creates(profile: Profile, case: Case) -> tuple:
    return (f"unusual:{case['label']}",)


@probe(cases.edge_echo_fields, creates=_edge_creates)
def test_edge_text_is_echoed_exactly(target: Target, case: Case):
    """Edge text (surrounding spaces, non-ASCII letters, astral characters, combining marks) in
    every such field of one create per kind, the create request.unusual-text-accepted judges
    (a refusal is its finding, so here it blocks); what the target did to the text names the
    finding ("`name` returned trimmed")."""
    label = case["label"]
    exchange = unusual_create(target, label)
    value = sent_body(target, f"unusual:{label}")[case.field]
    if not accepted(exchange, target.profile):
        raise CheckBlocked(
            rid(target.profile, "request.unusual-text-accepted"),
            f"the create with {label} text was refused: {describe(exchange)}",
        )
    resource = expect_created(target, exchange, case.requirement, f"a create with {label} `{case.field}` succeeds")
    returned = value_at(resource, case["pointer"])
    if returned != value:
        fail(
            target,
            case.requirement,
            f"`{case.field}` {edge_finding(value, returned)}",
            repr(value),
            repr(returned),
            exchange,
        )


@probe(cases.per_field("default", "default"), creates=shares("minimal"))
def test_omitted_field_gets_documented_default(target: Target, case: Case):
    """Judged on the shared create with the required fields only, which omits this one."""
    if case.field in target.profile.request_schema.get("required", []):
        exchange = target.create(baseline(target, omit=(case.field,)))
    else:
        exchange = minimal_create(target)
    resource = expect_created(target, exchange, case.requirement, f"a create without `{case.field}` succeeds")
    pointer = target.profile.echo[case.field_name]
    returned = value_at(resource, pointer)
    expect_equal(
        target,
        case.requirement,
        f"an omitted `{case.field}` takes its default",
        case["schema"]["default"],
        returned,
        exchange,
    )


@probe(cases.single("response.id-unique"), creates=shares("baseline", "minimal"))
def test_each_create_returns_a_fresh_id(target: Target, case: Case):
    first = expect_created(
        target, baseline_create(target), rid(target.profile, "response.success-status"), "a valid create succeeds"
    )
    exchange = minimal_create(target)  # the second create of the run: no workspace of its own needed
    second = expect_created(target, exchange, rid(target.profile, "response.success-status"), "a valid create succeeds")
    if not isinstance(first, dict) or not isinstance(second, dict) or "id" not in second:
        fail(target, case.requirement, "each create has an id", "an `id`", describe(exchange), exchange)
    if first.get("id") == second.get("id"):
        fail(
            target,
            case.requirement,
            "two creates return different ids",
            "two different ids",
            f"both {second.get('id')!r}",
            exchange,
        )


@probe(cases.single("response.created-at-recent"), creates=shares("baseline"))
def test_created_at_is_the_time_of_the_create(target: Target, case: Case):
    exchange = baseline_create(target)
    resource = expect_created(
        target, exchange, rid(target.profile, "response.success-status"), "a valid create succeeds"
    )
    try:
        stamp = parse_timestamp(resource["created_at"])
    except (KeyError, TypeError, ValueError, AttributeError):
        # Not this requirement's finding, but not a pass either: nothing was compared.
        shown = (
            repr(resource.get("created_at")) if isinstance(resource, dict) and "created_at" in resource else "absent"
        )
        raise CheckBlocked(rid(target.profile, "response.created_at"), f"created_at is {shown}") from None
    now = datetime.now(timezone.utc)
    if abs(now - stamp) > RECENT:
        fail(
            target,
            case.requirement,
            "created_at is now",
            f"within 5 minutes of {now:%Y-%m-%dT%H:%M:%SZ}",
            resource["created_at"],
            exchange,
        )


def _successful_envelope(target: Target):
    """The baseline answer, judged as an envelope: a success status and a JSON body are needed,
    the resource inside it is not (a workspace out of place is the envelope's finding)."""
    exchange = baseline_create(target)
    if not status_allowed(exchange.status, target.profile.success_statuses) or exchange.json is None:
        expect_created(target, exchange, rid(target.profile, "response.success-status"), "a valid create succeeds")
    return exchange


@probe(cases.envelope_fields, creates=shares("baseline"))
def test_envelope_member_matches_documented_schema(target: Target, case: Case):
    exchange = _successful_envelope(target)
    name, schema = case.id, case["schema"]
    why = f"the success envelope's `{name}` is as documented"
    envelope = target.profile.schemas["envelope"]
    if not isinstance(exchange.json, dict) or name not in exchange.json:
        if name in envelope.get("required", []):
            fail(target, case.requirement, why, f"`{name}` present", "absent", exchange)
        target.observe(case.requirement, f"`{name}` is not returned (optional)")
        return
    shape = shape_of(schema, contract_rule(envelope))
    errors = list(target.profile.validator("envelope").evolve(schema=shape).iter_errors(exchange.json[name]))
    if errors:
        where = "/" + "/".join(map(str, errors[0].absolute_path))
        fail(
            target,
            case.requirement,
            why,
            f"a value valid against envelope.schema.json#/properties/{name}",
            f"at {case['pointer']}{where.rstrip('/')}: {errors[0].message}",
            exchange,
        )


@probe(cases.envelope_on_success, creates=shares("baseline"))
def test_envelope_field_on_success_is_as_documented(target: Target, case: Case):
    exchange = _successful_envelope(target)
    value = value_at(exchange.json, case["pointer"])
    if value not in case["allowed"]:
        fail(target, case.requirement, case["title"], " or ".join(map(repr, case["allowed"])), repr(value), exchange)
    if len(case["allowed"]) > 1:  # the page allows a choice: say which one the target made
        target.observe(case.requirement, f"{case['pointer']} is {value!r} on success")
