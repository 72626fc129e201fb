"""The shared fixtures (reference_server, raw_server) and the suite-running helpers live in
the project's root conftest.py; the helpers are named here too, so that a test module imports
them as `from .conftest import run_suite` whichever way pytest was started."""
from __future__ import annotations

from conftest import SECRET, CountingCreates, failed_ids, run_suite, statuses

__all__ = ["SECRET", "CountingCreates", "failed_ids", "run_suite", "statuses"]
