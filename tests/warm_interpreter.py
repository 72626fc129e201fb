"""`python -m pytest ...` and `python -m conformance ...` in a process of their own, forked from
a warm interpreter.

Most tests run the suite as a user runs it: a process from an empty directory, read from its
exit status, console and report files. A fresh interpreter spends about half a second importing
pytest, Hypothesis, httpx, jsonschema, uvicorn and the suite before its first probe, which over
some two hundred runs was most of the test run's time. Here a fork server (the standard
library's `multiprocessing` "forkserver": one single-threaded process per test worker, which
imports those libraries once, tests/warm_preload.py) forks a child for each run. The child is a
process of its own, as before: its own working directory, environment, sys.argv, sys.path (as a
new interpreter's: the working directory, PYTHONPATH, the rest), TMPDIR, standard streams, signal
handlers and exit status, and nothing of the test that started it nor of this helper (`tests` is
not in its sys.modules); it runs the module as `python -m` does (`runpy`). What it shares with
its siblings is the libraries already imported (imported as a run imports them, from an empty
directory) and the interpreter's hash seed; it runs no atexit handler (the suite's only one
freezes the garbage collector before exit).

A run needs a fresh interpreter when its subject is one: what a run imports, outcomes across
interpreters, the memory a run takes, a signal sent to the process. Those tests start `python -m
...` themselves (`run_suite(..., fresh=True)`). A run whose environment changes what an
interpreter reads as it starts gets one by itself (`can_run`), and so does every run of a test
process started with interpreter options a new `python` would not have (-W, -X, -O, ...)."""

from __future__ import annotations

import io
import json
import multiprocessing
import multiprocessing.forkserver
import os
import runpy
import subprocess
import sys
import tempfile
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PRELOAD = ["tests.warm_preload"]  # imports what a run imports, the way pytest imports it
# This process's environment as it started (before any test changed it): what a new `python`
# is asked about to tell whether this one was started with interpreter options.
STARTED_ENVIRONMENT = dict(os.environ)
_OWN = (
    "import json, sys; print(json.dumps({'path': sys.path[1:], 'flags': list(sys.flags), "
    "'warnoptions': sys.warnoptions, 'xoptions': sys._xoptions}))"
)


def fresh_interpreter(env: dict[str, str]) -> dict:
    """What a new `python` started with ENV (less PYTHONPATH, which each run sets for itself) has
    of its own: its sys.path after the first entry, its flags, -W and -X options. Asked of one."""
    plain = {k: v for k, v in env.items() if k != "PYTHONPATH"}
    asked = subprocess.run([sys.executable, "-c", _OWN], env=plain, capture_output=True, text=True, check=True)
    return json.loads(asked.stdout)


def _read_at_start(environ) -> dict[str, str]:
    """The variables an interpreter reads as it starts (PYTHON* but PYTHONPATH, the locale, the
    time zone): a forked run cannot change them."""
    return {
        k: v
        for k, v in environ.items()
        if (k.startswith(("PYTHON", "LC_")) or k in ("LANG", "TZ")) and k != "PYTHONPATH"
    }


@cache
def started_as_a_new_python() -> bool:
    """Whether this process was started with no interpreter option a new `python` lacks (-W, -X,
    -O, ...): the fork server inherits this process's (multiprocessing passes them on), a fresh
    run gets none."""
    mine = {"flags": list(sys.flags), "warnoptions": sys.warnoptions, "xoptions": sys._xoptions}
    fresh = fresh_interpreter(STARTED_ENVIRONMENT)
    return json.loads(json.dumps(mine)) == {k: fresh[k] for k in mine}


def pythonpath(env) -> list[str]:
    """PYTHONPATH's entries as a new interpreter puts them on sys.path (absolute, normalised)."""
    return [os.path.abspath(entry) for entry in env.get("PYTHONPATH", "").split(os.pathsep) if entry]


def _as_python_m(module: str, argv: list[str], cwd: str, env: dict[str, str], out: str, err: str, harness: str) -> None:
    """In the forked child: become `python -m MODULE ARGV`, started in CWD with ENV, its standard
    output and error going to the files OUT and ERR; a fault of this helper goes to HARNESS."""
    for fd, path in ((1, out), (2, err)):
        opened = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(opened, fd)
        os.close(opened)
    preload = sys.modules.get("tests.warm_preload")
    failed = "the fork server did not import tests.warm_preload" if preload is None else preload.FAILED
    if failed:  # the fork server swallows an ImportError of its preload, and dies of anything else
        Path(harness).write_text(f"warm interpreter: {failed}")
        os._exit(1)
    # Nothing of this helper, nor the test process's main script multiprocessing ran as
    # __mp_main__, stays visible to the run (Hypothesis draws constants from local modules).
    for name in [m for m in sys.modules if m in ("tests", "__mp_main__") or m.startswith("tests.")]:
        del sys.modules[name]
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(env)
    tempfile.tempdir = None  # read from TMPDIR afresh, as a new interpreter does on first use
    # sys.path as `python -m` starts with it: the working directory, PYTHONPATH, the rest.
    sys.path[:] = [cwd, *pythonpath(env), *preload.FRESH_SYS_PATH]
    # As `python -m`: argv[0] becomes the file run (a package's __main__.py), its sys.exit the status.
    sys.argv = [module, *argv]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


class WarmInterpreter:
    """Forks `python -m MODULE` runs from one fork server, started on the first run."""

    def __init__(self) -> None:
        self._context: multiprocessing.context.ForkServerContext | None = None
        self._started_with: dict[str, str] | None = None  # what the fork server read as it started

    def can_run(self, env: dict[str, str]) -> bool:
        """False where there is no fork server (Windows), when this process was started with
        interpreter options, or when ENV differs from the fork server's own environment in what
        an interpreter reads as it starts: such a run needs a fresh interpreter."""
        if "forkserver" not in multiprocessing.get_all_start_methods() or not started_as_a_new_python():
            return False
        started_with = self._started_with if self._started_with is not None else _read_at_start(os.environ)
        return started_with == _read_at_start(env)

    def _fork_server(self) -> multiprocessing.context.ForkServerContext:
        if self._context is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(PRELOAD)
            # The fork server imports its preload from the directory it starts in ('' on its
            # sys.path before Python 3.12.8), whatever directory the test that first needs it is in.
            home = os.getcwd()
            os.chdir(ROOT)
            try:
                self._started_with = _read_at_start(os.environ)
                multiprocessing.forkserver.ensure_running()
            finally:
                os.chdir(home)
            self._context = context
        return self._context

    def run(
        self, module: str, argv: list[str], cwd: Path, env: dict[str, str], timeout: float, text: bool = True
    ) -> subprocess.CompletedProcess:
        """What `subprocess.run([python, -m, MODULE, *ARGV], cwd=CWD, env=ENV, timeout=TIMEOUT,
        capture_output=True, text=TEXT)` returns or raises; RuntimeError when the fork server
        could not prepare the child (a fault of this helper, never a run's exit status)."""
        command = [sys.executable, "-m", module, *argv]
        with tempfile.TemporaryDirectory(prefix="warm-run-") as streams:  # not in CWD: the run owns that
            out, err, harness = Path(streams, "stdout"), Path(streams, "stderr"), Path(streams, "harness")
            child = self._fork_server().Process(
                target=_as_python_m, args=(module, argv, str(cwd), env, str(out), str(err), str(harness))
            )
            child.start()
            child.join(timeout)
            timed_out = child.exitcode is None
            if timed_out:
                child.kill()
                child.join()
            if harness.exists():
                raise RuntimeError(harness.read_text())
            raw = [path.read_bytes() if path.exists() else None for path in (out, err)]
            if timed_out:  # as subprocess.run raises it: what was written, as bytes, or None
                raise subprocess.TimeoutExpired(command, timeout, output=raw[0] or None, stderr=raw[1] or None)
            if raw[0] is None:
                raise RuntimeError(f"warm interpreter: the child died before its run began (exit {child.exitcode})")
            read: list = [data or b"" for data in raw]
            if text:  # as subprocess decodes: the locale's encoding, universal newlines
                read = [io.TextIOWrapper(io.BytesIO(data)).read() for data in read]
            return subprocess.CompletedProcess(command, child.exitcode, *read)
