"""From probe results to requirement verdicts, the run's verdict and its exit status.

Every report (JSON, HTML, the terminal summary, the selftest) reads this one summary, so
people and CI systems see the same truth.
"""

from __future__ import annotations

import functools
import os
import tempfile
from pathlib import Path

from conformance import exitcodes
from conformance.model.catalog import derive
from conformance.model.outcome import BLOCKED, ERROR, FAIL, NOT_RUN, OUTCOMES, PASS, evidence_of, worst
from conformance.model.profile import Profile
from conformance.model.requirement import MUST, SHOULD, Requirement
from conformance.model.verdict import judge
from conformance.text import pretty_json, printable

FORMAT = "workspace-conformance/verdicts/1"


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
            catalog.append(
                Requirement(
                    rid,
                    custom.get("level", MUST),
                    custom.get("title", rid),
                    "custom",
                    {
                        "kind": "user",
                        "document": "user probe",
                        "quote": "",
                        "reading": f"declared by {probes[0]['nodeid']}",
                    },
                )
            )
    rows = []
    for req in catalog:
        probes = touched.get(req.id, [])
        statuses = [outcome_for(r, req.id) for r in probes]
        findings = []
        for r in probes:
            for f in r["findings"]:
                if f["requirement"] == req.id:
                    findings.append({**f, "probe": r["nodeid"], "evidence": evidence_of(r, f)})
        rows.append(
            {
                **req.to_dict(),
                "status": worst(statuses) if probes else NOT_RUN,
                "probes": [
                    {"nodeid": r["nodeid"], "status": s, "message": r["message"] if s != PASS else ""}
                    for r, s in zip(probes, statuses)
                ],
                "blocked_by": sorted({b for r in probes for b in r.get("blocked_by", {}).get(req.id, [])}),
                "findings": findings,
                "observations": sorted(
                    {o["text"] for r in probes for o in r["observations"] if o["requirement"] == req.id}
                ),
            }
        )
    return rows


def outcome_for(result: dict, rid: str) -> str:
    """One probe's outcome for one requirement it touched: what execute() recorded; a result
    without that record (a user's probe) counts as its own status."""
    if any(f["requirement"] == rid for f in result["findings"]):
        return FAIL
    return result.get("outcomes", {}).get(rid, result["status"])


def summarize(
    profile: Profile,
    results: list[dict],
    *,
    fail_on: str = "must",
    meta: dict | None = None,
    unreachable: str | None = None,
    interrupted: str | None = None,
    internal_errors: list[dict] | None = None,
    selected: set[str] | None = None,
) -> dict:
    rows = requirement_verdicts(profile, results)
    # A judgement over the whole run (a passing 5xx the retries hid) is no probe of its own: its
    # requirement's row shows it, and the report keeps it apart from the probes pytest ran.
    run_wide = [r for r in results if r.get("run_wide")]
    results = [r for r in results if not r.get("run_wide")]
    internal_errors = probe_crashes(results) + list(internal_errors or [])
    if selected is not None:
        # A run of some probes (a user's own file, -k) is judged on what was selected: catalog
        # requirements no selected probe checks are left out, not counted as not run.
        touched = {rid for r in results + run_wide for rid in r["requirements"]}
        rows = [r for r in rows if r["id"] in selected or r["id"] in touched]
    counts = {}
    for level in (MUST, SHOULD):
        mine = [r for r in rows if r["level"] == level]
        counts[level] = {s: sum(1 for r in mine if r["status"] == s) for s in OUTCOMES}
        counts[level]["total"] = len(mine)
    verdict, status = judge(rows, fail_on, unreachable=unreachable, interrupted=interrupted)
    if internal_errors:  # a bug of ours is never a verdict: the verdict covers what was checked
        status = exitcodes.INTERNAL
    return {
        "format": FORMAT,
        "provider": profile.key,
        "profile": {
            "title": profile.title,
            "document": profile.document,
            "directory_name": Path(profile.directory).name,
        },
        **printable(meta or {}),  # the target URL is the user's text: it may hold anything
        "fail_on": fail_on,
        "verdict": verdict,
        "exit_status": status,
        "complete": not (unreachable or interrupted) and all(r["status"] != NOT_RUN for r in rows),
        "problem": printable(unreachable or interrupted),
        "summary": counts,
        "requirements": rows,
        "probes": results,
        "run_wide": run_wide,
        "internal_errors": internal_errors,
    }


def probe_crashes(results: list[dict]) -> list[dict]:
    """Probes that crashed (a bug of ours, not the target's): each as an internal error."""
    return [
        internal_error(
            f"probe {r['nodeid']}", r["message"].splitlines()[0] if r["message"] else "crashed", r["traceback"]
        )
        for r in results
        if r.get("traceback")
    ]


def internal_error(where: str, what: str, trace: str) -> dict:
    """One internal error: one sentence for the console, the traceback for a bug report."""
    what = what if len(what) <= 200 else what[:200] + "…"
    return printable({"where": where, "sentence": f"internal error in {where}: {what}", "traceback": trace})


def file_beside(path: Path, suffix: str = "") -> tuple[int, str]:
    """A new file of our own beside `path`, created exclusively (nothing planted there is
    followed), with the permissions the umask gives (mkstemp makes 0600): (fd, name)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    os.chmod(name, 0o666 & ~_umask())
    return fd, name


def write_atomically(path: Path, text: str) -> None:
    """Write beside the target and rename: a reader never sees half a report."""
    fd, tmp = file_beside(path)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(printable(text))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@functools.lru_cache(maxsize=1)
def _umask() -> int:
    current = os.umask(0o022)  # the only way to read it is to set it; put it straight back
    os.umask(current)
    return current


def write_json(path: Path, summary: dict, redactor=None) -> None:
    """printable before dumping: a lone surrogate is stored as the text `\\ud800`, as everywhere
    else; `redactor` goes over the whole text last: whatever field a secret reached, it stops here."""
    text = pretty_json(printable(summary)) + "\n"
    write_atomically(path, redactor.text(text) if redactor is not None else text)


def one_line(summary: dict) -> str:
    must, should = summary["summary"][MUST], summary["summary"][SHOULD]
    gate = f" ({summary['gate']['note']})" if summary.get("gate") else ""
    return (
        f"{summary['provider']}: {summary['verdict']}{gate}: MUST {must[PASS]}/{must['total']} passed"
        f", SHOULD {should[PASS]}/{should['total']} passed"
        + (f", {must[FAIL] + should[FAIL]} failed" if must[FAIL] + should[FAIL] else "")
        + (f", {must[BLOCKED] + should[BLOCKED]} blocked" if must[BLOCKED] + should[BLOCKED] else "")
        + (f", {must[ERROR] + should[ERROR]} could not be checked" if must[ERROR] + should[ERROR] else "")
        + (f", {must[NOT_RUN] + should[NOT_RUN]} not run" if must[NOT_RUN] + should[NOT_RUN] else "")
        + (f"; {summary['workspaces_created']} workspaces created" if "workspaces_created" in summary else "")
    )
