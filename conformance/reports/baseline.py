"""Regressions: this run's requirement outcomes beside those of an earlier JSON report."""

from __future__ import annotations

import json
from pathlib import Path

from conformance.model.outcome import FAIL, PASS
from conformance.reports.summary import FORMAT


class BaselineError(ValueError):
    """The earlier report cannot be compared with; the message is one sentence."""


def load(path: str, provider: str) -> dict:
    """The earlier report's outcomes, from a <provider>.json or a directory holding one (so one
    value serves every provider of `conformance run --all`)."""
    where = Path(path)
    if where.is_dir():
        where = where / f"{provider}.json"
    name = f"the baseline report {where}"
    try:
        report = json.loads(where.read_text(encoding="utf-8"))
    except OSError as exc:
        raise BaselineError(f"cannot read {name}: {exc.strerror or exc}") from None
    except ValueError:
        raise BaselineError(f"{name} is not JSON") from None
    if (
        not isinstance(report, dict)
        or report.get("format") != FORMAT
        or not isinstance(report.get("requirements"), list)
    ):
        raise BaselineError(f"{name} is not a workspace-conformance JSON report ({FORMAT})")
    if report.get("provider") != provider:
        raise BaselineError(f"{name} is a report for {report.get('provider')!r}, not {provider}")
    try:
        outcomes = {r["id"]: r["status"] for r in report["requirements"]}
    except (KeyError, TypeError):
        raise BaselineError(f"{name} has a requirement without an id or status") from None
    return {
        "file": str(where),
        "started": report.get("started"),
        "verdict": report.get("verdict"),
        "outcomes": outcomes,
    }


def compare(baseline: dict, rows: list[dict]) -> dict:
    """Newly failing (fails now, did not then), newly passing (passes now, did not then) and every
    other change of outcome. A requirement the earlier run did not have counts as new."""
    newly_failing, newly_passing, changed = [], [], []
    for row in rows:
        was, now = baseline["outcomes"].get(row["id"]), row["status"]
        if was == now:
            continue
        change = {"id": row["id"], "level": row["level"], "title": row["title"], "was": was, "now": now}
        if now == FAIL:
            newly_failing.append(change)
        elif now == PASS and was is not None:
            newly_passing.append(change)
        elif was is not None:
            changed.append(change)
    return {
        "file": baseline["file"],
        "started": baseline["started"],
        "verdict": baseline["verdict"],
        "newly_failing": newly_failing,
        "newly_passing": newly_passing,
        "changed": changed,
    }


def closing_lines(summary: dict) -> list[str]:
    b = summary.get("baseline")
    if not b:
        return []
    lines = [
        f"compared with {b['file']} ({b['verdict']}, {b['started']}): {len(b['newly_failing'])} newly failing, "
        f"{len(b['newly_passing'])} newly passing, {len(b['changed'])} other changes"
    ]
    for label, changes in (
        ("newly failing", b["newly_failing"]),
        ("newly passing", b["newly_passing"]),
        ("changed", b["changed"]),
    ):
        for c in changes[:20]:
            lines.append(f"  {label}: {c['id']} ({c['was'] or 'new'} -> {c['now']})")
        if len(changes) > 20:
            lines.append(f"  … and {len(changes) - 20} more {label} (the JSON report has them all)")
    return lines
