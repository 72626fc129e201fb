"""Installed, the plugin is inert in someone else's pytest run: no option clash, no server, no
files, no heavy imports, no gc changes, the exit status untouched. It acts only when chosen."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conformance import exitcodes

# A project of someone else's with generic options of its own, as many public conftests have.
OTHER_CONFTEST = """
import gc, json, os, sys


def pytest_addoption(parser):
    parser.addoption("--provider", default="none")
    parser.addoption("--dry-run", action="store_true")


def pytest_sessionfinish(session):
    with open(os.environ["SEEN_FILE"], "w") as handle:
        json.dump({"modules": sorted(sys.modules), "frozen": gc.get_freeze_count(), "gc": gc.isenabled(),
                   "plugins": [name for name, _ in session.config.pluginmanager.list_name_plugin()]}, handle)
"""
OTHER_TESTS = """
def test_its_own_options(pytestconfig):
    assert pytestconfig.getoption("provider") == "none"
    assert pytestconfig.getoption("dry_run") is False


def test_its_own_fixture_names_are_free(request):
    assert "target" not in request.fixturenames
"""
HEAVY = ("httpx", "jsonschema", "hypothesis", "hypothesis_jsonschema", "starlette", "uvicorn")


def _other_project(tmp_path: Path, failing: bool = False) -> Path:
    project = tmp_path / "other"
    project.mkdir(parents=True)
    (project / "conftest.py").write_text(OTHER_CONFTEST)
    (project / "test_other.py").write_text(
        OTHER_TESTS + ("\n\ndef test_fails():\n    assert False\n" if failing else "")
    )
    return project


def _run_other(project: Path, tmp_path: Path, *args: str, env: dict | None = None):
    seen = tmp_path / f"seen-{len(list(tmp_path.glob('seen-*')))}.json"
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("CONFORMANCE_")}
    full_env.update({"SEEN_FILE": str(seen), "PYTHONDONTWRITEBYTECODE": "1", **(env or {})})
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=project,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return completed, json.loads(seen.read_text()) if seen.exists() else None


def _files(project: Path) -> set[str]:
    return {str(p.relative_to(project)) for p in project.rglob("*")}


def _without_this_plugin(tmp_path: Path) -> tuple[set[str], set[str]]:
    """What the same run writes, and the modules it imports, with this plugin disabled (other
    installed plugins, such as pytest-benchmark's .benchmarks/ or schemathesis's import of
    hypothesis, are not ours to judge)."""
    project = _other_project(tmp_path / "baseline")
    before = _files(project)
    _, seen = _run_other(project, tmp_path, "-p", "no:conformance")
    return _files(project) - before, set(seen["modules"])


@pytest.mark.parametrize(
    "env",
    [
        {},
        {"CONFORMANCE_PROVIDER": "anthropic"},
        {"CONFORMANCE_PROVIDER": "anthropic", "CONFORMANCE_MAX_REQUESTS": "zero", "CONFORMANCE_REPORT_DIR": "reports"},
    ],
    ids=["clean", "provider-exported", "odd-values-exported"],
)
def test_an_unrelated_project_runs_as_if_the_suite_were_not_installed(tmp_path, env):
    project = _other_project(tmp_path)
    before = _files(project)
    completed, seen = _run_other(project, tmp_path, env=env)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "2 passed" in completed.stdout
    written, imported = _without_this_plugin(tmp_path)
    assert _files(project) - before == written  # no reports/, nothing of ours
    assert "conformance" in seen["plugins"]  # installed and loaded: it is the same plugin, idle
    assert "conformance-run" not in seen["plugins"]
    assert [m for m in seen["modules"] if m.split(".")[0] in HEAVY and m not in imported] == []
    assert sorted(m for m in seen["modules"] if m.startswith("conformance")) == [
        "conformance",
        "conformance.defaults",
        "conformance.options",
        "conformance.pytest_plugin",
        "conformance.pytest_plugin.entry",
        "conformance.settings",
    ]
    assert (seen["frozen"], seen["gc"]) == (0, True)


def test_an_unrelated_failing_run_keeps_its_exit_status(tmp_path):
    project = _other_project(tmp_path, failing=True)
    completed, _ = _run_other(project, tmp_path, env={"CONFORMANCE_PROVIDER": "anthropic"})
    assert completed.returncode == 1
    assert "conformance" not in completed.stdout.lower()


def test_a_conformance_option_is_what_chooses_the_suite(tmp_path):
    """The same unrelated project, with a conformance option given: now the suite acts (its
    values are checked), which shows that the runs above were idle by choice, not by accident."""
    project = _other_project(tmp_path)
    completed, _ = _run_other(
        project, tmp_path, "--conformance-max-requests", "zero", env={"CONFORMANCE_PROVIDER": "anthropic"}
    )
    assert completed.returncode == exitcodes.USAGE
    assert "--conformance-max-requests takes a whole number, not 'zero'" in completed.stderr


def test_the_plugin_leaves_pytest_assertion_rewriting_alone(tmp_path):
    """No private of pytest is patched: the rewriting hook still marks every distribution that
    declares a pytest plugin (Hypothesis included; this package too when not installed editable)."""
    script = tmp_path / "check.py"
    script.write_text(
        "import sys, pytest\n"
        "class Probe:\n"
        "    def pytest_configure(self, config):\n"
        "        hook = next(f for f in sys.meta_path if type(f).__name__ == 'AssertionRewritingHook')\n"
        "        print('marked', sorted(n for n in hook._must_rewrite if n in ('conformance', 'hypothesis')))\n"
        "sys.exit(pytest.main(['--co', '-q', '-p', 'no:cacheprovider', str(sys.argv[1])], plugins=[Probe()]))\n"
    )
    empty = tmp_path / "empty"
    empty.mkdir()
    completed = subprocess.run(
        [sys.executable, str(script), str(empty)], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert "'hypothesis'" in completed.stdout.split("marked", 1)[1].splitlines()[0], completed.stdout + completed.stderr
