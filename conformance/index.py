"""reports/index.html: one row per provider, linking to its report (extended by issue 5)."""
from __future__ import annotations

import html
import json
from pathlib import Path

from .verdicts import write_atomically


def write_index(report_dir: Path, providers) -> Path:
    rows = []
    for key in providers:
        try:
            s = json.loads((report_dir / f"{key}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            rows.append(f"<tr><td>{html.escape(key)}</td><td colspan=3>no report</td></tr>")
            continue
        must, should = s["summary"]["MUST"], s["summary"]["SHOULD"]
        rows.append(f"<tr><td><a href='{html.escape(key)}.html'>{html.escape(key)}</a></td>"
                    f"<td>{html.escape(s['verdict'])}</td><td>{must['pass']}/{must['total']}</td>"
                    f"<td>{should['pass']}/{should['total']}</td></tr>")
    page = ("<!doctype html><meta charset=utf-8><title>workspace-conformance</title><h1>workspace-conformance</h1>"
            "<table><tr><th>provider</th><th>verdict</th><th>MUST</th><th>SHOULD</th></tr>"
            + "".join(rows) + "</table>")
    path = report_dir / "index.html"
    write_atomically(path, page)
    return path
