"""How execute() turns one probe run into outcomes (conformance/engine/runner.py), with small probes
written here against an in-process target: pass only when the probe's own check ran and held,
blocked when another requirement's failure came first, error or not-run when the suite could
not check. Fast, so the mutation tester runs these on every mutant (README "Mutation testing")."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from conformance.client.counters import Budget
from conformance.client.target import Target
from conformance.engine import runner
from conformance.engine.cases import Case
from conformance.engine.checks import fail
from conformance.engine.creates import none
from conformance.engine.runner import execute, prepare_probes, probe
from conformance.model.outcome import (
    BLOCKED,
    ERROR,
    FAIL,
    NOT_RUN,
    PASS,
    BudgetExhausted,
    CheckBlocked,
    DryRun,
    ProbeError,
    TargetUnreachable,
)
from conformance.model.profile import load
from conformance.registry import Registry, full_name

from .conftest import no_wait

PROFILE = load("anthropic")
K = PROFILE.key
OWN = f"{K}.name.echoed"
SERVER_ERROR = f"{K}.robustness.no-server-error"
ENCODING = f"{K}.response.encoding"
ERROR_BODY = f"{K}.error.body"
TYPE_MATCHES = f"{K}.error.type-matches-status"
CASE = Case("echoed", OWN)
SECRET = "sk-unit-SECRET"


def _answers(request: httpx.Request) -> httpx.Response:
    """An anthropic target that answers as the name asks: `status 500` gets a 500 (with a valid
    anthropic error body), `id X` a workspace with that id, anything else a workspace."""
    name = json.loads(request.content)["name"]
    if name.startswith("status "):
        return httpx.Response(
            int(name.split()[1]), json={"type": "error", "error": {"type": "api_error", "message": "m"}}
        )
    workspace_id = name.split()[1] if name.startswith("id ") else "wrkspc_1"
    return httpx.Response(200, json={"id": workspace_id, "type": "workspace", "name": name})


@pytest.fixture
def target():
    made = Target(
        PROFILE,
        "http://target.test",
        SECRET,
        {},
        run_id="t",
        budget=Budget(20),
        transport=httpx.MockTransport(_answers),
        sleep=no_wait,
    )
    yield made
    made.close()


# -- registering and preparing probes --------------------------------------------------------
def test_probe_registers_the_function_with_its_cases_and_prepare(monkeypatch):
    monkeypatch.setattr(runner, "REGISTRY", Registry("probe"))

    def cases(profile):
        return []

    def prepare(profile):
        return None

    @probe(cases, prepare=prepare, creates=none)
    def test_something(target, case):
        return None

    assert test_something.conformance_cases is cases and test_something.conformance_prepare is prepare
    assert dict(runner.REGISTRY.items()) == {
        f"{__name__}:{test_something.__qualname__}": runner.ProbeSpec("test_something", test_something, cases, __name__)
    }


def test_each_distinct_prepare_runs_once_with_the_profile_and_its_error_waits_for_the_probe():
    calls = []

    def shared(profile):
        calls.append(("shared", profile.key))

    def broken(profile):
        calls.append(("broken", profile.key))
        raise RuntimeError("the probe reports this when it runs")

    def own(profile):
        calls.append(("own", profile.key))

    def with_prepare(prepare):
        def function(target, case):
            return None

        function.conformance_prepare = prepare
        return function

    functions = [
        with_prepare(shared),
        with_prepare(broken),
        with_prepare(None),
        with_prepare(shared),
        lambda target, case: None,
        with_prepare(own),
    ]
    prepare_probes(functions, PROFILE)
    assert calls == [("shared", "anthropic"), ("broken", "anthropic"), ("own", "anthropic")]


# -- pass ------------------------------------------------------------------------------------
def test_a_probe_that_returned_passes_its_requirement_and_every_answer_judged(target):
    def check(target, case):
        target.create({"name": "n"})
        target.observe(case.requirement, "chose 200")
        time.sleep(0.02)

    before = time.perf_counter()
    result = execute(check, target, CASE)
    elapsed = time.perf_counter() - before
    assert result.nodeid == "check[echoed]" and result.probe == "check" and result.case == "echoed"
    assert result.status == PASS and result.message == "" and result.unreachable == ""
    assert result.outcomes == {OWN: PASS, ENCODING: PASS, SERVER_ERROR: PASS}
    assert result.requirements == [OWN, ENCODING, SERVER_ERROR]
    assert result.findings == [] and result.blocked_by == {}
    assert result.observations == [{"requirement": OWN, "text": "chose 200"}]
    assert [e["response"]["status"] for e in result.exchanges] == [200]
    assert 0.02 <= result.duration <= elapsed


def test_a_given_node_id_names_the_result(target):
    assert execute(lambda target, case: None, target, CASE, "tests/x.py::test_y[1]").nodeid == "tests/x.py::test_y[1]"


def test_the_result_lists_only_the_workspaces_this_probe_created(target):
    target.created.append("made-by-an-earlier-probe")

    def check(target, case):
        target.create({"name": "id wrkspc_9"})

    assert execute(check, target, CASE).created == ["wrkspc_9"]


def test_a_shared_answer_is_judged_by_the_probe_that_made_it_not_by_each_reader(target):
    def check(target, case):
        answer = target.create({"name": "status 500"})
        answer.shared = True

    result = execute(check, target, CASE)
    assert result.outcomes == {OWN: PASS} and result.findings == []


# -- fail and blocked ----------------------------------------------------------------------
def test_a_failure_of_the_probes_own_requirement_fails_it_and_blocks_nothing(target):
    def check(target, case):
        answer = target.create({"name": "n"})
        fail(target, case.requirement, "the name is echoed", "'n'", f"'{SECRET}'", answer)

    result = execute(check, target, CASE)
    assert result.status == FAIL and result.outcomes == {OWN: FAIL, ENCODING: PASS, SERVER_ERROR: PASS}
    assert result.blocked_by == {}
    assert result.message == f"[{OWN}] the name is echoed: expected 'n'; observed '$CONFORMANCE_CREDENTIAL'"
    assert result.findings == [
        {"requirement": OWN, "title": "the name is echoed", "expected": "'n'", "observed": f"'{SECRET}'", "exchange": 0}
    ]


def test_a_failure_of_other_requirements_first_blocks_the_probes_own(target):
    others = [f"{K}.response.success-status", f"{K}.response.content-type"]

    def check(target, case):
        from conformance.model.outcome import ConformanceFailure, Finding

        raise ConformanceFailure(
            [
                Finding(others[0], "t1", "e1", "o1"),
                Finding(others[1], "t2", "e2", "o2"),
                Finding(others[0], "t3", "e3", "o3"),
            ]
        )

    result = execute(check, target, CASE)
    assert result.outcomes == {OWN: BLOCKED, others[0]: FAIL, others[1]: FAIL}
    assert result.status == FAIL
    assert result.blocked_by == {OWN: others}
    assert result.message == "\n".join(
        [
            f"[{others[0]}] t1: expected e1; observed o1",
            f"[{others[1]}] t2: expected e2; observed o2",
            f"[{others[0]}] t3: expected e3; observed o3",
            f"[{OWN}] not checked: blocked by {others[0]}, {others[1]}",
        ]
    )


def test_a_probe_that_could_not_check_says_what_blocked_it(target):
    def check(target, case):
        raise CheckBlocked([f"{K}.response.created_at"], "created_at is absent")

    result = execute(check, target, CASE)
    assert result.status == BLOCKED and result.outcomes == {OWN: BLOCKED}
    assert result.blocked_by == {OWN: [f"{K}.response.created_at"]}
    assert result.message == f"[{OWN}] blocked by {K}.response.created_at: created_at is absent"


def test_a_passive_finding_beside_a_held_check_fails_only_its_own_requirement(target):
    def check(target, case):
        target.create({"name": "status 500"})

    result = execute(check, target, CASE)
    assert result.outcomes == {OWN: PASS, ENCODING: PASS, SERVER_ERROR: FAIL}
    assert result.status == FAIL and result.blocked_by == {}
    assert result.message.startswith(f"[{SERVER_ERROR}] no request is answered with a 5xx: expected")
    assert "not checked" not in result.message


def test_a_rejection_judged_by_the_passive_checks_passes_what_held(target):
    def check(target, case):
        target.create({"name": "status 500"})
        target.create({"name": "status 400"})

    result = execute(check, target, CASE)
    # The 400 carries a valid error body whose type does not match 400: each judged on its own.
    assert result.outcomes == {OWN: PASS, ERROR_BODY: PASS, TYPE_MATCHES: FAIL, ENCODING: PASS, SERVER_ERROR: FAIL}
    assert result.requirements == [OWN, ERROR_BODY, TYPE_MATCHES, ENCODING, SERVER_ERROR]


# -- error and not-run ---------------------------------------------------------------------
def test_an_unreachable_target_is_an_error_with_the_reason_kept_and_redacted(target):
    def check(target, case):
        raise TargetUnreachable(f"refused at {SECRET}")

    result = execute(check, target, CASE)
    assert result.status == ERROR and result.outcomes == {OWN: ERROR}
    assert result.unreachable == result.message == "could not reach the target: refused at $CONFORMANCE_CREDENTIAL"


@pytest.mark.parametrize(
    "problem, outcome",
    [
        (ProbeError("a precondition did not hold"), ERROR),
        (BudgetExhausted("--max-requests reached"), NOT_RUN),
        (DryRun("listed, not sent"), NOT_RUN),
    ],
)
def test_a_check_the_suite_could_not_make_takes_the_problems_outcome(target, problem, outcome):
    def check(target, case):
        raise problem

    result = execute(check, target, CASE)
    assert (result.status, result.outcomes, result.message) == (outcome, {OWN: outcome}, str(problem))
    assert result.unreachable == "" and result.blocked_by == {}


def test_a_crash_is_an_error_naming_the_exception(target):
    def check(target, case):
        raise KeyError("created_at")

    result = execute(check, target, CASE)
    assert (result.status, result.outcomes) == (ERROR, {OWN: ERROR})
    assert result.message == "the suite could not check this (KeyError: 'created_at')"


def test_a_crash_while_judging_the_answers_keeps_a_held_check_from_passing(target, monkeypatch):
    def judging_crashes(*args):
        raise RuntimeError("bug")

    monkeypatch.setattr(runner, "passive_findings", judging_crashes)

    def check(target, case):
        target.create({"name": "n"})

    result = execute(check, target, CASE)
    assert (result.status, result.outcomes) == (ERROR, {OWN: ERROR})
    assert result.message == "the suite could not judge the answers (RuntimeError: bug)"

    def blocked(target, case):
        raise CheckBlocked("x", "y")

    result = execute(blocked, target, CASE)
    assert (result.status, result.outcomes, result.blocked_by) == (BLOCKED, {OWN: BLOCKED}, {OWN: ["x"]})


# -- requirement ids: only the catalog's ------------------------------------------------------
def test_rid_names_a_catalog_requirement_and_refuses_any_other():
    from conformance.model.catalog import UnknownRequirement, known, rid

    assert rid(PROFILE, "name.echoed") == OWN
    assert known(PROFILE, "envelope.status") is None  # anthropic has no envelope
    with pytest.raises(UnknownRequirement, match=r"anthropic\.name\.echoedd is not a requirement"):
        rid(PROFILE, "name.echoedd")


def test_a_probe_naming_an_id_outside_the_catalog_is_an_error_not_a_new_requirement(target):
    def test_typo(target, case):
        fail(target, f"{K}.name.echoedd", "a typo", "x", "y")

    result = execute(test_typo, target, CASE)
    assert result.status == ERROR
    assert result.outcomes == {OWN: ERROR}
    assert f"{K}.name.echoedd" not in result.requirements
    assert "does not hold: anthropic.name.echoedd" in result.message


def test_a_stray_id_beside_a_real_finding_keeps_the_finding(target):
    from conformance.model.outcome import ConformanceFailure, Finding

    def test_typo_and_breach(target, case):
        raise ConformanceFailure(
            [Finding(SERVER_ERROR, "no 5xx", "a 4xx", "HTTP 500"), Finding(f"{K}.name.echoedd", "a typo", "x", "y")]
        )

    result = execute(test_typo_and_breach, target, CASE)
    assert result.outcomes == {OWN: ERROR, SERVER_ERROR: FAIL}
    assert result.status == FAIL and [f["requirement"] for f in result.findings] == [SERVER_ERROR]
    assert "does not hold: anthropic.name.echoedd" in result.message and "HTTP 500" in result.message


# -- what the first measurement under --max-children 1 showed was not yet checked -------------------
def test_probe_records_what_a_case_creates_and_no_prepare_by_default(monkeypatch):
    monkeypatch.setattr(runner, "REGISTRY", Registry("probe"))

    def cases(profile):
        return []

    @probe(cases, creates=none)
    def test_plain(target, case):
        return None

    assert test_plain.conformance_creates is none and test_plain.conformance_prepare is None


def test_a_case_the_workspace_budget_left_out_is_not_run_and_says_which_budget(target):
    from conformance.engine.creates import CreatePlan

    sent = []

    def check(target, case):
        sent.append(case.id)

    target.create_plan = CreatePlan(3, left_out={f"{full_name(check)}[echoed]"})

    result = execute(check, target, CASE)
    assert sent == [] and result.exchanges == []
    assert (result.status, result.outcomes) == (NOT_RUN, {OWN: NOT_RUN})
    assert result.message == "left out: its creates do not fit --conformance-max-creates 3"
    assert execute(check, target, Case("other", OWN)).status == PASS and sent == ["other"]


def test_a_failure_of_the_probes_own_requirement_lists_it_first(target):
    def check(target, case):
        answer = target.create({"name": "n"})
        fail(target, case.requirement, "the name is echoed", "'n'", "'m'", answer)

    assert execute(check, target, CASE).requirements == [OWN, ENCODING, SERVER_ERROR]


def test_an_exploring_probe_that_found_exactly_the_requirements_it_covers_claims_nothing_on_its_own(target):
    others = [f"{K}.name.max-length", f"{K}.name.min-length"]

    def explore(target, case):
        from conformance.model.outcome import ConformanceFailure, Finding

        raise ConformanceFailure([Finding(rid, "t", "e", "o") for rid in others])

    result = execute(explore, target, Case("explore", OWN, params={"covers": others}))
    assert result.outcomes == {others[0]: FAIL, others[1]: FAIL} and OWN not in result.requirements
    assert result.blocked_by == {}
    wider = execute(explore, target, Case("explore", OWN, params={"covers": [*others, f"{K}.name.type"]}))
    assert OWN not in wider.outcomes
    narrower = execute(explore, target, Case("explore", OWN, params={"covers": others[:1]}))
    assert narrower.outcomes[OWN] == BLOCKED and narrower.blocked_by == {OWN: others}


def test_a_case_without_params_is_judged_like_one_that_covers_nothing(target):
    from types import SimpleNamespace

    def finds_another(target, case):
        from conformance.model.outcome import ConformanceFailure, Finding

        raise ConformanceFailure([Finding(SERVER_ERROR, "t", "e", "o")])

    result = execute(finds_another, target, SimpleNamespace(id="bare", requirement=OWN))
    assert result.outcomes == {OWN: BLOCKED, SERVER_ERROR: FAIL} and result.blocked_by == {OWN: [SERVER_ERROR]}


def test_a_crash_keeps_its_traceback_for_the_bug_report_and_a_held_check_has_none(target, monkeypatch):
    def check(target, case):
        raise KeyError(f"created_at {SECRET}")

    result = execute(check, target, CASE)
    assert result.traceback.startswith("Traceback (most recent call last):")
    assert "KeyError: 'created_at $CONFORMANCE_CREDENTIAL'" in result.traceback and SECRET not in result.traceback
    assert execute(lambda target, case: None, target, CASE).traceback == ""

    def judging_crashes(*args):
        raise RuntimeError(f"bug near {SECRET}")

    monkeypatch.setattr(runner, "passive_findings", judging_crashes)
    judged = execute(lambda target, case: None, target, CASE)
    assert "RuntimeError: bug near $CONFORMANCE_CREDENTIAL" in judged.traceback and SECRET not in judged.traceback


def test_a_failure_of_the_probes_own_requirement_stays_failed_beside_a_stray_id(target):
    from conformance.model.outcome import ConformanceFailure, Finding

    def test_breach_and_typo(target, case):
        raise ConformanceFailure(
            [Finding(OWN, "echoed", "'n'", "'m'"), Finding(f"{K}.name.echoedd", "a typo", "x", "y")]
        )

    result = execute(test_breach_and_typo, target, CASE)
    assert result.outcomes == {OWN: FAIL} and result.status == FAIL


def test_a_case_whose_own_requirement_is_not_in_the_catalog_records_no_outcome_for_it(target):
    stray = f"{K}.name.echoedd"
    result = execute(lambda target, case: None, target, Case("typo", stray))
    assert stray not in result.outcomes and stray not in result.requirements
    assert result.status == ERROR
    assert result.message == f"the suite named requirements the {K} catalog does not hold: {stray}"


def test_every_stray_id_is_named_once_in_the_message(target):
    from conformance.model.outcome import ConformanceFailure, Finding

    strays = [f"{K}.name.echoedd", f"{K}.name.typo"]

    def test_typos(target, case):
        raise ConformanceFailure([Finding(rid, "a typo", "x", "y") for rid in strays])

    result = execute(test_typos, target, CASE)
    assert result.message == f"the suite named requirements the {K} catalog does not hold: {strays[0]}, {strays[1]}"
    assert result.outcomes == {OWN: ERROR}


# -- issue 22: a 5xx met by a generated probe, a target gone, a run that stopped waiting --------
def test_a_generated_body_answered_500_is_a_finding_of_no_server_error_not_a_crash(target):
    from hypothesis import strategies as st

    from conformance.engine.checks import expect_created
    from conformance.engine.generated_run import GeneratedRun

    def judge(run, body):  # as judge_valid does: a 5xx blocks the check (CheckBlocked)
        expect_created(run.target, run.send(body), case.requirement, "a valid body is accepted")

    def check(target, case):
        GeneratedRun(target, st.just({"name": "status 500"}), judge, "valid bodies").run()

    case = Case("valid", f"{K}.request.valid-accepted")

    result = execute(check, target, case)
    assert result.traceback == "" and result.status == FAIL
    assert result.outcomes[SERVER_ERROR] == FAIL
    assert result.outcomes[f"{K}.request.valid-accepted"] == BLOCKED
    finding = next(f for f in result.findings if f["requirement"] == SERVER_ERROR)
    assert (
        finding["observed"].startswith("HTTP 500")
        and result.exchanges[finding["exchange"]]["response"]["status"] == 500
    )


def test_a_target_gone_after_a_request_is_an_error_with_its_own_reason(target):
    from conformance.model.outcome import TargetWentAway

    def check(target, case):
        raise TargetWentAway("the target went away after POST http://target.test/v1/organizations/workspaces")

    result = execute(check, target, CASE)
    assert result.status == ERROR
    assert (
        result.unreachable
        == result.message
        == "the target went away after POST http://target.test/v1/organizations/workspaces"
    )


@pytest.mark.parametrize("first, outcome", [(True, ERROR), (False, NOT_RUN)])
def test_a_run_that_stopped_waiting_says_why_in_the_result(target, first, outcome):
    from conformance.model.outcome import WaitSpent

    def check(target, case):
        raise WaitSpent(
            "the target kept answering 429 (Retry-After 9); the run stopped after waiting 30 s in all", first
        )

    result = execute(check, target, CASE)
    sentence = "the target kept answering 429 (Retry-After 9); the run stopped after waiting 30 s in all"
    assert (result.status, result.unreachable) == (outcome, "")
    assert result.stopped == result.message == sentence


def test_a_probe_that_ran_to_its_end_says_it_was_not_stopped_and_not_blocked(target):
    def check(target, case):
        target.create({"name": "id a"})

    result = execute(check, target, CASE)
    assert (result.status, result.stopped, result.blocked_by) == (PASS, "", {})


def test_the_wait_budget_stops_the_sending_once_a_wait_does_not_fit(tmp_path):
    from conformance.client.counters import WaitBudget
    from conformance.model.outcome import WaitSpent

    shared = tmp_path / "waits"
    shared.write_text("")
    one, other = WaitBudget(3, str(shared)), WaitBudget(3, str(shared))  # two xdist workers
    assert one.take(2) == (True, 2.0)
    assert other.take(2) == (False, 2.0)  # run-wide: 2 + 2 > 3
    with pytest.raises(WaitSpent) as spent:
        one.check()  # nothing more is sent, in any worker
    assert spent.value.verdict == NOT_RUN
    alone = WaitBudget(0)
    assert alone.take(0.5) == (False, 0)


def test_transient_server_errors_are_counted_over_every_probes_exchanges(target):
    def check(target, case):
        target.create({"name": "id a"})

    results = [execute(check, target, CASE, f"p{i}").to_dict() for i in range(3)]
    assert [r["status"] for r in runner.run_wide_results(PROFILE, results)] == [PASS]
    results[1]["exchanges"][0]["retried_statuses"] = [500, 529]
    results[2]["exchanges"][0]["retried_statuses"] = [500]
    [judged] = runner.run_wide_results(PROFILE, results)
    assert judged["status"] == FAIL and judged["requirements"] == [f"{K}.robustness.transient-server-errors"]
    assert judged["findings"][0]["observed"] == "answered 500 to 2 and 529 to 1 of 3 requests; each succeeded on retry"
    assert runner.run_wide_results(load("orgo"), results) == []  # orgo documents no passing status


def _answered(status: int, retried=None, note: str = "") -> dict:
    """An exchange as ProbeResult.to_dict() keeps it: answered STATUS after retries of RETRIED."""
    exchange = {"note": note, "response": {"status": status}, "error": ""}
    if retried is not None:
        exchange["retried_statuses"] = retried
    return exchange


def test_the_run_wide_judgement_is_one_whole_result_naming_the_first_hidden_5xx():
    transient = f"{K}.robustness.transient-server-errors"
    first, second = _answered(201, [503, 500, 500], note="a note"), _answered(201, [529])
    results = [
        {"exchanges": [_answered(201), first]},
        {"exchanges": [second, _answered(400, [429])]},
        {"exchanges": [{**_answered(201, [500]), "note": "x (sent once, by its probe; shown again here)"}]},
        {"exchanges": [{"note": "", "response": None, "error": ""}]},  # never sent: not counted
        {"exchanges": [{"note": "", "response": None, "error": "the connection was refused"}]},  # sent
    ]
    [judged] = runner.run_wide_results(PROFILE, results)
    observed = "answered 500 to 1 and 503 to 1 and 529 to 1 of 5 requests; each succeeded on retry"
    title = "a create is not answered with a passing 5xx that succeeds on retry"
    assert judged == {
        **judged,
        "nodeid": runner.RUN_WIDE_NODEID,
        "probe": "transient_server_errors",
        "case": "run",
        "requirements": [transient],
        "status": FAIL,
        "message": f"[{transient}] {title}: expected an answer at the first sending; observed {observed}",
        "outcomes": {transient: FAIL},
        "run_wide": True,
    }
    [finding] = judged["findings"]
    assert (finding["requirement"], finding["title"], finding["observed"]) == (transient, title, observed)
    assert finding["expected"] == "an answer at the first sending" and finding["exchange"] == 0
    assert judged["exchanges"] == [{**first, "note": "a note (sent once, by its probe; shown again here)"}]


def test_only_a_final_answer_under_500_after_a_retried_5xx_is_a_hidden_one():
    transient = f"{K}.robustness.transient-server-errors"
    for final, retried in ((500, [500]), (502, [503]), (201, [499, 429]), (201, []), (201, None)):
        [judged] = runner.run_wide_results(PROFILE, [{"exchanges": [_answered(final, retried)]}])
        assert (judged["status"], judged["message"], judged["findings"]) == (PASS, "", []), (final, retried)
        assert judged["outcomes"] == {transient: PASS} and judged["exchanges"] == []
        assert (judged["nodeid"], judged["probe"], judged["case"]) == (
            runner.RUN_WIDE_NODEID,
            "transient_server_errors",
            "run",
        )
    [judged] = runner.run_wide_results(PROFILE, [{"exchanges": [_answered(499, [500])]}])
    assert judged["status"] == FAIL
    assert judged["exchanges"][0]["note"] == "(sent once, by its probe; shown again here)"  # no leading space
    sent_once = {**_answered(201, [500]), "note": "(sent once, by its probe; shown again here)"}
    assert runner.run_wide_results(PROFILE, [{"exchanges": [sent_once]}]) == []  # nothing of its own: not run


def test_a_conformance_failure_without_findings_is_a_bug_of_the_probe_named_as_such(target):
    from conformance.model.outcome import ConformanceFailure

    def empty_handed(target, case):
        raise ConformanceFailure([])

    with pytest.raises(RuntimeError, match=r"^empty_handed\[echoed\] raised a ConformanceFailure without findings$"):
        execute(empty_handed, target, CASE)
