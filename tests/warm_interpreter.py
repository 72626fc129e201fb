"""`python -m pytest ...` and `python -m conformance ...` in a process of their own, forked from
a warm interpreter.

Most tests run the suite as a user runs it: a process from an empty directory, read from its
exit status, console and report files. A fresh interpreter spends about half a second importing
pytest, Hypothesis, httpx, jsonschema, uvicorn and the suite before its first probe, which over
some two hundred runs was most of the test run's time. Here a fork server (the standard
library's `multiprocessing` "forkserver": one single-threaded process per test worker, which
imports those libraries once, tests/warm_preload.py) forks a child for each run. The child is a
process of its own, as before: its own working directory, environment, sys.argv and sys.path,
standard streams, signal handlers and exit status, and nothing of the test that started it; it
runs the module as `python -m` does (`runpy`). What it shares with its siblings is the libraries
already imported and the interpreter's hash seed.

A run needs a fresh interpreter when its subject is one: what a run imports, environment
variables read at start-up (PYTHONWARNINGS, PYTHONHASHSEED, ...; `can_run` says), outcomes
across interpreters, the memory a run takes, a signal sent to the process. Those tests start
`python -m ...` themselves (`run_suite(..., fresh=True)`)."""

from __future__ import annotations

import io
import multiprocessing
import multiprocessing.forkserver
import os
import runpy
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PRELOAD = ["tests.warm_preload"]  # imports what a run imports, the way pytest imports it


def _as_python_m(module: str, argv: list[str], cwd: str, env: dict[str, str], out: str, err: str) -> None:
    """In the forked child: become `python -m MODULE ARGV`, started in CWD with ENV, its standard
    output and error going to the files OUT and ERR."""
    for fd, path in ((1, out), (2, err)):
        opened = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(opened, fd)
        os.close(opened)
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(env)
    tempfile.tempdir = None  # read from TMPDIR afresh, as a new interpreter does on first use
    # sys.path as `python -m` starts with it: the working directory, PYTHONPATH, the rest.
    fresh = [entry for entry in sys.modules["tests.warm_preload"].FRESH_SYS_PATH if entry != ""]
    sys.path[:] = [cwd, *filter(None, env.get("PYTHONPATH", "").split(os.pathsep)), *fresh]
    # As `python -m`: argv[0] becomes the file run (a package's __main__.py), its sys.exit the status.
    sys.argv = [module, *argv]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


class WarmInterpreter:
    """Forks `python -m MODULE` runs from one fork server, started on the first run."""

    def __init__(self) -> None:
        self._context: multiprocessing.context.ForkServerContext | None = None

    @staticmethod
    def can_run(env: dict[str, str]) -> bool:
        """False where there is no fork server (Windows), or when ENV changes what an
        interpreter reads as it starts (PYTHON* such as PYTHONWARNINGS or PYTHONHASHSEED, the
        locale, the time zone): such a run needs a fresh interpreter. PYTHONPATH is the
        exception, put on the child's sys.path as the interpreter would."""
        if "forkserver" not in multiprocessing.get_all_start_methods():
            return False

        def read_at_start(environ) -> dict[str, str]:
            return {
                k: v
                for k, v in environ.items()
                if (k.startswith(("PYTHON", "LC_")) or k in ("LANG", "TZ")) and k != "PYTHONPATH"
            }

        return read_at_start(os.environ) == read_at_start(env)

    def _fork_server(self) -> multiprocessing.context.ForkServerContext:
        if self._context is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(PRELOAD)
            # The fork server imports its preload from the directory it starts in ('' on its
            # sys.path), whatever directory the test that first needs it is in.
            home = os.getcwd()
            os.chdir(ROOT)
            try:
                multiprocessing.forkserver.ensure_running()
            finally:
                os.chdir(home)
            self._context = context
        return self._context

    def run(
        self, module: str, argv: list[str], cwd: Path, env: dict[str, str], timeout: float, text: bool = True
    ) -> subprocess.CompletedProcess:
        """What `subprocess.run([python, -m, MODULE, *ARGV], cwd=CWD, env=ENV, timeout=TIMEOUT,
        capture_output=True, text=TEXT)` returns."""
        command = [sys.executable, "-m", module, *argv]
        with tempfile.TemporaryDirectory(prefix="warm-run-") as streams:  # not in CWD: the run owns that
            out, err = Path(streams, "stdout"), Path(streams, "stderr")
            child = self._fork_server().Process(
                target=_as_python_m, args=(module, argv, str(cwd), env, str(out), str(err))
            )
            child.start()
            child.join(timeout)
            if child.exitcode is None:
                child.kill()
                child.join()
                raise subprocess.TimeoutExpired(command, timeout)
            read = [path.read_bytes() if path.exists() else b"" for path in (out, err)]
            if text:  # as subprocess decodes: the locale's encoding, universal newlines
                read = [io.TextIOWrapper(io.BytesIO(data)).read() for data in read]
            return subprocess.CompletedProcess(command, child.exitcode, *read)
