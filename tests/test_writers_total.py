"""Every writer is total: whatever a target answers or the generator sends (lone surrogates,
NUL and other control characters, invalid UTF-8, JSON nested thousands deep, megabytes), the
JSON, HTML, JUnit, index, console and curl writers produce valid UTF-8 that parses, and a lone
surrogate stays visible as the escape `\\ud800`. And a bug of ours is never a verdict: a failing
writer or a crashing probe leaves the other reports written, says one sentence and exits 3."""

from __future__ import annotations

import html.parser
import json
import shlex
import xml.etree.ElementTree as ET
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from conformance import exitcodes
from conformance.client.counters import Budget
from conformance.client.target import Target
from conformance.client.transcript import BODY_LIMIT, Exchange, curl_command
from conformance.engine.runner import execute
from conformance.model.outcome import ERROR, FAIL, NOT_RUN, PASS, Finding, ProbeResult
from conformance.model.profile import load
from conformance.pytest_plugin.run import Run
from conformance.reports.html_evidence import evidence_html, extras_for
from conformance.reports.html_summary import matrix_html, summary_html
from conformance.reports.index_page import write_index
from conformance.reports.summary import summarize
from conformance.settings import Settings
from conformance.text import printable

from . import hostile
from .conftest import SECRET, no_wait, run_suite
from .test_reports import _open, _validator, browser  # noqa: F401 - the browser fixture

PROFILE = load("anthropic")
RIDS = sorted(r["id"] for r in summarize(PROFILE, [])["requirements"])
HOSTILE_PIECES = [
    "\ud800",
    "\udfff",
    "\udbff\udc00",
    "\x00",
    "\x1b[31m",
    "\x7f",
    "\x0b",
    "\ufffe",
    "\uffff",
    "]]>",
    "</script><script>alert(1)</script>",
    "<!--",
    "\r\n",
    "'\"&<>",
    "\U0001f600",
    "$(id)`id`",
    SECRET,
]
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Each example writes every report; shrinking one would take minutes: a failure is shown as drawn.
WHOLE_RUN = settings(FAST, max_examples=40, phases=[Phase.explicit, Phase.reuse, Phase.generate])


def texts(max_size: int = 30):
    """Any text: every code point, lone surrogates and control characters made likely."""
    piece = st.one_of(st.characters(), st.characters(categories=["Cs", "Cc"]), st.sampled_from(HOSTILE_PIECES))
    return st.lists(piece, max_size=max_size).map("".join)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | texts(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts(8), inner, max_size=4),
    max_leaves=15,
)
header_maps = st.dictionaries(texts(10), texts(), max_size=3)


def nested(depth: int):
    value: object = {"deep": "\ud800"}
    for level in range(depth):
        value = [value] if level % 2 else {"k\ud800": value}
    return value


@st.composite
def exchanges(draw) -> Exchange:
    body = draw(texts(200))
    exchange = Exchange(
        method=draw(st.sampled_from(["POST", "GET"]) | texts(6)),
        url=draw(texts()),
        request_headers=draw(header_maps),
        request_body=body,
    )
    if draw(st.booleans()):
        exchange.status = draw(st.integers(100, 599))
        exchange.response_headers = draw(header_maps)
        exchange.response_text = draw(texts(200) | st.binary(max_size=200).map(lambda b: b.decode("utf-8", "replace")))
        exchange.json = draw(json_values)
    else:
        exchange.error = draw(texts())
    exchange.note = draw(texts())
    exchange.curl = curl_command(exchange.method, exchange.url, exchange.request_headers, body)
    return exchange


@st.composite
def results(draw) -> dict:
    rid = draw(st.sampled_from(RIDS))
    transcript = draw(st.lists(exchanges(), min_size=1, max_size=3))
    findings = [Finding(rid, draw(texts()), draw(texts()), draw(texts()), draw(st.integers(0, len(transcript) - 1)))]
    status = draw(st.sampled_from([PASS, FAIL, ERROR, NOT_RUN]))
    return ProbeResult(
        nodeid=f"conformance/test_x.py::probe[{draw(texts(10))}]",
        probe="probe",
        case=draw(texts(10)),
        requirements=[rid],
        status=status,
        message=draw(texts()),
        findings=[f.to_dict() for f in findings] if status == FAIL else [],
        observations=[{"requirement": rid, "text": draw(texts())}],
        exchanges=[e.to_dict() for e in transcript],
        traceback=draw(st.just("") | texts()),
    ).to_dict()


def _meta(target: str) -> dict:
    return {
        "target": target,
        "suite_version": "0",
        "started": "2026-01-01T00:00:00+00:00",
        "duration_s": 1.0,
        "requests_sent": 1,
        "hypothesis_seed": 0,
        "embedded_reference_server": False,
    }


class _Tags(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)


def _html_tags(page: str) -> list[str]:
    page.encode("utf-8")  # strict: a lone surrogate raises here
    parser = _Tags()
    parser.feed(page)
    parser.close()
    return parser.tags


def _assert_utf8_json(path: Path) -> dict:
    return json.loads(path.read_bytes().decode("utf-8"))


# -- the stored form ------------------------------------------------------------------
def test_a_lone_surrogate_is_written_as_its_visible_escape_and_nothing_else_changes():
    assert printable("a\ud800b\udfff") == "a\\ud800b\\udfff"
    assert printable({"k\udc00": ["x", 1, None]}) == {"k\\udc00": ["x", 1, None]}
    assert printable("NUL\x00 é \U0001f600") == "NUL\x00 é \U0001f600"


def test_an_exchange_keeps_what_the_target_sent_visible():
    exchange = Exchange(
        "POST",
        "http://t/\ud800",
        {"x-echo": "\udfff"},
        '{"name": "\\ud800"}',
        status=400,
        response_text='{"message": "bad: \\ud800"}',
        json={"message": "bad: \ud800"},
    )
    stored = exchange.to_dict()
    assert stored["response"]["body"] == '{\n  "message": "bad: \\ud800"\n}'
    assert stored["request"]["url"] == "http://t/\\ud800" and stored["request"]["headers"] == {"x-echo": "\\udfff"}
    json.dumps(stored, ensure_ascii=False).encode("utf-8")


def test_json_nested_thousands_deep_reaches_every_writer(tmp_path):
    deep_text = "[" * 5000 + "]" * 5000
    exchange = Exchange("POST", "http://t/", {}, deep_text, status=400, response_text=deep_text, json=nested(5000))
    stored = exchange.to_dict()
    assert stored["response"]["body"].startswith("[[[[")  # as received, clipped, not re-indented
    result = ProbeResult(
        "conformance/x.py::p[c]",
        "p",
        "c",
        [RIDS[0]],
        FAIL,
        "m",
        findings=[Finding(RIDS[0], "t", "e", "o\ud800", 0).to_dict()],
        exchanges=[stored],
    ).to_dict()
    _every_writer(tmp_path, [result])


def test_a_multi_megabyte_body_is_clipped_in_every_report(tmp_path):
    huge = "x\ud800" * (3 * 1024 * 1024)
    exchange = Exchange("POST", "http://t/", {}, huge, status=500, response_text=huge)
    exchange.curl = curl_command("POST", "http://t/", {}, huge)
    stored = exchange.to_dict()
    assert len(stored["response"]["body"]) < 6 * BODY_LIMIT + 100 and "@body.txt" in stored["curl"]
    result = ProbeResult(
        "conformance/x.py::p[c]",
        "p",
        "c",
        [RIDS[0]],
        FAIL,
        "m",
        findings=[Finding(RIDS[0], "t", "e", "o", 0).to_dict()],
        exchanges=[stored],
    ).to_dict()
    written = _every_writer(tmp_path, [result])
    assert written["json"].stat().st_size < 100_000


# -- every writer, on arbitrary exchanges and findings ----------------------------------
def _pointed_run(out: Path, target: str = "http://t/") -> Run:
    """A Run whose reports are pointed as the plugin points them: pytest's JUnit and
    pytest-html's page go to fresh files beside the reports (`Run.writing`)."""
    run = Run(Settings(profile=PROFILE, target_url=target, credential=SECRET, report_dir=str(out)))
    config = SimpleNamespace(option=SimpleNamespace(xmlpath=None, htmlpath=None, self_contained_html=False))
    run.point_reports(config)
    assert set(run.writing) == {"junit", "html"}
    assert config.option.xmlpath == str(run.writing["junit"]) and config.option.htmlpath == str(run.writing["html"])
    return run


def _end_session(run: Run, exitstatus: int = exitcodes.OK) -> int:
    """The end of a session as the plugin runs it: our sessionfinish (`finish`), then, after every
    plugin's, the JUnit and HTML files placed (`place_reports`); the session's exit status."""
    status = run.finish(exitstatus)
    placed = run.place_reports()
    return status if placed is None else placed


def _every_writer(tmp_path: Path, probe_results: list[dict], target: str = "http://t/") -> dict[str, Path]:
    """The run's own ending (JSON, JUnit marking, HTML redaction, console lines), then the
    static HTML sections, the pytest-html evidence and the index, each checked as its reader would."""
    out = tmp_path / "reports"
    run = _pointed_run(out, target)
    _pytest_like_junit(run.writing["junit"], probe_results)
    run.writing["html"].write_text(f"<html><body>{SECRET}</body></html>", encoding="utf-8")
    run.results = list(probe_results)
    status = _end_session(run)
    assert run.writing == {} and sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == []
    summary = _assert_utf8_json(run.paths["json"])
    _validator().validate(summary)
    assert summary["exit_status"] == status
    assert (status == exitcodes.INTERNAL) == any(r["traceback"] for r in probe_results)
    ET.fromstring(run.paths["junit"].read_bytes())
    assert SECRET not in run.paths["html"].read_text(encoding="utf-8")
    for line in run.closing_lines():
        printable(line).encode("utf-8")  # as the terminal summary writes it
    page = (
        summary_html(run.summary)
        + matrix_html(run.summary)
        + evidence_html(run.summary)
        + "".join(extras_for(r) or "" for r in probe_results)
    )
    assert "script" not in _html_tags(page)  # whatever the target sent stays text
    write_index(out, ["anthropic", "missing"])
    assert "script" not in _html_tags((out / "index.html").read_bytes().decode("utf-8"))
    return run.paths


def _pytest_like_junit(path: Path, probe_results: list[dict]) -> None:
    """A JUnit file as pytest's junitxml writes it (its own escaping of what XML cannot hold)."""
    from _pytest.junitxml import bin_xml_escape

    suite = ET.Element("testsuite")
    for r in probe_results:
        case = ET.SubElement(suite, "testcase", name=bin_xml_escape(r["nodeid"].split("::", 1)[-1]))
        if r["status"] in (FAIL, ERROR):
            ET.SubElement(case, "failure", message=bin_xml_escape(r["message"])).text = bin_xml_escape(r["message"])
    path.write_bytes(ET.tostring(suite, encoding="utf-8"))


@WHOLE_RUN
@given(st.lists(results(), min_size=1, max_size=4), texts())
def test_every_writer_accepts_any_exchange_and_finding(tmp_path_factory, probe_results, target):
    _every_writer(tmp_path_factory.mktemp("w"), probe_results, "http://t/" + target)


@FAST
@given(texts(8), texts(), header_maps, texts(300), st.lists(st.tuples(texts(8), texts()), max_size=3))
def test_every_curl_line_is_utf8_and_a_well_formed_shell_line(method, url, headers, body, parts):
    for line in (curl_command(method, url, headers, body), curl_command(method, url, headers, None, multipart=parts)):
        shown = printable(line)
        shown.encode("utf-8")
        shlex.split(shown)  # quotes balanced: it pastes into a shell as one command


@WHOLE_RUN
@given(
    st.binary(max_size=3000),
    st.sampled_from([200, 201, 400, 422, 500]),
    st.sampled_from(["application/json", "text/html", "application/json; charset=latin-1", ""]),
    st.binary(max_size=40).filter(lambda b: not set(b) & set(b"\r\n\x00")),
    json_values,
)
def test_any_answer_bytes_go_through_the_client_into_every_writer(
    tmp_path_factory, body, status, content_type, header_value, sent
):
    """The real path: bytes off the wire, decoded and judged by the client, then every writer."""
    answer = httpx.Response(
        status, content=body, headers=[("content-type", content_type), ("x-echo", header_value), ("set-cookie", SECRET)]
    )
    target = Target(
        PROFILE,
        "http://127.0.0.1:9/v1",
        SECRET,
        {},
        run_id="t",
        budget=Budget(None),
        transport=httpx.MockTransport(lambda request: answer),
        sleep=no_wait,
    )
    exchange = target.create({"name": sent})
    stored = exchange.to_dict()
    if body and not _is_utf8(body):
        assert "not valid UTF-8" in stored["response"]["parse_error"]  # the reader sees the bytes were replaced
    result = ProbeResult(
        "conformance/x.py::p[c]",
        "p",
        "c",
        [RIDS[0]],
        FAIL,
        "m",
        findings=[Finding(RIDS[0], "t", "e", "o", 0).to_dict()],
        exchanges=[stored],
    ).to_dict()
    _every_writer(tmp_path_factory.mktemp("c"), [result])
    target.close()


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


# -- a bug of ours is never a verdict ----------------------------------------------------
def test_a_crashing_probe_keeps_its_redacted_traceback_and_the_run_exits_internal():
    target = Target(
        PROFILE,
        "http://127.0.0.1:9/v1",
        SECRET,
        {},
        run_id="t",
        budget=Budget(None),
        transport=httpx.MockTransport(lambda request: httpx.Response(201, json={})),
        sleep=no_wait,
    )

    def crashing_probe(target, case):
        raise KeyError(f"our own bug near {SECRET}")

    case = type("Case", (), {"id": "c", "requirement": RIDS[0]})()
    result = execute(crashing_probe, target, case).to_dict()
    assert result["status"] == ERROR
    assert "crashing_probe" in result["traceback"] and "KeyError" in result["traceback"]
    assert SECRET not in result["traceback"] + result["message"]
    summary = summarize(PROFILE, [result])
    assert summary["exit_status"] == exitcodes.INTERNAL
    assert [e["where"] for e in summary["internal_errors"]] == [f"probe {result['nodeid']}"]
    assert summary["internal_errors"][0]["traceback"] == result["traceback"]


def test_a_failing_writer_does_not_stop_the_others(tmp_path, monkeypatch):
    def broken(self):
        raise RuntimeError(f"injected writer bug {SECRET}\nsecond line")

    monkeypatch.setattr(Run, "_finish_junit", broken)
    out = tmp_path / "reports"
    run = _pointed_run(out)
    _pytest_like_junit(run.writing["junit"], [])
    run.writing["html"].write_text(f"<html><body>{SECRET}</body></html>", encoding="utf-8")
    assert _end_session(run) == exitcodes.INTERNAL
    assert SECRET not in run.paths["html"].read_text(encoding="utf-8")  # the HTML step still ran
    summary = _assert_utf8_json(run.paths["json"])
    assert summary["exit_status"] == exitcodes.INTERNAL
    (error,) = summary["internal_errors"]
    assert error["where"] == "the JUnit report" and "injected writer bug" in error["traceback"]
    assert SECRET not in json.dumps(summary)
    (line,) = [line for line in run.closing_lines() if "internal error" in line]
    assert line.startswith("internal error in the JUnit report: RuntimeError: injected writer bug")
    assert "second line" not in line and str(run.paths["json"]) in line


# -- as a user runs it ----------------------------------------------------------------
def _plugin(tmp_path: Path, name: str, code: str) -> dict:
    """A plugin module the run loads with -p: how a test injects a bug into the suite's process."""
    directory = tmp_path / "plugins"
    directory.mkdir(exist_ok=True)
    (directory / f"{name}.py").write_text(code)
    return {"PYTHONPATH": str(directory)}


BREAK_JUNIT = """
from conformance.pytest_plugin.run import Run
def _broken(self):
    raise RuntimeError("injected bug in the JUnit step")
Run._finish_junit = _broken
"""
BREAK_HTML = """
from pytest_html.basereport import BaseReport
def _broken(self, rendered):
    raise OSError("injected bug in pytest-html")
BaseReport._write_report = _broken
"""
BREAK_MATRIX = """
import conformance.reports.html_page as module
def _broken(summary):
    raise ValueError("injected bug in the requirement matrix")
module.matrix_html = _broken
"""
CRASH_PROBE = """
import conformance.probes.test_04_auth as module
original = module.test_create_with_wrong_credential_is_rejected
def test_create_with_wrong_credential_is_rejected(target, case):
    raise ZeroDivisionError("injected bug in a probe")
test_create_with_wrong_credential_is_rejected.__dict__.update(original.__dict__)
module.test_create_with_wrong_credential_is_rejected = test_create_with_wrong_credential_is_rejected
"""


@pytest.mark.parametrize(
    "plugin, where, unwritten",
    [
        (BREAK_JUNIT, "the JUnit report", "junit"),
        (BREAK_HTML, "the HTML report (pytest-html)", "html"),
        (BREAK_MATRIX, "the HTML report's summary sections", None),
        (CRASH_PROBE, "probe probes/test_04_auth.py::test_create_with_wrong_credential_is_rejected", None),
    ],
    ids=["junit-step", "pytest-html", "html-sections", "probe"],
)
def test_an_internal_error_is_one_sentence_exit_3_and_the_other_reports_are_written(tmp_path, plugin, where, unwritten):
    env = _plugin(tmp_path, "inject_bug", plugin)
    completed, verdicts = run_suite(
        tmp_path, "--conformance-provider", "anthropic", "-p", "inject_bug", "-k", "auth", env=env
    )
    output = completed.stdout + completed.stderr
    assert completed.returncode == exitcodes.INTERNAL, output
    assert "Traceback" not in output and "INTERNALERROR" not in output
    assert verdicts is not None and verdicts["exit_status"] == exitcodes.INTERNAL
    (error,) = verdicts["internal_errors"]
    assert error["where"].startswith(where) and "injected bug" in error["traceback"]
    assert "Traceback (most recent call last)" in error["traceback"]
    sentences = [line for line in output.splitlines() if line.startswith("internal error in ")]
    assert len(sentences) == 1 and "injected bug" in sentences[0], output
    reports = tmp_path / "run" / "reports"
    (named,) = [line for line in output.splitlines() if line.startswith("reports: ")]
    if unwritten != "junit":
        ET.parse(reports / "anthropic.junit.xml")
    if unwritten != "html":
        assert (reports / "anthropic.html").stat().st_size > 0
    if unwritten:  # the report the failing writer owed is neither claimed nor left half-written
        assert str(reports / f"anthropic.{'junit.xml' if unwritten == 'junit' else unwritten}") not in named
    assert [p.name for p in reports.iterdir() if p.name.startswith(".")] == []  # no unfinished file beside them
    assert named.startswith(f"reports: {reports / 'anthropic.json'}")


@pytest.fixture
def echoing_target(reference_server):
    proxies = []

    def start(fault: str | None) -> str:
        proxies.append(hostile.EchoingProxy(reference_server("anthropic", fault)))
        return proxies[-1].url

    yield start
    for proxy in proxies:
        proxy.close()


@pytest.mark.parametrize(
    "fault, deserved, failed",
    [
        (None, "CONFORMANT", set()),
        ("name-max-41", "NOT CONFORMANT", {"anthropic.name.max-length"}),
    ],
    ids=["conformant", "accepts-41-characters"],
)
def test_a_target_echoing_lone_surrogates_gets_whole_reports_and_its_verdict(
    tmp_path,
    echoing_target,
    browser,
    fault,
    deserved,
    failed,
):
    """A server that accepts a lone surrogate, echoes it back in the created resource, and
    echoes the input in every 4xx message: the verdict it deserves, three whole reports."""
    completed, verdicts = run_suite(
        tmp_path,
        "--conformance-provider",
        "anthropic",
        "--conformance-target-url",
        echoing_target(fault),
        env={"CONFORMANCE_CREDENTIAL": SECRET},
    )
    output = completed.stdout + completed.stderr
    assert "Traceback" not in output and "INTERNALERROR" not in output
    assert completed.returncode == (exitcodes.OK if not failed else exitcodes.NOT_CONFORMANT), output
    assert verdicts["verdict"] == deserved and verdicts["internal_errors"] == []
    assert {r["id"] for r in verdicts["requirements"] if r["status"] != "pass"} == failed
    _validator().validate(verdicts)
    reports = tmp_path / "run" / "reports"
    raw = (reports / "anthropic.json").read_bytes().decode("utf-8")
    bodies = [e["response"]["body"] for p in verdicts["probes"] for e in p["exchanges"] if e["response"]]
    assert any("\\ud800" in b for b in bodies), "the echoed surrogate is visible in the report"
    assert "\\ud800" in raw
    ET.parse(reports / "anthropic.junit.xml")
    page_path = reports / "anthropic.html"
    assert page_path.stat().st_size > 0
    page_path.read_bytes().decode("utf-8")
    context, page, outside = _open(browser, page_path, javascript=True)
    try:
        assert page.locator("#wc-verdict").inner_text() == deserved
        page.wait_for_selector("#results-table tbody.results-table-row")
        assert page.locator("#results-table tbody.results-table-row").count() == len(verdicts["probes"])
        assert page.locator(".wc-evidence").count() == len(failed)
        assert outside == []
    finally:
        context.close()


def test_under_all_an_internal_error_in_any_provider_is_the_exit_status():
    from conformance.cli.run_command import _combined

    assert _combined([exitcodes.OK, exitcodes.INCOMPLETE, exitcodes.INTERNAL, exitcodes.NOT_CONFORMANT]) == 3
    assert _combined([exitcodes.OK, exitcodes.INCOMPLETE, exitcodes.NOT_CONFORMANT]) == exitcodes.INCOMPLETE
