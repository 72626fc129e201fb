"""The CI gate for implementations: an expectations file excuses known deviations (and only
those), a baseline report shows what changed, and CI gets a Markdown summary and a badge."""

from __future__ import annotations

import json
import re
import subprocess
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from conformance import exitcodes
from conformance.model.profile import builtin_directory

from .conftest import SECRET, python_m, run_suite

FAULT_A = ("name-max-41", "anthropic.name.max-length")
FAULT_B = ("type-missing", "anthropic.response.type")
CREDENTIAL = {"CONFORMANCE_CREDENTIAL": SECRET}


def _conformance(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return python_m("conformance", *args, cwd=cwd, timeout=60)


def _server(request, fault: str | None) -> str:
    from conformance.reference.serving import ServerThread, base_url, provider_app

    server = ServerThread(provider_app("anthropic", SECRET, fault, "default"))
    url = base_url(server.start(), "anthropic")
    request.addfinalizer(server.stop)
    return url


@pytest.fixture(scope="module")
def gate_runs(tmp_path_factory, request):
    """The adoption story, once: fault A without expectations, the bootstrapped file, fault A
    with it, fault B with it, and the conformant server with it (the last two compared with
    the first run as their baseline)."""
    tmp = tmp_path_factory.mktemp("gate")
    runs = {}

    def suite(name, url, *args, env=None):
        completed, verdicts = run_suite(
            tmp / name,
            "--conformance-provider",
            "anthropic",
            "--conformance-target-url",
            url,
            *args,
            env={**CREDENTIAL, **(env or {})},
        )
        runs[name] = (completed, verdicts, tmp / name / "run" / "reports")
        return completed, verdicts

    url_a = _server(request, FAULT_A[0])
    suite("a-bare", url_a)
    bootstrapped = _conformance("expectations", "--from", str(runs["a-bare"][2] / "anthropic.json"), cwd=tmp)
    assert bootstrapped.returncode == 0, bootstrapped.stderr
    expectations = tmp / "expectations.toml"
    expectations.write_text(bootstrapped.stdout)
    runs["file"] = bootstrapped.stdout
    baseline = str(runs["a-bare"][2] / "anthropic.json")
    suite(
        "a-expected",
        url_a,
        "--conformance-expectations",
        str(expectations),
        env={"GITHUB_STEP_SUMMARY": str(tmp / "step-summary.md")},
    )
    suite(
        "b-expected",
        _server(request, FAULT_B[0]),
        "--conformance-expectations",
        str(expectations),
        "--conformance-baseline",
        baseline,
    )
    suite(
        "conformant",
        _server(request, None),
        "--conformance-baseline",
        baseline,
        env={"CONFORMANCE_EXPECTATIONS": str(expectations)},
    )
    runs["step-summary"] = (tmp / "step-summary.md").read_text()
    return runs


# -- what the issue asks to show ----------------------------------------------------------
def test_one_fault_without_expectations_fails_the_gate(gate_runs):
    completed, verdicts, _ = gate_runs["a-bare"]
    assert completed.returncode == exitcodes.NOT_CONFORMANT, completed.stdout[-2000:]
    assert "gate" not in verdicts
    assert FAULT_A[1] in {r["id"] for r in verdicts["requirements"] if r["status"] == "fail"}


def test_bootstrapped_file_names_the_failure_with_a_placeholder_reason(gate_runs):
    from conformance.model.expectations import PLACEHOLDER_REASON, tomllib

    data = tomllib.loads(gate_runs["file"])
    assert data["expect"] == {FAULT_A[1]: {"outcome": "fail", "reason": PLACEHOLDER_REASON}}


def test_the_bootstrapped_file_passes_the_gate_but_not_the_verdict(gate_runs):
    completed, verdicts, reports = gate_runs["a-expected"]
    assert completed.returncode == exitcodes.OK, completed.stdout[-2000:]
    assert verdicts["verdict"] == "NOT CONFORMANT"
    assert "anthropic: NOT CONFORMANT (gate passed with 1 expected failure)" in completed.stdout
    assert verdicts["exit_status"] == 0
    assert verdicts["gate"]["note"] == "gate passed with 1 expected failure"
    assert verdicts["gate"]["expected"] == [FAULT_A[1]]
    row = next(r for r in verdicts["requirements"] if r["id"] == FAULT_A[1])
    assert row["status"] == "fail" and row["expectation"]["state"] == "expected"
    page = (reports / "anthropic.html").read_text()
    assert "id='wc-verdict'>NOT CONFORMANT<" in page
    assert "id='wc-gate'>gate passed with 1 expected failure<" in page
    assert "id='wc-gate-expected'" in page


def test_a_second_different_fault_fails_the_gate_with_the_same_file(gate_runs):
    completed, verdicts, _ = gate_runs["b-expected"]
    assert completed.returncode == exitcodes.NOT_CONFORMANT, completed.stdout[-2000:]
    assert verdicts["gate"]["unexpected_failures"] == [FAULT_B[1]]
    assert FAULT_A[1] in verdicts["gate"]["unexpectedly_passing"]
    assert f"failed unexpectedly: {FAULT_B[1]}" in completed.stdout
    assert verdicts["gate"]["note"].startswith("gate failed:")


def test_the_conformant_server_passes_and_lists_the_expectation_as_unexpectedly_passing(gate_runs):
    completed, verdicts, reports = gate_runs["conformant"]
    assert completed.returncode == exitcodes.OK, completed.stdout[-2000:]
    assert verdicts["verdict"] == "CONFORMANT"
    assert verdicts["gate"]["unexpectedly_passing"] == [FAULT_A[1]]
    assert "unexpectedly passing: remove them from" in completed.stdout and FAULT_A[1] in completed.stdout
    assert "id='wc-gate-unexpectedly-passing'" in (reports / "anthropic.html").read_text()


# -- baseline -----------------------------------------------------------------------------
def test_baseline_shows_newly_failing_and_newly_passing_everywhere(gate_runs):
    completed, verdicts, reports = gate_runs["b-expected"]
    base = verdicts["baseline"]
    assert FAULT_B[1] in [c["id"] for c in base["newly_failing"]]
    assert [c["id"] for c in base["newly_passing"]] == [FAULT_A[1]]
    assert next(c for c in base["newly_passing"] if c["id"] == FAULT_A[1])["was"] == "fail"
    assert f"newly failing: {FAULT_B[1]} (pass -> fail)" in completed.stdout
    assert f"newly passing: {FAULT_A[1]} (fail -> pass)" in completed.stdout
    page = (reports / "anthropic.html").read_text()
    assert f"<tr class='b-newly-failing' data-requirement='{FAULT_B[1]}'>" in page
    assert f"<tr class='b-newly-passing' data-requirement='{FAULT_A[1]}'>" in page


def test_reports_with_gate_and_baseline_match_the_json_schema(gate_runs):
    schema = json.loads((builtin_directory() / "verdicts.schema.json").read_text())
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    for name in ("a-expected", "b-expected", "conformant"):
        verdicts = gate_runs[name][1]
        assert "gate" in verdicts
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(verdicts)]
        assert not errors, (name, errors[:5])
    broken = {**gate_runs["a-expected"][1], "gate": {"passed": "yes"}}
    assert not validator.is_valid(broken)


def test_a_baseline_of_another_provider_is_a_usage_error(gate_runs, tmp_path):
    other = tmp_path / "orgo.json"
    other.write_text(json.dumps({**gate_runs["a-bare"][1], "provider": "orgo"}))
    completed, verdicts = run_suite(
        tmp_path, "--conformance-provider", "anthropic", "--conformance-baseline", str(other)
    )
    assert completed.returncode == exitcodes.USAGE
    assert "is a report for 'orgo', not anthropic" in completed.stderr
    assert verdicts is None


# -- CI summary and badge -------------------------------------------------------------------
def test_step_summary_has_verdict_gate_scores_failures_and_artifacts(gate_runs):
    summary = gate_runs["step-summary"]
    assert "**NOT CONFORMANT**" in summary
    assert "**Gate:** passed with 1 expected failure (exit 0" in summary
    must = gate_runs["a-expected"][1]["summary"]["MUST"]  # the run's own JSON report, not pinned numbers
    assert (must["fail"], must["blocked"], must["error"], must["not-run"]) == (1, 0, 0, 0)
    assert must["pass"] == must["total"] - 1
    assert f"| MUST | {must['pass']} | 1 | 0 | 0 | 0 | {must['total']} |" in summary
    assert "#### Expected failures (1)" in summary and f"`{FAULT_A[1]}`" in summary
    assert "`anthropic.html`" in summary and "`anthropic.json`" in summary and "`anthropic.svg`" in summary
    assert SECRET not in summary


def test_badge_names_provider_verdict_and_must_score(gate_runs):
    for name, verdict in (("a-bare", "NOT CONFORMANT"), ("conformant", "CONFORMANT")):
        _, verdicts, reports = gate_runs[name]
        svg = ET.parse(reports / "anthropic.svg").getroot()
        texts = [t.text for t in svg.iter("{http://www.w3.org/2000/svg}text")]
        must = verdicts["summary"]["MUST"]
        assert texts == ["anthropic", f"{verdict} · MUST {must['pass']}/{must['total']}"]


def test_markdown_summary_keeps_hostile_titles_inert():
    from conformance.reports.markdown_summary import render

    title = "pipes | <script>alert(1)</script> `tick`\nnew line \udcff \x00 *bold*"
    summary = {
        "provider": "anthropic",
        "verdict": "NOT CONFORMANT",
        "exit_status": 1,
        "target": "http://x",
        "problem": None,
        "profile": {"document": {"revision": "r"}},
        "summary": {
            lvl: {"pass": 0, "fail": 1, "blocked": 0, "error": 0, "not-run": 0, "total": 1}
            for lvl in ("MUST", "SHOULD")
        },
        "requirements": [{"id": "anthropic.custom.x", "level": "MUST", "status": "fail", "title": title}],
    }
    text = render(summary, ["anthropic.json"])
    row = next(line for line in text.splitlines() if "anthropic.custom.x" in line)
    assert len(re.split(r"(?<!\\)\|", row)) == 6  # still four cells: the title's pipe is escaped
    assert "<script>" not in text and "\x00" not in text and "\udcff" not in text
    text.encode("utf-8")


# -- expectations file checked up front -----------------------------------------------------
@pytest.mark.parametrize(
    "content, sentence",
    [
        ("[expect\n", "is not valid TOML"),
        ("provider = 'anthropic'\n", "has a top-level key 'provider'"),
        ('[expect."anthropic.name.max-length"]\noutcome = "fail"\nreason = "r"\nticket = 1\n', "unknown key 'ticket'"),
        ('[expect."anthropic.name.max-length"]\noutcome = "broken"\nreason = "r"\n', "has outcome 'broken'"),
        ('[expect."anthropic.name.max-length"]\noutcome = "pass"\nreason = "r"\n', "has outcome 'pass'"),
        ('[expect."anthropic.name.max-length"]\noutcome = "fail"\n', "needs a reason"),
        (
            '[expect."anthropic.name.max-length"]\noutcome = "fail"\nreason = "r"\nuntil = "2027-03-31"\n',
            "write a TOML date",
        ),
        (
            '[expect."anthropic.name.max-lenght"]\noutcome = "fail"\nreason = "r"\n',
            "names 'anthropic.name.max-lenght', which is not a requirement of anthropic "
            "(did you mean 'anthropic.name.max-length'?)",
        ),
        (
            '[expect."acme.name.max-length"]\noutcome = "fail"\nreason = "r"\n',
            "which is not a requirement of anthropic",
        ),
    ],
)
def test_a_wrong_expectations_file_is_one_sentence_and_exit_4_before_any_request(tmp_path, content, sentence):
    path = tmp_path / "expectations.toml"
    path.write_text(content)
    # An unreachable target: had a probe run, the exit status would be 6, not 4.
    completed, verdicts = run_suite(
        tmp_path,
        "--conformance-provider",
        "anthropic",
        "--conformance-target-url",
        "http://127.0.0.1:9",
        "--conformance-expectations",
        str(path),
    )
    assert completed.returncode == exitcodes.USAGE, completed.stdout[-1000:]
    assert sentence in completed.stderr
    assert "Traceback" not in completed.stderr + completed.stdout
    assert verdicts is None


def test_a_missing_expectations_file_is_a_usage_error(tmp_path):
    completed, _ = run_suite(
        tmp_path, "--conformance-provider", "anthropic", env={"CONFORMANCE_EXPECTATIONS": "nowhere.toml"}
    )
    assert completed.returncode == exitcodes.USAGE
    assert "cannot read the expectations file nowhere.toml" in completed.stderr


def test_another_providers_entries_are_left_to_its_own_run():
    from conformance.model.expectations import Expectation, ExpectationsError, for_provider

    found = {
        "orgo.name.required": Expectation("orgo.name.required", "fail", "r"),
        "anthropic.name.required": Expectation("anthropic.name.required", "fail", "r"),
    }
    known = ["anthropic.name.required"]
    assert list(for_provider(found, "anthropic", known, ["anthropic", "orgo"])) == ["anthropic.name.required"]
    with pytest.raises(ExpectationsError):
        for_provider(found, "anthropic", known, ["anthropic"])


def _summary(status: str, level: str = "MUST") -> dict:
    return {
        "fail_on": "must",
        "exit_status": 1 if status == "fail" else 0,
        "requirements": [
            {"id": "p.a", "level": level, "status": status, "title": "a"},
            {"id": "p.b", "level": "MUST", "status": "pass", "title": "b"},
        ],
    }


def test_an_expired_expectation_no_longer_excuses_and_says_so():
    from conformance.model.expectations import Expectation, apply, closing_lines

    summary = _summary("fail")
    gate = apply(summary, {"p.a": Expectation("p.a", "fail", "r", date(2026, 3, 31))}, "x.toml", on=date(2026, 4, 1))
    assert (gate["exit_status"], gate["expired"], gate["expected"]) == (1, ["p.a"], [])
    assert (
        "expired expectation (not excused any more): p.a was expected to fail until 2026-03-31; it is fail"
        in closing_lines(summary)
    )
    still = apply(
        _summary("fail"), {"p.a": Expectation("p.a", "fail", "r", date(2026, 3, 31))}, "x.toml", on=date(2026, 3, 31)
    )
    assert (still["exit_status"], still["expected"]) == (0, ["p.a"])


def test_another_outcome_than_expected_is_not_excused():
    from conformance.model.expectations import Expectation, apply

    gate = apply(_summary("error"), {"p.a": Expectation("p.a", "fail", "r")}, "x.toml")
    assert gate["different_outcome"] == ["p.a"] and gate["exit_status"] == exitcodes.INCOMPLETE
    gate = apply(_summary("error"), {"p.a": Expectation("p.a", "error", "r")}, "x.toml")
    assert gate["expected"] == ["p.a"] and gate["exit_status"] == exitcodes.OK


def test_bootstrap_writes_toml_that_loads_back_whatever_the_titles(tmp_path):
    from conformance.model.expectations import bootstrap, load

    report = {
        "requirements": [
            {
                "id": "anthropic.name.max-length",
                "level": "MUST",
                "status": "fail",
                "title": 'a "quoted"\ntitle \udcff\x00',
            },
            {"id": "anthropic.response.id", "level": "SHOULD", "status": "error", "title": "t"},
            {"id": "anthropic.name.required", "level": "MUST", "status": "pass", "title": "t"},
        ]
    }
    path = tmp_path / "e.toml"
    path.write_text(bootstrap([report], ["r.json"]), encoding="utf-8")
    loaded = load(str(path))
    assert {k: v.outcome for k, v in loaded.items()} == {
        "anthropic.name.max-length": "fail",
        "anthropic.response.id": "error",
    }


def test_expectations_from_an_incomplete_report_is_refused(gate_runs, tmp_path):
    incomplete = tmp_path / "anthropic.json"
    incomplete.write_text(json.dumps({**gate_runs["a-bare"][1], "problem": "the connection was refused"}))
    completed = _conformance("expectations", "--from", str(incomplete), cwd=tmp_path)
    assert completed.returncode == exitcodes.USAGE
    assert "is of an incomplete run (the connection was refused)" in completed.stderr
    assert completed.stdout == ""


# -- the index of `conformance run --all` ---------------------------------------------------
def test_index_shows_expected_failures_apart_from_unexpected_ones(gate_runs, tmp_path):
    from conformance.reports.index_page import write_index

    expected_dir, unexpected_dir = tmp_path / "expected", tmp_path / "unexpected"
    for name, where in (("a-expected", expected_dir), ("b-expected", unexpected_dir)):
        where.mkdir()
        (where / "anthropic.json").write_text(json.dumps(gate_runs[name][1]))
    page = write_index(expected_dir, ["anthropic"]).read_text()
    assert "gate passed with 1 expected failure" in page
    assert "class='s-expected'" in page and "max-length (expected)" in page
    assert "class='s-fail'" not in page
    page = write_index(unexpected_dir, ["anthropic"]).read_text()
    assert "class='g-failed'" in page and "class='s-fail'" in page


@pytest.mark.slow
def test_run_all_takes_one_file_for_every_provider_and_the_index_shows_each_gate(tmp_path):
    expectations = tmp_path / "expectations.toml"
    expectations.write_text(
        '[expect."anthropic.name.max-length"]\noutcome = "fail"\nreason = "r"\n'
        '[expect."orgo.name.required"]\noutcome = "error"\nreason = "r"\n'
    )
    reports = tmp_path / "reports"
    completed = python_m(
        "conformance",
        *("run", "--all", "--conformance-report-dir", str(reports)),
        *("--", "--conformance-expectations", str(expectations)),
        cwd=tmp_path,
        timeout=600,
    )
    assert completed.returncode == exitcodes.OK, completed.stdout[-2000:] + completed.stderr[-2000:]
    gates = {
        key: json.loads((reports / f"{key}.json").read_text())["gate"]
        for key in ("anthropic", "orgo", "d3lay", "wacht-frontend", "wacht-backend")
    }
    assert gates["anthropic"]["unexpectedly_passing"] == ["anthropic.name.max-length"]
    assert gates["orgo"]["unexpectedly_passing"] == ["orgo.name.required"]
    assert all(g["passed"] and not g["expected"] for g in gates.values())
    assert "anthropic: CONFORMANT (gate passed with 0 expected failures)" in completed.stdout
    assert (reports / "index.html").read_text().count("class='g-passed'") == 5
    assert all((reports / f"{key}.svg").is_file() for key in gates)
