"""Imported once by the fork server of tests/warm_interpreter.py: what a `pytest --pyargs
conformance` process imports before its first probe, imported as that process imports it.

pytest loads its plugins (the suite's entry point among them) through its assertion-rewriting
import hook, after marking every plugin's package for rewriting; a module imported any other
way draws "Module already imported so cannot be rewritten" in each later run. So this parses a
command line as pytest would (reading no conftest and no ini file), imports the
libraries the suite loads once chosen while that hook is in place, and then undoes the
configuration, hook included. (`_prepareconfig` and `_ensure_unconfigure` are pytest's own
steps of `pytest.main`, which would also run a session.)"""

from __future__ import annotations

import importlib
import os
import sys
import tempfile

from tests.warm_interpreter import fresh_interpreter, pythonpath

# The suite's layers below the probes, and the libraries beneath them. Not the probe modules
# (conformance/probes/test_*.py): each run's pytest collects those itself.
CHOSEN = [
    "conformance.pytest_plugin.hooks",
    "conformance.pytest_plugin.fixtures",
    "conformance.pytest_plugin.run",
    "conformance.reference.serving",
    "conformance.engine.runner",
    "hypothesis",
    "httpx",
    "jsonschema",
    "uvicorn",
    "starlette.applications",
]


def _import_as_pytest_does() -> None:
    """As from an empty working directory, on a new interpreter's sys.path: the plugins pytest
    finds and marks for rewriting are a run's, and what Hypothesis and rich fix at import (a
    default storage directory, the working directory) is never this project's checkout (the
    suite sets its own Hypothesis storage). No ini file, no conftest."""
    from _pytest.config import _prepareconfig  # pytest's own step, private: a change is said below

    home, own_path = os.getcwd(), list(sys.path)
    with tempfile.TemporaryDirectory(prefix="warm-preload-") as empty:
        ini = os.path.join(empty, "pytest.ini")
        with open(ini, "w") as file:
            file.write("[pytest]\n")
        os.chdir(empty)
        sys.path[:] = [empty, *pythonpath(os.environ), *FRESH_SYS_PATH]  # as a run with this environment
        try:
            config = _prepareconfig(["-p", "no:cacheprovider", "-c", ini, "--rootdir", empty, empty])
            try:
                for name in CHOSEN:
                    importlib.import_module(name)
            finally:
                config._ensure_unconfigure()
        finally:
            os.chdir(home)
            sys.path[:] = own_path


# A new interpreter's sys.path after its first entry, without PYTHONPATH: each run puts its own
# working directory first and its own PYTHONPATH next, as `python -m` does.
FRESH_SYS_PATH: list[str] = []
# Why the preload failed, for each run to say (the fork server would swallow an exception, or die).
FAILED = ""
try:
    FRESH_SYS_PATH = fresh_interpreter(dict(os.environ))["path"]
    _import_as_pytest_does()
except Exception as error:  # every failure here is said by each run instead
    FAILED = f"the fork server's preload failed: {type(error).__name__}: {error}"
