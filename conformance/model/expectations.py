"""Known deviations: a TOML file of requirement ids the gate expects to fail, each with a reason
and an optional expiry date, the way web-platform-tests keeps per-implementation expectations.

The verdict stays what the target earned; only the gate (the exit status) excuses what a team
declared. Expectations that no longer hold are listed so the file shrinks as fixes land.
"""

from __future__ import annotations

import difflib
import sys
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

import tomli_w

from conformance.model.outcome import BLOCKED, ERROR, FAIL, NOT_RUN, PASS
from conformance.model.verdict import gating_levels, judge

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - the same parser, before it joined the standard library
    import tomli as tomllib

EXPECTABLE = (FAIL, ERROR, BLOCKED, NOT_RUN)
ENTRY_KEYS = {"outcome", "reason", "until"}
PLACEHOLDER_REASON = "TODO: why this deviation is accepted, and where its fix is tracked"

# How each expectation turned out in a run (the `state` of a requirement's `expectation`).
EXPECTED = "expected"  # the outcome came as declared: the gate excuses it
UNEXPECTEDLY_PASSING = "unexpectedly-passing"  # it holds now: remove it from the file
EXPIRED = "expired"  # past its `until` date: no longer excused
DIFFERENT = "different-outcome"  # another non-pass outcome than declared: not excused


class ExpectationsError(ValueError):
    """The file cannot be used; the message is one sentence naming the file."""


@dataclass(frozen=True)
class Expectation:
    requirement: str
    outcome: str
    reason: str
    until: date | None = None

    def expired(self, today: date) -> bool:
        return self.until is not None and today > self.until

    def to_dict(self) -> dict:
        return {"outcome": self.outcome, "reason": self.reason, "until": self.until.isoformat() if self.until else None}


def today() -> date:
    return datetime.now(timezone.utc).date()


def load(path: str) -> dict[str, Expectation]:
    """Parse and check the file's shape; ids are checked against a provider by `for_provider`."""
    where = f"the expectations file {path}"
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "it is not UTF-8 text"
        raise ExpectationsError(f"cannot read {where}: {reason}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ExpectationsError(f"{where} is not valid TOML: {exc}") from None
    extra = sorted(set(data) - {"expect"})
    if extra:
        raise ExpectationsError(
            f'{where} has a top-level key {extra[0]!r}; it holds only [expect."<requirement id>"] tables'
        )
    table = data.get("expect", {})
    if not isinstance(table, dict):
        raise ExpectationsError(f'{where}: `expect` must be a table of [expect."<requirement id>"] entries')
    found = {}
    for rid, entry in table.items():
        found[rid] = _entry(where, rid, entry)
    return found


def _entry(where: str, rid: str, entry) -> Expectation:
    name = f"{where}, entry {rid!r},"
    if not isinstance(entry, dict):
        raise ExpectationsError(f"{name} must be a table with outcome and reason")
    unknown = sorted(set(entry) - ENTRY_KEYS)
    if unknown:
        raise ExpectationsError(f"{name} has an unknown key {unknown[0]!r} (allowed: outcome, reason, until)")
    outcome = entry.get("outcome")
    if outcome not in EXPECTABLE:
        raise ExpectationsError(f"{name} has outcome {outcome!r}; expected one of {', '.join(EXPECTABLE)}")
    reason = entry.get("reason")
    if not isinstance(reason, str):
        # An empty reason is written but not yet said: a warning at start (a usage error with
        # --conformance-strict-expectations, see conformance.settings), like a TODO placeholder.
        raise ExpectationsError(f"{name} needs a reason: say why the deviation is accepted")
    until = entry.get("until")
    if isinstance(until, datetime):
        until = until.date()
    if until is not None and not isinstance(until, date):
        raise ExpectationsError(f"{name} has until = {until!r}; write a TOML date such as 2027-03-31 (no quotes)")
    return Expectation(rid, outcome, reason.strip(), until)


def for_provider(
    expectations: dict[str, Expectation], provider: str, known_ids, other_providers
) -> dict[str, Expectation]:
    """This provider's entries. One file may serve every provider of `conformance run --all`, so
    another provider's ids are left to its own run; an id nobody knows is a usage error."""
    known = set(known_ids)
    mine = {}
    for rid, expectation in expectations.items():
        if rid in known:
            mine[rid] = expectation
        elif not any(rid.startswith(f"{other}.") for other in other_providers if other != provider):
            close = difflib.get_close_matches(rid, sorted(known), n=1, cutoff=0.8)
            hint = f"did you mean {close[0]!r}?" if close else f"`conformance requirements {provider}` lists them"
            raise ExpectationsError(
                f"the expectations file names {rid!r}, which is not a requirement of {provider} ({hint})"
            )
    return mine


def apply(
    summary: dict,
    expectations: dict[str, Expectation],
    source: str,
    *,
    unreachable: str | None = None,
    interrupted: str | None = None,
    on: date | None = None,
) -> dict:
    """Mark each expected requirement with how its expectation turned out and set the gate: the
    exit status the rows the file does not excuse earn. Returns summary["gate"]."""
    on = on or today()
    excused: set[str] = set()
    lists: dict[str, list[str]] = {EXPECTED: [], UNEXPECTEDLY_PASSING: [], EXPIRED: [], DIFFERENT: []}
    for row in summary["requirements"]:
        expectation = expectations.get(row["id"])
        if expectation is None:
            continue
        if expectation.expired(on):
            state = EXPIRED
        elif row["status"] == expectation.outcome:
            state = EXPECTED
            excused.add(row["id"])
        elif row["status"] == PASS:
            state = UNEXPECTEDLY_PASSING
        else:
            state = DIFFERENT
        row["expectation"] = {**expectation.to_dict(), "state": state}
        lists[state].append(row["id"])
    not_excused = [r for r in summary["requirements"] if r["id"] not in excused]
    _, status = judge(not_excused, summary["fail_on"], unreachable=unreachable, interrupted=interrupted)
    gating = gating_levels(summary["fail_on"])
    unexpected = [r["id"] for r in not_excused if r["status"] == FAIL and r["level"] in gating]
    gate = {
        "expectations": source,
        "passed": status == 0,
        "exit_status": status,
        "note": _note(status, len(lists[EXPECTED]), len(unexpected)),
        "expected": lists[EXPECTED],
        "unexpected_failures": unexpected,
        "unexpectedly_passing": lists[UNEXPECTEDLY_PASSING],
        "expired": lists[EXPIRED],
        "different_outcome": lists[DIFFERENT],
    }
    summary["gate"] = gate
    summary["exit_status"] = status
    return gate


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _note(status: int, expected: int, unexpected: int) -> str:
    if status == 0:
        return f"gate passed with {_plural(expected, 'expected failure')}"
    if unexpected:
        return f"gate failed: {_plural(unexpected, 'unexpected failure')}" + (
            f", {expected} expected" if expected else ""
        )
    return f"gate incomplete: some requirements could not be checked ({expected} expected failures)"


def closing_lines(summary: dict) -> list[str]:
    """The console lines after the verdict: what the file must lose, and what it no longer covers."""
    gate = summary.get("gate")
    if not gate:
        return []
    rows = {r["id"]: r for r in summary["requirements"]}
    lines = []
    if gate["unexpected_failures"]:
        lines.append("failed unexpectedly: " + ", ".join(gate["unexpected_failures"]))
    if gate["unexpectedly_passing"]:
        lines.append(
            f"unexpectedly passing: remove them from {gate['expectations']}: " + ", ".join(gate["unexpectedly_passing"])
        )
    for rid in gate["expired"]:
        lines.append(
            f"expired expectation (not excused any more): {rid} was expected to {rows[rid]['expectation']['outcome']} "
            f"until {rows[rid]['expectation']['until']}; it is {rows[rid]['status']}"
        )
    for rid in gate["different_outcome"]:
        lines.append(
            f"expected {rows[rid]['expectation']['outcome']} but got {rows[rid]['status']}: {rid} (not excused)"
        )
    return lines


def bootstrap(reports: list[dict], sources: list[str]) -> str:
    """An expectations file excusing every requirement that did not pass in these reports."""
    lines = [
        "# Known deviations for the workspace-conformance gate, written by",
        f"# `conformance expectations --from {' --from '.join(sources)}`.",
        "# Replace each reason with why the deviation is accepted and where its fix is tracked;",
        "# add `until = YYYY-MM-DD` to make an entry expire. Use it with",
        "# conformance run --expectations FILE, --conformance-expectations FILE under pytest, or",
        "# CONFORMANCE_EXPECTATIONS=FILE.",
        "",
    ]
    entries = 0
    for report in reports:
        for row in report["requirements"]:
            if row["status"] == PASS or row["status"] not in EXPECTABLE:
                continue
            entries += 1
            lines.append(f"# {row['level']}: {_comment(row['title'])}")
            entry = {"outcome": row["status"], "reason": PLACEHOLDER_REASON}
            lines.append(tomli_w.dumps({"expect": {row["id"]: entry}}).rstrip("\n"))
            lines.append("")
    if not entries:
        lines.append("# Every requirement passed: nothing to expect.")
    return "\n".join(lines).rstrip("\n") + "\n"


def _comment(text: str) -> str:
    """One line a TOML comment can hold: no control characters, no lone surrogates."""
    text = text.encode("utf-8", "replace").decode("utf-8")
    return "".join(c if c.isprintable() else " " for c in text)
