"""Workflow 5: rules a schema cannot state, declared in the profile's `rules`.

Each rule has a kind (unique, foreign-param, header, file-part, file-part-referenced,
null-on-create, member-schema, same-value) and one probe
per kind reads its parameters, so a new provider adds rules as data, not code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from conformance.engine import cases
from conformance.engine.checks import describe, expect_created, expect_rejected, fail
from conformance.engine.creates import OWN, none, shares
from conformance.engine.payloads import baseline, baseline_create, baseline_with
from conformance.engine.runner import probe
from conformance.model.catalog import known, rid
from conformance.model.outcome import NOT_RUN, CheckBlocked, ProbeError
from conformance.model.profile import ABSENT, resolve_pointer, value_at
from conformance.model.statuses import status_allowed

if TYPE_CHECKING:  # annotations only
    from conformance.client.target import Target
    from conformance.engine.cases import Case
    from conformance.model.profile import Profile


@probe(cases.rules_of_kind("unique"), creates=shares("baseline"))
def test_duplicate_value_is_rejected(target: Target, case: Case):
    first = baseline_create(target)  # the first create of the run: the duplicate needs no other
    expect_created(target, first, rid(target.profile, "response.success-status"), "the first create succeeds")
    second = target.create(target.shared_body("baseline"))
    expect_rejected(target, second, case.requirement, f"a second workspace with the same `{case.field}` is rejected")


class NeedsTargetParam(ProbeError):
    """The check needs a value only the target's owner knows (an organization the caller may
    not use): without it nothing can be shown, so the requirement is not-run, never pass."""

    verdict = NOT_RUN


@probe(cases.rules_of_kind("foreign-param"), creates=none)
def test_value_the_caller_may_not_use_is_rejected(target: Target, case: Case):
    """With the target param: the create must be refused. Without it, a made-up value is sent
    (a target that accepts it fails), but its refusal proves nothing (it may be refused as
    malformed or unknown before membership is asked): not-run, with what would check it."""
    given = target.params.get(case["param"])
    value = given or case.params.get("fallback")
    if value is None:
        raise NeedsTargetParam(
            f"not checked: pass --conformance-target-param {case['param']}=<id> "
            f"({target.profile.target_params.get(case['param'], {}).get('description', 'an id')})"
        )
    exchange = target.create(baseline_with(target, case.field_name, value))
    if given:
        expect_rejected(target, exchange, case.requirement, case["title"])
        return
    if status_allowed(exchange.status, target.profile.success_statuses):
        fail(target, case.requirement, case["title"], "a refusal", describe(exchange), exchange)
    raise NeedsTargetParam(
        f"a made-up {case.field} {value!r} was refused with HTTP {exchange.status}, which proves "
        f"nothing; pass --conformance-target-param {case['param']}=<id> to check it"
    )


def _header_creates(profile: Profile, case: Case) -> tuple:
    """One own create per documented value; the create without the header is the baseline."""
    return ("baseline", *(f"{OWN}:{value}" for value in case["enum"]))


@probe(cases.rules_of_kind("header"), creates=_header_creates)
def test_documented_header_values_are_accepted(target: Target, case: Case):
    for value in case["enum"]:
        exchange = target.create(baseline(target), headers={case["header"]: value})
        expect_created(target, exchange, case.requirement, f"{case['header']}: {value} is accepted")
    exchange = baseline_create(target)  # sent without the header
    expect_created(
        target, exchange, case.requirement, f"without {case['header']} the default {case['default']!r} applies"
    )


@probe(cases.header_unknown_values, creates=none)
def test_undocumented_header_value_is_rejected(target: Target, case: Case):
    exchange = target.create(baseline(target), headers={case["header"]: case["undocumented"]})
    expect_rejected(target, exchange, case.requirement, f"{case['header']}: {case['undocumented']} is rejected")


def _file_create(target: Target, case: Case):
    """One create carrying the rule's file part, shared by the file-part rules of a field."""
    files = {case.field: (case["filename"], bytes.fromhex(case["content_hex"]), case["content_type"])}
    return target.shared_create(f"file:{case.field}", lambda: baseline(target), files=files)


def _file_creates(profile: Profile, case: Case) -> tuple:
    return (f"file:{case.field}",)


@probe(cases.rules_of_kind("file-part"), creates=_file_creates)
def test_optional_file_part_is_accepted(target: Target, case: Case):
    expect_created(
        target, _file_create(target, case), case.requirement, f"a create with a `{case.field}` file part succeeds"
    )


@probe(cases.rules_of_kind("file-part-referenced"), creates=_file_creates)
def test_uploaded_file_is_referenced_by_the_resource(target: Target, case: Case):
    exchange = _file_create(target, case)
    if not status_allowed(exchange.status, target.profile.success_statuses):
        raise CheckBlocked(_file_part_requirement(target, case), f"the create with a file part: {describe(exchange)}")
    resource = expect_created(target, exchange, case.requirement, f"a create with a `{case.field}` file part succeeds")
    if not value_at(resource, case["pointer"], missing=None):
        fail(target, case.requirement, case["title"], f"a non-empty {case['pointer']}", describe(exchange), exchange)


def _file_part_requirement(target: Target, case: Case) -> str:
    found = [
        rule["id"]
        for rule in target.profile.rules.values()
        if rule.get("kind") == "file-part" and rule.get("field") == case.field
    ]
    return found[0] if found else rid(target.profile, "response.success-status")


@probe(cases.rules_of_kind("null-on-create"), creates=shares("baseline"))
def test_field_is_null_on_a_new_resource(target: Target, case: Case):
    exchange = baseline_create(target)
    resource = expect_created(
        target, exchange, rid(target.profile, "response.success-status"), "a valid create succeeds"
    )
    try:
        value = resolve_pointer(resource, case["pointer"])
    except (KeyError, IndexError, ValueError, TypeError):
        # Absence is the resource field's finding; this rule was not checked.
        raise CheckBlocked(_presence_requirement(target, case["pointer"]), f"{case['pointer']} is absent") from None
    if value is not None:
        fail(target, case.requirement, case["title"], "null", repr(value), exchange)


def _presence_requirement(target: Target, pointer: str) -> str:
    """The catalog requirement that asks for the member at `pointer` to be present."""
    member = known(target.profile, f"response.{pointer.strip('/').split('/')[0]}")
    return member or rid(target.profile, "response.success-status")


@probe(cases.rules_of_kind("member-schema"), creates=shares("baseline"))
def test_envelope_member_is_shaped_as_documented(target: Target, case: Case):
    """A member of the success answer outside the resource (wacht-backend's data.membership)."""
    exchange = baseline_create(target)
    expect_created(target, exchange, rid(target.profile, "response.success-status"), "a valid create succeeds")
    value = value_at(exchange.json, case["pointer"])
    if value == ABSENT:
        fail(target, case.requirement, case["title"], f"{case['pointer']} present", "absent", exchange)
    validator = target.profile.validator("resource").evolve(schema=case["schema"])
    errors = sorted(validator.iter_errors(value), key=lambda e: list(e.absolute_path))
    if errors:
        where = "/" + "/".join(map(str, errors[0].absolute_path))
        fail(
            target,
            case.requirement,
            case["title"],
            "a value shaped as the page's example",
            f"at {case['pointer']}{where.rstrip('/')}: {errors[0].message}",
            exchange,
        )


@probe(cases.rules_of_kind("same-value"), creates=shares("baseline"))
def test_member_names_the_created_resource(target: Target, case: Case):
    """Two members that must agree (the membership's workspace_id and the workspace's id);
    an absent member is its own requirement's finding, not this one's."""
    exchange = baseline_create(target)
    expect_created(target, exchange, rid(target.profile, "response.success-status"), "a valid create succeeds")
    value, expected = value_at(exchange.json, case["pointer"]), value_at(exchange.json, case["equals"])
    if value == ABSENT or expected == ABSENT:  # not a pass: nothing was compared
        raise ProbeError(f"{case['pointer']} or {case['equals']} was not returned: nothing to compare")
    if value != expected:
        fail(
            target,
            case.requirement,
            case["title"],
            f"{expected!r} (the value at {case['equals']})",
            repr(value),
            exchange,
        )
