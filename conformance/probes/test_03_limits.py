"""Workflow 3: each documented limit from both sides: lengths, enums and formats.

The limits are MUSTs on ordinary values (printable ASCII, the canonical spelling of a format);
the same limits with edge values are SHOULDs named for what they found (conformance.model.
tolerance). Lengths are counted as JSON Schema counts them, in Unicode code points: the edge
fillers are chosen so a target counting bytes, UTF-16 units or graphemes, or trimming or
case-folding before counting, lands on the wrong side of the limit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from conformance.engine import cases
from conformance.engine.checks import describe, expect_created, expect_rejected, fail
from conformance.engine.creates import OWN, none, own
from conformance.engine.payloads import accepted_create, baseline_with, shared_kinds, unusual_create, unusual_value
from conformance.engine.runner import probe
from conformance.model import formats, tolerance
from conformance.model.profile import value_at
from conformance.model.statuses import status_allowed

if TYPE_CHECKING:  # annotations only
    from conformance.client.target import Target
    from conformance.engine.cases import Case
    from conformance.model.profile import Profile


def _shared_or_own(profile: Profile, case: Case) -> tuple:
    return shared_kinds(profile, case.field_name, case["value"])[:1] or (OWN,)


def _with_length(target: Target, case: Case):
    unique = _unique_rejection(target, case.field_name) is not None
    if case["label"] == "surrounding-spaces":
        inner = target.names.of_length(case["length"] - 2, unique=unique)
        return " " + inner + " "
    return target.names.of_length(case["length"], case["filler"], unique=unique)


def _unique_rejection(target: Target, field: str):
    """The statuses a uniqueness rule of `field` refuses a duplicate with (None: no such rule)."""
    for rule in target.profile.rules.values():
        if rule.get("kind") == "unique" and rule.get("field") == field:
            return target.profile.rejection(rule["id"])["statuses"]
    return None


DUPLICATE_RETRIES = 3


@probe(cases.at_min_length, creates=own)
def test_length_at_minimum_is_accepted(target: Target, case: Case):
    """A value this short cannot carry the run's tag: where the field must be unique, an
    earlier run may hold it, so a refusal with the duplicate's status is retried with another
    character (a few times) before it counts."""
    exchange = target.create(baseline_with(target, case.field_name, _with_length(target, case)))
    duplicate = _unique_rejection(target, case.field_name)
    for _ in range(DUPLICATE_RETRIES if duplicate else 0):
        if not status_allowed(exchange.status, duplicate):
            break
        target.observe(case.requirement, f"{describe(exchange)}: perhaps an earlier run's value; tried another")
        exchange = target.create(baseline_with(target, case.field_name, _with_length(target, case)))
    expect_created(target, exchange, case.requirement, f"`{case.field}` of {case['length']} characters is accepted")


@probe(cases.below_min_length, creates=none)
def test_length_below_minimum_is_rejected(target: Target, case: Case):
    exchange = target.create(baseline_with(target, case.field_name, _with_length(target, case)))
    expect_rejected(target, exchange, case.requirement, f"`{case.field}` of {case['length']} characters is rejected")


@probe(cases.at_max_length, creates=own)
def test_length_at_maximum_is_accepted(target: Target, case: Case):
    exchange = target.create(baseline_with(target, case.field_name, _with_length(target, case)))
    expect_created(target, exchange, case.requirement, f"`{case.field}` of {case['length']} characters is accepted")


@probe(cases.above_max_length, creates=none)
def test_length_above_maximum_is_rejected(target: Target, case: Case):
    exchange = target.create(baseline_with(target, case.field_name, _with_length(target, case)))
    expect_rejected(target, exchange, case.requirement, f"`{case.field}` of {case['length']} characters is rejected")


@probe(cases.edge_at_max_length, creates=own)
def test_edge_text_at_maximum_is_accepted(target: Target, case: Case):
    """The maximum in non-ASCII text: refused, it shows the unit the target counts in."""
    exchange = target.create(baseline_with(target, case.field_name, _with_length(target, case)))
    if (
        not status_allowed(exchange.status, target.profile.success_statuses)
        and exchange.status is not None
        and 400 <= exchange.status < 500
    ):
        fail(
            target,
            case.requirement,
            f"`{case.field}`: {case['finding']}",
            f"`{case.field}` of {case['length']} code points ({case['label']}) accepted",
            describe(exchange),
            exchange,
        )
    expect_created(
        target,
        exchange,
        case.requirement,
        f"`{case.field}` of {case['length']} code points ({case['label']}) is accepted",
    )


@probe(cases.edge_above_max_length, creates=none)
def test_edge_text_above_maximum_is_rejected(target: Target, case: Case):
    exchange = target.create(baseline_with(target, case.field_name, _with_length(target, case)))
    if status_allowed(exchange.status, target.profile.success_statuses):
        fail(
            target,
            case.requirement,
            f"`{case.field}`: {case['finding']}",
            f"`{case.field}` of {case['length']} code points ({case['label']}) rejected",
            describe(exchange),
            exchange,
        )
    expect_rejected(
        target,
        exchange,
        case.requirement,
        f"`{case.field}` of {case['length']} code points ({case['label']}) is rejected",
        situation=case.requirement.replace(".edge-length", ".max-length"),
    )


@probe(cases.enum_values, creates=_shared_or_own)
def test_documented_enum_value_is_accepted(target: Target, case: Case):
    exchange = accepted_create(target, case.field_name, case["value"])
    expect_created(target, exchange, case.requirement, f"`{case.field}` = {case['value']!r} is accepted")


@probe(cases.undocumented_enum_values, creates=none)
def test_undocumented_enum_value_is_rejected(target: Target, case: Case):
    exchange = target.create(baseline_with(target, case.field_name, case["value"]))
    expect_rejected(target, exchange, case.requirement, f"`{case.field}` = {case['value']!r} is rejected")


def _good_value(target: Target, case: Case) -> str:
    """The target's own value for a param field (a real organization), else the suite's."""
    given = target.profile.param_value(target.params, case.field_name)
    return given if given is not None else formats.REGISTRY[case["format"]].good  # a case of a registered format


def _spelled(target: Target, case: Case) -> str:
    if case["spelling"] is None:  # the good value itself
        return _good_value(target, case)
    return formats.spelled(case["spelling"], _good_value(target, case))


@probe(cases.good_formats, creates=own)
def test_well_formed_value_is_accepted(target: Target, case: Case):
    value = _spelled(target, case)
    exchange = target.create(baseline_with(target, case.field_name, value))
    expect_created(target, exchange, case.requirement, f"`{case.field}` = {value!r} is accepted")


@probe(cases.bad_formats, creates=none)
def test_malformed_value_is_rejected(target: Target, case: Case):
    value = _spelled(target, case)
    exchange = target.create(baseline_with(target, case.field_name, value))
    expect_rejected(target, exchange, case.requirement, f"`{case.field}` = {value!r} is rejected")


@probe(cases.edge_formats, creates=own)
def test_other_spelling_is_refused_or_kept(target: Target, case: Case):
    """An upper-case, dashless or braced uuid; "+12", " 12 " or "１２" for a uint64: Pydantic,
    PostgreSQL and Go read them as the value, a careful server refuses them. Either is sound;
    accepting one and storing another value is not."""
    value = _spelled(target, case)
    exchange = target.create(baseline_with(target, case.field_name, value))
    if exchange.status is not None and 400 <= exchange.status < 500:
        target.observe(case.requirement, f"{value!r} refused with HTTP {exchange.status}")
        return
    if not status_allowed(exchange.status, target.profile.success_statuses):
        expect_rejected(target, exchange, case.requirement, f"`{case.field}` = {value!r} is refused or kept")
        return
    resource = expect_created(target, exchange, case.requirement, f"`{case.field}` = {value!r} is accepted")
    pointer = target.profile.echo.get(case.field_name)
    if pointer is None:
        target.observe(case.requirement, f"{value!r} accepted (not returned, so not compared)")
        return
    stored = value_at(resource, pointer)
    same_value = formats.REGISTRY[case["format"]].same_value
    if same_value is None:  # a format with edge spellings says how to compare them
        raise RuntimeError(f"string format {case['format']!r} has edge spellings but no same_value")
    if not same_value(value, stored):
        fail(
            target,
            case.requirement,
            f"`{case.field}` = {value!r} is stored as the same value",
            f"the same {case['format']} as {value!r}",
            repr(stored),
            exchange,
        )
    target.observe(case.requirement, f"{value!r} accepted and stored as {stored!r}")


def _unusual_creates(profile: Profile, case: Case) -> tuple:
    return (f"unusual:{case['label']}",)


@probe(cases.unusual_text, creates=_unusual_creates)
def test_unusual_text_is_accepted(target: Target, case: Case):
    """Whitespace only, a control character, direction marks: the schema allows them, so
    accepting them is right; refusing them is a SHOULD failure unless the page documents the
    refusal (then it is the documented behaviour, and passes). Judged first on one create
    with this kind of text in every such field; only when the target refuses that one does the
    field get a create of its own, so a refusal is attributed to the field that caused it."""
    label = case["label"]
    shared = unusual_create(target, label)
    if status_allowed(shared.status, target.profile.success_statuses):
        target.observe(case.requirement, f"{label} `{case.field}` accepted (with every such field {label})")
        return
    exchange = target.create(baseline_with(target, case.field_name, unusual_value(target, case.field_name, label)))
    if status_allowed(exchange.status, target.profile.success_statuses):
        target.observe(case.requirement, f"{label} `{case.field}` accepted")
        return
    refusal = case["refusal"]
    if refusal and status_allowed(exchange.status, refusal["statuses"]):
        target.observe(
            case.requirement,
            f"{label} `{case.field}` refused with HTTP {exchange.status}, "
            f"as the page documents (\u201c{refusal['source']}\u201d)",
        )
        return
    if exchange.status is not None and 400 <= exchange.status < 500:
        fail(
            target,
            case.requirement,
            f"`{case.field}` {tolerance.REFUSAL_FINDINGS.get(label, 'refuses ' + label)}",
            f"{label} `{case.field}` accepted",
            describe(exchange),
            exchange,
        )
    expect_created(target, exchange, case.requirement, f"a {case['label']} `{case.field}` is accepted")
