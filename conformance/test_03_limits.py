"""Workflow 3: each documented limit from both sides: lengths, enums and formats.

Lengths are counted as JSON Schema counts them, in Unicode code points: the fillers are
chosen so a target counting bytes, UTF-16 units or graphemes, or trimming or case-folding
before counting, lands on the wrong side of the limit.
"""
from . import cases
from .checks import expect_created, expect_rejected
from .creates import OWN, own
from .payloads import accepted_create, baseline, shared_kinds
from .probing import probe


def _shared_or_own(profile, case) -> tuple:
    return shared_kinds(profile, case.field, case["value"])[:1] or (OWN,)


def _with_length(target, case):
    if case["label"] == "surrounding-spaces":
        inner = target.names.of_length(case["length"] - 2)
        return " " + inner + " "
    return target.names.of_length(case["length"], case["filler"])


@probe(cases.at_min_length, creates=own)
def test_length_at_minimum_is_accepted(target, case):
    exchange = target.create(baseline(target, **{case.field: _with_length(target, case)}), files=target.default_files())
    expect_created(target, exchange, case.requirement, f"`{case.field}` of {case['length']} characters is accepted")


@probe(cases.below_min_length)
def test_length_below_minimum_is_rejected(target, case):
    exchange = target.create(baseline(target, **{case.field: _with_length(target, case)}))
    expect_rejected(target, exchange, case.requirement, f"`{case.field}` of {case['length']} characters is rejected")


@probe(cases.at_max_length, creates=own)
def test_length_at_maximum_is_accepted(target, case):
    exchange = target.create(baseline(target, **{case.field: _with_length(target, case)}), files=target.default_files())
    expect_created(target, exchange, case.requirement,
                   f"`{case.field}` of {case['length']} characters ({case['label']}) is accepted")


@probe(cases.above_max_length)
def test_length_above_maximum_is_rejected(target, case):
    exchange = target.create(baseline(target, **{case.field: _with_length(target, case)}))
    expect_rejected(target, exchange, case.requirement,
                    f"`{case.field}` of {case['length']} characters ({case['label']}) is rejected")


@probe(cases.enum_values, creates=_shared_or_own)
def test_documented_enum_value_is_accepted(target, case):
    exchange = accepted_create(target, case.field, case["value"])
    expect_created(target, exchange, case.requirement, f"`{case.field}` = {case['value']!r} is accepted")


@probe(cases.undocumented_enum_values)
def test_undocumented_enum_value_is_rejected(target, case):
    exchange = target.create(baseline(target, **{case.field: case["value"]}))
    expect_rejected(target, exchange, case.requirement, f"`{case.field}` = {case['value']!r} is rejected")


@probe(cases.good_formats, creates=_shared_or_own)
def test_well_formed_value_is_accepted(target, case):
    exchange = accepted_create(target, case.field, case["value"])
    expect_created(target, exchange, case.requirement, f"`{case.field}` = {case['value']!r} is accepted")


@probe(cases.bad_formats)
def test_malformed_value_is_rejected(target, case):
    exchange = target.create(baseline(target, **{case.field: case["value"]}))
    expect_rejected(target, exchange, case.requirement, f"`{case.field}` = {case['value']!r} is rejected")
