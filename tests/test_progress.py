"""The progress line: on a terminal, right of pytest's dots, gone before pytest writes again;
nothing at all when the output is not a terminal."""

from __future__ import annotations

import io
import time
from types import SimpleNamespace

from conformance.client.counters import Budget
from conformance.pytest_plugin.progress import ProgressLine

from .conftest import run_suite


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def _progress(max_requests, sent, started_ago):
    writer = SimpleNamespace(width_of_current_line=30)
    config = SimpleNamespace(get_terminal_writer=lambda: writer)
    budget = Budget(max_requests)  # the real counter the client increments per request sent
    budget.sent = sent
    target = SimpleNamespace(budget=budget)
    run = SimpleNamespace(settings=SimpleNamespace(max_requests=max_requests), target=lambda: target)
    line = ProgressLine(config, run, stream=_Terminal())
    line.started = time.monotonic() - started_ago
    return line


def test_the_line_names_the_probe_and_the_requests_sent_of_the_budget_then_is_erased():
    line = _progress(max_requests=500, sent=34, started_ago=5)
    line.pytest_runtest_logstart("conformance/probes/test_03_limits.py::test_x[name-41-ascii]", None)
    assert line.stream.getvalue() == "\x1b7  test_x[name-41-ascii]: 34/500 requests sent\x1b[K\x1b8"
    line.pytest_runtest_logreport(None)
    assert line.stream.getvalue().endswith("\x1b8\x1b[K")  # cleared from pytest's cursor to the line end
    line.pytest_runtest_logreport(None)
    assert line.stream.getvalue().count("\x1b[K") == 2  # erased once, not again


def test_no_line_in_the_first_seconds_nor_without_a_budget_number_invented():
    early = _progress(max_requests=None, sent=3, started_ago=0)
    early.pytest_runtest_logstart("m.py::test_y[c]", None)
    assert early.stream.getvalue() == ""
    late = _progress(max_requests=None, sent=3, started_ago=5)
    late.pytest_runtest_logstart("m.py::test_y[c]", None)
    assert "test_y[c]: 3 requests sent" in late.stream.getvalue()


def test_nothing_of_it_when_the_output_is_not_a_terminal(tmp_path):
    completed, verdicts = run_suite(tmp_path, "--conformance-provider", "anthropic")
    assert completed.returncode == 0 and verdicts["duration_s"] > 0
    assert "\x1b7" not in completed.stdout + completed.stderr
    assert "requests sent" not in completed.stdout + completed.stderr
