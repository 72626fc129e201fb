"""The per-provider HTML report: pytest-html 4, extended only through its hooks.

pytest-html draws its results table in JavaScript from embedded JSON, which a strict
Content-Security-Policy (Jenkins) blocks. So everything a reader needs to judge the target is
also written as static HTML in the summary section: the verdict, the facts of the run, a
requirement matrix (filterable by level and outcome with CSS alone) and, for every failed
requirement, its evidence. The JavaScript table adds requirement, level and source columns
and the same evidence under each failed probe.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from conformance.model.catalog import by_id
from conformance.model.requirement import MUST
from conformance.reports.html_evidence import evidence_html, source_html
from conformance.reports.html_summary import area_bars_html, baseline_html, gate_html, matrix_html, summary_html
from conformance.text import html_text, printable

if TYPE_CHECKING:  # annotation only: the plugin imports this module
    from conformance.pytest_plugin import run as run_session

_STYLE = """
.wc-verdict{font-size:1.6em;font-weight:bold;padding:.4em .7em;border-radius:4px;display:inline-block}
.wc-verdict.ok{background:#d8f5d8;color:#135c13}.wc-verdict.bad{background:#fbdada;color:#8a1111}
.wc-verdict.warn{background:#fdf0c8;color:#6b5200}
.wc-facts td{padding:1px 10px 1px 0}.wc-facts td:first-child{color:#555}
.wc-matrix{border-collapse:collapse;margin:.5em 0;width:100%}
.wc-matrix td,.wc-matrix th{border:1px solid #ccc;padding:3px 6px;text-align:left;vertical-align:top}
.wc-matrix td.s-fail{background:#fbdada}.wc-matrix td.s-pass{background:#e3f6e3}
.wc-matrix td.s-error{background:#fdf0c8}.wc-matrix td.s-not-run{background:#eee}
.wc-matrix td.s-blocked{background:#e9e0f5}
.wc-filter{margin:.4em 0}.wc-filter label{margin-right:1em}
#wc-must:not(:checked)~table tr.l-MUST,#wc-should:not(:checked)~table tr.l-SHOULD,
#wc-fail:not(:checked)~table tr.o-fail,#wc-error:not(:checked)~table tr.o-error,
#wc-not-run:not(:checked)~table tr.o-not-run,#wc-pass:not(:checked)~table tr.o-pass,
#wc-blocked:not(:checked)~table tr.o-blocked{display:none}
.wc-gate{margin-left:1em;padding:.3em .6em;border-radius:4px;font-weight:bold}
.wc-gate.ok{background:#e3f6e3;color:#135c13;border:1px dashed #135c13}.wc-gate.bad{background:#fbdada;color:#8a1111}
.wc-gate.warn{background:#fdf0c8;color:#6b5200}
.wc-expected{font-style:italic;color:#6b5200}.wc-stale{font-weight:bold;color:#8a1111}
.wc-evidence{border-left:4px solid #c33;padding:.2em .8em;margin:.8em 0;background:#fff8f8}
.wc-evidence pre{white-space:pre-wrap;word-break:break-all;background:#f6f6f6;padding:.4em;
max-height:24em;overflow:auto}
pre.wc-curl,pre.wc-request,pre.wc-response{white-space:pre-wrap;word-break:break-all;overflow-wrap:anywhere}
.run-count{display:none}
.wc-live-note{color:#6b5200}
body{display:flex;flex-direction:column}
#environment-header,#environment{order:1}.summary~*{order:2}
.wc-areas td{padding:2px 8px 2px 0;vertical-align:middle}
.wc-bar{display:flex;width:16em;height:.9em;border:1px solid #bbb;background:#fff}
.wc-bar span{display:block;height:100%}
.wc-bar .s-pass{background:#4caf50}.wc-bar .s-fail{background:#d32f2f}.wc-bar .s-blocked{background:#8e24aa}
.wc-bar .s-error{background:#f9a825}.wc-bar .s-not-run{background:#bdbdbd}
"""


class ConformanceHtml:
    """Registered by the plugin when pytest-html is active and a provider is chosen."""

    def __init__(self, run: run_session.Run):
        self.run = run
        self._page = {"title": run.profile.title, "document": run.profile.document}

    @pytest.hookimpl
    def pytest_html_report_title(self, report):
        report.title = f"{self.run.profile.title}: conformance report"

    @pytest.hookimpl
    def pytest_html_results_summary(self, prefix, summary, postfix, session):
        # pytest-html asks for the summary before our own sessionfinish has run: compute it here.
        try:
            s = self.run.summarize(int(session.exitstatus))
            redact = self.run.redactor.text
            # pytest-html puts its environment table first; the style above moves it below the
            # summary, so the page opens on the verdict, the scores and the shape of the result.
            head = f"<style>{_STYLE}</style>" + summary_html(s) + area_bars_html(s) + gate_html(s) + baseline_html(s)
            tail = matrix_html(s) + evidence_html(s)
        except Exception as exc:  # pytest-html still writes its own table
            self.run.writer_failed(None, "the HTML report's summary sections", exc)
            head = tail = ""
            redact = str
        prefix.append(printable(redact(head)))
        postfix.append(printable(redact(tail)))

    @pytest.hookimpl
    def pytest_html_results_table_header(self, cells):
        cells.insert(2, '<th class="sortable" data-column-type="requirement">Requirement</th>')
        cells.insert(3, '<th class="sortable" data-column-type="level">Level</th>')
        cells.insert(4, "<th>Source</th>")

    @pytest.hookimpl
    def pytest_html_results_table_row(self, report, cells):
        try:
            mine = self._requirement_cells(report)
        except Exception as exc:  # the row keeps pytest-html's own cells
            self.run.writer_failed(None, f"the HTML row of {report.nodeid}", exc)
            mine = ["<td></td>"] * 3
        cells[2:2] = mine

    def _requirement_cells(self, report) -> list[str]:
        # Rows are drawn as each probe ends, before the summary exists: read the catalog.
        result = getattr(report, "conformance", None)
        if result is None:
            return ["<td></td>"] * 3
        ids = result["requirements"]
        requirement = by_id(self.run.profile).get(ids[0])
        custom = result.get("custom") or {}  # a user's own probe: its marker gives the level
        level = requirement.level if requirement else custom.get("level", MUST)
        source = (
            requirement.source
            if requirement
            else {"kind": "user", "document": "user probe", "quote": "", "reading": f"declared by {result['nodeid']}"}
        )
        return [
            f'<td class="col-requirement">{"<br>".join(html_text(i) for i in ids)}</td>',
            f'<td class="col-level">{html_text(level)}</td>',
            f'<td class="col-source">{source_html(source, self._page)}</td>',
        ]
