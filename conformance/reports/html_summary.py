"""The static summary section of the HTML report, readable under a strict
Content-Security-Policy: the verdict and the facts of the run, a bar per requirement area, what
the expectations file excused, the changes since a baseline, and the requirement matrix
(filterable by level and outcome with CSS alone)."""

from __future__ import annotations

from conformance.model.outcome import BLOCKED, ERROR, FAIL, NOT_RUN, OUTCOMES, PASS
from conformance.model.requirement import MUST, SHOULD
from conformance.reports.html_evidence import source_html
from conformance.text import html_text

_VERDICT_CLASS = {"CONFORMANT": "ok", "NOT CONFORMANT": "bad", "INCOMPLETE": "warn"}


def _creates_fact(s: dict) -> str:
    made = s.get("workspaces_created", len(s.get("created_workspaces", [])))
    budget = (s.get("create_budget") or {}).get("max_creates")
    return f"{made}" + (f" (budget --conformance-max-creates {budget})" if budget is not None else "")


def summary_html(s: dict) -> str:
    must, should = s["summary"][MUST], s["summary"][SHOULD]
    facts = [
        ("provider", f"{s['provider']} ({s['profile']['title']})"),
        ("document", ""),  # a link: filled in below
        ("target", s.get("endpoint") or s.get("target", "")),
        ("embedded reference server", "yes" if s.get("embedded_reference_server") else "no"),
        *([("credential sent in", s["credential_placement"])] if s.get("credential_placement") else []),
        ("suite version", s.get("suite_version", "")),
        ("date", s.get("started", "")),
        ("duration", f"{s.get('duration_s', 0):.1f} s"),
        ("requests sent", s.get("requests_sent", "")),
        ("workspaces created", _creates_fact(s)),
        ("Hypothesis seed", f"{s.get('hypothesis_seed', '')} (replay with --conformance-hypothesis-seed)"),
        ("gate", _gate_fact(s)),
        *([("HAR file", f"{s['har']} (every exchange of the run)")] if s.get("har") else []),
    ]
    problem = f"<p class='wc-problem'><b>Incomplete:</b> {html_text(s['problem'])}</p>" if s.get("problem") else ""
    problem += "".join(
        f"<p class='wc-internal'><b>Internal error</b> (a bug of the suite, not a verdict on the "
        f"target; the traceback is in the JSON report): {html_text(e['sentence'])}</p>"
        for e in s.get("internal_errors", [])
    )
    return (
        "<section id='wc-summary'>"
        f"<div class='wc-verdict {_VERDICT_CLASS.get(s['verdict'], 'warn')}' id='wc-verdict'>"
        f"{html_text(s['verdict'])}</div>"
        + _gate_note(s)
        + f"<p id='wc-scores'><b>MUST {must[PASS]}/{must['total']} passed</b>, SHOULD {should[PASS]}/{should['total']}"
        f" passed; {must[FAIL] + should[FAIL]} failed, {must[BLOCKED] + should[BLOCKED]} blocked by another failure,"
        f" {must[ERROR] + should[ERROR]} could not be checked,"
        f" {must[NOT_RUN] + should[NOT_RUN]} not run</p>{problem}"
        "<table class='wc-facts'>"
        + "".join(
            f"<tr><td>{html_text(k)}</td><td>{_document_html(s) if k == 'document' else html_text(v)}</td></tr>"
            for k, v in facts
        )
        + "</table></section>"
    )


def _gate_fact(s: dict) -> str:
    levels = "MUST and SHOULD" if s.get("fail_on") == "should" else "MUST"
    gate = s.get("gate") or {}
    excused = len(gate.get("expected", []))
    name = str(gate.get("expectations", "")).replace("\\", "/").rsplit("/", 1)[-1]
    return f"{levels} failures" + (f", {excused} excused by {name}" if excused else "")


def _document_html(s: dict) -> str:
    """The page the requirements come from, in a reader's words: its title and address, when it
    was captured and under which name it ships; a note where the live page has moved on."""
    doc = s["profile"]["document"]
    title, url = str(s["profile"].get("title") or ""), str(doc.get("url") or "")  # some pages have no address
    # Only a public address is a link (d3lay's page names a localhost URL, the wacht pages none).
    named = (
        f"<a href='{html_text(url)}'>{html_text(title)}</a> ({html_text(url)})"
        if url.startswith("https://")
        else html_text(title) + (f" ({html_text(url)})" if url else "")
    )
    captured = f" (captured {html_text(doc['captured'])})" if doc.get("captured") else ""
    note = live_page_note(s)
    return (
        f"{named}<br><small>the provider's page as published{captured}, shipped as {html_text(doc.get('file', ''))}"
        "</small>" + (f"<br><small class='wc-live-note' id='wc-live-note'>{html_text(note)}</small>" if note else "")
    )


def live_page_note(s: dict) -> str | None:
    """One line where the profile says the live page has moved on since it was captured
    (`document.live_note`: Anthropic's name limit, 1 to 40 then, 1 to 255 now)."""
    return s["profile"]["document"].get("live_note") or None


def area_bars_html(s: dict) -> str:
    """One static bar per requirement area, its segments the share of each outcome."""
    areas: dict[str, list[str]] = {}
    for r in s["requirements"]:
        areas.setdefault(r["area"], []).append(r["status"])
    rows = []
    for area, found in sorted(areas.items()):
        order = [o for o in OUTCOMES if o in found] + sorted(set(found) - set(OUTCOMES))
        segments = "".join(
            f"<span class='s-{html_text(o)}' style='width:{100 * found.count(o) / len(found):.1f}%' "
            f"title='{html_text(o)}: {found.count(o)}'></span>"
            for o in order
        )
        counts = ", ".join(f"{found.count(o)} {html_text(o)}" for o in order)
        rows.append(
            f"<tr data-area='{html_text(area)}'><td>{html_text(area)}</td><td><div class='wc-bar'>{segments}</div></td>"
            f"<td><small>{counts}</small></td></tr>"
        )
    return "<section id='wc-areas'><table class='wc-areas'>" + "".join(rows) + "</table></section>"


def _gate_note(s: dict) -> str:
    gate = s.get("gate")
    if not gate:
        return ""
    tone = "ok" if gate["passed"] else ("bad" if gate["unexpected_failures"] else "warn")
    return f"<span class='wc-gate {tone}' id='wc-gate'>{html_text(gate['note'])}</span>"


def _expectation_mark(r: dict) -> str:
    expectation = r.get("expectation")
    if not expectation:
        return ""
    state = expectation["state"]
    label = {
        "expected": "expected",
        "unexpectedly-passing": "unexpectedly passing",
        "expired": "expectation expired",
    }.get(state, f"expected {expectation['outcome']}")
    return f"<br><span class='{'wc-expected' if state == 'expected' else 'wc-stale'}'>{html_text(label)}</span>"


def gate_html(s: dict) -> str:
    """The expectations file's part: what it excused, and what it should lose or renew."""
    gate = s.get("gate")
    if not gate:
        return ""
    rows = {r["id"]: r for r in s["requirements"]}
    parts = [f"<section id='wc-expectations'><h2>Expectations ({html_text(gate['expectations'])})</h2>"]
    for key, title in (
        ("unexpected_failures", "Failed unexpectedly"),
        ("expected", "Expected failures"),
        ("unexpectedly_passing", "Unexpectedly passing: remove them from the expectations file"),
        ("expired", "Expired expectations (no longer excused)"),
        ("different_outcome", "Another outcome than expected (not excused)"),
    ):
        ids = gate[key]
        if not ids:
            continue
        body = "".join(
            f"<tr data-requirement='{html_text(i)}'><td>{html_text(i)}</td><td>{html_text(rows[i]['level'])}</td>"
            f"<td class='s-{html_text(rows[i]['status'])}'>{html_text(rows[i]['status'])}</td>"
            f"<td>{html_text(rows[i]['title'])}</td>"
            f"<td>{html_text((rows[i].get('expectation') or {}).get('reason', ''))}</td>"
            f"<td>{html_text((rows[i].get('expectation') or {}).get('until') or '')}</td></tr>"
            for i in ids
        )
        parts.append(
            f"<h3 id='wc-gate-{key.replace('_', '-')}'>{html_text(title)} ({len(ids)})</h3>"
            "<table class='wc-matrix'><thead><tr><th>requirement</th><th>level</th><th>outcome</th>"
            f"<th>what it asks</th><th>reason</th><th>until</th></tr></thead><tbody>{body}</tbody></table>"
        )
    parts.append("</section>")
    return "".join(parts)


def baseline_html(s: dict) -> str:
    base = s.get("baseline")
    if not base:
        return ""
    changes = (
        [("newly failing", c) for c in base["newly_failing"]]
        + [("newly passing", c) for c in base["newly_passing"]]
        + [("changed", c) for c in base["changed"]]
    )
    body = "".join(
        f"<tr class='b-{kind.replace(' ', '-')}' data-requirement='{html_text(c['id'])}'>"
        f"<td>{kind}</td><td>{html_text(c['id'])}</td>"
        f"<td>{html_text(c['level'])}</td><td class='s-{html_text(c['was'])}'>{html_text(c['was'] or 'new')}</td>"
        f"<td class='s-{html_text(c['now'])}'>{html_text(c['now'])}</td><td>{html_text(c['title'])}</td></tr>"
        for kind, c in changes
    )
    table = (
        (
            "<table class='wc-matrix'><thead><tr><th>change</th><th>requirement</th><th>level</th><th>was</th>"
            f"<th>now</th><th>what it asks</th></tr></thead><tbody>{body}</tbody></table>"
        )
        if changes
        else "<p>No requirement changed its outcome.</p>"
    )
    return (
        f"<section id='wc-baseline'><h2>Compared with {html_text(base['file'])}</h2>"
        f"<p>That run: {html_text(base['verdict'])}, {html_text(base['started'])}. "
        f"{len(base['newly_failing'])} newly failing, "
        f"{len(base['newly_passing'])} newly passing, {len(base['changed'])} other changes.</p>{table}</section>"
    )


def matrix_html(s: dict) -> str:
    counts = {o: sum(r["status"] == o for r in s["requirements"]) for o in OUTCOMES}
    boxes = "".join(
        f"<input type='checkbox' id='wc-{lvl.lower()}' checked><label for='wc-{lvl.lower()}'>{lvl}</label>"
        for lvl in (MUST, SHOULD)
    ) + "".join(
        f"<input type='checkbox' id='wc-{o}' checked><label for='wc-{o}'>{o} ({counts[o]})</label>" for o in OUTCOMES
    )
    rows = []
    for r in sorted(s["requirements"], key=lambda r: (OUTCOMES.index(r["status"]), r["level"] != MUST, r["id"])):
        link = (
            f"<a href='#wc-ev-{html_text(r['id'])}'>{html_text(r['id'])}</a>"
            if r["status"] == FAIL
            else html_text(r["id"])
        )
        seen = "".join(f"<br><i>observed: {html_text(o)}</i>" for o in r["observations"][:3])
        if r.get("blocked_by"):
            seen += f"<br><i>not checked: blocked by {html_text(', '.join(r['blocked_by']))}</i>"
        rows.append(
            f"<tr class='l-{r['level']} o-{r['status']}' data-requirement='{html_text(r['id'])}'>"
            f"<td>{link}</td><td>{r['level']}</td><td>{html_text(r['area'])}</td>"
            f"<td class='s-{r['status']}'>{r['status']}{_expectation_mark(r)}</td>"
            f"<td>{html_text(r['title'])}{seen}</td>"
            f"<td>{source_html(r['source'], s['profile'])}</td></tr>"
        )
    return (
        "<section id='wc-matrix'><h2>Requirements</h2>"
        "<p>Every requirement of the provider's page, worst first. Untick a box to hide its rows "
        "(works without JavaScript).</p>"
        f"<div class='wc-filter'>{boxes}"
        "<table class='wc-matrix'><thead><tr><th>requirement</th><th>level</th><th>area</th>"
        "<th>outcome</th><th>what it asks</th><th>source</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table></div></section>"
    )
