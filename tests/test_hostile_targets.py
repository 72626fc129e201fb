"""Hostile targets: each gives a clear verdict or one clear sentence with a distinct exit
status, within bounded time, and the report of what was measured is still written."""
import socket
import time

import pytest

from conformance import exitcodes

from . import hostile
from .conftest import SECRET, run_suite


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(tmp_path, url, *extra):
    started = time.monotonic()
    completed, verdicts = run_suite(tmp_path, "--conformance-provider", "anthropic", "--conformance-target-url", url,
                                    "--conformance-request-timeout", "1", *extra, env={"CONFORMANCE_CREDENTIAL": SECRET})
    elapsed = time.monotonic() - started
    assert "Traceback" not in completed.stdout + completed.stderr
    assert verdicts is not None, "the report was not written"
    return completed, verdicts, elapsed


@pytest.mark.parametrize("case, url_of, sentence", [
    ("refused", lambda raw: f"http://127.0.0.1:{_closed_port()}", "the connection was refused"),
    ("dns", lambda raw: "http://conformance-target.invalid", "could not be resolved"),
    # A plain-HTTP server answering at once: the TLS client gets bytes that are not a handshake.
    ("tls", lambda raw: raw(hostile.answer("200 OK", b"{}"), read_first=False).url.replace("http:", "https:"),
     "TLS handshake failed"),
    ("hang", lambda raw: raw(hostile.hang).url, "did not answer in time"),
    ("closes mid-answer", lambda raw: raw(hostile.close_mid_answer).url, "broke the HTTP exchange"),
])
def test_unusable_target_is_one_sentence_and_exit_6(tmp_path, raw_server, case, url_of, sentence):
    completed, verdicts, elapsed = _run(tmp_path, url_of(raw_server))
    assert completed.returncode == exitcodes.UNREACHABLE, completed.stdout[-2000:]
    assert sentence in completed.stdout and sentence in verdicts["problem"]
    assert verdicts["verdict"] == "INCOMPLETE" and not verdicts["complete"]
    assert elapsed < 30


@pytest.mark.parametrize("case, handler, requirement", [
    ("html", hostile.answer("200 OK", b"<html><body>Welcome</body></html>", "text/html"),
     "anthropic.response.content-type"),
    ("invalid utf-8", hostile.answer("200 OK", b'{"name": "\xff\xfe"}'), "anthropic.response.content-type"),
    ("50 MB body", hostile.huge_body, "anthropic.response.content-type"),
])
def test_garbage_answers_are_failed_verdicts_not_crashes(tmp_path, raw_server, case, handler, requirement):
    completed, verdicts, elapsed = _run(tmp_path, raw_server(handler).url)
    assert completed.returncode == exitcodes.NOT_CONFORMANT, completed.stdout[-2000:]
    failed = {r["id"] for r in verdicts["requirements"] if r["status"] == "fail"}
    assert requirement in failed
    assert elapsed < 60


def test_redirect_to_another_host_is_never_followed(tmp_path, raw_server):
    elsewhere = raw_server(hostile.answer("200 OK", b"{}"), host="127.0.0.2")
    redirecting = raw_server(hostile.answer("307 Temporary Redirect", b"", extra=f"Location: {elsewhere.url}/steal\r\n"))
    completed, verdicts, _ = _run(tmp_path, redirecting.url)
    assert completed.returncode == exitcodes.NOT_CONFORMANT
    assert elsewhere.connections == 0
    assert "HTTP 307" in completed.stdout


def test_rate_limited_target_is_waited_for_and_the_waits_reported(tmp_path, raw_server):
    limited = raw_server(hostile.answer("429 Too Many Requests", b'{"type": "error", "error": {"type": '
                                        b'"rate_limit_error", "message": "slow down"}}', extra="Retry-After: 1\r\n"))
    completed, verdicts, elapsed = _run(tmp_path, limited.url, "--conformance-max-requests", "6")
    waits = [w for p in verdicts["probes"] for e in p["exchanges"] for w in e["retry_waits_s"]]
    assert waits and all(w == 1.0 for w in waits)
    assert limited.connections == 6  # retries count against the budget
    assert "slow down" in completed.stdout and "it waited" in completed.stdout
    assert elapsed < 30


def test_target_echoing_the_secret_leaks_nothing(tmp_path, raw_server):
    """A hostile target sends the credential back in the body, in Set-Cookie and in a custom
    header; no byte the suite writes may contain it."""
    completed, _, _ = _run(tmp_path, raw_server(hostile.echo_secrets).url, "--conformance-credential", SECRET)
    assert completed.returncode == exitcodes.NOT_CONFORMANT
    written = [p for p in (tmp_path / "run").rglob("*") if p.is_file()]
    assert {p.suffix for p in written} >= {".html", ".json", ".xml"}
    for path in written:
        assert SECRET.encode() not in path.read_bytes(), path
    assert SECRET not in completed.stdout + completed.stderr
