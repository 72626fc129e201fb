"""A progress line on a terminal: which probe is running and how many requests were sent out of
the budget, for runs longer than a couple of seconds. Written to the terminal only (stderr
that is a TTY), and erased before pytest writes anything, so pytest's own output and every
log or CI transcript stay exactly as they were."""

from __future__ import annotations

import shutil
import sys
import time

import pytest

SHOW_AFTER_S = 2.0
SAVE, RESTORE, CLEAR_TO_END = "\x1b7", "\x1b8", "\x1b[K"


def wanted(config) -> bool:
    stream = sys.stderr
    return (
        config.get_verbosity() <= 0
        and hasattr(stream, "isatty")
        and stream.isatty()
        and config.getoption("capture", "fd") != "no"  # -s: a probe's own prints share the line
        and getattr(config.option, "dist", "no") == "no"
    )  # xdist: the workers send, not this process


class ProgressLine:
    def __init__(self, config, run, stream=None):
        self.config = config
        self.run = run
        self.stream = stream or sys.stderr
        self.started = time.monotonic()
        self.shown = False

    def line(self, nodeid: str) -> str:
        budget = self.run.settings.max_requests
        sent = self.run.target().budget.sent  # this process's requests
        probe = nodeid.split("::")[-1]
        return f"{probe}: {sent}{f'/{budget}' if budget is not None else ''} requests sent"

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report):
        if self.shown:  # gone before pytest writes its next character where the status was
            self.stream.write(CLEAR_TO_END)
            self.stream.flush()
            self.shown = False

    @pytest.hookimpl(trylast=True)
    def pytest_runtest_logstart(self, nodeid, location):
        if time.monotonic() - self.started < SHOW_AFTER_S:
            return
        # Right of pytest's dots, on the same line and never wrapped; the cursor goes back to
        # where pytest left it, so its own output and line accounting are untouched.
        room = shutil.get_terminal_size().columns - self.config.get_terminal_writer().width_of_current_line - 3
        if room < 20:
            return
        self.stream.write(f"{SAVE}  {self.line(nodeid)[:room]}{CLEAR_TO_END}{RESTORE}")
        self.stream.flush()
        self.shown = True

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self):
        self.pytest_runtest_logreport(None)
