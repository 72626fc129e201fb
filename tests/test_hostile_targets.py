"""Hostile targets: each gives a clear verdict or one clear sentence with a distinct exit
status, within bounded time, and the report of what was measured is still written."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conformance import exitcodes

from . import hostile
from .conftest import SECRET, python_m, run_env, run_suite


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(tmp_path, url, *extra):
    started = time.monotonic()
    completed, verdicts = run_suite(
        tmp_path,
        "--conformance-provider",
        "anthropic",
        "--conformance-target-url",
        url,
        "--conformance-request-timeout",
        "1",
        *extra,
        env={"CONFORMANCE_CREDENTIAL": SECRET},
    )
    elapsed = time.monotonic() - started
    assert "Traceback" not in completed.stdout + completed.stderr
    assert verdicts is not None, "the report was not written"
    return completed, verdicts, elapsed


@pytest.mark.parametrize(
    "case, url_of, sentence",
    [
        ("refused", lambda raw: f"http://127.0.0.1:{_closed_port()}", "the connection was refused"),
        ("dns", lambda raw: "http://conformance-target.invalid", "could not be resolved"),
        # A plain-HTTP server answering at once: the TLS client gets bytes that are not a handshake.
        (
            "tls",
            lambda raw: raw(hostile.answer("200 OK", b"{}"), read_first=False).url.replace("http:", "https:"),
            "TLS handshake failed",
        ),
        pytest.param("hang", lambda raw: raw(hostile.hang).url, "did not answer in time", marks=pytest.mark.slow),
        ("closes mid-answer", lambda raw: raw(hostile.close_mid_answer).url, "broke the HTTP exchange"),
    ],
)
def test_unusable_target_is_one_sentence_and_exit_6(tmp_path, raw_server, case, url_of, sentence):
    completed, verdicts, elapsed = _run(tmp_path, url_of(raw_server))
    assert completed.returncode == exitcodes.UNREACHABLE, completed.stdout[-2000:]
    assert sentence in completed.stdout and sentence in verdicts["problem"]
    assert verdicts["verdict"] == "INCOMPLETE" and not verdicts["complete"]
    assert elapsed < 30


@pytest.mark.parametrize(
    "case, handler, requirement",
    [
        (
            "html",
            hostile.answer("200 OK", b"<html><body>Welcome</body></html>", "text/html"),
            "anthropic.response.content-type",
        ),
        ("invalid utf-8", hostile.answer("200 OK", b'{"name": "\xff\xfe"}'), "anthropic.response.content-type"),
        ("50 MB body", hostile.huge_body, "anthropic.response.content-type"),
    ],
)
def test_garbage_answers_are_failed_verdicts_not_crashes(tmp_path, raw_server, case, handler, requirement):
    completed, verdicts, elapsed = _run(tmp_path, raw_server(handler).url)
    assert completed.returncode == exitcodes.NOT_CONFORMANT, completed.stdout[-2000:]
    failed = {r["id"] for r in verdicts["requirements"] if r["status"] == "fail"}
    assert requirement in failed
    assert elapsed < 60


def test_redirect_to_another_host_is_never_followed(tmp_path, raw_server):
    elsewhere = raw_server(hostile.answer("200 OK", b"{}"), host="127.0.0.2")
    redirecting = raw_server(
        hostile.answer("307 Temporary Redirect", b"", extra=f"Location: {elsewhere.url}/steal\r\n")
    )
    completed, _verdicts, _ = _run(tmp_path, redirecting.url)
    assert completed.returncode == exitcodes.NOT_CONFORMANT
    assert elsewhere.connections == 0
    assert "HTTP 307" in completed.stdout


@pytest.mark.slow  # it waits out four Retry-After: 1
def test_rate_limited_target_is_waited_for_and_the_waits_reported(tmp_path, raw_server):
    limited = raw_server(
        hostile.answer(
            "429 Too Many Requests",
            b'{"type": "error", "error": {"type": "rate_limit_error", "message": "slow down"}}',
            extra="Retry-After: 1\r\n",
        )
    )
    completed, verdicts, elapsed = _run(tmp_path, limited.url, "--conformance-max-requests", "6")
    waits = [w for p in verdicts["probes"] for e in p["exchanges"] for w in e["retry_waits_s"]]
    assert waits and all(w == 1.0 for w in waits)
    assert limited.connections == 6  # retries count against the budget
    # The console names what the target answered, and a 429 that persists is not judged.
    assert "the target answered 429 4 times, and the suite asked again; it waited 4.0 s in all" in completed.stdout
    assert "asked the suite to slow down" not in completed.stdout
    assert completed.returncode == exitcodes.INCOMPLETE
    assert "fail" not in {r["status"] for r in verdicts["requirements"]}
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


# -- round two: secrets, memory, time, paths, signals (issue 15) --------------------------------
class Outcome:
    def __init__(self, returncode, stdout, stderr, verdicts, elapsed, peak_mb, workdir):
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr
        self.verdicts, self.elapsed, self.peak_mb, self.workdir = verdicts, elapsed, peak_mb, workdir

    @property
    def output(self) -> bytes:
        return self.stdout + self.stderr

    def failed(self) -> set[str]:
        return {r["id"] for r in self.verdicts["requirements"] if r["status"] == "fail"}

    def written(self) -> list[Path]:
        return [p for p in self.workdir.rglob("*") if p.is_file()]


# Started from this small launcher, not from the test process: Linux counts the RSS a process
# had when it was forked into its child's peak, and this process is far larger than the suite.
_LAUNCHER = """
import resource, signal, subprocess, sys
suite = subprocess.Popen(sys.argv[2:])
signal.signal(signal.SIGTERM, lambda signum, frame: suite.send_signal(signum))
status = suite.wait()
with open(sys.argv[1], "w") as out:
    out.write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
sys.exit(status if status >= 0 else 128 - status)
"""


def _launched(tmp_path, workdir, args, env, timeout, while_running):
    """`python -m pytest ARGS` started from the launcher: (exit status, stdout, stderr, peak MB)."""
    full_env = run_env(env)
    peak_file = tmp_path / "peak-kb"
    with open(tmp_path / "stdout", "wb") as out, open(tmp_path / "stderr", "wb") as err:
        process = subprocess.Popen(
            [sys.executable, "-c", _LAUNCHER, str(peak_file), sys.executable, "-m", "pytest", *args],
            cwd=workdir,
            env=full_env,
            stdout=out,
            stderr=err,
        )
        if while_running is not None:
            while_running(process)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    peak_mb = int(peak_file.read_text()) / 1024 if peak_file.exists() else float("inf")
    return process.returncode, (tmp_path / "stdout").read_bytes(), (tmp_path / "stderr").read_bytes(), peak_mb


def _suite(
    tmp_path, url, *extra, credential=SECRET, env=None, timeout=120, while_running=None, memory=False
) -> Outcome:
    """The suite as a user runs it, with its wall time; its peak memory (max RSS) when `memory`
    or a signal is sent `while_running` (a process of its own, from the launcher above), else
    forked from the warm interpreter (`python_m`; peak_mb is then None)."""
    workdir = tmp_path / "run"
    workdir.mkdir(parents=True, exist_ok=True)
    args = [
        "--pyargs",
        "conformance",
        "-p",
        "no:cacheprovider",
        "-q",
        "--conformance-report-dir",
        str(workdir / "reports"),
        "--conformance-provider",
        "anthropic",
        "--conformance-target-url",
        url,
        "--conformance-request-timeout",
        "1",
        *extra,
    ]
    run_env = {"CONFORMANCE_CREDENTIAL": credential, **(env or {})}
    started = time.monotonic()
    if memory or while_running is not None:
        returncode, stdout, stderr, peak_mb = _launched(tmp_path, workdir, args, run_env, timeout, while_running)
    else:
        completed = python_m("pytest", *args, cwd=workdir, env=run_env, timeout=timeout, text=False)
        returncode, stdout, stderr, peak_mb = completed.returncode, completed.stdout, completed.stderr, None
    elapsed = time.monotonic() - started
    reports = sorted((workdir / "reports").glob("*.json"))
    outcome = Outcome(
        returncode,
        stdout,
        stderr,
        json.loads(reports[0].read_text()) if reports else None,
        elapsed,
        peak_mb,
        workdir,
    )
    if os.environ.get("HOSTILE_TABLE_FILE"):  # the closing note's table: outcome, time, peak memory
        with open(os.environ["HOSTILE_TABLE_FILE"], "a") as table:
            table.write(
                json.dumps(
                    {
                        "test": os.environ.get("PYTEST_CURRENT_TEST", ""),
                        "exit": outcome.returncode,
                        "seconds": round(elapsed, 1),
                        "peak_mb": None if outcome.peak_mb is None else round(outcome.peak_mb),
                    }
                )
                + "\n"
            )
    assert b"Traceback" not in outcome.output, outcome.output[-3000:]
    return outcome


def _assert_nothing_leaks(outcome: Outcome, forms) -> None:
    files = outcome.written()
    for form in forms:
        needle = form.encode() if isinstance(form, str) else form
        assert needle not in outcome.output, form
        for path in files:
            assert needle not in path.read_bytes(), (form, path)


@pytest.mark.parametrize(
    "credential, sentence",
    [
        (SECRET + "\n", "trailing newline"),
        (SECRET + "\r\n", "trailing newline"),
        ("sk-conf\x1b[2J-" + SECRET, "control character"),
        ("sk-cönformance-" + SECRET, "non-ASCII character"),
        (" " + SECRET, "white space"),
    ],
)
def test_a_credential_the_header_cannot_carry_is_one_sentence_and_exit_4(tmp_path, raw_server, credential, sentence):
    server = raw_server(hostile.answer("200 OK", b"{}"))
    outcome = _suite(tmp_path, server.url, credential=credential)
    assert outcome.returncode == exitcodes.USAGE
    lines = [line for line in outcome.output.decode().splitlines() if sentence in line]
    assert len(lines) == 1 and "X-Api-Key header" in lines[0], outcome.output[-2000:]
    assert server.connections == 0  # refused before the first request
    _assert_nothing_leaks(outcome, [credential.strip(), SECRET])


def test_every_encoded_echo_of_the_credential_is_redacted(tmp_path, raw_server):
    credential = "sk-conf/SECRET+7f3a9c==do-not-leak"  # `/` and `+` make the encodings differ
    handler, forms = hostile.echo_encoded(credential)
    outcome = _suite(
        tmp_path, raw_server(handler).url, "--conformance-max-requests", "12", "-rA", credential=credential
    )
    assert outcome.returncode == exitcodes.NOT_CONFORMANT
    assert {p.suffix for p in outcome.written()} >= {".html", ".json", ".xml"}
    _assert_nothing_leaks(outcome, [*forms, credential.replace("/", "\\/")])


@pytest.mark.parametrize("case", ["refused", "echoed"])
def test_the_password_of_the_target_url_is_redacted(tmp_path, raw_server, case):
    import base64

    port = _closed_port() if case == "refused" else raw_server(hostile.echo_secrets).port
    outcome = _suite(tmp_path, f"http://admin:pw-hunter2-Xq7@127.0.0.1:{port}", "--conformance-max-requests", "6")
    assert outcome.returncode == (exitcodes.UNREACHABLE if case == "refused" else exitcodes.NOT_CONFORMANT)
    if case == "refused":
        assert b"the connection was refused: http://[redacted]@127.0.0.1" in outcome.stdout
    _assert_nothing_leaks(
        outcome, ["pw-hunter2-Xq7", "pw-hunter2", base64.b64encode(b"admin:pw-hunter2-Xq7").decode(), SECRET]
    )


@pytest.fixture(scope="module")
def gigabyte_bombs():
    return {
        "gzip": hostile.compressed(1024, 1),
        "gzip, gzip": hostile.compressed(1024, 2),
        "gzip, gzip, gzip": hostile.compressed(16, 3),
    }


@pytest.mark.parametrize(
    "encoding, requirement",
    [
        ("gzip", "anthropic.response.content-type"),  # decoded past the 1 MiB cap: cut, not JSON
        ("gzip, gzip", "anthropic.response.content-type"),
        ("gzip, gzip, gzip", "anthropic.response.encoding"),  # more codings stacked than are decoded
    ],
)
def test_compression_bombs_are_bounded_findings(tmp_path, raw_server, gigabyte_bombs, encoding, requirement):
    body = gigabyte_bombs[encoding]
    # Two probes, each reading one bomb: a full run's own peak (Hypothesis' tables, some 250 MB)
    # would hide what one answer costs.
    outcome = _suite(
        tmp_path,
        raw_server(hostile.coded(body, encoding)).url,
        "--conformance-max-requests",
        "6",
        "-k",
        "test_valid_create_answers_documented_status or test_created_resource_is_sent_as_json",
        memory=True,
    )
    assert outcome.returncode == exitcodes.NOT_CONFORMANT, outcome.stdout[-2000:]
    assert requirement in outcome.failed()
    assert outcome.peak_mb < 150, f"{outcome.peak_mb:.0f} MB for a {len(body)}-byte answer"
    assert outcome.elapsed < 60


def test_a_body_that_lies_about_its_encoding_fails_the_target(tmp_path, raw_server):
    body = hostile.workspace("wrkspc_01LIE")  # plain JSON, declared gzip
    outcome = _suite(tmp_path, raw_server(hostile.coded(body, "gzip")).url, "--conformance-max-requests", "6")
    assert outcome.returncode == exitcodes.NOT_CONFORMANT
    row = next(r for r in outcome.verdicts["requirements"] if r["id"] == "anthropic.response.encoding")
    assert row["status"] == "fail" and row["source"]["document"].startswith("RFC 9110")
    evidence = row["findings"][0]
    assert "declared gzip but is not gzip data" in evidence["observed"]
    assert evidence["evidence"]["response"]["headers"]["content-encoding"] == "gzip"
    assert "wrkspc_01LIE" in evidence["evidence"]["response"]["body"]  # what was sent, as evidence


@pytest.mark.slow
@pytest.mark.parametrize(
    "case, handler",
    [
        ("endless 102 Processing", hostile.endless_processing),
        ("a byte every 0.3 s", hostile.drip(0.3)),
    ],
)
def test_one_deadline_covers_the_whole_request(tmp_path, raw_server, case, handler):
    outcome = _suite(tmp_path, raw_server(handler).url, "--conformance-max-requests", "4")
    assert outcome.returncode == exitcodes.UNREACHABLE
    assert b"did not answer in time (--request-timeout 1 s covers the whole request" in outcome.stdout
    sent = [e for p in outcome.verdicts["probes"] for e in p["exchanges"] if e["error"]]
    assert len(sent) == 2 and all(e["elapsed_ms"] < 2000 for e in sent)  # then the breaker stops the run
    assert outcome.elapsed < 60  # start-up included, on a loaded machine; before: never, or 45 s a request


@pytest.mark.slow  # waits out a 1 s deadline
def test_after_one_request_runs_out_of_time_the_others_go_on(tmp_path, raw_server):
    outcome = _suite(tmp_path, raw_server(hostile.drip(0.3, first_only=True)).url, "--conformance-max-requests", "8")
    exchanges = [e for p in outcome.verdicts["probes"] for e in p["exchanges"]]
    timed_out = [e for e in exchanges if e["error"] and "covers the whole request" in e["error"]]
    answered = [e for e in exchanges if e["response"] is not None]
    assert len(timed_out) == 1 and timed_out[0]["elapsed_ms"] < 2000
    assert len(answered) >= 3 and outcome.returncode != exitcodes.UNREACHABLE


@pytest.mark.parametrize(
    "workspace_id, removed",
    [
        ("../../../admin/delete-organization?confirm=yes&x=", False),
        ("wrkspc_01%2F..%2Fadmin", False),
        ("wrkspc_01JwQvzr7rXLA5AGx3HKfFUJ", True),
    ],
)
def test_cleanup_calls_only_the_documented_path_for_ids_of_the_documented_shape(
    tmp_path, raw_server, workspace_id, removed
):
    server = raw_server(hostile.created_with_id(workspace_id))
    outcome = _suite(tmp_path, server.url, "--conformance-cleanup", "-k", "test_valid_create_answers_documented_status")
    cleanup = outcome.verdicts["cleanup"]
    create = "POST /v1/organizations/workspaces HTTP/1.1"
    if removed:
        assert cleanup["removed"] == [workspace_id]
        assert server.requests == [create, f"POST /v1/organizations/workspaces/{workspace_id}/archive HTTP/1.1"]
    else:
        assert server.requests == [create]  # nothing else, above all not /admin/...
        assert cleanup["not_removed"][0]["id"] == workspace_id
        assert "documented id shape" in cleanup["not_removed"][0]["why"]
        assert b"not removed" in outcome.stdout


def test_reports_replace_planted_symlinks_and_never_write_through_them(tmp_path, raw_server):
    reports = tmp_path / "run" / "reports"
    reports.mkdir(parents=True)
    victims = {}
    for name in ("anthropic.html", "anthropic.json", "anthropic.junit.xml", "anthropic.svg"):  # the badge too
        victim = tmp_path / f"victim-{name}"
        victim.write_text("precious")
        (reports / name).symlink_to(victim)
        victims[name] = victim
    outcome = _suite(
        tmp_path, raw_server(hostile.answer("400 Bad Request", b"{}")).url, "--conformance-max-requests", "3"
    )
    assert outcome.returncode == exitcodes.NOT_CONFORMANT
    for name, victim in victims.items():
        assert victim.read_text() == "precious", name
        assert not (reports / name).is_symlink() and (reports / name).stat().st_size > 100, name
    assert sorted(p.name for p in reports.iterdir()) == sorted(victims)  # no half-written file beside


def test_control_characters_of_an_answer_reach_neither_terminal_nor_junit(tmp_path, raw_server):
    outcome = _suite(tmp_path, raw_server(hostile.ansi_500).url, "--conformance-max-requests", "4", "-rA")
    assert outcome.returncode == exitcodes.NOT_CONFORMANT
    junit = (outcome.workdir / "reports" / "anthropic.junit.xml").read_bytes()
    for text in (outcome.output, junit):
        assert b"\x1b" not in text and b"\r" not in text.replace(b"\r\n", b"")
        assert "\x9b".encode() not in text and "\u202e".encode() not in text
    assert b"#x1B" not in junit
    assert b"\\x1b[2J" in outcome.stdout  # shown, as an escape


@pytest.mark.parametrize(
    "workers", [pytest.param([], id="serial"), pytest.param(["-n", "2"], id="xdist", marks=pytest.mark.slow)]
)
def test_sigterm_writes_the_reports_and_leaves_nothing_behind(tmp_path, raw_server, workers):
    server = raw_server(lambda server, conn, request: server.stop_event.wait(120))  # bounded by the test's end
    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir()
    marker = f"hostile-{time.monotonic_ns()}"

    signalled = []

    def terminate_mid_request(process):
        deadline = time.monotonic() + 90
        while server.connections == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        signalled.append(time.monotonic())

    outcome = _suite(
        tmp_path,
        server.url,
        "--conformance-request-timeout",
        "100",
        "--conformance-max-requests",
        "50",
        *workers,
        env={"TMPDIR": str(private_tmp), "HOSTILE_MARKER": marker},
        while_running=terminate_mid_request,
        timeout=180,
    )
    stopped_after = time.monotonic() - signalled[0]
    assert outcome.returncode == exitcodes.INTERRUPTED, outcome.output[-2000:]
    assert stopped_after < 45  # the request in flight would take 100 s: the run did not wait for it
    assert outcome.verdicts["verdict"] == "INCOMPLETE" and "SIGTERM" in outcome.verdicts["problem"]
    names = {p.name for p in (outcome.workdir / "reports").iterdir()}
    assert names == {"anthropic.json", "anthropic.html", "anthropic.junit.xml", "anthropic.svg"}  # reports and badge
    assert not [p.name for p in private_tmp.iterdir() if p.name.startswith("conformance-")]
    time.sleep(1)
    assert not _processes_with(marker), "a worker outlived the run"


def _processes_with(marker: str) -> list[int]:
    found = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if marker.encode() in environ.read_bytes():
                found.append(int(environ.parent.name))
        except OSError:
            continue
    return found


def test_curl_lines_send_multipart_values_verbatim(tmp_path, raw_server):
    """`-F 'name=</path'` uploads a local file and `;type=` is cut off: values go with --form-string."""
    from conformance.client.transcript import curl_command

    server = raw_server(hostile.recording(hostile.answer("200 OK", b"{}")))
    values = [("name", "</etc/hostname"), ("note", "a;type=text/html"), ("icon", "@/etc/hostname")]
    line = curl_command(
        "POST", server.url + "/workspaces", {"content-type": "multipart/form-data"}, None, multipart=values
    )
    assert " -F " not in line and line.count("--form-string") == 3
    subprocess.run(["bash", "-c", line], check=True, timeout=30, capture_output=True)
    received = server.requests[0].decode("utf-8", "replace")
    for name, value in values:
        assert f'name="{name}"\r\n\r\n{value}\r\n' in received


def test_a_cookie_the_target_sets_is_never_sent_back():
    """A target that opens a session with Set-Cookie: the next request, a missing-credential
    probe's above all, carries no cookie the probe did not put there."""
    import httpx

    from conformance.client.counters import Budget
    from conformance.client.target import Target
    from conformance.model.profile import load

    sent = []

    def answer(request):
        sent.append(request.headers.get("cookie"))
        return httpx.Response(201, json={"id": "w1"}, headers={"set-cookie": "session=opened; Path=/"})

    target = Target(
        load("anthropic"),
        "http://target.test",
        SECRET,
        {},
        run_id="t",
        budget=Budget(None),
        transport=httpx.MockTransport(answer),
    )
    target.create({"name": "first"})
    target.create({"name": "second"}, auth="missing")
    target.close()
    assert sent == [None, None]
