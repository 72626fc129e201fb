"""Workflow 2: bodies missing a required field, or carrying it null or of the wrong type."""

from __future__ import annotations

from typing import TYPE_CHECKING

from conformance.engine import cases
from conformance.engine.checks import expect_null_rejected_or_absent, expect_rejected
from conformance.engine.creates import none, own
from conformance.engine.payloads import baseline, baseline_with
from conformance.engine.runner import probe

if TYPE_CHECKING:  # annotations only
    from conformance.client.target import Target
    from conformance.engine.cases import Case


@probe(cases.required_missing, creates=none)
def test_body_without_required_field_is_rejected(target: Target, case: Case):
    exchange = target.create(baseline(target, omit=(case.field,)))
    expect_rejected(target, exchange, case.requirement, f"a body without `{case.field}` is rejected")


@probe(cases.required_null, creates=none)
def test_required_field_null_is_rejected(target: Target, case: Case):
    exchange = target.create(baseline_with(target, case.field_name, None))
    expect_rejected(target, exchange, case.requirement, f"a null `{case.field}` is rejected")


@probe(cases.wrong_types, creates=none)
def test_field_of_wrong_type_is_rejected(target: Target, case: Case):
    exchange = target.create(baseline_with(target, case.field_name, case["value"]))
    expect_rejected(target, exchange, case.requirement, f"`{case.field}` = {case['value']!r} is rejected, not coerced")


@probe(cases.null_optional, creates=own)
def test_optional_field_null_is_rejected_or_taken_as_absent(target: Target, case: Case):
    exchange = target.create(baseline_with(target, case.field_name, None))
    expect_null_rejected_or_absent(target, exchange, case.requirement, case.field_name)
