"""A run's verdict and exit status from its requirement rows: the one question the summary,
the expectations gate and the index page ask."""

from __future__ import annotations

from conformance import exitcodes
from conformance.model.outcome import FAIL, PASS
from conformance.model.requirement import MUST, SHOULD


def gating_levels(fail_on: str) -> set[str]:
    return {MUST, SHOULD} if fail_on == "should" else {MUST}


def judge(
    rows: list[dict], fail_on: str, *, unreachable: str | None = None, interrupted: str | None = None
) -> tuple[str, int]:
    """The verdict and exit status that requirement rows earn (the expectations gate asks the
    same question of the rows its file does not excuse)."""
    gating_rows = [r for r in rows if r["level"] in gating_levels(fail_on)]
    if any(r["status"] == FAIL for r in gating_rows):
        return "NOT CONFORMANT", exitcodes.NOT_CONFORMANT
    if unreachable:
        return "INCOMPLETE", exitcodes.UNREACHABLE
    if any(r["status"] != PASS for r in gating_rows) or interrupted:  # blocked, error, not run
        return "INCOMPLETE", exitcodes.INCOMPLETE
    return "CONFORMANT", exitcodes.OK
