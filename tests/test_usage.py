"""Bad input gets one clear sentence and a distinct exit status; the report is never lost."""

import pytest

from conformance import exitcodes

from .conftest import SECRET, run_suite


@pytest.mark.parametrize("args, sentence", [
    (["--provider", "nope"], "unknown provider 'nope'"),
    (["--provider", "anthropic", "--fail-on", "sometimes"], "--fail-on takes must or should"),
    (["--provider", "anthropic", "--max-requests", "zero"], "--max-requests takes a whole number"),
    (["--provider", "anthropic", "--target-url", "ftp://example"], "--target-url must be an http"),
    (["--provider", "anthropic", "--target-param", "novalue"], "--target-param takes KEY=VALUE"),
])
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
    completed, verdicts = run_suite(tmp_path, "--provider", "anthropic", "--target-url", "http://127.0.0.1:9")
    assert completed.returncode == exitcodes.UNREACHABLE
    assert "the connection was refused" in completed.stdout
    assert "Traceback" not in completed.stdout + completed.stderr
    assert verdicts["verdict"] == "INCOMPLETE" and verdicts["complete"] is False
    assert "connection was refused" in verdicts["problem"]


def test_a_failed_should_gates_only_with_fail_on_should(tmp_path, reference_server):
    url = reference_server("anthropic", "blank-name-rejected")  # breaks a SHOULD only
    loose, verdicts = run_suite(tmp_path / "a", "--provider", "anthropic", "--target-url", url,
                                env={"CONFORMANCE_CREDENTIAL": SECRET})
    strict, _ = run_suite(tmp_path / "b", "--provider", "anthropic", "--target-url", url, "--fail-on", "should",
                          env={"CONFORMANCE_CREDENTIAL": SECRET})
    assert verdicts["requirements"] and any(
        r["id"] == "anthropic.request.unusual-text-accepted" and r["status"] == "fail" for r in verdicts["requirements"])
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


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_max_requests_is_a_hard_cap(tmp_path, workers):
    from conformance.reference.serving import ServerThread, base_url, provider_app

    app = _Counting(provider_app("anthropic", SECRET))
    server = ServerThread(app)
    url = base_url(server.start(), "anthropic")
    try:
        completed, verdicts = run_suite(tmp_path, "--provider", "anthropic", "--target-url", url,
                                        "--max-requests", "7", *workers, env={"CONFORMANCE_CREDENTIAL": SECRET})
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

    from conformance.profile import load

    broken = tmp_path / "anthropic-no-examples"
    shutil.copytree(load("anthropic").directory, broken)
    request = json.loads((broken / "request.schema.json").read_text())
    request["properties"]["website"] = {"type": "string", "x-generate": "example", "x-source": "website string"}
    (broken / "request.schema.json").write_text(json.dumps(request))
    completed, verdicts = run_suite(tmp_path, "--provider", str(broken), "--target-url", reference_server("anthropic"),
                                    env={"CONFORMANCE_CREDENTIAL": SECRET})
    assert "INTERNALERROR" not in completed.stdout + completed.stderr
    errors = {p["nodeid"].split("::")[-1]: p["message"] for p in verdicts["probes"] if p["status"] == "error"}
    assert "test_generated_valid_bodies_are_accepted_and_echoed[request.valid-accepted]" in errors
    assert all("test_generated_" in nodeid for nodeid in errors)
    assert "KeyError: 'examples'" in errors["test_generated_valid_bodies_are_accepted_and_echoed[request.valid-accepted]"]
    judged = [p for p in verdicts["probes"] if p["status"] == "pass"]
    assert len(judged) >= 25
