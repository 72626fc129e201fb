"""A new user's first hour (issue 24), each as a user meets it: the target URL given in full or
wrong, `conformance run` owning its options, expected failures shown as expected everywhere,
the report in users' words, an unreachable target said once, the HAR file, the action with a
profile directory, the package metadata a pytest plugin carries."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import tomllib

from conformance import exitcodes
from conformance.model.profile import load

from . import hostile
from .conftest import SECRET, python_m, run_suite

ROOT = Path(__file__).resolve().parents[1]
PLUGIN = ROOT / "conformance" / "pytest_plugin"
ENDPOINT = load("anthropic").path  # /v1/organizations/workspaces
FAULT, BROKEN = "name-max-41", "anthropic.name.max-length"


def _cli(cwd: Path, *args: str, env: dict | None = None, timeout: float = 180) -> subprocess.CompletedProcess:
    return python_m("conformance", *args, cwd=cwd, env=env, timeout=timeout)


def _closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- 1. the target URL -----------------------------------------------------------------------
def test_the_endpoints_full_url_is_taken_and_the_first_line_names_it(tmp_path, reference_server):
    base = reference_server("anthropic")
    completed, verdicts = run_suite(
        tmp_path,
        "--conformance-provider",
        "anthropic",
        "--conformance-target-url",
        base + ENDPOINT + "/",
        env={"CONFORMANCE_CREDENTIAL": SECRET},
    )
    assert completed.returncode == exitcodes.OK, completed.stdout[-3000:]
    lines = completed.stdout.splitlines()
    assert lines[0].startswith(f"conformance: anthropic: POST {base}{ENDPOINT},"), lines[0]
    assert completed.stdout.count("it is not appended again") == 1
    assert verdicts["verdict"] == "CONFORMANT"


def test_the_base_url_is_still_a_base_url(tmp_path, reference_server):
    base = reference_server("anthropic")
    completed, _ = run_suite(
        tmp_path,
        "--conformance-provider",
        "anthropic",
        "--conformance-target-url",
        base,
        env={"CONFORMANCE_CREDENTIAL": SECRET},
    )
    assert completed.returncode == exitcodes.OK
    assert completed.stdout.splitlines()[0].startswith(f"conformance: anthropic: POST {base}{ENDPOINT},")
    assert "not appended again" not in completed.stdout


def test_a_url_whose_creates_answer_404_is_incomplete_with_the_hint_in_each_spelling(tmp_path, reference_server):
    wrong = reference_server("anthropic") + "/api"
    completed, verdicts = run_suite(
        tmp_path,
        "--conformance-provider",
        "anthropic",
        "--conformance-target-url",
        wrong,
        env={"CONFORMANCE_CREDENTIAL": SECRET},
    )
    assert completed.returncode == exitcodes.INCOMPLETE, completed.stdout[-3000:]
    assert verdicts["verdict"] == "INCOMPLETE" and "NOT CONFORMANT" not in completed.stdout
    assert f"check --conformance-target-url: POST {wrong}{ENDPOINT} answered 404" in completed.stdout
    assert verdicts["problem"].startswith(f"check --conformance-target-url: POST {wrong}{ENDPOINT} answered 404")

    ran = _cli(
        tmp_path,
        "run",
        "--provider",
        "anthropic",
        "--target-url",
        wrong,
        "--report-dir",
        "cli",
        env={"CONFORMANCE_CREDENTIAL": SECRET},
    )
    assert ran.returncode == exitcodes.INCOMPLETE, ran.stdout[-3000:]
    assert f"check --target-url: POST {wrong}{ENDPOINT} answered 404" in ran.stdout
    assert "--conformance-" not in ran.stdout


# -- 2. `conformance run` owns its options ---------------------------------------------------
@pytest.mark.parametrize(
    "args, sentence",
    [
        (["run", "--taget-url", "http://x"], "conformance: unknown option --taget-url: did you mean --target-url?"),
        (["run", "--provder", "anthropic"], "conformance: unknown option --provder: did you mean --provider?"),
        (["run", "--provider", "anthropc"], "did you mean anthropic?"),
        (["run", "--provider", "anthropic", "--no-such-thing"], "conformance: unknown option --no-such-thing"),
    ],
)
def test_a_typo_under_run_is_one_sentence_and_exit_4(tmp_path, args, sentence):
    completed = _cli(tmp_path, *args, timeout=60)
    assert completed.returncode == exitcodes.USAGE, completed.stderr
    assert sentence in completed.stderr
    assert len(completed.stderr.strip().splitlines()) == 1
    assert "unrecognized arguments" not in completed.stderr and not completed.stdout


def test_metavars_name_the_value_not_the_variable(tmp_path):
    run_help = _cli(tmp_path, "run", "--help", timeout=60).stdout
    for shown in (
        "--provider NAME",
        "--target-url URL",
        "--max-wait SECONDS",
        "--report-dir DIR",
        "--har FILE",
        "--target-param KEY=VALUE",
    ):
        assert shown in run_help
    assert not re.search(r"--[a-z-]+ CONFORMANCE_", run_help)
    pytest_help = python_m("pytest", "--help", "-p", "no:cacheprovider", cwd=tmp_path, timeout=60).stdout
    assert "--conformance-max-wait=SECONDS" in pytest_help and "--conformance-provider=NAME" in pytest_help
    assert not re.search(r"--conformance-[a-z-]+=CONFORMANCE_", pytest_help)


def test_hints_under_run_use_its_spelling(tmp_path, reference_server):
    url = reference_server("anthropic", FAULT)
    ran = _cli(
        tmp_path,
        "run",
        "--provider",
        "anthropic",
        "--target-url",
        url,
        "--report-dir",
        "out",
        env={"CONFORMANCE_CREDENTIAL": SECRET},
    )
    assert ran.returncode == exitcodes.NOT_CONFORMANT, ran.stdout[-3000:]
    assert "--cleanup removes them" in ran.stdout and "--conformance-" not in ran.stdout
    completed, _ = run_suite(
        tmp_path,
        "--conformance-provider",
        "anthropic",
        "--conformance-target-url",
        url,
        env={"CONFORMANCE_CREDENTIAL": SECRET},
    )
    assert "--conformance-cleanup removes them" in completed.stdout


def test_one_table_drives_both_interfaces():
    from conformance.options import OPTIONS
    from conformance.settings import SettingsError, parse_pairs

    assert all(o.flag == "--conformance-" + o.run_flag[2:] for o in OPTIONS)
    assert {o.dest for o in OPTIONS} >= {"conformance_har", "conformance_strict_expectations"}
    assert parse_pairs(["a=1", " b =x=y"], "here") == {"a": "1", "b": "x=y"}
    with pytest.raises(SettingsError, match="here takes KEY=VALUE, not 'nope'"):
        parse_pairs(["nope"], "here")


# -- 3. expected failures are expected everywhere --------------------------------------------
def _expectations(tmp_path: Path, reason: str) -> Path:
    path = tmp_path / "expectations.toml"
    path.write_text(f'[expect."{BROKEN}"]\noutcome = "fail"\nreason = "{reason}"\n')
    return path


def test_an_expected_failure_is_xfail_on_the_console_in_junit_and_html(tmp_path, reference_server):
    url = reference_server("anthropic", FAULT)
    completed, verdicts = run_suite(
        tmp_path,
        "--conformance-provider",
        "anthropic",
        "--conformance-target-url",
        url,
        "--conformance-expectations",
        str(_expectations(tmp_path, "TICKET-123")),
        env={"CONFORMANCE_CREDENTIAL": SECRET},
    )
    assert completed.returncode == exitcodes.OK, completed.stdout[-3000:]
    assert verdicts["verdict"] == "NOT CONFORMANT"
    assert "1 xfailed" in completed.stdout and " failed" not in completed.stdout.splitlines()[-1]
    assert re.search(r"^[.x]*x[.x]*\s", completed.stdout, re.M)  # the `x` among the dots
    reports = tmp_path / "run" / "reports"
    junit = ET.parse(reports / "anthropic.junit.xml").getroot()
    suite = junit if junit.tag == "testsuite" else junit.find("testsuite")
    assert suite.get("failures") == "0" and suite.get("skipped") == "1"
    (case,) = [c for c in junit.iter("testcase") if c.find("skipped") is not None]
    assert case.get("name").startswith(BROKEN) and "TICKET-123" in case.find("skipped").get("message")
    page = (reports / "anthropic.html").read_text(encoding="utf-8")
    assert "MUST failures, 1 excused by expectations.toml" in page
    assert re.search(r"1 Expected failure", page)


@pytest.mark.parametrize("reason", ["TODO: why this deviation is accepted", ""], ids=["todo", "empty"])
def test_a_todo_reason_is_a_warning_and_a_usage_error_when_strict(tmp_path, reference_server, reason):
    url = reference_server("anthropic", FAULT)
    path = _expectations(tmp_path, reason)
    completed, _ = run_suite(
        tmp_path,
        "--conformance-provider",
        "anthropic",
        "--conformance-target-url",
        url,
        "--conformance-expectations",
        str(path),
        env={"CONFORMANCE_CREDENTIAL": SECRET},
    )
    assert completed.returncode == exitcodes.OK
    assert completed.stdout.count("conformance: warning: the expectations file") == 1
    strict, _ = run_suite(
        tmp_path / "strict",
        "--conformance-provider",
        "anthropic",
        "--conformance-target-url",
        url,
        "--conformance-expectations",
        str(path),
        env={"CONFORMANCE_CREDENTIAL": SECRET, "CONFORMANCE_STRICT_EXPECTATIONS": "1"},
    )
    assert strict.returncode == exitcodes.USAGE
    assert "gives no reason for 1 expected failure" in strict.stderr
    ran = _cli(
        tmp_path,
        "run",
        "--provider",
        "anthropic",
        "--target-url",
        url,
        "--expectations",
        str(path),
        "--strict-expectations",
        timeout=60,
    )
    assert ran.returncode == exitcodes.USAGE and len(ran.stderr.strip().splitlines()) == 1


# -- 4. the report in users' words; 6. one duration, no unexplained deselected ---------------
def test_the_report_names_the_page_as_users_know_it(tmp_path, reference_server):
    url = reference_server("anthropic", FAULT)
    completed, verdicts = run_suite(
        tmp_path,
        "--conformance-provider",
        "anthropic",
        "--conformance-target-url",
        url,
        env={"CONFORMANCE_CREDENTIAL": SECRET},
    )
    page = (tmp_path / "run" / "reports" / "anthropic.html").read_text(encoding="utf-8")
    assert "the provider's page as published (captured 2026-11-25), shipped as 004_4ca345a738944346.txt" in page
    assert (
        "Anthropic&#x27;s live page now allows 1\u2013255 characters; this profile follows the captured page, 1\u201340"
    ) in page
    # each source says which reading rule it rests on (DESIGN.md, the reading rules)
    assert "reading rule 1: the page states it in prose" in page and "reading rule 4: the text says it" in page
    assert "stored as 004_" not in page and "[page]" not in page and "seed page" not in page.split("wc-facts")[1][:3000]
    assert re.search(r"pre\.wc-curl[^{]*\{[^}]*white-space:pre-wrap", page)
    assert ".run-count{display:none}" in page
    assert "deselected" not in completed.stdout
    assert verdicts["profile"]["document"]["captured"] == "2026-11-25"


# -- 5. an unreachable target ----------------------------------------------------------------
def test_an_unreachable_target_is_said_once_and_counted_over_every_requirement(tmp_path):
    completed, verdicts = run_suite(
        tmp_path,
        "--conformance-provider",
        "anthropic",
        "--conformance-target-url",
        f"http://127.0.0.1:{_closed_port()}",
        env={"CONFORMANCE_CREDENTIAL": SECRET},
    )
    assert completed.returncode == exitcodes.UNREACHABLE
    out = completed.stdout + completed.stderr
    assert out.count("could not reach the target") == 1, out
    assert "measured before that" not in out
    total = verdicts["summary"]["MUST"]["total"]
    assert total == len([r for r in verdicts["requirements"] if r["level"] == "MUST"]) and total >= 23
    assert f"MUST 0/{total} passed" in out


# -- 9. the HAR file -------------------------------------------------------------------------
def test_har_holds_every_exchange_and_no_trace_of_the_secret(tmp_path, raw_server):
    handler, forms = hostile.echo_encoded(SECRET)
    server = raw_server(handler)
    url = server.url.replace("http://", f"http://user:{SECRET}@")
    har = tmp_path / "run" / "exchanges.har"
    _completed, verdicts = run_suite(
        tmp_path,
        "--conformance-provider",
        "anthropic",
        "--conformance-target-url",
        url,
        "--conformance-har",
        str(har),
        env={"CONFORMANCE_CREDENTIAL": SECRET},
    )
    text = har.read_text(encoding="utf-8")
    for form in [SECRET, *forms]:
        assert form not in text
    log = json.loads(text)["log"]
    assert log["version"] == "1.2" and log["creator"]["name"] == "workspace-conformance"
    assert len(log["entries"]) == verdicts["requests_sent"] > 0
    entry = log["entries"][0]
    assert {"method", "url", "headers"} <= set(entry["request"]) and entry["request"]["method"] == "POST"
    assert {"status", "headers", "content"} <= set(entry["response"]) and "wait" in entry["timings"]
    assert any("postData" in e["request"] for e in log["entries"])
    assert entry["_conformance"]["nodeid"]
    assert verdicts["har"] == "exchanges.har"


def test_har_is_written_whatever_the_bodies_hold(tmp_path, raw_server):
    body = b'{"type": "error", "error": {"type": "x", "message": "\\ud800 \\u0000 \x00 \xff\xfe"}}'
    server = raw_server(hostile.answer("400 Bad Request", body))
    har = tmp_path / "h.har"
    run_suite(
        tmp_path,
        "--conformance-provider",
        "anthropic",
        "--conformance-target-url",
        server.url,
        "--conformance-har",
        str(har),
        env={"CONFORMANCE_CREDENTIAL": SECRET},
    )
    raw = har.read_bytes()
    raw.decode("utf-8")  # valid UTF-8
    log = json.loads(raw)["log"]
    assert log["entries"] and any("\\ud800" in e["response"]["content"]["text"] for e in log["entries"])


def test_each_failure_in_the_html_links_to_its_har_entry(tmp_path, reference_server):
    url = reference_server("anthropic", FAULT)
    har = tmp_path / "run" / "reports" / "anthropic.har"
    _completed, verdicts = run_suite(
        tmp_path,
        "--conformance-provider",
        "anthropic",
        "--conformance-target-url",
        url,
        "--conformance-har",
        str(har),
        env={"CONFORMANCE_CREDENTIAL": SECRET},
    )
    page = (tmp_path / "run" / "reports" / "anthropic.html").read_text(encoding="utf-8")
    (number,) = re.findall(r"HAR entry (\d+)", page.split("id='wc-failures'")[1].split("</section>")[0])[:1]
    entry = json.loads(har.read_text(encoding="utf-8"))["log"]["entries"][int(number) - 1]
    (finding,) = next(r for r in verdicts["requirements"] if r["id"] == BROKEN)["findings"][:1]
    assert entry["_conformance"]["nodeid"] == finding["probe"]


# -- 10. the plugin's modules ----------------------------------------------------------------
def test_no_plugin_module_is_over_400_lines_and_the_run_lives_in_the_stash():
    for module in PLUGIN.glob("*.py"):
        assert len(module.read_text().splitlines()) <= 400, module.name
    assert "config.stash[RUN]" in (PLUGIN / "hooks.py").read_text()


# -- 7. the action; 8. the package metadata --------------------------------------------------
def test_the_action_gives_a_verdict_for_a_profile_directory(tmp_path, reference_server):
    from .test_action import _run_action

    shutil.copytree(ROOT / "schemas" / "anthropic", tmp_path / "my-profile")
    shutil.copy(ROOT / "schemas" / "provider-notes.md", tmp_path / "provider-notes.md")
    url = reference_server("anthropic", FAULT)
    statuses, outputs, _ = _run_action(
        tmp_path, {"provider": "my-profile", "target-url": url, "credential": SECRET, "report-dir": "out"}
    )
    assert outputs == {"exit-status": str(exitcodes.NOT_CONFORMANT), "verdict": "NOT CONFORMANT"}, statuses


def test_the_documented_uses_forms_are_copyable():
    action = (ROOT / "action.yml").read_text()
    assert "uses: ./" in action
    for doc in (ROOT / "README.md", ROOT / "docs" / "ci-gate.md"):
        text = doc.read_text()
        assert "uses: ./" in text and "uses: <owner>/" not in text, doc
    import yaml

    spec = yaml.safe_load(action)
    for name, item in {**spec["inputs"], **spec["outputs"]}.items():
        assert len(item.get("description", "")) > 20, name
        assert f"`{name}`" in (ROOT / "docs" / "ci-gate.md").read_text(), name


def test_the_package_carries_a_pytest_plugins_metadata():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert "Framework :: Pytest" in project["classifiers"]
    assert project["license"] in ({"text": "MIT"}, "MIT")
    assert {"Source", "Issues", "Documentation"} <= set(project["urls"])
    assert "pytest" in project["keywords"]


# -- from the newcomer's transcript ---------------------------------------------------------------
def test_a_near_miss_of_an_options_environment_variable_is_refused(tmp_path):
    """CONFORMANCE_TARGETURL, silently ignored, would certify the bundled reference server instead
    of the endpoint meant, and the CI gate would go green."""
    ran = _cli(tmp_path, "run", "--provider", "anthropic", env={"CONFORMANCE_TARGETURL": "http://127.0.0.1:9"})
    assert ran.returncode == exitcodes.USAGE, ran.stdout[-2000:]
    assert ran.stderr.strip() == (
        "conformance: the environment variable CONFORMANCE_TARGETURL is not one of the "
        "suite's: did you mean CONFORMANCE_TARGET_URL?"
    )
    (tmp_path / "other").mkdir()
    other = _cli(
        tmp_path / "other",
        "run",
        "--provider",
        "anthropic",
        "--examples",
        "2",
        env={"CONFORMANCE_SUITE": "a name of the user's own CI file"},
    )
    assert other.returncode == exitcodes.OK, other.stdout[-2000:]


def test_a_run_makes_hypothesis_warn_of_nothing(tmp_path):
    """Hypothesis warns (HypothesisSideeffectWarning) when a plugin reads its storage while pytest
    loads plugins: a good guest does no such thing, so an error filter changes nothing."""
    ran = _cli(
        tmp_path,
        "run",
        "--provider",
        "anthropic",
        "--examples",
        "2",
        env={"PYTHONWARNINGS": "error::hypothesis.errors.HypothesisSideeffectWarning"},
    )
    assert ran.returncode == exitcodes.OK, (ran.stdout + ran.stderr)[-3000:]
    assert "HypothesisSideeffectWarning" not in ran.stdout + ran.stderr


def test_a_target_url_with_an_unexpected_path_is_noted_before_anything_is_sent(tmp_path):
    """A near miss of the endpoint (`/v1/organization/workspaces`) is said at the start, in one line,
    not only when the creates come back 404; a base URL (or orgo's documented `/api`) is not."""
    near_miss = _cli(
        tmp_path,
        "run",
        "--provider",
        "anthropic",
        "--target-url",
        "http://127.0.0.1:9/v1/organization/workspaces",
        "--dry-run",
        timeout=60,
    )
    lines = near_miss.stdout.splitlines()
    assert lines[1] == (
        "conformance: note: --target-url has the path /v1/organization/workspaces, taken as a "
        "base URL: the suite appends the documented path /v1/organizations/workspaces to it (the "
        "URL above); give the endpoint's full URL if that is not meant"
    ), near_miss.stdout[-2000:]
    for provider, url in (("anthropic", "http://127.0.0.1:9"), ("orgo", "http://127.0.0.1:9/api")):
        plain = _cli(tmp_path, "run", "--provider", provider, "--target-url", url, "--dry-run", timeout=60)
        assert "conformance: note:" not in plain.stdout, plain.stdout[-2000:]
