"""PASS means checked: the outcome rules, through the real client and the real probes, against
an in-process target (httpx.MockTransport) whose answers each test shapes. Fast: no server,
no subprocess, so the mutation tester can run these on every mutant."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import httpx
import pytest

from conformance.client.counters import Budget
from conformance.client.decoding import JSON_DEPTH_LIMIT, nesting_exceeds
from conformance.client.target import Target
from conformance.engine.cases import Case
from conformance.engine.runner import execute
from conformance.model.outcome import BLOCKED, ERROR, FAIL, NOT_RUN, PASS, SEVERITY, worst
from conformance.model.profile import load
from conformance.probes import test_01_create, test_05_provider_rules, test_06_robustness
from conformance.reports.summary import outcome_for, summarize

from .conftest import no_wait

PROFILE = load("anthropic")
K = PROFILE.key


def _workspace(body: dict) -> dict:
    return {
        "id": "wrkspc_01",
        "type": "workspace",
        "name": body.get("name", ""),
        "display_color": "#6C5BB9",
        "archived_at": None,
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z"),
    }


def _error(status: int, kind: str) -> httpx.Response:
    return httpx.Response(status, json={"type": "error", "error": {"type": kind, "message": "no"}})


class Answers:
    """A conformant anthropic target unless told otherwise: `change(resource)` edits each
    created workspace; `malformed`, `unknown`, `create` override those answers."""

    def __init__(self, change=None, malformed=None, unknown=None, create=None):
        self.change, self.malformed, self.unknown, self.create = change, malformed, unknown, create

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.headers.get("x-api-key") != "right":
            return _error(401, "authentication_error")
        try:
            body = json.loads(request.content)
        except ValueError:
            return self.malformed() if self.malformed else _error(400, "invalid_request_error")
        if set(body) - {"name"}:
            return self.unknown() if self.unknown else _error(400, "invalid_request_error")
        if self.create:
            return self.create()
        if not isinstance(body.get("name"), str) or not 1 <= len(body["name"]) <= 40:
            return _error(400, "invalid_request_error")
        resource = _workspace(body)
        if self.change:
            self.change(resource)
        return httpx.Response(200, json=resource)


def _run(probe, answers: Answers, requirement: str, **params) -> dict:
    target = Target(
        PROFILE,
        "http://target.test",
        "right",
        {},
        run_id="t",
        budget=Budget(50),
        transport=httpx.MockTransport(answers),
        sleep=no_wait,
    )
    try:
        return execute(probe, target, Case(requirement.removeprefix(K + "."), requirement, params=params)).to_dict()
    finally:
        target.close()


def test_a_check_that_held_passes():
    result = _run(
        test_01_create.test_created_at_is_the_time_of_the_create, Answers(), f"{K}.response.created-at-recent"
    )
    assert result["outcomes"][f"{K}.response.created-at-recent"] == PASS
    assert result["status"] == PASS


def test_missing_created_at_blocks_the_recency_check_instead_of_passing_it():
    result = _run(
        test_01_create.test_created_at_is_the_time_of_the_create,
        Answers(change=lambda r: r.pop("created_at")),
        f"{K}.response.created-at-recent",
    )
    assert result["outcomes"][f"{K}.response.created-at-recent"] == BLOCKED
    assert result["blocked_by"] == {f"{K}.response.created-at-recent": [f"{K}.response.created_at"]}
    assert result["status"] == BLOCKED and "created_at is absent" in result["message"]


def test_a_script_in_created_at_blocks_the_recency_check():
    result = _run(
        test_01_create.test_created_at_is_the_time_of_the_create,
        Answers(change=lambda r: r.update(created_at="<script>alert(1)</script>")),
        f"{K}.response.created-at-recent",
    )
    assert result["outcomes"][f"{K}.response.created-at-recent"] == BLOCKED


def test_a_script_in_display_color_fails_the_field():
    case = Case(
        "display_color",
        f"{K}.response.display_color",
        "display_color",
        {"schema": PROFILE.resource_schema["properties"]["display_color"]},
    )
    target = Target(
        PROFILE,
        "http://target.test",
        "right",
        {},
        run_id="t",
        budget=Budget(50),
        transport=httpx.MockTransport(Answers(change=lambda r: r.update(display_color="<script>"))),
        sleep=no_wait,
    )
    result = execute(test_01_create.test_resource_field_matches_documented_schema, target, case).to_dict()
    assert result["outcomes"][f"{K}.response.display_color"] == FAIL


def test_absent_pointer_blocks_the_null_on_create_rule():
    rule = dict(PROFILE.rules["archived_at_null"])
    result = _run(
        test_05_provider_rules.test_field_is_null_on_a_new_resource,
        Answers(change=lambda r: r.pop("archived_at")),
        rule["id"],
        **rule,
    )
    assert result["outcomes"][rule["id"]] == BLOCKED
    assert result["blocked_by"][rule["id"]] == [f"{K}.response.archived_at"]


def test_refused_valid_create_fails_success_status_and_blocks_the_field_checks():
    deep = "[" * 900 + "]" * 900
    answers = Answers(create=lambda: httpx.Response(400, content=deep, headers={"content-type": "application/json"}))
    status = _run(test_01_create.test_valid_create_answers_documented_status, answers, f"{K}.response.success-status")
    assert status["outcomes"][f"{K}.response.success-status"] == FAIL
    recent = _run(test_01_create.test_created_at_is_the_time_of_the_create, answers, f"{K}.response.created-at-recent")
    assert recent["outcomes"][f"{K}.response.created-at-recent"] == BLOCKED
    assert recent["blocked_by"][f"{K}.response.created-at-recent"] == [f"{K}.response.success-status"]
    # The deep body is judged as an error body that is not usable JSON, not swallowed.
    assert recent["outcomes"][f"{K}.error.body"] == FAIL


@pytest.mark.parametrize(
    "probe, requirement, hook",
    [
        (test_06_robustness.test_malformed_body_is_rejected, "robustness.malformed-body", "malformed"),
        (test_06_robustness.test_unknown_field_is_ignored_or_rejected, "request.unknown-fields", "unknown"),
    ],
)
def test_a_500_fails_the_probes_own_requirement_and_no_server_error(probe, requirement, hook):
    answers = Answers(**{hook: lambda: _error(500, "api_error")})
    result = _run(probe, answers, f"{K}.{requirement}")
    assert result["outcomes"][f"{K}.{requirement}"] == FAIL
    assert result["outcomes"][f"{K}.robustness.no-server-error"] == FAIL


def test_a_500_to_a_limit_probe_blocks_its_requirement_and_fails_no_server_error():
    """A 5xx says nothing about the limit: no-server-error takes the blame, max-length is not
    credited with a pass (nor with a failure it did not show)."""
    from conformance.probes import test_03_limits

    answers = Answers(create=lambda: _error(500, "api_error"))
    case = Case("name-41-ascii", f"{K}.name.max-length", "name", {"length": 41, "filler": "x", "label": "ascii"})
    target = Target(
        PROFILE,
        "http://target.test",
        "right",
        {},
        run_id="t",
        budget=Budget(50),
        transport=httpx.MockTransport(answers),
        sleep=no_wait,
    )
    result = execute(test_03_limits.test_length_above_maximum_is_rejected, target, case).to_dict()
    assert result["outcomes"][f"{K}.name.max-length"] == BLOCKED
    assert result["blocked_by"][f"{K}.name.max-length"] == [f"{K}.robustness.no-server-error"]
    assert result["outcomes"][f"{K}.robustness.no-server-error"] == FAIL


def test_a_crash_of_the_probe_is_an_error_never_a_pass():
    def broken_probe(target, case):
        raise KeyError("a bug of ours")

    result = _run(broken_probe, Answers(), f"{K}.response.success-status")
    assert result["outcomes"][f"{K}.response.success-status"] == ERROR
    assert result["status"] == ERROR


def test_nesting_limit_counts_only_brackets_outside_strings():
    assert not nesting_exceeds("[" * JSON_DEPTH_LIMIT + "]" * JSON_DEPTH_LIMIT, JSON_DEPTH_LIMIT)
    assert nesting_exceeds("[" * (JSON_DEPTH_LIMIT + 1) + "]" * (JSON_DEPTH_LIMIT + 1), JSON_DEPTH_LIMIT)
    assert not nesting_exceeds(json.dumps("[" * 500), JSON_DEPTH_LIMIT)
    assert nesting_exceeds('{"a\\"[": ' + "[" * 70 + "]" * 70 + "}", JSON_DEPTH_LIMIT)


# -- from probe outcomes to requirement outcomes and the run's verdict -------------------
def _result(rid: str, outcome: str, findings=(), blocked_by=()) -> dict:
    return {
        "nodeid": f"probe[{rid}]",
        "requirements": [rid],
        "status": FAIL if findings else outcome,
        "message": "",
        "findings": [
            {"requirement": r, "title": "", "expected": "", "observed": "", "exchange": None} for r in findings
        ],
        "observations": [],
        "exchanges": [],
        "outcomes": {rid: outcome, **{r: FAIL for r in findings}},
        "blocked_by": {rid: list(blocked_by)} if blocked_by else {},
    }


def _all_pass() -> list[dict]:
    from conformance.model.catalog import derive

    return [_result(r.id, PASS) for r in derive(PROFILE)]


def test_severity_orders_fail_error_blocked_not_run_pass():
    assert worst([PASS, NOT_RUN, BLOCKED, ERROR, FAIL]) == FAIL
    assert worst([PASS, BLOCKED, NOT_RUN]) == BLOCKED
    assert worst([PASS, ERROR, BLOCKED]) == ERROR
    assert worst([PASS, NOT_RUN]) == NOT_RUN
    assert worst([PASS, PASS]) == PASS
    assert worst([]) == NOT_RUN
    assert sorted(SEVERITY, key=SEVERITY.get) == [PASS, NOT_RUN, BLOCKED, ERROR, FAIL]


def test_a_finding_fails_the_requirement_whatever_the_recorded_outcome():
    result = _result(f"{K}.name.max-length", PASS)
    result["findings"] = [{"requirement": f"{K}.name.max-length"}]
    assert outcome_for(result, f"{K}.name.max-length") == FAIL
    assert outcome_for({"findings": [], "status": NOT_RUN}, f"{K}.x") == NOT_RUN


def test_every_requirement_passing_is_conformant():
    s = summarize(PROFILE, _all_pass())
    assert (s["verdict"], s["exit_status"]) == ("CONFORMANT", 0)
    assert s["summary"]["MUST"]["pass"] == s["summary"]["MUST"]["total"] > 0


def test_a_blocked_must_without_a_failing_gate_is_incomplete_not_conformant():
    results = _all_pass()
    rid = f"{K}.response.created_at"
    results = [r for r in results if rid not in r["requirements"]] + [_result(rid, BLOCKED, blocked_by=[f"{K}.x"])]
    s = summarize(PROFILE, results)
    assert (s["verdict"], s["exit_status"]) == ("INCOMPLETE", 7)
    row = next(r for r in s["requirements"] if r["id"] == rid)
    assert row["status"] == BLOCKED and row["blocked_by"] == [f"{K}.x"]
    assert s["summary"]["MUST"]["blocked"] == 1


def test_a_failing_must_makes_the_run_not_conformant_even_beside_blocked_ones():
    results = _all_pass()
    failing, blocked = f"{K}.response.success-status", f"{K}.response.created_at"
    results = [r for r in results if not {failing, blocked} & set(r["requirements"])]
    results += [_result(failing, FAIL, findings=[failing]), _result(blocked, BLOCKED, blocked_by=[failing])]
    s = summarize(PROFILE, results)
    assert (s["verdict"], s["exit_status"]) == ("NOT CONFORMANT", 1)


def test_one_blocked_case_keeps_a_requirement_from_passing():
    rid = f"{K}.name.max-length"
    results = [r for r in _all_pass() if rid not in r["requirements"]]
    results += [_result(rid, PASS), _result(rid, BLOCKED, blocked_by=[f"{K}.response.success-status"])]
    row = next(r for r in summarize(PROFILE, results)["requirements"] if r["id"] == rid)
    assert row["status"] == BLOCKED


def test_a_failing_should_does_not_gate_by_default_but_does_with_fail_on_should():
    rid = f"{K}.response.created-at-recent"
    results = [r for r in _all_pass() if rid not in r["requirements"]] + [_result(rid, FAIL, findings=[rid])]
    assert summarize(PROFILE, results)["verdict"] == "CONFORMANT"
    assert summarize(PROFILE, results, fail_on="should")["verdict"] == "NOT CONFORMANT"


@pytest.mark.parametrize(
    "covers, expected",
    [
        ((f"{K}.name.required", f"{K}.name.max-length"), None),  # explored and found another: no claim
        ((), BLOCKED),  # a probe of one requirement: blocked
    ],
)
def test_an_exploring_probe_makes_no_claim_on_the_requirements_it_did_not_reach(covers, expected):
    from conformance.model.outcome import ConformanceFailure, Finding

    def finds_max_length(target, case):
        raise ConformanceFailure([Finding(f"{K}.name.max-length", "too long accepted", "a 400", "a 200")])

    result = _run(finds_max_length, Answers(), f"{K}.name.required", covers=list(covers))
    assert result["outcomes"].get(f"{K}.name.required") == expected
    assert result["outcomes"][f"{K}.name.max-length"] == FAIL
    assert result["status"] == FAIL
