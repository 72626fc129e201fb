"""The suite run as a user runs it (`run_suite`: a pytest process from an empty directory),
and the session-wide guards. The shared fixtures (reference_server, raw_server) and the
verdict-reading helpers live in the project's root conftest.py; those helpers are named here
too, so that a test module imports them all as `from .conftest import run_suite` whichever way
pytest was started. What is here is the project's tests' business only: the root conftest.py
is also read when someone runs the suite itself (`conformance run`) inside a clone."""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import CHECKOUT, SECRET, CountingCreates, _checkout_files, failed_ids, statuses

from .warm_interpreter import WarmInterpreter

__all__ = [
    "SECRET",
    "CountingCreates",
    "failed_ids",
    "no_wait",
    "python_m",
    "run_env",
    "run_suite",
    "statuses",
    "warm_interpreter",
]


def no_wait(seconds: float) -> None:
    """A `sleep` for a Target in tests about what follows a Retry-After, not about the wait:
    the wait is still asked for, counted and reported, only not spent."""


@functools.cache
def warm_interpreter() -> WarmInterpreter:
    """The warm interpreter (tests/warm_interpreter.py) of this test process, made on the first
    run that needs it."""
    return WarmInterpreter()


def run_env(env: dict | None = None) -> dict[str, str]:
    """A run's environment: this process's less its CONFORMANCE_* and GITHUB_* variables (a test's
    run never writes to the CI's step summary), plus ENV."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("CONFORMANCE_", "GITHUB_"))} | (env or {})


def python_m(
    module: str,
    *args: str,
    cwd: Path,
    env: dict | None = None,
    timeout: float = 120,
    fresh: bool = False,
    text: bool = True,
) -> subprocess.CompletedProcess:
    """`python -m MODULE ARGS` started in CWD with `run_env(ENV)`: its exit status and its output
    (as text unless not TEXT). Forked from a warm interpreter (tests/warm_interpreter.py) unless
    `fresh`, or unless the warm interpreter cannot stand in for a new one (`can_run`)."""
    full_env = run_env(env)
    warm = warm_interpreter()
    if fresh or not warm.can_run(full_env):
        command = [sys.executable, "-m", module, *args]
        return subprocess.run(command, cwd=cwd, env=full_env, capture_output=True, text=text, timeout=timeout)
    return warm.run(module, list(args), cwd, full_env, timeout, text)


def run_suite(tmp_path: Path, *args: str, env: dict | None = None, timeout: float = 120, fresh: bool = False):
    """`python -m pytest --pyargs conformance ARGS` from an empty directory (`python_m`); returns
    the completed process and the parsed <provider>.json verdicts (None when not written)."""
    workdir = tmp_path / "run"
    workdir.mkdir(parents=True, exist_ok=True)
    reports = workdir / "reports"
    completed = python_m(
        "pytest",
        *("--pyargs", "conformance", "-p", "no:cacheprovider", "-q", "--conformance-report-dir", str(reports)),
        *args,
        cwd=workdir,
        env=env,
        timeout=timeout,
        fresh=fresh,
    )
    written = sorted(reports.glob("*.json"))
    verdicts = json.loads(written[0].read_text()) if written else None
    return completed, verdicts


@pytest.fixture(scope="session", autouse=True)
def one_hypothesis_cache():
    """Every suite run these tests start (most in a fresh temporary directory) shares the
    checkout's Hypothesis cache: building its Unicode character map afresh costs about 3 s of
    start-up per run, most of what a small end-to-end test costs."""
    os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", str(CHECKOUT / ".hypothesis"))
    yield


@pytest.fixture(scope="session", autouse=True)
def checkout_left_alone():
    """The project's tests write only under temporary directories, never into the checkout.
    Not inside a mutation run: there the "checkout" is mutmut's scratch copy, whose bookkeeping
    files mutmut rewrites while other mutants' tests run (an error there would count as a kill)."""
    if "MUTANT_UNDER_TEST" in os.environ:
        yield
        return
    before = _checkout_files()
    yield
    after = _checkout_files()
    changed = sorted(name for name in before.keys() | after.keys() if before.get(name) != after.get(name))
    assert not changed, f"the tests wrote into the checkout: {changed[:10]}"
