"""Workflow 3: each documented limit from both sides: lengths, enums and formats.

Lengths are counted as JSON Schema counts them, in Unicode code points: the fillers are
chosen so a target counting bytes, UTF-16 units or graphemes, or trimming or case-folding
before counting, lands on the wrong side of the limit.
"""
from conformance.model import formats
from conformance.model.profile import value_at
from conformance.probes import cases
from conformance.probes.checks import expect_created, expect_rejected, fail, status_allowed
from conformance.probes.creates import OWN, none, own
from conformance.probes.payloads import accepted_create, baseline, shared_kinds
from conformance.probes.runner import probe


def _shared_or_own(profile, case) -> tuple:
    return shared_kinds(profile, case.field, case["value"])[:1] or (OWN,)


def _with_length(target, case):
    if case["label"] == "surrounding-spaces":
        inner = target.names.of_length(case["length"] - 2)
        return " " + inner + " "
    return target.names.of_length(case["length"], case["filler"])


@probe(cases.at_min_length, creates=own)
def test_length_at_minimum_is_accepted(target, case):
    exchange = target.create(baseline(target, **{case.field: _with_length(target, case)}))
    expect_created(target, exchange, case.requirement, f"`{case.field}` of {case['length']} characters is accepted")


@probe(cases.below_min_length, creates=none)
def test_length_below_minimum_is_rejected(target, case):
    exchange = target.create(baseline(target, **{case.field: _with_length(target, case)}))
    expect_rejected(target, exchange, case.requirement, f"`{case.field}` of {case['length']} characters is rejected")


@probe(cases.at_max_length, creates=own)
def test_length_at_maximum_is_accepted(target, case):
    exchange = target.create(baseline(target, **{case.field: _with_length(target, case)}))
    expect_created(target, exchange, case.requirement,
                   f"`{case.field}` of {case['length']} characters ({case['label']}) is accepted")


@probe(cases.above_max_length, creates=none)
def test_length_above_maximum_is_rejected(target, case):
    exchange = target.create(baseline(target, **{case.field: _with_length(target, case)}))
    expect_rejected(target, exchange, case.requirement,
                    f"`{case.field}` of {case['length']} characters ({case['label']}) is rejected")


@probe(cases.enum_values, creates=_shared_or_own)
def test_documented_enum_value_is_accepted(target, case):
    exchange = accepted_create(target, case.field, case["value"])
    expect_created(target, exchange, case.requirement, f"`{case.field}` = {case['value']!r} is accepted")


@probe(cases.undocumented_enum_values, creates=none)
def test_undocumented_enum_value_is_rejected(target, case):
    exchange = target.create(baseline(target, **{case.field: case["value"]}))
    expect_rejected(target, exchange, case.requirement, f"`{case.field}` = {case['value']!r} is rejected")


def _good_value(target, case) -> str:
    """The target's own value for a param field (a real organization), else the suite's."""
    given = target.profile.param_value(target.params, case.field)
    return given if given is not None else formats.known(case["format"]).good


def _spelled(target, case) -> str:
    if case["spelling"] is None:  # the good value itself
        return _good_value(target, case)
    return formats.spelled(case["spelling"], _good_value(target, case))


@probe(cases.good_formats, creates=own)
def test_well_formed_value_is_accepted(target, case):
    value = _spelled(target, case)
    exchange = target.create(baseline(target, **{case.field: value}))
    expect_created(target, exchange, case.requirement, f"`{case.field}` = {value!r} is accepted")


@probe(cases.bad_formats, creates=none)
def test_malformed_value_is_rejected(target, case):
    value = _spelled(target, case)
    exchange = target.create(baseline(target, **{case.field: value}))
    expect_rejected(target, exchange, case.requirement, f"`{case.field}` = {value!r} is rejected")


@probe(cases.debatable_formats, creates=own)
def test_debatable_spelling_is_rejected_or_kept(target, case):
    """"+12" or "012" for a uint64: a careful server may refuse it or read it as the number;
    what it may not do is accept it and store something else."""
    value = _spelled(target, case)
    exchange = target.create(baseline(target, **{case.field: value}))
    if exchange.status is not None and 400 <= exchange.status < 500:
        # Any refusal is a careful one here: for an organization id, "012" may well name no
        # organization the caller belongs to (403), as an implementation written from the
        # page alone answered.
        target.observe(case.requirement, f"{value!r} rejected with HTTP {exchange.status}")
        return
    if not status_allowed(exchange.status, target.profile.success_statuses):
        expect_rejected(target, exchange, case.requirement, f"`{case.field}` = {value!r} is rejected or kept")
        return
    resource = expect_created(target, exchange, case.requirement, f"`{case.field}` = {value!r} is accepted")
    pointer = target.profile.echo.get(case.field)
    if pointer is None:
        target.observe(case.requirement, f"{value!r} accepted (not returned, so not compared)")
        return
    stored = value_at(resource, pointer)
    if not formats.known(case["format"]).same_value(value, stored):
        fail(target, case.requirement, f"`{case.field}` = {value!r} is stored as the same value",
             f"the same {case['format']} as {value!r}", repr(stored), exchange)
    target.observe(case.requirement, f"{value!r} accepted and stored as {stored!r}")


def _unusual_value(target, case):
    value = case["value"]
    if case.field in target.profile.tagged_fields:
        schema = target.profile.request_schema["properties"][case.field]
        value = target.names.keep_class(value, schema.get("maxLength"))
    return value


def _unusual_creates(profile, case) -> tuple:
    return (f"unusual:{case['label']}",)


@probe(cases.unusual_text, creates=_unusual_creates)
def test_unusual_text_is_accepted(target, case):
    """Whitespace only, a control character, direction marks: the schema allows them, so
    accepting them is right; refusing them is a SHOULD failure unless the page documents the
    refusal (then it is the documented behaviour, and passes). Judged first on one create
    with this kind of text in every such field; only when the target refuses that one does the
    field get a create of its own, so a refusal is attributed to the field that caused it."""
    label = case["label"]
    shared = target.shared_create(f"unusual:{label}", lambda: baseline(target, **{
        other.field: _unusual_value(target, other) for other in cases.unusual_text(target.profile)
        if other["label"] == label}))
    if status_allowed(shared.status, target.profile.success_statuses):
        target.observe(case.requirement, f"{label} `{case.field}` accepted (with every such field {label})")
        return
    exchange = target.create(baseline(target, **{case.field: _unusual_value(target, case)}))
    if status_allowed(exchange.status, target.profile.success_statuses):
        target.observe(case.requirement, f"{label} `{case.field}` accepted")
        return
    refusal = case["refusal"]
    if refusal and status_allowed(exchange.status, refusal["statuses"]):
        target.observe(case.requirement, f"{label} `{case.field}` refused with HTTP {exchange.status}, "
                                         f"as the page documents (\u201c{refusal['source']}\u201d)")
        return
    expect_created(target, exchange, case.requirement, f"a {case['label']} `{case.field}` is accepted")
