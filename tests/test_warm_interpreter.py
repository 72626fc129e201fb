"""The warm interpreter (tests/warm_interpreter.py) stands in for `python -m` only where it is the
same: what a forked run sees of its process, and what the suite makes of a run, compared with a
fresh interpreter's."""

from __future__ import annotations

import json
import multiprocessing
import os
import re
import subprocess
import sys

import pytest

from .conftest import python_m, run_suite, warm_interpreter
from .warm_interpreter import ROOT, started_as_a_new_python

# Written into the run's directory and run as `python -m seen`: what a fresh `python -m` process
# sees of itself, as JSON on stdout; its exit status is 3.
SEEN = """
import json, os, sys, tempfile, warnings
print(json.dumps({
    "argv": sys.argv,
    "path": sys.path,
    "flags": list(sys.flags),
    "warnoptions": sys.warnoptions,
    "filters": [str(f) for f in warnings.filters],
    "helpers": sorted(m for m in sys.modules if m in ("tests", "__mp_main__") or m.startswith("tests.")),
    "cwd": os.getcwd(),
    "env": {k: os.environ.get(k) for k in ("SEEN_VALUE", "TMPDIR", "CONFORMANCE_PROVIDER", "GITHUB_STEP_SUMMARY")},
    "tempdir": tempfile.gettempdir(),
    "main": __name__,
    "stdout": [sys.stdout.encoding, sys.stdout.errors, sys.stdout.isatty()],
}))
print("to stderr", file=sys.stderr)
sys.exit(3)
"""


WARM_HERE = pytest.mark.skipif(
    "forkserver" not in multiprocessing.get_all_start_methods() or not started_as_a_new_python(),
    reason="no fork server here, or the tests were started with interpreter options: every run is fresh",
)


@pytest.fixture
def seen_module(tmp_path, monkeypatch):
    (tmp_path / "seen.py").write_text(SEEN)
    (tmp_path / "tmp").mkdir()
    (tmp_path / "lib").mkdir()
    monkeypatch.setenv("CONFORMANCE_PROVIDER", "orgo")  # never passed on to a run
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "summary"))  # nor this
    return tmp_path


@WARM_HERE
def test_a_forked_run_sees_what_a_fresh_interpreter_sees(seen_module):
    env = {"SEEN_VALUE": "naïve ✓", "TMPDIR": str(seen_module / "tmp"), "PYTHONPATH": str(seen_module / "lib")}
    warm = python_m("seen", cwd=seen_module, env=env)
    fresh = python_m("seen", cwd=seen_module, env=env, fresh=True)
    assert (warm.returncode, warm.stderr) == (fresh.returncode, fresh.stderr) == (3, "to stderr\n")
    assert json.loads(warm.stdout) == json.loads(fresh.stdout)
    seen = json.loads(warm.stdout)
    assert seen["path"][:2] == [seen["cwd"], str(seen_module / "lib")] and seen["cwd"] == str(seen_module)
    assert seen["helpers"] == []
    assert seen["env"] == {
        "SEEN_VALUE": "naïve ✓",
        "TMPDIR": str(seen_module / "tmp"),
        "CONFORMANCE_PROVIDER": None,
        "GITHUB_STEP_SUMMARY": None,
    }
    assert seen["tempdir"] == str(seen_module / "tmp") and seen["main"] == "__main__"


@WARM_HERE
def test_what_only_a_fresh_interpreter_reads_sends_the_run_to_one(tmp_path, monkeypatch):
    warm = warm_interpreter()
    python_m("pytest", "--version", cwd=tmp_path)  # the fork server is running
    ours = dict(os.environ)
    assert warm.can_run(ours)
    assert warm.can_run({**ours, "PYTHONPATH": "/somewhere", "CONFORMANCE_CREDENTIAL": "x"})
    for variable in ("PYTHONWARNINGS", "PYTHONHASHSEED", "PYTHONIOENCODING", "LC_ALL", "TZ"):
        assert not warm.can_run({**ours, variable: "changed-by-the-test"}), variable
    # Compared with what the fork server started with, not with this process now.
    monkeypatch.setenv("PYTHONHASHSEED", "changed-by-the-test")
    assert not warm.can_run(dict(os.environ)) and warm.can_run(ours)


def test_a_process_started_with_interpreter_options_runs_everything_fresh(tmp_path):
    asked = "from tests.warm_interpreter import started_as_a_new_python as s; print(s())"
    for options, plain in (([], "True"), (["-X", "dev"], "False"), (["-W", "error"], "False"), (["-O"], "False")):
        said = subprocess.run(
            [sys.executable, *options, "-c", asked], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True
        )
        assert said.stdout.strip() == plain, (options, said.stderr)


# A test process whose fork server cannot preload: each run says so, as a fault of the helper.
BROKEN_PRELOAD = """
import sys
sys.path.insert(0, sys.argv[1])
import tests.warm_interpreter as warm
warm.PRELOAD = ["tests.no_such_preload"]
if __name__ == "__main__":
    from pathlib import Path
    try:
        warm.WarmInterpreter().run("pytest", ["--version"], Path(sys.argv[2]), {}, 30)
    except RuntimeError as error:
        print("RuntimeError:", error)
"""


@WARM_HERE
def test_a_fork_server_that_could_not_preload_is_a_fault_of_the_helper_not_an_exit_status(tmp_path):
    script = tmp_path / "broken.py"
    script.write_text(BROKEN_PRELOAD)
    said = subprocess.run(
        [sys.executable, str(script), str(ROOT), str(tmp_path)], capture_output=True, text=True, timeout=60
    )
    assert said.stdout.strip() == "RuntimeError: warm interpreter: the fork server did not import tests.warm_preload"


def _as_compared(console: str) -> str:
    """A run's console less what differs from run to run: ports, the run's tag, durations."""
    console = re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", console)
    console = re.sub(r"conformance-[0-9a-f]{6}", "conformance-TAG", console)
    return re.sub(r"\d+(\.\d+)?s\b", "Ns", console)


@WARM_HERE
def test_a_forked_suite_run_gives_a_fresh_runs_outcomes_and_console(tmp_path):
    warm, warm_verdicts = run_suite(tmp_path / "warm", "--conformance-provider", "orgo")
    fresh, fresh_verdicts = run_suite(tmp_path / "fresh", "--conformance-provider", "orgo", fresh=True)
    assert warm.returncode == fresh.returncode == 0, warm.stdout[-2000:] + warm.stderr[-2000:]
    assert _as_compared(warm.stdout).replace("/warm/", "/X/") == _as_compared(fresh.stdout).replace("/fresh/", "/X/")
    assert warm.stderr == fresh.stderr  # (what other installed plugins say there, if anything)
    outcomes = [{p["nodeid"]: p["status"] for p in v["probes"]} for v in (warm_verdicts, fresh_verdicts)]
    assert outcomes[0] == outcomes[1]


def test_a_run_past_its_timeout_is_killed_as_subprocess_would(tmp_path):
    (tmp_path / "sleeper.py").write_text("import time\nprint('started', flush=True)\ntime.sleep(30)\n")
    for fresh in (False, True):
        with pytest.raises(subprocess.TimeoutExpired) as raised:
            python_m("sleeper", cwd=tmp_path, timeout=1.5, fresh=fresh)
        assert (raised.value.stdout, raised.value.stderr) == (b"started\n", None), fresh
