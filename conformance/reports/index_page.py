"""reports/index.html after `conformance run --all`: one row per provider linking to its report,
and a provider x requirement-area matrix coloured by the worst outcome in each cell.

Static HTML read from the providers' JSON verdicts: it needs no script, so it renders under
the strictest Content-Security-Policy a CI host applies.
"""

from __future__ import annotations

import json
from pathlib import Path

from conformance.model.outcome import PASS, worst
from conformance.model.requirement import MUST, SHOULD
from conformance.reports.summary import write_atomically
from conformance.text import html_text

_STYLE = """body{font-family:Helvetica,Arial,sans-serif;margin:1.5em}
table{border-collapse:collapse;margin:.6em 0}td,th{border:1px solid #ccc;padding:4px 9px;text-align:left}
.v-CONFORMANT,.s-pass{background:#d8f5d8}.v-NOT-CONFORMANT,.s-fail{background:#fbdada}
.v-INCOMPLETE,.s-error{background:#fdf0c8}.s-blocked{background:#e9e0f5}.s-not-run,.missing{background:#eee}
.s-expected{background:repeating-linear-gradient(45deg,#fbeaea,#fbeaea 6px,#fff 6px,#fff 12px);font-style:italic}
.g-passed{color:#135c13}.g-failed{color:#8a1111;font-weight:bold}"""


def _load(report_dir: Path, key: str) -> dict | None:
    try:
        return json.loads((report_dir / f"{key}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def write_index(report_dir: Path, providers) -> Path:
    summaries = {key: _load(report_dir, key) for key in providers}
    areas = sorted({r["area"] for s in summaries.values() if s for r in s["requirements"]})
    rows, matrix = [], []
    for key, s in summaries.items():
        if s is None:
            rows.append(f"<tr><td>{html_text(key)}</td><td class='missing' colspan=6>no report was written</td></tr>")
            continue
        must, should = s["summary"][MUST], s["summary"][SHOULD]
        verdict = s["verdict"]
        rows.append(
            f"<tr data-provider='{html_text(key)}'><td><a href='{html_text(key)}.html'>{html_text(key)}</a></td>"
            f"<td class='v-{verdict.replace(' ', '-')}'>{html_text(verdict)}</td>{_gate_cell(s)}"
            f"<td>{must[PASS]}/{must['total']}</td><td>{should[PASS]}/{should['total']}</td>"
            f"<td>{s.get('requests_sent', '')}</td><td>{s.get('duration_s', 0):.1f} s</td></tr>"
        )
        cells = []
        for area in areas:
            mine = [r for r in s["requirements"] if r["area"] == area]
            if not mine:
                cells.append("<td class='missing'>n/a</td>")
                continue
            cells.append(_area_cell(key, mine))
        matrix.append(f"<tr><th><a href='{html_text(key)}.html'>{html_text(key)}</a></th>{''.join(cells)}</tr>")
    page = (
        "<!doctype html><html><head><meta charset='utf-8'><title>workspace-conformance: all providers</title>"
        f"<style>{_STYLE}</style></head><body><h1>workspace-conformance: all providers</h1>"
        "<table id='providers'><thead><tr><th>provider</th><th>verdict</th><th>gate</th><th>MUST passed</th>"
        "<th>SHOULD passed</th><th>requests</th><th>duration</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table>"
        "<h2>By requirement area</h2><p>Each cell is the worst outcome among the provider's "
        "requirements in that area, with how many passed. A striped <i>expected</i> cell failed only "
        "where the provider's expectations file said it would.</p>"
        "<table id='areas'><thead><tr><th></th>"
        + "".join(f"<th>{html_text(a)}</th>" for a in areas)
        + "</tr></thead><tbody>"
        + "".join(matrix)
        + "</tbody></table></body></html>"
    )
    path = report_dir / "index.html"
    write_atomically(path, page)
    return path


def _expected(row: dict) -> bool:
    return (row.get("expectation") or {}).get("state") == "expected"


def _gate_cell(s: dict) -> str:
    gate = s.get("gate")
    if not gate:
        return "<td>no expectations</td>"
    state = "passed" if gate["passed"] else "failed"
    return (
        f"<td class='g-{state}' data-expected='{len(gate['expected'])}' "
        f"data-unexpected='{len(gate['unexpected_failures'])}'>{html_text(gate['note'])}</td>"
    )


def _area_cell(key: str, mine: list[dict]) -> str:
    """Expected failures are shown apart: an area failing only as expected is not a red cell."""
    passed = sum(r["status"] == PASS for r in mine)
    failed = ", ".join(
        r["id"].removeprefix(key + ".") + (" (expected)" if _expected(r) else "") for r in mine if r["status"] != PASS
    )
    unexpected = [r["status"] for r in mine if not _expected(r)]
    outcome = worst(unexpected) if unexpected else PASS
    if outcome == PASS and any(_expected(r) for r in mine):
        return f"<td class='s-expected' title='{html_text(failed)}'>expected {passed}/{len(mine)}</td>"
    expected = sum(_expected(r) for r in mine)
    extra = f" <i>+{expected} expected</i>" if expected else ""
    return f"<td class='s-{outcome}' title='{html_text(failed)}'>{outcome} {passed}/{len(mine)}{extra}</td>"
