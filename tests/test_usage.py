"""Bad input gets one clear sentence and a distinct exit status; the report is never lost."""

import json

import pytest

from conformance import exitcodes

from .conftest import SECRET, python_m, run_suite


@pytest.mark.parametrize(
    "args, sentence",
    [
        (["--conformance-provider", "nope"], "unknown provider 'nope'"),
        (
            ["--conformance-provider", "anthropic", "--conformance-fail-on", "sometimes"],
            "--conformance-fail-on takes must or should",
        ),
        (
            ["--conformance-provider", "anthropic", "--conformance-max-requests", "zero"],
            "--conformance-max-requests takes a whole number",
        ),
        (
            ["--conformance-provider", "anthropic", "--conformance-target-url", "ftp://example"],
            "--conformance-target-url must be an http",
        ),
        (
            ["--conformance-provider", "anthropic", "--conformance-target-param", "novalue"],
            "--conformance-target-param takes KEY=VALUE",
        ),
        (
            ["--conformance-provider", "anthropic", "--conformance-max-wait", "soon"],
            "--conformance-max-wait takes a number of seconds, not 'soon'",
        ),
        (
            ["--conformance-provider", "anthropic", "--conformance-max-wait", "-1"],
            "--conformance-max-wait must be at least 0 and at most 3600 seconds, not -1",
        ),
        (
            ["--conformance-provider", "wacht-frontend", "--conformance-target-param", "session_cookie=my session"],
            "--conformance-target-param: session_cookie='my session' is not a cookie name",
        ),
    ],
)
def test_wrong_option_is_one_sentence_and_exit_4(tmp_path, args, sentence):
    completed, _ = run_suite(tmp_path, *args)
    assert completed.returncode == exitcodes.USAGE
    assert sentence in completed.stderr
    assert "Traceback" not in completed.stderr + completed.stdout


def test_no_provider_is_a_usage_error(tmp_path):
    completed, _ = run_suite(tmp_path)
    assert completed.returncode == exitcodes.USAGE
    assert "choose a provider" in completed.stderr + completed.stdout


def test_unreachable_target_is_exit_6_with_a_report(tmp_path):
    completed, verdicts = run_suite(
        tmp_path, "--conformance-provider", "anthropic", "--conformance-target-url", "http://127.0.0.1:9"
    )
    assert completed.returncode == exitcodes.UNREACHABLE
    assert "the connection was refused" in completed.stdout
    assert "Traceback" not in completed.stdout + completed.stderr
    assert verdicts["verdict"] == "INCOMPLETE" and verdicts["complete"] is False
    assert "connection was refused" in verdicts["problem"]


def test_a_failed_should_gates_only_with_fail_on_should(tmp_path, reference_server):
    url = reference_server("anthropic", "blank-name-rejected")  # breaks a SHOULD only
    loose, verdicts = run_suite(
        tmp_path / "a",
        "--conformance-provider",
        "anthropic",
        "--conformance-target-url",
        url,
        env={"CONFORMANCE_CREDENTIAL": SECRET},
    )
    strict, _ = run_suite(
        tmp_path / "b",
        "--conformance-provider",
        "anthropic",
        "--conformance-target-url",
        url,
        "--conformance-fail-on",
        "should",
        env={"CONFORMANCE_CREDENTIAL": SECRET},
    )
    assert verdicts["requirements"] and any(
        r["id"] == "anthropic.request.unusual-text-accepted" and r["status"] == "fail" for r in verdicts["requirements"]
    )
    assert (loose.returncode, strict.returncode) == (exitcodes.OK, exitcodes.NOT_CONFORMANT)


def test_options_also_come_from_the_environment(tmp_path):
    completed, verdicts = run_suite(tmp_path, env={"CONFORMANCE_PROVIDER": "anthropic"})
    assert completed.returncode == 0, completed.stdout[-2000:]
    assert verdicts["provider"] == "anthropic"


class _Counting:
    """ASGI wrapper counting the requests that reach the reference app."""

    def __init__(self, app):
        self.app, self.count = app, 0

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            self.count += 1
        await self.app(scope, receive, send)


@pytest.mark.parametrize(
    "workers", [pytest.param([], id="serial"), pytest.param(["-n", "2"], id="xdist", marks=pytest.mark.slow)]
)
def test_max_requests_is_a_hard_cap(tmp_path, workers):
    from conformance.reference.serving import ServerThread, base_url, provider_app

    app = _Counting(provider_app("anthropic", SECRET))
    server = ServerThread(app)
    url = base_url(server.start(), "anthropic")
    try:
        completed, verdicts = run_suite(
            tmp_path,
            "--conformance-provider",
            "anthropic",
            "--conformance-target-url",
            url,
            "--conformance-max-requests",
            "7",
            *workers,
            env={"CONFORMANCE_CREDENTIAL": SECRET},
        )
    finally:
        server.stop()
    assert app.count == 7
    assert completed.returncode == exitcodes.INCOMPLETE
    assert verdicts["complete"] is False
    assert any(r["status"] == "not-run" for r in verdicts["requirements"])
    assert "not run" in completed.stdout


def test_a_profile_hypothesis_cannot_draw_from_still_gets_a_whole_report(tmp_path, reference_server):
    """A user's profile with a mistake only the generated probes meet (a field to be drawn from
    its examples, with none): those probes report the error, every other probe still judges."""
    import json
    import shutil

    from conformance.model.profile import load

    broken = tmp_path / "anthropic-no-examples"
    shutil.copytree(load("anthropic").directory, broken)
    request = json.loads((broken / "request.schema.json").read_text())
    request["properties"]["website"] = {"type": "string", "x-generate": "example", "x-source": "website string"}
    (broken / "request.schema.json").write_text(json.dumps(request))
    completed, verdicts = run_suite(
        tmp_path,
        "--conformance-provider",
        str(broken),
        "--conformance-target-url",
        reference_server("anthropic"),
        env={"CONFORMANCE_CREDENTIAL": SECRET},
    )
    assert "INTERNALERROR" not in completed.stdout + completed.stderr
    errors = {p["nodeid"].split("::")[-1]: p["message"] for p in verdicts["probes"] if p["status"] == "error"}
    assert "test_generated_valid_bodies_are_accepted_and_echoed[request.valid-accepted]" in errors
    assert all("test_generated_" in nodeid for nodeid in errors)
    assert (
        "KeyError: 'examples'" in errors["test_generated_valid_bodies_are_accepted_and_echoed[request.valid-accepted]"]
    )
    judged = [p for p in verdicts["probes"] if p["status"] == "pass"]
    assert len(judged) >= 25


# -- errors up front, named where the value came from ----------------------------------------
def test_an_environment_value_is_named_as_the_variable(tmp_path):
    completed, _ = run_suite(tmp_path, env={"CONFORMANCE_PROVIDER": "anthropic", "CONFORMANCE_MAX_REQUESTS": "zero"})
    assert completed.returncode == exitcodes.USAGE
    assert "the CONFORMANCE_MAX_REQUESTS environment variable takes a whole number, not 'zero'" in completed.stderr


def test_a_max_wait_from_the_environment_is_named_as_the_variable(tmp_path):
    completed, _ = run_suite(tmp_path, env={"CONFORMANCE_PROVIDER": "anthropic", "CONFORMANCE_MAX_WAIT": "a while"})
    assert completed.returncode == exitcodes.USAGE
    assert "the CONFORMANCE_MAX_WAIT environment variable takes a number of seconds, not 'a while'" in completed.stderr


def test_an_ini_value_is_named_as_the_ini_key(tmp_path):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "pytest.ini").write_text(
        "[pytest]\nconformance_provider = anthropic\nconformance_fail_on = sometimes\n"
    )
    completed, _ = run_suite(tmp_path)
    assert completed.returncode == exitcodes.USAGE
    assert "the conformance_fail_on ini key takes must or should, not 'sometimes'" in completed.stderr


@pytest.mark.parametrize(
    "layout, sentence",
    [
        ("file", "is a file"),
        ("parent-file", "cannot be created"),
    ],
)
def test_a_report_directory_that_cannot_take_reports_is_refused_before_any_request(tmp_path, layout, sentence):
    blocker = tmp_path / "blocker"
    blocker.write_text("not a directory")
    report_dir = blocker if layout == "file" else blocker / "reports"
    completed, _ = run_suite(
        tmp_path,
        "--conformance-provider",
        "anthropic",
        "--conformance-target-url",
        "http://127.0.0.1:9",
        "--conformance-report-dir",
        str(report_dir),
    )
    assert completed.returncode == exitcodes.USAGE, completed.stdout[-2000:]
    assert f"the report directory {str(report_dir)!r} (from --conformance-report-dir) {sentence}" in completed.stderr
    assert "Traceback" not in completed.stdout + completed.stderr
    assert "connection was refused" not in completed.stdout  # nothing was sent
    assert blocker.read_text() == "not a directory"


def test_an_invalid_profile_is_a_usage_error(tmp_path):
    broken = tmp_path / "broken-profile"
    broken.mkdir()
    (broken / "profile.json").write_text("{not json")
    completed, _ = run_suite(tmp_path, "--conformance-provider", str(broken))
    assert completed.returncode == exitcodes.USAGE
    assert "Traceback" not in completed.stdout + completed.stderr
    assert completed.stderr.strip().startswith("ERROR:")


def test_examples_zero_turns_generation_off(tmp_path):
    completed, verdicts = run_suite(tmp_path, "--conformance-provider", "anthropic", "--conformance-examples", "0")
    assert completed.returncode == exitcodes.INCOMPLETE, completed.stdout[-2000:]
    not_run = {r["id"] for r in verdicts["requirements"] if r["status"] == "not-run"}
    assert "anthropic.request.valid-accepted" in not_run
    generated = [p for p in verdicts["probes"] if "test_generated_" in p["nodeid"]]
    assert generated and all(p["status"] == "not-run" and p["exchanges"] == [] for p in generated)
    assert all(p["status"] == "pass" for p in verdicts["probes"] if "test_generated_" not in p["nodeid"])


# -- what is not a run writes nothing; what was selected is what is judged -------------------
def test_collect_only_writes_no_report_and_keeps_the_last_one(tmp_path):
    reports = tmp_path / "run" / "reports"
    reports.mkdir(parents=True)
    (reports / "anthropic.json").write_text('{"the": "last real report"}')
    completed, _ = run_suite(tmp_path, "--conformance-provider", "anthropic", "--collect-only")
    assert completed.returncode == 0, completed.stdout[-2000:]
    assert sorted(p.name for p in reports.iterdir()) == ["anthropic.json"]
    assert (reports / "anthropic.json").read_text() == '{"the": "last real report"}'


USER_PROBE = """
import pytest


@pytest.mark.requirement("anthropic.custom.emoji-name", level="SHOULD", title="an emoji name is accepted")
def test_emoji_name_is_accepted(target, profile):
    exchange = target.create({"name": "launch \\U0001F680"})
    assert exchange.status in profile.success_statuses, exchange.curl
"""


def _run_users_probe(tmp_path, source: str, *args: str):
    """A user's own probe file run alone against the anthropic reference server."""
    workdir = tmp_path / "mine"
    workdir.mkdir()
    (workdir / "test_mine.py").write_text(source)
    completed = python_m(
        "pytest",
        *("test_mine.py", "-q", "-p", "no:cacheprovider", "--conformance-provider", "anthropic"),
        *("--conformance-report-dir", "out", *args),
        cwd=workdir,
        timeout=300,
    )
    return completed, json.loads((workdir / "out" / "anthropic.json").read_text())


def test_a_users_own_probe_run_alone_is_judged_on_that_probe(tmp_path):
    completed, verdicts = _run_users_probe(tmp_path, USER_PROBE)
    assert completed.returncode == exitcodes.OK, completed.stdout[-2000:]
    assert verdicts["verdict"] == "CONFORMANT" and verdicts["complete"] is True
    assert [r["id"] for r in verdicts["requirements"]] == ["anthropic.custom.emoji-name"]


# -- the credential ---------------------------------------------------------------------------
def test_a_missing_credential_is_said_up_front_and_refusals_make_the_run_incomplete(tmp_path, reference_server):
    url = reference_server("anthropic")
    completed, verdicts = run_suite(tmp_path, "--conformance-provider", "anthropic", "--conformance-target-url", url)
    assert completed.returncode == exitcodes.INCOMPLETE, completed.stdout[-2000:]
    warning = "conformance: no credential given: anthropic expects one in the X-Api-Key header"
    assert warning in completed.stdout
    assert completed.stdout.index(warning) < completed.stdout.index("[")  # before the first probe's result
    assert verdicts["verdict"] == "INCOMPLETE"
    assert verdicts["problem"].startswith("the target refused the credential:")
    assert "no credential was given; the header X-Api-Key carries none" in verdicts["problem"]


def test_a_wrong_credential_is_reported_as_refused_not_as_not_conformant(tmp_path, reference_server):
    url = reference_server("anthropic")
    completed, verdicts = run_suite(
        tmp_path,
        "--conformance-provider",
        "anthropic",
        "--conformance-target-url",
        url,
        env={"CONFORMANCE_CREDENTIAL": "sk-not-the-one-the-server-knows"},
    )
    assert completed.returncode == exitcodes.INCOMPLETE
    assert "no credential given" not in completed.stdout
    assert verdicts["problem"] == (
        "the target refused the credential: every request carrying the credential "
        "(header X-Api-Key) was refused with 401: check the credential "
        "(CONFORMANCE_CREDENTIAL) and where it goes"
    )
    # A refusal of a missing or wrong credential proves nothing when the right one is refused too.
    outcome = {r["id"]: r["status"] for r in verdicts["requirements"]}
    assert outcome["anthropic.auth.missing-credential"] == "blocked"
    assert outcome["anthropic.auth.wrong-credential"] == "blocked"
    assert "pass" not in {p["outcomes"].get("anthropic.auth.wrong-credential") for p in verdicts["probes"]}


# -- the console script -----------------------------------------------------------------------
def _cli(tmp_path, *args, env=None, timeout=300):
    return python_m("conformance", *args, cwd=tmp_path, env=env, timeout=timeout)


@pytest.mark.parametrize(
    "args, sentence",
    [
        (["serve", "--provider", "nope"], "conformance: no reference server for 'nope': choose one of anthropic"),
        (
            ["serve", "--provider", "orgo", "--port", "70000"],
            "conformance: --port takes a port number from 1 to 65535, not 70000",
        ),
        (
            ["serve", "--provider", "orgo", "--port", "eighty"],
            "conformance: argument --port: invalid int value: 'eighty'",
        ),
        (
            ["run", "--provider", "anthropic", "--max-requests", "zero"],
            "conformance: --max-requests takes a whole number, not 'zero'",
        ),
        (["run", "--provider", "nope"], "conformance: unknown provider 'nope'"),
        (["run"], "conformance: choose --provider NAME or --all"),
        (["run", "--all", "--fail-on", "sometimes"], "conformance: --fail-on takes must or should, not 'sometimes'"),
        (
            ["run", "--provider", "anthropic", "--max-wait", "nan"],
            "conformance: --max-wait must be at least 0 and at most 3600 seconds, not nan",
        ),
        (["selftest", "--provider", "nope"], "conformance: argument --provider: invalid choice: 'nope'"),
        (["requirements", "nope"], "conformance: unknown provider 'nope'"),
        (["bogus"], "conformance: argument command: invalid choice: 'bogus'"),
    ],
)
def test_console_script_usage_errors_are_one_sentence_and_exit_4(tmp_path, args, sentence):
    completed = _cli(tmp_path, *args, timeout=120)
    assert completed.returncode == exitcodes.USAGE, completed.stdout + completed.stderr
    assert completed.stderr.startswith(sentence), completed.stderr
    assert len(completed.stderr.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []  # refused before anything was written


def test_console_script_refuses_a_report_dir_that_is_a_file(tmp_path):
    (tmp_path / "reports").write_text("a file")
    completed = _cli(tmp_path, "run", "--provider", "anthropic", "--report-dir", "reports", timeout=120)
    assert completed.returncode == exitcodes.USAGE
    assert completed.stderr == "conformance: the report directory 'reports' (from --report-dir) is a file\n"


def test_serve_refuses_a_port_that_is_taken(tmp_path):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        completed = _cli(tmp_path, "serve", "--provider", "orgo", "--port", str(port), timeout=120)
    assert completed.returncode == exitcodes.USAGE
    assert completed.stderr.startswith(f"conformance: port {port} on 127.0.0.1 is taken")
    assert "Traceback" not in completed.stderr


def test_version(tmp_path):
    from conformance import __version__

    completed = _cli(tmp_path, "--version", timeout=60)
    assert (completed.returncode, completed.stdout) == (0, f"workspace-conformance {__version__}\n")


def test_run_takes_the_suite_options_by_their_short_names(tmp_path, reference_server):
    url = reference_server("anthropic")
    completed = _cli(
        tmp_path,
        "run",
        "--provider",
        "anthropic",
        "--target-url",
        url,
        "--report-dir",
        "out",
        "--max-requests",
        "500",
        env={"CONFORMANCE_CREDENTIAL": SECRET},
    )
    assert completed.returncode == exitcodes.OK, completed.stdout[-2000:] + completed.stderr[-2000:]
    verdicts = json.loads((tmp_path / "out" / "anthropic.json").read_text())
    assert verdicts["target"].startswith(url.split("/v1")[0]) and verdicts["embedded_reference_server"] is False


BUDGETED_PROBE = """
import pytest


@pytest.mark.requirement("anthropic.custom.three-names", level="MUST", title="three names are accepted")
def test_three_names_are_accepted(target, profile):
    for name in ("one", "two", "three"):
        exchange = target.create({"name": f"budget {name}"})
        assert exchange.status in profile.success_statuses, exchange.curl
"""


def test_a_users_own_probe_stopped_by_the_workspace_budget_is_not_run_not_failed(tmp_path):
    """The budget stops the third create: the suite stopped the probe, the target broke nothing."""
    completed, verdicts = _run_users_probe(tmp_path, BUDGETED_PROBE, "--conformance-max-creates", "2")
    row = verdicts["requirements"][0]
    assert row["id"] == "anthropic.custom.three-names" and row["status"] == "not-run", completed.stdout[-2000:]
    assert verdicts["verdict"] == "INCOMPLETE" and completed.returncode == exitcodes.INCOMPLETE
    assert verdicts["workspaces_created"] == 2  # the probe's own creates are counted (and could be cleaned up)
