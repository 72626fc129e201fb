"""The HTML report's evidence: where a requirement comes from (the document, its quote, our
reading), and for a failed requirement what was expected, what was observed and the exchange
that showed it, with the curl line that replays it. Shown in the static summary section and
under each failed probe in pytest-html's JavaScript table."""

from __future__ import annotations

import json

from conformance.model.outcome import ERROR, FAIL, evidence_of
from conformance.model.profile import SOURCE_KIND_NAMES
from conformance.model.requirement import READING_RULES
from conformance.reports.har import entry_numbers
from conformance.text import html_text, pretty_json, printable


def source_html(source: dict, page: dict | None = None) -> str:
    """A requirement's source with its parts apart, readable without knowing the project: what
    kind of source it is, in words, and which document; the quote in quotation marks (the
    document's own words), and the reading in italics (ours). `page` is the summary's profile
    (its title and document), for naming the provider's page by its title, not its file."""
    kind = str(source.get("kind", "page"))
    document = html_text(source.get("document", ""))
    if kind == "page" and page is not None:
        # The page by its title; the file it ships as is a detail, on hover.
        document = f"<span title='shipped as {document}'>{html_text(page.get('title', ''))}</span>"
        url = str((page.get("document") or {}).get("url") or "")
        if url.startswith("https://") and not source.get("url"):
            document = f"<a href='{html_text(url)}'>{document}</a>"
    elif kind == "page":
        document = f"<span title='shipped as {document}'>the published page</span>"
    if source.get("url") and kind != "provider-notes":  # the notes are ours: no address is their origin
        document = f"<a href='{html_text(source['url'])}'>{document}</a>"
    label = {"page": "the provider's page", "user": "your own probe"}.get(kind) or SOURCE_KIND_NAMES.get(
        kind, kind
    ).split(" (")[0]
    parts = [
        f"<span class='wc-source-kind' title='{html_text(SOURCE_KIND_NAMES.get(kind, kind))}'>"
        f"{html_text(label)}:</span> "
        f"{document}"
    ]
    if source.get("quote") and kind == "provider-notes":
        # The notes' words (our summary of another page of the provider's), not that page's.
        parts.append(
            f"<span class='wc-notes'>notes (our summary, not the provider's words): "
            f"<q>{html_text(source['quote'])}</q></span>"
        )
    elif source.get("quote"):
        parts.append(f"<q class='wc-quote'>{html_text(source['quote'])}</q>")
    if source.get("reading"):
        parts.append(f"<i class='wc-reading'>reading: {html_text(source['reading'])}</i>")
    rule = source.get("rule")
    if rule in READING_RULES:  # which reading rule (DESIGN.md) the requirement rests on
        parts.append(f"<small class='wc-rule'>reading rule {html_text(READING_RULES[rule][1])}</small>")
    return "<br>".join(parts)


def extras_for(result: dict) -> str | None:
    """The evidence shown under a failed probe in the JavaScript table."""
    if result["status"] not in (FAIL, ERROR):
        return None
    parts = [f"<p><b>{html_text(result['status'].upper())}</b>: {html_text(result['message'])}</p>"]
    for finding in result["findings"]:
        parts.append(_finding_html(finding, evidence_of(result, finding)))
    return printable("".join(parts))


def evidence_html(s: dict) -> str:
    failed = [r for r in s["requirements"] if r["status"] == FAIL]
    if not failed:
        return ""
    har_numbers = {}
    if s.get("har"):
        har_numbers = entry_numbers(s.get("probes", []))
    parts = ["<section id='wc-failures'><h2>Evidence for each failed requirement</h2>"]
    for r in failed:
        parts.append(
            f"<div class='wc-evidence' id='wc-ev-{html_text(r['id'])}'><h3>{html_text(r['id'])} ({r['level']})</h3>"
            f"<p>{html_text(r['title'])}<br><small>{source_html(r['source'], s['profile'])}</small></p>"
        )
        for finding in r["findings"][:3]:  # the first few tell the story; the JSON has them all
            number = har_numbers.get((finding["probe"], finding.get("exchange")))
            har_link = (
                f"; <a href='{html_text(s['har'])}' class='wc-har' data-har-entry='{number}'>HAR entry {number}</a>"
                if number
                else ""
            )
            parts.append(f"<p><small>probe {html_text(finding['probe'])}{har_link}</small></p>")
            parts.append(_finding_html(finding, finding.get("evidence")))
        parts.append("</div>")
    parts.append("</section>")
    return "".join(parts)


def _finding_html(finding: dict, exchange: dict | None) -> str:
    out = [
        f"<p><b>expected</b> {html_text(finding['expected'])}<br><b>observed</b> {html_text(finding['observed'])}</p>"
    ]
    if exchange:
        req, resp = exchange["request"], exchange["response"]
        head = "\n".join(f"{k}: {v}" for k, v in req["headers"].items())
        out.append(
            f"<p><b>request</b></p><pre class='wc-request'>{html_text(req['method'])} {html_text(req['url'])}"
            f"\n{html_text(head)}"
            f"\n\n{html_text(_pretty(req['body']))}</pre>"
        )
        if resp is not None:
            rhead = "\n".join(f"{k}: {v}" for k, v in resp["headers"].items())
            out.append(
                f"<p><b>response</b></p><pre class='wc-response'>HTTP {resp['status']}\n{html_text(rhead)}"
                f"\n\n{html_text(resp['body'])}</pre>"
            )
        else:
            out.append(f"<p><b>no response</b>: {html_text(exchange.get('error') or '')}</p>")
        if exchange.get("curl"):
            out.append(
                "<p><b>reproduce</b> (with the credential in $CONFORMANCE_CREDENTIAL)</p>"
                f"<pre class='wc-curl'>{html_text(exchange['curl'])}</pre>"
            )
    return "".join(out)


def _pretty(body: str) -> str:
    try:  # re-parsing turns a "\\ud800" escape back into a lone surrogate: printable again
        return printable(pretty_json(json.loads(body)))
    except (ValueError, TypeError, RecursionError):  # not JSON, or nested too deep to re-indent
        return body
