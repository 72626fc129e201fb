"""From probe results to requirement rows, the run's summary and its one-line verdict, with
hand-made results: what each report field says, exactly. Fast and in-process, so the
mutation tester runs these on every mutant (README "Mutation testing")."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from conformance import exitcodes
from conformance.model.catalog import derive
from conformance.model.outcome import (
    BLOCKED,
    ERROR,
    FAIL,
    NOT_RUN,
    PASS,
    CheckBlocked,
    ConformanceFailure,
    Finding,
    Observation,
    ProbeResult,
    WaitSpent,
)
from conformance.model.profile import load
from conformance.model.verdict import gating_levels
from conformance.reports.summary import (
    FORMAT,
    one_line,
    outcome_for,
    requirement_verdicts,
    summarize,
    write_atomically,
    write_json,
)

PROFILE = load("anthropic")
K = PROFILE.key
CATALOG = derive(PROFILE)


def _finding(rid: str, exchange: int | None = None, observed: str = "seen") -> dict:
    return {
        "requirement": rid,
        "title": f"title of {rid}",
        "expected": "wanted",
        "observed": observed,
        "exchange": exchange,
    }


def _result(
    nodeid: str,
    outcomes: dict[str, str],
    *,
    findings=(),
    exchanges=(),
    observations=(),
    blocked_by=None,
    message: str = "",
    status: str | None = None,
    **extra,
) -> dict:
    worst_first = [FAIL, ERROR, BLOCKED, NOT_RUN, PASS]
    return {
        "nodeid": nodeid,
        "requirements": list(outcomes),
        "outcomes": dict(outcomes),
        "status": status or min(outcomes.values(), key=worst_first.index),
        "message": message,
        "findings": list(findings),
        "exchanges": list(exchanges),
        "observations": list(observations),
        "blocked_by": blocked_by or {},
        **extra,
    }


def _passing_except(*rids: str) -> list[dict]:
    return [_result(f"p[{r.id}]", {r.id: PASS}) for r in CATALOG if r.id not in rids]


def _row(rows: list[dict], rid: str) -> dict:
    (row,) = [r for r in rows if r["id"] == rid]
    return row


# -- model/outcome.py: the pieces a probe raises and returns -----------------------------------
def test_the_wait_spent_is_an_error_for_the_request_it_stopped_and_not_run_for_later_probes():
    stopped, later = WaitSpent("the wait is spent"), WaitSpent("the wait is spent", first=False)
    assert stopped.first is True and (stopped.verdict, str(stopped)) == (ERROR, "the wait is spent")
    assert later.first is False and (later.verdict, str(later)) == (NOT_RUN, "the wait is spent")


def test_a_finding_serialises_every_field_under_its_report_name():
    finding = Finding("r.id", "a title", "what was wanted", "what was seen", 3)
    assert finding.to_dict() == {
        "requirement": "r.id",
        "title": "a title",
        "expected": "what was wanted",
        "observed": "what was seen",
        "exchange": 3,
    }


def test_a_conformance_failure_says_each_finding_on_its_own_line():
    findings = [Finding("a", "first", "x", "y"), Finding("b", "second", "1", "2", 0)]
    failure = ConformanceFailure(findings)
    assert failure.findings == findings and failure.findings is not findings
    assert str(failure) == "[a] first: expected x; observed y\n[b] second: expected 1; observed 2"


def test_check_blocked_names_every_blocking_requirement_and_what_was_seen():
    one = CheckBlocked("k.response.created_at", "created_at is absent")
    assert one.by == ["k.response.created_at"] and one.observed == "created_at is absent"
    assert str(one) == "blocked by k.response.created_at: created_at is absent"
    two = CheckBlocked(("k.a", "k.b"), "HTTP 400")
    assert two.by == ["k.a", "k.b"]
    assert str(two) == "blocked by k.a, k.b: HTTP 400"
    assert two.verdict == BLOCKED


def test_an_observation_serialises_its_requirement_and_text():
    assert Observation("k.auth", "rejected with HTTP 403").to_dict() == {
        "requirement": "k.auth",
        "text": "rejected with HTTP 403",
    }


def test_a_probe_result_serialises_to_a_copy_of_its_fields():
    result = ProbeResult("node", "probe", "case", ["k.a"], PASS, outcomes={"k.a": PASS})
    as_dict = result.to_dict()
    assert as_dict["nodeid"] == "node" and as_dict["outcomes"] == {"k.a": PASS} and as_dict["blocked_by"] == {}
    as_dict["status"] = FAIL
    assert result.status == PASS


# -- gating and per-probe outcomes -----------------------------------------------------
def test_fail_on_should_gates_should_requirements_too():
    assert gating_levels("must") == {"MUST"}
    assert gating_levels("should") == {"MUST", "SHOULD"}


def test_a_probes_recorded_outcome_for_a_requirement_is_used_over_its_overall_status():
    # The probe's own check held; a passive check failed another requirement on its exchange.
    result = _result(
        "p",
        {f"{K}.name.echoed": PASS, f"{K}.robustness.no-server-error": FAIL},
        findings=[_finding(f"{K}.robustness.no-server-error")],
        status=FAIL,
    )
    assert outcome_for(result, f"{K}.name.echoed") == PASS
    assert outcome_for(result, f"{K}.robustness.no-server-error") == FAIL


def test_a_result_without_recorded_outcomes_counts_as_its_status():
    assert outcome_for({"findings": [], "status": ERROR}, f"{K}.name.echoed") == ERROR


# -- requirement rows ----------------------------------------------------------------------
def test_no_results_leave_every_catalog_requirement_not_run():
    rows = requirement_verdicts(PROFILE, [])
    assert [r["id"] for r in rows] == [r.id for r in CATALOG]
    assert {r["status"] for r in rows} == {NOT_RUN}
    assert all(
        r["probes"] == [] and r["findings"] == [] and r["blocked_by"] == [] and r["observations"] == [] for r in rows
    )


def test_a_row_carries_its_catalog_entry_probes_findings_evidence_and_observations():
    rid, other = f"{K}.name.max-length", f"{K}.robustness.no-server-error"
    exchanges = [{"request": "first"}, {"request": "second"}]
    failing = _result(
        "fail[1]",
        {rid: FAIL, other: FAIL},
        message="[name.max-length] too long",
        findings=[
            _finding(rid, exchange=1),
            _finding(other, exchange=0),
            _finding(rid, exchange=None, observed="no exchange"),
            _finding(rid, exchange=2, observed="index past the transcript"),
        ],
        exchanges=exchanges,
        observations=[
            {"requirement": rid, "text": "b: rejected with HTTP 400"},
            {"requirement": other, "text": "not this requirement's"},
        ],
    )
    passing = _result(
        "pass[1]",
        {rid: PASS},
        message="a message a pass does not show",
        observations=[{"requirement": rid, "text": "a: said twice"}, {"requirement": rid, "text": "a: said twice"}],
    )
    blocked = _result(
        "blocked[1]", {rid: BLOCKED}, message="[name.max-length] blocked by x", blocked_by={rid: [f"{K}.z", f"{K}.x"]}
    )
    also_blocked = _result("blocked[2]", {rid: BLOCKED}, blocked_by={rid: [f"{K}.x"]})
    rows = requirement_verdicts(PROFILE, [*_passing_except(rid, other), failing, passing, blocked, also_blocked])
    catalog_entry = next(r for r in CATALOG if r.id == rid).to_dict()
    assert _row(rows, rid) == {
        **catalog_entry,
        "status": FAIL,
        "probes": [
            {"nodeid": "fail[1]", "status": FAIL, "message": "[name.max-length] too long"},
            {"nodeid": "pass[1]", "status": PASS, "message": ""},
            {"nodeid": "blocked[1]", "status": BLOCKED, "message": "[name.max-length] blocked by x"},
            {"nodeid": "blocked[2]", "status": BLOCKED, "message": ""},
        ],
        "blocked_by": [f"{K}.x", f"{K}.z"],
        "findings": [
            {**_finding(rid, exchange=1), "probe": "fail[1]", "evidence": {"request": "second"}},
            {**_finding(rid, exchange=None, observed="no exchange"), "probe": "fail[1]", "evidence": None},
            {**_finding(rid, exchange=2, observed="index past the transcript"), "probe": "fail[1]", "evidence": None},
        ],
        "observations": ["a: said twice", "b: rejected with HTTP 400"],
    }
    assert _row(rows, other)["findings"] == [
        {**_finding(other, exchange=0), "probe": "fail[1]", "evidence": {"request": "first"}}
    ]
    assert _row(rows, other)["observations"] == ["not this requirement's"]


def test_a_requirement_blocked_by_a_probe_that_failed_elsewhere_is_blocked_not_failed():
    rid, blocker = f"{K}.response.created-at-recent", f"{K}.response.success-status"
    result = _result(
        "recent", {rid: BLOCKED, blocker: FAIL}, findings=[_finding(blocker)], status=FAIL, blocked_by={rid: [blocker]}
    )
    rows = requirement_verdicts(PROFILE, [*_passing_except(rid, blocker), result])
    assert _row(rows, rid)["status"] == BLOCKED and _row(rows, rid)["blocked_by"] == [blocker]
    assert _row(rows, rid)["findings"] == []
    assert _row(rows, blocker)["status"] == FAIL


def test_a_users_own_requirement_gets_a_row_from_its_first_probes_declaration():
    declared = _result(
        "tests/test_mine.py::test_a", {"mine.limit": PASS}, custom={"level": "SHOULD", "title": "my own limit"}
    )
    again = _result(
        "tests/test_mine.py::test_b",
        {"mine.limit": FAIL},
        findings=[_finding("mine.limit")],
        message="[mine.limit] broken",
    )
    bare = _result("tests/test_mine.py::test_c", {"mine.bare": PASS})
    rows = requirement_verdicts(PROFILE, [declared, again, bare])
    assert _row(rows, "mine.limit") == {
        "id": "mine.limit",
        "level": "SHOULD",
        "title": "my own limit",
        "area": "custom",
        "source": {
            "kind": "user",
            "document": "user probe",
            "quote": "",
            "reading": "declared by tests/test_mine.py::test_a",
        },
        "tier": "",
        "status": FAIL,
        "probes": [
            {"nodeid": "tests/test_mine.py::test_a", "status": PASS, "message": ""},
            {"nodeid": "tests/test_mine.py::test_b", "status": FAIL, "message": "[mine.limit] broken"},
        ],
        "blocked_by": [],
        "findings": [{**_finding("mine.limit"), "probe": "tests/test_mine.py::test_b", "evidence": None}],
        "observations": [],
    }
    bare_row = _row(rows, "mine.bare")
    assert (bare_row["level"], bare_row["title"], bare_row["area"], bare_row["status"]) == (
        "MUST",
        "mine.bare",
        "custom",
        PASS,
    )


def test_a_custom_declaration_on_a_later_probe_only_is_not_read():
    first = _result("t::first", {"mine.x": PASS})
    later = _result("t::later", {"mine.x": PASS}, custom={"level": "SHOULD", "title": "late"})
    row = _row(requirement_verdicts(PROFILE, [first, later]), "mine.x")
    assert (row["level"], row["title"], row["source"]) == (
        "MUST",
        "mine.x",
        {"kind": "user", "document": "user probe", "quote": "", "reading": "declared by t::first"},
    )


def test_a_result_carrying_only_its_status_still_gets_its_row():
    # A user's own probe records no per-requirement outcomes and no blocked_by.
    bare = {
        "nodeid": "t::mine",
        "requirements": [f"{K}.name.echoed"],
        "status": ERROR,
        "message": "crashed",
        "findings": [],
        "exchanges": [],
        "observations": [],
    }
    row = _row(requirement_verdicts(PROFILE, [*_passing_except(f"{K}.name.echoed"), bare]), f"{K}.name.echoed")
    assert (row["status"], row["blocked_by"], row["probes"]) == (
        ERROR,
        [],
        [{"nodeid": "t::mine", "status": ERROR, "message": "crashed"}],
    )


# -- the run's summary ---------------------------------------------------------------------
def test_the_summary_names_its_format_provider_profile_and_carries_meta_and_probes():
    results = _passing_except()
    summary = summarize(PROFILE, results, meta={"target": "http://t", "requests_sent": 3})
    assert summary["format"] == FORMAT == "workspace-conformance/verdicts/1"
    assert summary["provider"] == "anthropic"
    assert summary["profile"] == {"title": PROFILE.title, "document": PROFILE.document, "directory_name": "anthropic"}
    assert (summary["target"], summary["requests_sent"]) == ("http://t", 3)
    assert summary["fail_on"] == "must"
    assert (summary["verdict"], summary["exit_status"]) == ("CONFORMANT", exitcodes.OK)
    assert summary["complete"] is True and summary["problem"] is None
    assert summary["probes"] == results and summary["run_wide"] == []
    assert summary["requirements"] == requirement_verdicts(PROFILE, results)


def test_a_run_wide_judgement_is_kept_apart_from_the_probes_and_shown_in_its_row():
    transient = f"{K}.robustness.transient-server-errors"
    probes = _passing_except(transient)
    run_wide = _result("run::wide", {transient: FAIL}, findings=[_finding(transient)], run_wide=True)
    summary = summarize(PROFILE, [*probes, run_wide])
    assert summary["probes"] == probes and summary["run_wide"] == [run_wide]
    assert _row(summary["requirements"], transient)["status"] == FAIL
    assert summary["verdict"] == "CONFORMANT"  # a SHOULD: the gate's default MUST holds
    # With a selection (-k, a user's own file) its requirement is still one the run touched.
    selected = summarize(PROFILE, [*probes[:2], run_wide], selected=set())
    assert transient in {r["id"] for r in selected["requirements"]}


def test_the_summary_counts_each_outcome_per_level():
    outcomes = {
        f"{K}.name.required": FAIL,
        f"{K}.name.type": ERROR,
        f"{K}.name.min-length": BLOCKED,
        f"{K}.response.created-at-recent": FAIL,
        f"{K}.request.unknown-fields": BLOCKED,
    }
    results = _passing_except(*outcomes, f"{K}.name.max-length") + [
        _result(f"p[{rid}]", {rid: outcome}, findings=[_finding(rid)] if outcome == FAIL else ())
        for rid, outcome in outcomes.items()
    ]
    counts = summarize(PROFILE, results)["summary"]
    must_total = sum(r.level == "MUST" for r in CATALOG)
    should_total = sum(r.level == "SHOULD" for r in CATALOG)
    assert counts == {
        "MUST": {FAIL: 1, ERROR: 1, BLOCKED: 1, NOT_RUN: 1, PASS: must_total - 4, "total": must_total},
        "SHOULD": {FAIL: 1, ERROR: 0, BLOCKED: 1, NOT_RUN: 0, PASS: should_total - 2, "total": should_total},
    }


def test_an_unreachable_target_is_incomplete_with_its_own_exit_status():
    summary = summarize(PROFILE, _passing_except(), unreachable="could not reach the target: refused")
    assert (summary["verdict"], summary["exit_status"]) == ("INCOMPLETE", exitcodes.UNREACHABLE)
    assert summary["complete"] is False
    assert summary["problem"] == "could not reach the target: refused"


def test_a_failing_gate_outranks_an_unreachable_target():
    rid = f"{K}.response.success-status"
    results = [*_passing_except(rid), _result("p", {rid: FAIL}, findings=[_finding(rid)])]
    summary = summarize(PROFILE, results, unreachable="could not reach the target")
    assert (summary["verdict"], summary["exit_status"]) == ("NOT CONFORMANT", exitcodes.NOT_CONFORMANT)


def test_an_interrupted_run_is_incomplete_even_when_everything_run_passed():
    summary = summarize(PROFILE, _passing_except(), interrupted="interrupted after 3 probes")
    assert (summary["verdict"], summary["exit_status"]) == ("INCOMPLETE", exitcodes.INCOMPLETE)
    assert summary["complete"] is False and summary["problem"] == "interrupted after 3 probes"


def test_unreachable_is_the_problem_named_when_the_run_was_also_interrupted():
    summary = summarize(PROFILE, _passing_except(), unreachable="refused", interrupted="stopped")
    assert summary["problem"] == "refused" and summary["exit_status"] == exitcodes.UNREACHABLE


def test_a_requirement_not_run_makes_the_run_incomplete():
    rid = f"{K}.response.created-at-recent"  # SHOULD: not gating, but the run did not check it
    summary = summarize(PROFILE, _passing_except(rid))
    assert summary["complete"] is False
    assert summary["verdict"] == "CONFORMANT"  # a SHOULD not run does not gate by default
    blocked = summarize(PROFILE, [*_passing_except(rid), _result("p", {rid: BLOCKED}, blocked_by={rid: ["x"]})])
    assert blocked["complete"] is True  # blocked was checked as far as it could be: it ran


def test_a_must_that_could_not_be_checked_keeps_the_run_from_conformant():
    for outcome in (ERROR, BLOCKED, NOT_RUN):
        rid = f"{K}.name.required"
        results = [*_passing_except(rid), _result("p", {rid: outcome})]
        summary = summarize(PROFILE, results)
        assert (summary["verdict"], summary["exit_status"]) == ("INCOMPLETE", exitcodes.INCOMPLETE), outcome


# -- the one-line verdict ------------------------------------------------------------------
def _counts(by_outcome: dict) -> dict:
    counts = {FAIL: 0, ERROR: 0, BLOCKED: 0, NOT_RUN: 0, PASS: 0, **by_outcome}
    return {**counts, "total": sum(counts.values())}


def test_one_line_with_everything_passed_names_only_the_passes():
    summary = {
        "provider": "orgo",
        "verdict": "CONFORMANT",
        "summary": {"MUST": _counts({PASS: 9}), "SHOULD": _counts({PASS: 2})},
    }
    assert one_line(summary) == "orgo: CONFORMANT: MUST 9/9 passed, SHOULD 2/2 passed"


def test_one_line_adds_every_other_outcome_summed_over_both_levels():
    summary = {
        "provider": "d3lay",
        "verdict": "NOT CONFORMANT",
        "summary": {
            "MUST": _counts({PASS: 5, FAIL: 2, BLOCKED: 3, ERROR: 1, NOT_RUN: 4}),
            "SHOULD": _counts({PASS: 1, FAIL: 1, BLOCKED: 1, ERROR: 2, NOT_RUN: 1}),
        },
    }
    assert one_line(summary) == (
        "d3lay: NOT CONFORMANT: MUST 5/15 passed, SHOULD 1/6 passed, 3 failed, "
        "4 blocked, 3 could not be checked, 5 not run"
    )


def test_one_line_counts_an_outcome_seen_at_one_level_only():
    summary = {
        "provider": "p",
        "verdict": "INCOMPLETE",
        "summary": {"MUST": _counts({PASS: 1, BLOCKED: 2}), "SHOULD": _counts({PASS: 1, FAIL: 1, ERROR: 1})},
    }
    assert (
        one_line(summary) == "p: INCOMPLETE: MUST 1/3 passed, SHOULD 1/3 passed, 1 failed, 2 blocked, "
        "1 could not be checked"
    )


def test_one_line_counts_outcomes_seen_equally_often_at_both_levels():
    summary = {
        "provider": "p",
        "verdict": "NOT CONFORMANT",
        "summary": {
            "MUST": _counts({FAIL: 1, BLOCKED: 1, ERROR: 1, NOT_RUN: 1}),
            "SHOULD": _counts({FAIL: 1, BLOCKED: 1, ERROR: 1, NOT_RUN: 1}),
        },
    }
    assert (
        one_line(summary) == "p: NOT CONFORMANT: MUST 0/4 passed, SHOULD 0/4 passed, 2 failed, 2 blocked, "
        "2 could not be checked, 2 not run"
    )


# -- writing -------------------------------------------------------------------------------
def test_write_json_writes_indented_unescaped_json_and_a_final_newline(tmp_path):
    path = tmp_path / "new" / "dir" / "anthropic.json"
    write_json(path, {"name": "é ü", "list": [1]})
    assert path.read_bytes() == '{\n  "name": "é ü",\n  "list": [\n    1\n  ]\n}\n'.encode()
    write_json(path, {"again": True})
    assert json.loads(path.read_text("utf-8")) == {"again": True}
    assert sorted(p.name for p in path.parent.iterdir()) == ["anthropic.json"]


def test_a_report_is_written_beside_its_final_name_then_renamed(tmp_path, monkeypatch):
    # Same directory, so the rename is atomic on one file system; a hidden name, so a reader
    # listing the reports never picks up a half-written one.
    renames = []
    real_replace = os.replace
    monkeypatch.setattr(
        os, "replace", lambda src, dst: (renames.append((Path(src), Path(dst))), real_replace(src, dst))
    )
    path = tmp_path / "reports" / "anthropic.json"
    write_atomically(path, "whole")
    ((written, final),) = renames
    assert final == path and written.parent == path.parent and written.name.startswith(".anthropic.json.")
    assert path.read_text() == "whole"


def test_a_write_that_cannot_finish_leaves_no_partial_file_behind(tmp_path):
    taken = tmp_path / "report.json"
    taken.mkdir()  # a directory where the report should go: the final rename fails
    (taken / "keep").write_text("x")
    with pytest.raises(OSError):
        write_atomically(taken, "text")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]
    assert (taken / "keep").read_text() == "x"


def test_evidence_of_a_finding_is_the_exchange_it_points_at_and_nothing_else():
    from conformance.model.outcome import evidence_of

    result = {"exchanges": [{"n": 0}, {"n": 1}]}
    assert evidence_of(result, {"exchange": 1}) == {"n": 1}
    assert evidence_of(result, {"exchange": 0}) == {"n": 0}
    assert evidence_of(result, {"exchange": None}) is None and evidence_of(result, {}) is None
    assert evidence_of(result, {"exchange": 2}) is None and evidence_of(result, {"exchange": -1}) is None


# -- internal errors: a bug of ours, never a verdict ----------------------------------------
def test_internal_error_is_one_sentence_naming_where_and_keeping_the_traceback():
    from conformance.reports.summary import internal_error

    assert internal_error("the JSON writer", "disk full", "Traceback: ...") == {
        "where": "the JSON writer",
        "sentence": "internal error in the JSON writer: disk full",
        "traceback": "Traceback: ...",
    }


def test_internal_error_cuts_what_happened_after_200_characters():
    from conformance.reports.summary import internal_error

    assert internal_error("w", "x" * 200, "")["sentence"] == "internal error in w: " + "x" * 200
    assert internal_error("w", "x" * 201, "")["sentence"] == "internal error in w: " + "x" * 200 + "…"


def test_internal_error_is_printable_in_every_field():
    from conformance.reports.summary import internal_error

    error = internal_error("probe \ud800", "a \udc00 b", "trace \ud801")
    assert error == {
        "where": "probe \\ud800",
        "sentence": "internal error in probe \\ud800: a \\udc00 b",
        "traceback": "trace \\ud801",
    }
    json.dumps(error).encode("utf-8")  # writable as it is


def test_a_crashed_probe_is_an_internal_error_with_its_first_message_line_and_the_exit_status_says_so():
    rid = f"{K}.name.echoed"
    crashed = _result(
        "conformance/probes/test_01.py::test_x[1]",
        {rid: ERROR},
        message="the suite could not check this (KeyError: 'id')\nsecond line",
        traceback="Traceback (most recent call last):\nKeyError: 'id'",
    )
    summary = summarize(PROFILE, [*_passing_except(rid), crashed])
    assert summary["internal_errors"] == [
        {
            "where": "probe conformance/probes/test_01.py::test_x[1]",
            "sentence": "internal error in probe conformance/probes/test_01.py::test_x[1]: "
            "the suite could not check this (KeyError: 'id')",
            "traceback": "Traceback (most recent call last):\nKeyError: 'id'",
        }
    ]
    assert (summary["verdict"], summary["exit_status"]) == ("INCOMPLETE", exitcodes.INTERNAL)


def test_a_crash_without_a_message_is_said_to_have_crashed():
    from conformance.reports.summary import probe_crashes

    assert [e["sentence"] for e in probe_crashes([_result("p", {}, status=ERROR, traceback="T")])] == [
        "internal error in probe p: crashed"
    ]


def test_only_results_with_a_traceback_are_crashes_in_their_order():
    from conformance.reports.summary import probe_crashes

    results = [
        _result("a", {}, status=ERROR, message="m a", traceback="Ta"),
        _result("b", {}, status=ERROR, message="m b", traceback=""),
        _result("c", {}, status=ERROR, message="m c"),
        _result("d", {}, status=ERROR, message="m d", traceback="Td"),
    ]
    assert [(e["where"], e["traceback"]) for e in probe_crashes(results)] == [("probe a", "Ta"), ("probe d", "Td")]
    assert probe_crashes([]) == []


def test_a_crash_never_changes_the_verdict_only_the_exit_status():
    rid = f"{K}.response.success-status"
    failing = _result("f", {rid: FAIL}, findings=[_finding(rid)], traceback="T")
    summary = summarize(PROFILE, [*_passing_except(rid), failing])
    assert (summary["verdict"], summary["exit_status"]) == ("NOT CONFORMANT", exitcodes.INTERNAL)
    conformant = summarize(PROFILE, [*_passing_except(), _result("q", {}, status=PASS, traceback="T")])
    assert (conformant["verdict"], conformant["exit_status"]) == ("CONFORMANT", exitcodes.INTERNAL)


def test_internal_errors_given_to_the_summary_follow_the_probe_crashes():
    given = [{"where": "the HTML writer", "sentence": "internal error in the HTML writer: x", "traceback": "T"}]
    crashed = _result("p", {}, status=ERROR, message="boom", traceback="Tp")
    summary = summarize(PROFILE, [*_passing_except(), crashed], internal_errors=given)
    assert [e["where"] for e in summary["internal_errors"]] == ["probe p", "the HTML writer"]
    assert summary["exit_status"] == exitcodes.INTERNAL
    alone = summarize(PROFILE, _passing_except(), internal_errors=given)
    assert alone["internal_errors"] == given and alone["exit_status"] == exitcodes.INTERNAL
    assert summarize(PROFILE, _passing_except(), internal_errors=[])["exit_status"] == exitcodes.OK


# -- a run of some probes ------------------------------------------------------------------
def test_a_selected_run_is_judged_on_the_requirements_selected_or_touched_only():
    touched, selected = f"{K}.name.max-length", f"{K}.name.required"
    results = [_result("p", {touched: PASS})]
    summary = summarize(PROFILE, results, selected={selected})
    assert [r["id"] for r in summary["requirements"]] == [r.id for r in CATALOG if r.id in (touched, selected)]
    assert summary["summary"]["MUST"]["total"] == 2 and summary["summary"]["SHOULD"]["total"] == 0
    assert summary["summary"]["MUST"][NOT_RUN] == 1 and summary["summary"]["MUST"][PASS] == 1
    assert summary["complete"] is False and summary["verdict"] == "INCOMPLETE"
    everything = summarize(PROFILE, results, selected={touched})
    assert [r["id"] for r in everything["requirements"]] == [touched]
    assert (everything["verdict"], everything["complete"]) == ("CONFORMANT", True)
    nothing = summarize(PROFILE, results, selected=set())
    assert [r["id"] for r in nothing["requirements"]] == [touched]


def test_without_a_selection_every_catalog_requirement_is_judged():
    summary = summarize(PROFILE, [_result("p", {f"{K}.name.max-length": PASS})])
    assert [r["id"] for r in summary["requirements"]] == [r.id for r in CATALOG]
    assert summary["verdict"] == "INCOMPLETE"


def test_the_summarys_meta_and_problem_are_printable():
    summary = summarize(PROFILE, _passing_except(), meta={"target": "http://t/\ud800"}, unreachable="refused at \udc00")
    assert summary["target"] == "http://t/\\ud800" and summary["problem"] == "refused at \\udc00"
    assert "target" not in summarize(PROFILE, _passing_except())


def test_fail_on_is_recorded_and_applied():
    rid = f"{K}.response.created-at-recent"  # a SHOULD
    results = [*_passing_except(rid), _result("p", {rid: FAIL}, findings=[_finding(rid)])]
    by_should = summarize(PROFILE, results, fail_on="should")
    assert (by_should["fail_on"], by_should["verdict"]) == ("should", "NOT CONFORMANT")
    assert summarize(PROFILE, results)["verdict"] == "CONFORMANT"


# -- the one-line verdict: the gate's note and the workspaces ------------------------------------
def test_one_line_carries_the_gates_note_after_the_verdict():
    summary = {
        "provider": "orgo",
        "verdict": "NOT CONFORMANT",
        "gate": {"note": "gate passed: 1 expected failure"},
        "summary": {"MUST": _counts({PASS: 8, FAIL: 1}), "SHOULD": _counts({PASS: 2})},
    }
    assert one_line(summary) == (
        "orgo: NOT CONFORMANT (gate passed: 1 expected failure): MUST 8/9 passed, SHOULD 2/2 passed, 1 failed"
    )
    assert one_line({**summary, "gate": None}).startswith("orgo: NOT CONFORMANT: MUST 8/9")


def test_one_line_ends_with_the_workspaces_created_when_the_run_counted_them():
    summary = {
        "provider": "orgo",
        "verdict": "CONFORMANT",
        "workspaces_created": 4,
        "summary": {"MUST": _counts({PASS: 9}), "SHOULD": _counts({PASS: 2})},
    }
    assert one_line(summary) == "orgo: CONFORMANT: MUST 9/9 passed, SHOULD 2/2 passed; 4 workspaces created"
    assert one_line({**summary, "workspaces_created": 0}).endswith("; 0 workspaces created")


# -- files beside a report ---------------------------------------------------------------------
def test_a_file_beside_a_report_is_hidden_new_and_carries_the_suffix_asked_for(tmp_path):
    from conformance.reports.summary import file_beside

    path = tmp_path / "reports" / "anthropic.json"
    fd, name = file_beside(path)
    os.close(fd)
    assert Path(name).parent == path.parent
    assert re.fullmatch(r"\.anthropic\.json\.[a-z0-9_]{8}", Path(name).name), name
    fd, other = file_beside(path, ".html")
    os.close(fd)
    assert other != name and re.fullmatch(r"\.anthropic\.json\.[a-z0-9_]{8}\.html", Path(other).name), other


def test_a_file_beside_a_report_gets_the_permissions_the_umask_gives(tmp_path):
    from conformance.reports.summary import _umask, file_beside

    fd, name = file_beside(tmp_path / "r.json")
    os.close(fd)
    current = os.umask(0o022)
    os.umask(current)
    assert _umask() == current
    assert os.stat(name).st_mode & 0o777 == 0o666 & ~current


def test_write_json_hands_the_whole_text_to_the_redactor_last(tmp_path):
    from conformance.client.transcript import Redactor

    path = tmp_path / "r.json"
    write_json(path, {"observed": "sk-write-SECRET", "nested": ["x sk-write-SECRET y"]}, Redactor("sk-write-SECRET"))
    assert json.loads(path.read_text("utf-8")) == {
        "observed": "$CONFORMANCE_CREDENTIAL",
        "nested": ["x $CONFORMANCE_CREDENTIAL y"],
    }
