"""A short Markdown summary of one run for a CI page (GitHub's job summary, a merge request note):
the verdict, the gate, the scores, what failed and what the expectations file no longer covers,
and the artifacts to open for the evidence."""

from __future__ import annotations

import os
import re
from pathlib import Path

from conformance.exitcodes import MEANING
from conformance.model.outcome import BLOCKED, ERROR, FAIL, NOT_RUN, PASS
from conformance.model.requirement import MUST, SHOULD

MAX_ROWS = 30  # a job summary is for a glance; the reports hold every row
_ICON = {"CONFORMANT": "✅", "NOT CONFORMANT": "❌", "INCOMPLETE": "⚠️"}
_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-!|~<>&])")


def text(value) -> str:
    """Any string a report can hold, as inert Markdown on one line."""
    value = str(value).encode("utf-8", "replace").decode("utf-8")
    value = " ".join("".join(c if c.isprintable() else " " for c in value).split())
    return _SPECIAL.sub(r"\\\1", value)


def code(value) -> str:
    """A code span that survives backticks in its content."""
    value = " ".join(str(value).encode("utf-8", "replace").decode("utf-8").split())
    fence = "`" * (max((len(m) for m in re.findall(r"`+", value)), default=0) + 1)
    return f"{fence} {value} {fence}" if value.startswith("`") or value.endswith("`") else f"{fence}{value}{fence}"


def render(summary: dict, artifacts: list[str], run_url: str | None = None) -> str:
    s = summary
    lines = [f"### {_ICON.get(s['verdict'], '')} workspace-conformance: {text(s['provider'])}: **{s['verdict']}**", ""]
    gate = s.get("gate")
    if gate:
        lines.append(
            f"**Gate:** {text(gate['note'].removeprefix('gate '))} (exit {gate['exit_status']}; "
            f"expectations {code(Path(gate['expectations']).name)})"
        )
    else:
        lines.append(f"**Gate:** exit {s['exit_status']}: {text(MEANING.get(s['exit_status'], ''))}")
    lines += [
        "",
        f"**Target:** {code(s.get('endpoint') or s.get('target', ''))} · document revision "
        f"{text(s['profile']['document'].get('revision', '?'))}",
    ]
    if s.get("problem"):
        lines += ["", f"**Incomplete:** {text(s['problem'])}"]
    lines += [
        "",
        "| level | passed | failed | blocked | could not be checked | not run | total |",
        "|---|---|---|---|---|---|---|",
    ]
    for level in (MUST, SHOULD):
        c = s["summary"][level]
        lines.append(f"| {level} | {c[PASS]} | {c[FAIL]} | {c[BLOCKED]} | {c[ERROR]} | {c[NOT_RUN]} | {c['total']} |")
    rows = {r["id"]: r for r in s["requirements"]}
    expected = set(gate["expected"]) if gate else set()
    failed = [r for r in s["requirements"] if r["status"] not in (PASS, NOT_RUN) and r["id"] not in expected]
    title = "Failed unexpectedly" if gate else "Failed"
    lines += _table(
        title,
        ["requirement", "level", "outcome", "what it asks"],
        [[code(r["id"]), r["level"], r["status"], text(r["title"])] for r in failed],
    )
    if gate:
        lines += _table(
            "Expected failures",
            ["requirement", "level", "outcome", "what it asks", "reason", "until"],
            [
                [
                    code(i),
                    rows[i]["level"],
                    rows[i]["status"],
                    text(rows[i]["title"]),
                    text(rows[i]["expectation"]["reason"]),
                    rows[i]["expectation"]["until"] or "",
                ]
                for i in gate["expected"]
            ],
        )
        lines += _table(
            f"Unexpectedly passing: remove them from {code(Path(gate['expectations']).name)}",
            ["requirement", "what it asks"],
            [[code(i), text(rows[i]["title"])] for i in gate["unexpectedly_passing"]],
        )
        lines += _table(
            "Expired expectations (no longer excused)",
            ["requirement", "expected", "until", "now"],
            [
                [code(i), rows[i]["expectation"]["outcome"], rows[i]["expectation"]["until"], rows[i]["status"]]
                for i in gate["expired"]
            ],
        )
    base = s.get("baseline")
    if base:
        changes = (
            [("newly failing", c) for c in base["newly_failing"]]
            + [("newly passing", c) for c in base["newly_passing"]]
            + [("changed", c) for c in base["changed"]]
        )
        lines += _table(
            f"Compared with {code(Path(base['file']).name)}",
            ["change", "requirement", "was", "now"],
            [[kind, code(c["id"]), c["was"] or "new", c["now"]] for kind, c in changes],
            empty="no outcome changed",
        )
    where = f" in [this run's artifacts]({run_url})" if run_url else ""
    lines += ["", f"**Reports**{where}: " + ", ".join(code(a) for a in artifacts), ""]
    return "\n".join(lines) + "\n"


def _table(title: str, header: list[str], rows: list[list], empty: str | None = None) -> list[str]:
    if not rows:
        return ["", f"#### {title}", "", empty] if empty else []
    out = ["", f"#### {title} ({len(rows)})", "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows[:MAX_ROWS]]
    if len(rows) > MAX_ROWS:
        out.append(f"\n… and {len(rows) - MAX_ROWS} more in the reports.")
    return out


def run_url() -> str | None:
    """The page of this GitHub Actions run, where its uploaded artifacts are listed."""
    server, repo, run = (os.environ.get(k) for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID"))
    return f"{server}/{repo}/actions/runs/{run}" if server and repo and run else None


def append(path: str, markdown: str) -> None:
    """Appended, as GitHub's step summary expects: `conformance run --all` gathers every
    provider's section in one file."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("a", encoding="utf-8") as handle:
        handle.write(markdown + "\n")
