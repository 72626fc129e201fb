"""The reports as their readers meet them: the JSON against its own schema, and the HTML pages
opened in headless Chromium, with JavaScript on (pytest-html builds its table in script) and
off (a CI host with a strict Content-Security-Policy), screenshots saved to reports/."""

from __future__ import annotations

import functools
import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from conformance.model.profile import builtin_directory
from conformance.reports.index_page import write_index

from .conftest import SECRET, failed_ids, run_suite

# Screenshots for people reviewing the report's look; never written into the checkout.
SCREENSHOTS = Path(
    os.environ.get("CONFORMANCE_TEST_SCREENSHOTS") or Path(tempfile.gettempdir()) / "conformance-screenshots"
)
FAULT = ("anthropic", "name-max-41", "anthropic.name.max-length")
# Quiet, local-only Chromium: no update checks, no sync, no first-run traffic.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-extensions",
]


def _chromium() -> str:
    found = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    assert found, "Chromium is needed for the browser checks: apt-get install chromium (.ci/run does)"
    return found


@pytest.fixture(scope="module")
def faulty_report(tmp_path_factory, request):
    """One run against a reference server that accepts a 41-character name."""
    from conformance.reference.serving import ServerThread, base_url, provider_app

    key, fault, _ = FAULT
    server = ServerThread(provider_app(key, SECRET, fault, "default"))
    url = base_url(server.start(), key)
    request.addfinalizer(server.stop)
    tmp = tmp_path_factory.mktemp("faulty")
    completed, verdicts = run_suite(
        tmp, "--conformance-provider", key, "--conformance-target-url", url, env={"CONFORMANCE_CREDENTIAL": SECRET}
    )
    assert completed.returncode == 1, completed.stdout[-2000:]
    return tmp / "run" / "reports", verdicts


@pytest.fixture(scope="module")
def conformant_report(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("conformant")
    completed, verdicts = run_suite(tmp, "--conformance-provider", "orgo")
    assert completed.returncode == 0, completed.stdout[-2000:]
    return tmp / "run" / "reports", verdicts


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=_chromium(), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _open(browser, path: Path, javascript: bool):
    context = browser.new_context(java_script_enabled=javascript, viewport={"width": 1400, "height": 1600})
    page = context.new_page()
    # Reports must be self-contained: any request off the file itself is a defect.
    outside = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith("file://") else None)
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return context, page, outside


@functools.cache
def _validator():
    """The verdicts schema's validator, the schema itself checked once (a check costs 0.1 s)."""
    schema = json.loads((builtin_directory() / "verdicts.schema.json").read_text())
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def test_json_verdicts_of_a_failing_run_match_their_schema(faulty_report):
    _, verdicts = faulty_report
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in _validator().iter_errors(verdicts)]
    assert not errors, errors[:5]
    assert FAULT[2] in failed_ids(verdicts)
    finding = next(r for r in verdicts["requirements"] if r["id"] == FAULT[2])["findings"][0]
    assert finding["evidence"]["curl"].startswith("curl ")


def test_json_verdicts_of_a_conformant_run_match_their_schema(conformant_report):
    _, verdicts = conformant_report
    assert not list(_validator().iter_errors(verdicts))
    assert verdicts["verdict"] == "CONFORMANT" and verdicts["complete"]


def test_json_schema_rejects_a_report_missing_its_verdict(conformant_report):
    _, verdicts = conformant_report
    broken = {k: v for k, v in verdicts.items() if k != "verdict"}
    assert not _validator().is_valid(broken)


def test_junit_carries_the_same_failures_as_the_json(faulty_report):
    reports, verdicts = faulty_report
    junit = (reports / "anthropic.junit.xml").read_text()
    failed_probes = {p["nodeid"].split("::")[-1] for p in verdicts["probes"] if p["status"] == "fail"}
    assert failed_probes
    import xml.etree.ElementTree as ET

    root = ET.fromstring(junit)
    assert {suite.get("name") for suite in root.iter("testsuite")} == {"anthropic"}  # the provider, for CI tabs
    cases = {c.get("name").split(": ", 1)[1]: c for c in root.iter("testcase")}
    assert {n for n, c in cases.items() if c.find("failure") is not None} == failed_probes
    assert FAULT[2] in junit  # the requirement id travels as a property and in the message
    by_probe = {p["nodeid"].split("::")[-1]: p["requirements"][0] for p in verdicts["probes"]}
    assert all(c.get("name") == f"{by_probe[n]}: {n}" for n, c in cases.items())  # the requirement id names each case


def test_every_report_is_written_with_the_same_permissions(faulty_report):
    reports, _ = faulty_report
    modes = {p.name: oct(p.stat().st_mode & 0o777) for p in reports.iterdir() if p.is_file()}
    assert set(modes) == {"anthropic.json", "anthropic.html", "anthropic.junit.xml", "anthropic.svg"}, (
        modes
    )  # the badge too
    assert len(set(modes.values())) == 1, modes


def test_report_with_failures_shows_summary_table_and_evidence_with_scripts(browser, faulty_report):
    reports, verdicts = faulty_report
    context, page, outside = _open(browser, reports / "anthropic.html", javascript=True)
    try:
        assert page.locator("#wc-verdict").inner_text() == "NOT CONFORMANT"
        must = verdicts["summary"]["MUST"]
        assert must["fail"] >= 1  # the fault breaks a MUST, and the banner counts what the JSON counts
        assert f"MUST {must['pass']}/{must['total']} passed" in page.locator("#wc-scores").inner_text()
        # pytest-html's own table, drawn by its script, with our requirement columns.
        page.wait_for_selector("#results-table tbody.results-table-row")
        rows = page.locator("#results-table tbody.results-table-row")
        shown = [rows.nth(i).get_attribute("id") for i in range(rows.count())]
        assert sorted(shown) == sorted(p["nodeid"] for p in verdicts["probes"]), (
            sorted(set(shown) ^ {p["nodeid"] for p in verdicts["probes"]}),
            [p for p in shown if shown.count(p) > 1],
        )
        assert page.locator("#results-table th", has_text="Requirement").count() == 1
        failed_row = page.locator("#results-table tbody.results-table-row", has_text="name-41-ascii")
        assert FAULT[2] in failed_row.locator("td.col-requirement").inner_text()
        assert failed_row.locator(".extraHTML pre.wc-curl").is_visible()  # failed rows open with evidence
        _check_static_parts(page, verdicts)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "screenshot-anthropic-failing.png"), full_page=False)
        assert SECRET not in page.content()
        assert not outside, outside
    finally:
        context.close()


def test_report_summary_matrix_and_evidence_survive_without_javascript(browser, faulty_report):
    reports, verdicts = faulty_report
    context, page, outside = _open(browser, reports / "anthropic.html", javascript=False)
    try:
        assert page.locator("#results-table tbody.results-table-row").count() == 0  # the script did not run
        assert page.locator("#wc-verdict").is_visible()
        _check_static_parts(page, verdicts)
        # Top-down: the verdict, then the area bars, then pytest-html's environment table.
        y = {sel: page.locator(sel).bounding_box()["y"] for sel in ("#wc-verdict", "#wc-areas", "#environment")}
        assert y["#wc-verdict"] < y["#wc-areas"] < y["#environment"], y
        bar = page.locator("#wc-areas .wc-bar").first
        assert bar.is_visible() and bar.bounding_box()["width"] > 50
        assert page.locator("#wc-areas .wc-bar span.s-fail").count() == 1  # the one failed requirement's area
        document = page.locator("#wc-summary a[href^='https://platform.claude.com/']")
        assert document.inner_text() == verdicts["profile"]["title"]
        # The CSS-only filters: hiding "pass" leaves only the failed requirement.
        page.locator("label[for='wc-pass']").click()
        visible = [r for r in page.locator("#wc-matrix tbody tr").all() if r.is_visible()]
        assert [r.get_attribute("data-requirement") for r in visible] == [FAULT[2]]
        page.screenshot(path=str(SCREENSHOTS / "screenshot-anthropic-failing-nojs.png"), full_page=False)
        assert not outside, outside
    finally:
        context.close()


def _check_static_parts(page, verdicts):
    rows = page.locator("#wc-matrix tbody tr")
    assert rows.count() == len(verdicts["requirements"])
    failing = page.locator(f"#wc-matrix tr[data-requirement='{FAULT[2]}']")
    assert failing.is_visible() and "fail" in failing.inner_text()
    evidence = page.locator(f"[id='wc-ev-{FAULT[2]}']")
    assert evidence.is_visible()
    assert "HTTP 200" in evidence.locator("pre.wc-response").first.inner_text()
    assert '"name"' in evidence.locator("pre.wc-request").first.inner_text()
    assert "$CONFORMANCE_CREDENTIAL" in evidence.locator("pre.wc-curl").first.inner_text()
    facts = page.locator("#wc-summary").inner_text()
    for fact in ("target", "suite version", "date", "duration", "requests sent"):
        assert fact in facts


def test_index_links_every_provider_and_colours_the_area_matrix(browser, faulty_report, conformant_report, tmp_path):
    for reports, verdicts in (faulty_report, conformant_report):
        for suffix in (".json", ".html"):
            shutil.copy(reports / f"{verdicts['provider']}{suffix}", tmp_path)
    index = write_index(tmp_path, ["anthropic", "orgo", "d3lay"])
    for javascript in (True, False):
        context, page, outside = _open(browser, index, javascript=javascript)
        try:
            rows = page.locator("#providers tbody tr")
            assert rows.count() == 3
            assert "NOT CONFORMANT" in page.locator("tr[data-provider='anthropic']").inner_text()
            assert "CONFORMANT" in page.locator("tr[data-provider='orgo']").inner_text()
            assert "no report" in rows.nth(2).inner_text()
            assert page.locator("#areas td.s-fail").count() >= 1  # anthropic's limits column
            if javascript:
                page.screenshot(path=str(SCREENSHOTS / "screenshot-index.png"))
            page.locator("tr[data-provider='anthropic'] a").click()
            page.wait_for_load_state("load")
            assert page.locator("#wc-verdict").inner_text() == "NOT CONFORMANT"
            assert not outside, outside
        finally:
            context.close()


def test_report_of_an_unreachable_target_is_written_and_marked_incomplete(tmp_path):
    completed, verdicts = run_suite(
        tmp_path, "--conformance-provider", "anthropic", "--conformance-target-url", "http://127.0.0.1:1"
    )
    assert completed.returncode == 6, completed.stdout[-2000:]
    assert verdicts["verdict"] == "INCOMPLETE" and not verdicts["complete"]
    page = (tmp_path / "run" / "reports" / "anthropic.html").read_text()
    assert "id='wc-verdict'>INCOMPLETE<" in page
    assert "could not reach the target" in page


@pytest.mark.parametrize("key", ["anthropic", "orgo", "d3lay", "wacht-frontend", "wacht-backend"])
def test_every_provider_document_is_named_in_the_summary(key):
    """Some pages have no address (the wacht ones): the title alone, never a crash."""
    from conformance.model.profile import load
    from conformance.reports.html_summary import summary_html
    from conformance.reports.summary import summarize

    profile = load(key)
    page = summary_html(summarize(profile, []))
    assert profile.title in page
    url = profile.document.get("url") or ""
    assert (f"<a href='{url}'>" in page) == url.startswith("https://")


def test_a_provider_notes_source_reads_as_our_notes_in_every_report(faulty_report):
    """Anthropic's error statuses come from the provider notes shipped with the profiles: the
    JSON says so (and its schema allows no address for them), the HTML shows the notes' words
    as ours, never as a quote of Anthropic's page."""
    from conformance.model.profile import load
    from conformance.reports.html_evidence import source_html
    from conformance.reports.html_summary import matrix_html
    from conformance.reports.summary import summarize

    _, verdicts = faulty_report
    notes = [r["source"] for r in verdicts["requirements"] if r["source"]["kind"] == "provider-notes"]
    assert notes and all("url" not in s and "provider-notes.md#" in s["document"] for s in notes)
    source_schema = _validator().evolve(schema={"$defs": _validator().schema["$defs"], "$ref": "#/$defs/source"})
    assert source_schema.is_valid(notes[0])
    assert not source_schema.is_valid({**notes[0], "url": "https://platform.claude.com/docs/en/api/errors"})
    html_source = source_html(notes[0])
    assert "our summary, not the provider's words" in html_source and "<a href" not in html_source
    assert "wc-quote" not in html_source
    page = matrix_html(summarize(load("anthropic"), []))
    assert "provider notes shipped with the profiles (provider-notes.md#anthropic-errors)" in page
    assert "platform.claude.com/docs/en/api/errors" not in page
