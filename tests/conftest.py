"""The shared fixtures (reference_server, raw_server) and the suite-running helpers live in
the project's root conftest.py; the helpers are named here too, so that a test module imports
them as `from .conftest import run_suite` whichever way pytest was started. The session-wide
guards are here, not there: they are the project's tests' business, and the root conftest.py
is also read when someone runs the suite itself (`conformance run`) inside a clone."""

from __future__ import annotations

import os

import pytest

from conftest import CHECKOUT, SECRET, CountingCreates, _checkout_files, failed_ids, run_suite, statuses

__all__ = ["SECRET", "CountingCreates", "failed_ids", "run_suite", "statuses"]


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
