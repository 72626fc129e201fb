"""From probe results to requirement verdicts, the run's verdict and its exit status.

Every report (JSON, HTML, the terminal summary, the selftest) reads this one summary, so
people and CI systems see the same truth.
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from . import exitcodes
from .catalog import MUST, SHOULD, Requirement, derive
from .profile import Profile
from .verdict import BLOCKED, ERROR, FAIL, NOT_RUN, OUTCOMES, PASS, worst

FORMAT = "workspace-conformance/verdicts/1"


def gating_levels(fail_on: str) -> set[str]:
    return {MUST, SHOULD} if fail_on == "should" else {MUST}


def requirement_verdicts(profile: Profile, results: list[dict]) -> list[dict]:
    touched: dict[str, list[dict]] = {}
    for result in results:
        for rid in result["requirements"]:
            touched.setdefault(rid, []).append(result)
    catalog = derive(profile)
    known = {r.id for r in catalog}
    for rid, probes in touched.items():  # requirements a user's own probes declared
        if rid not in known:
            custom = probes[0].get("custom") or {}
            catalog.append(Requirement(rid, custom.get("level", MUST), custom.get("title", rid), "custom",
                                       {"document": "user probe", "quote": probes[0]["nodeid"]}))
    rows = []
    for req in catalog:
        probes = touched.get(req.id, [])
        statuses = [outcome_for(r, req.id) for r in probes]
        findings = []
        for r in probes:
            for f in r["findings"]:
                if f["requirement"] == req.id:
                    exchange = r["exchanges"][f["exchange"]] if f.get("exchange") is not None \
                        and f["exchange"] < len(r["exchanges"]) else None
                    findings.append({**f, "probe": r["nodeid"], "evidence": exchange})
        rows.append({
            **req.to_dict(),
            "status": worst(statuses) if probes else NOT_RUN,
            "probes": [{"nodeid": r["nodeid"], "status": s, "message": r["message"] if s != PASS else ""}
                       for r, s in zip(probes, statuses)],
            "blocked_by": sorted({b for r in probes for b in r.get("blocked_by", {}).get(req.id, [])}),
            "findings": findings,
            "observations": sorted({o["text"] for r in probes for o in r["observations"]
                                    if o["requirement"] == req.id}),
        })
    return rows


def outcome_for(result: dict, rid: str) -> str:
    """One probe's outcome for one requirement it touched: what execute() recorded; a result
    without that record (a user's probe) counts as its own status."""
    if any(f["requirement"] == rid for f in result["findings"]):
        return FAIL
    return result.get("outcomes", {}).get(rid, result["status"])


def summarize(profile: Profile, results: list[dict], *, fail_on: str = "must", meta: dict | None = None,
              unreachable: str | None = None, interrupted: str | None = None) -> dict:
    rows = requirement_verdicts(profile, results)
    gating = gating_levels(fail_on)
    counts = {}
    for level in (MUST, SHOULD):
        mine = [r for r in rows if r["level"] == level]
        counts[level] = {s: sum(1 for r in mine if r["status"] == s) for s in OUTCOMES}
        counts[level]["total"] = len(mine)
    gating_rows = [r for r in rows if r["level"] in gating]
    if any(r["status"] == FAIL for r in gating_rows):
        verdict, status = "NOT CONFORMANT", exitcodes.NOT_CONFORMANT
    elif unreachable:
        verdict, status = "INCOMPLETE", exitcodes.UNREACHABLE
    elif any(r["status"] != PASS for r in gating_rows) or interrupted:
        verdict, status = "INCOMPLETE", exitcodes.INCOMPLETE
    else:
        verdict, status = "CONFORMANT", exitcodes.OK
    return {
        "format": FORMAT,
        "provider": profile.key,
        "profile": {"title": profile.title, "document": profile.document, "directory_name": Path(profile.directory).name},
        **(meta or {}),
        "fail_on": fail_on,
        "verdict": verdict,
        "exit_status": status,
        "complete": not (unreachable or interrupted) and all(r["status"] != NOT_RUN for r in rows),
        "problem": unreachable or interrupted,
        "summary": counts,
        "requirements": rows,
        "probes": results,
    }


def write_atomically(path: Path, text: str) -> None:
    """Write beside the target and rename: a reader never sees half a report."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json(path: Path, summary: dict) -> None:
    write_atomically(path, json.dumps(summary, indent=2, ensure_ascii=False) + "\n")


def one_line(summary: dict) -> str:
    must, should = summary["summary"][MUST], summary["summary"][SHOULD]
    return (f"{summary['provider']}: {summary['verdict']}: MUST {must[PASS]}/{must['total']} passed"
            f", SHOULD {should[PASS]}/{should['total']} passed"
            + (f", {must[FAIL] + should[FAIL]} failed" if must[FAIL] + should[FAIL] else "")
            + (f", {must[BLOCKED] + should[BLOCKED]} blocked" if must[BLOCKED] + should[BLOCKED] else "")
            + (f", {must[ERROR] + should[ERROR]} could not be checked" if must[ERROR] + should[ERROR] else "")
            + (f", {must[NOT_RUN] + should[NOT_RUN]} not run" if must[NOT_RUN] + should[NOT_RUN] else "")
            + (f"; {summary['workspaces_created']} workspaces created" if "workspaces_created" in summary else ""))
