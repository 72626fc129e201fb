"""The composite GitHub Action (action.yml) run here as the runner runs it: each `run` step in
bash with its `env`, the `${{ }}` expressions filled in from the inputs and earlier outputs,
GITHUB_OUTPUT and GITHUB_STEP_SUMMARY pointing at files. Steps that `use` another action
(setup-python, upload-artifact) and the pip install of the suite itself (already installed
here) are checked for what they are given, not run."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conformance import exitcodes
from conformance.model.catalog import by_id
from conformance.model.profile import load
from conformance.reports.markdown_summary import text

from .conftest import SECRET

yaml = pytest.importorskip("yaml", reason="PyYAML comes with the test extras: pip install -e '.[test]'")

ROOT = Path(__file__).resolve().parents[1]
FAULT, BROKEN = "name-max-41", "anthropic.name.max-length"
EXPRESSION = re.compile(r"\$\{\{\s*(.+?)\s*\}\}")


def _action() -> dict:
    return yaml.safe_load((ROOT / "action.yml").read_text())


def _expand(value: str, inputs: dict, outputs: dict) -> str:
    def one(match):
        expression = match.group(1)
        if expression.startswith("inputs."):
            return inputs[expression.removeprefix("inputs.")]
        if expression.startswith("steps.suite.outputs."):
            return outputs.get(expression.removeprefix("steps.suite.outputs."), "")
        if expression == "github.action_path":
            return str(ROOT)
        raise AssertionError(f"the test does not know the expression {expression!r}")

    return EXPRESSION.sub(one, str(value))


def _run_action(tmp_path: Path, given: dict) -> tuple[list[int], dict, str]:
    """Each run step's exit status, the suite step's outputs, and the job summary it wrote."""
    action = _action()
    inputs = {name: str(spec.get("default", "")) for name, spec in action["inputs"].items()}
    inputs.update(given)
    output_file, summary_file = tmp_path / "github_output", tmp_path / "step_summary.md"
    base_env = {k: v for k, v in os.environ.items() if not k.startswith(("CONFORMANCE_", "GITHUB_"))}
    base_env.update(
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        GITHUB_OUTPUT=str(output_file),
        GITHUB_STEP_SUMMARY=str(summary_file),
        GITHUB_ACTION_PATH=str(ROOT),
    )
    statuses, outputs = [], {}
    for step in action["runs"]["steps"]:
        if "uses" in step or "pip install" in step.get("run", ""):
            continue
        assert step["shell"] == "bash"
        env = {**base_env, **{k: _expand(v, inputs, outputs) for k, v in step.get("env", {}).items()}}
        script = tmp_path / "step.sh"
        script.write_text(_expand(step["run"], inputs, outputs))
        completed = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=180,
        )
        statuses.append(completed.returncode)
        if output_file.exists():
            outputs = dict(line.split("=", 1) for line in output_file.read_text().splitlines() if "=" in line)
    return statuses, outputs, summary_file.read_text() if summary_file.exists() else ""


def test_action_installs_itself_and_uploads_the_reports_whatever_the_verdict():
    steps = _action()["runs"]["steps"]
    install = next(s for s in steps if "pip install" in s.get("run", ""))
    assert "$GITHUB_ACTION_PATH" in install["run"]
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-artifact@"))
    assert upload["if"] == "always()" and upload["with"]["path"] == "${{ inputs.report-dir }}"
    assert steps.index(upload) < len(steps) - 1  # the gate comes after the upload
    for step in steps:  # inputs reach scripts through the environment, never pasted into them
        assert "${{" not in step.get("run", "")


@pytest.mark.parametrize("with_expectations", [True, False], ids=["expected", "unexpected"])
def test_action_runs_the_suite_writes_the_summary_and_applies_the_gate(tmp_path, reference_server, with_expectations):
    url = reference_server("anthropic", FAULT)
    given = {"provider": "anthropic", "target-url": url, "credential": SECRET, "report-dir": "out"}
    if with_expectations:
        (tmp_path / "expectations.toml").write_text(
            f'[expect."{BROKEN}"]\noutcome = "fail"\nreason = "we count UTF-16 units; TICKET-123"\n'
        )
        given["expectations"] = "expectations.toml"
    statuses, outputs, summary = _run_action(tmp_path, given)

    gate = exitcodes.OK if with_expectations else exitcodes.NOT_CONFORMANT
    assert outputs == {"exit-status": str(gate), "verdict": "NOT CONFORMANT"}
    assert statuses == [0, gate]  # the suite step records, the last step applies the gate
    assert {p.name for p in (tmp_path / "out").iterdir()} >= {
        "anthropic.html",
        "anthropic.json",
        "anthropic.junit.xml",
        "anthropic.svg",
    }
    title = text(by_id(load("anthropic"))[BROKEN].title)
    assert "workspace-conformance: anthropic: **NOT CONFORMANT**" in summary
    must = json.loads((tmp_path / "out" / "anthropic.json").read_text(encoding="utf-8"))["summary"]["MUST"]
    assert (must["fail"], must["blocked"], must["error"], must["not-run"]) == (1, 0, 0, 0)
    assert must["pass"] == must["total"] - 1
    assert f"| MUST | {must['pass']} | 1 | 0 | 0 | 0 | {must['total']} |" in summary
    assert f"| `{BROKEN}` | MUST | fail | {title} |" in summary
    if with_expectations:
        assert "**Gate:** passed with 1 expected failure (exit 0" in summary
        assert "#### Expected failures (1)" in summary and "we count UTF\\-16 units; TICKET\\-123" in summary
    else:
        assert "**Gate:** exit 1: a gating requirement failed" in summary
        assert "#### Failed (1)" in summary
    assert "`anthropic.html`" in summary and "`anthropic.svg`" in summary
    assert SECRET not in summary
