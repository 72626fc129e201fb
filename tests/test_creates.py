"""Workspaces created: counted in every report, shared where a check only reads an answer,
and bounded by --conformance-max-creates (cases beyond the budget are not-run, never pass)."""

import json

import pytest

from conformance.defaults import DEFAULT_MAX_CREATES
from conformance.engine import creates
from conformance.model.openapi import document
from conformance.model.profile import load
from conformance.options import Given, flag_name, from_environment
from conformance.probes import probe_specs, run_in_process
from conformance.reference import provider_module
from conformance.reference.serving import ServerThread, base_url, provider_app
from conformance.reports.summary import one_line
from conformance.settings import SettingsError, resolve

CREDENTIAL = "creates-test-credential"


def _suite(key, **kwargs):
    server = ServerThread(provider_app(key, CREDENTIAL))
    root = server.start()
    try:
        return run_in_process(
            load(key), base_url(root, key), CREDENTIAL, dict(provider_module(key).TARGET_PARAMS), seed=3, **kwargs
        )
    finally:
        server.stop()


def _pairs(key):
    profile = load(key)
    return [(spec.function, case) for spec in probe_specs() for case in spec.cases(profile)]


@pytest.mark.parametrize("key", ["anthropic", "d3lay"])
def test_a_default_run_creates_at_most_the_default_budget_and_every_requirement_passes(key):
    summary = _suite(key, max_creates=DEFAULT_MAX_CREATES)
    assert 0 < summary["workspaces_created"] <= DEFAULT_MAX_CREATES
    assert summary["workspaces_created"] == len(summary["created_workspaces"])
    assert {r["status"] for r in summary["requirements"]} == {"pass"}
    assert summary["create_budget"]["cases_left_out"] == []


def test_rejection_probes_create_nothing_against_a_target_that_behaves():
    summary = _suite("orgo", max_creates=0)
    assert summary["workspaces_created"] == 0
    ran = [p for p in summary["probes"] if p["status"] != "not-run"]
    assert any(p["probe"] == "test_body_without_required_field_is_rejected" for p in ran)
    assert all(p["status"] == "pass" for p in ran)
    # The 1 MiB body is refused for lacking a required field, after the target read it all.
    assert any(p["probe"] == "test_oversized_body_gets_no_server_error" for p in ran)


def test_a_small_budget_leaves_cases_not_run_never_passed():
    summary = _suite("anthropic", max_creates=3)
    assert summary["workspaces_created"] <= 3
    left_out = set(summary["create_budget"]["cases_left_out"])
    assert left_out
    for probe in summary["probes"]:
        if f"{probe['probe']}[{probe['case']}]" in left_out:
            assert probe["status"] == "not-run" and "--conformance-max-creates 3" in probe["message"]
            assert not probe["exchanges"]
    # The shared baseline unlocks the most requirements per workspace: it is chosen first.
    read_baseline = [p for p in summary["probes"] if p["probe"] == "test_valid_create_answers_documented_status"]
    assert read_baseline[0]["status"] == "pass"


def test_the_plan_prefers_cases_that_check_the_most_requirements():
    profile = load("anthropic")
    pairs = _pairs("anthropic")
    # With 2 the fixed cases would take both, so they are planned within 1: one spare is left
    # for a target that accepts what it must refuse (the budget is a hard cap).
    one = creates.plan(pairs, profile, 2)
    assert one.planned == 1 and one.elastic is None and one.spare == 1
    assert creates.plan(pairs, profile, 1).planned == 0 and creates.plan(pairs, profile, 1).spare == 1
    chosen = {creates.shown(name).split("[")[0] for name in one.chosen}
    assert "test_resource_field_matches_documented_schema" not in chosen  # needs two creates
    assert {"test_valid_create_answers_documented_status", "test_created_resource_is_sent_as_json"} <= chosen
    assert creates.plan(pairs, profile, None) is creates.UNLIMITED
    zero = creates.plan(pairs, profile, 0)
    assert zero.planned == 0 and zero.elastic is None
    assert all(not c.keys and not c.elastic for c in creates.candidates(pairs, profile) if c.name in zero.chosen)
    full = creates.plan(pairs, profile, 100)
    assert not full.left_out and full.elastic == 100 - full.planned


def test_every_probe_that_expects_an_acceptance_declares_its_creates():
    """A probe sending a body a behaving target accepts must say so, or the plan undercounts."""
    accepting = {"expect_created", "accepted_create", "baseline()", "minimal()", "echo_create"}
    import inspect

    for spec in probe_specs():
        source = inspect.getsource(spec.function)
        if any(word in source for word in accepting):
            assert spec.function.conformance_creates is not None, spec.name


@pytest.mark.parametrize("raw, message", [("-1", "at least 0"), ("many", "whole number")])
def test_a_bad_max_creates_is_one_clear_sentence(raw, message):
    values = {"conformance_provider": "orgo", "conformance_max_creates": raw}
    with pytest.raises(SettingsError, match=f"--conformance-max-creates .*{message}"):
        resolve(lambda dest: Given(values[dest], flag_name(dest)) if dest in values else None)


def test_the_max_creates_environment_variable_is_read(monkeypatch):
    monkeypatch.setenv("CONFORMANCE_PROVIDER", "orgo")
    monkeypatch.setenv("CONFORMANCE_MAX_CREATES", "7")
    settings = resolve(from_environment)
    assert settings.max_creates == 7


def test_the_console_line_counts_the_workspaces_created():
    summary = _suite("wacht-frontend", max_creates=2)
    assert f"; {summary['workspaces_created']} workspaces created" in one_line(summary)


@pytest.mark.parametrize("key", ["anthropic", "orgo", "d3lay", "wacht-frontend", "wacht-backend"])
def test_the_openapi_export_is_a_valid_openapi_3_1_document(key):
    spec = document(load(key), {"organization_id": "42"})
    text = json.dumps(spec)
    assert "x-source" not in text and "x-file" not in text
    assert spec["openapi"] == "3.1.0"
    operation = spec["paths"][load(key).path][load(key).method.lower()]
    profile = load(key)
    assert {str(s) for s in profile.success_statuses} <= set(operation["responses"])
    for rejection in profile.data["rejections"].values():
        assert {str(s) for s in rejection["statuses"]} <= set(operation["responses"])
    scheme = spec["components"]["securitySchemes"]["credential"]
    assert scheme.get("in", "header") == profile.auth["in"]
    try:
        from openapi_spec_validator import validate
        from openapi_spec_validator.validation.exceptions import OpenAPIValidationError
    except ImportError:  # the [bench] extra is not installed: the structure checks above stand
        return
    validate(spec)
    broken = json.loads(text)
    broken["paths"][profile.path][profile.method.lower()]["responses"] = "none"
    with pytest.raises(OpenAPIValidationError):
        validate(broken)  # the validator really validates


def test_the_create_budget_is_a_hard_cap_even_when_the_target_accepts_what_it_must_refuse():
    """anthropic's name-max-41 fault accepts a 41-character name: the probe expecting a
    refusal creates a workspace the plan did not count. The budget still holds: once spent,
    nothing more that could create is sent, and what could not run is not-run, never pass."""
    from conformance.reference.serving import behaviour_prefix, selftest_app

    key, limit = "anthropic", 6
    server = ServerThread(selftest_app([key], CREDENTIAL))
    root = server.start()
    try:
        url = root + behaviour_prefix(key, "name-max-41", "default") + load(key).base_path
        summary = run_in_process(
            load(key), url, CREDENTIAL, dict(provider_module(key).TARGET_PARAMS), seed=3, max_creates=limit
        )
    finally:
        server.stop()
    assert summary["workspaces_created"] == limit
    spent = [
        p
        for r in summary["requirements"]
        for p in r["probes"]
        if "the workspace budget is spent" in p.get("message", "")
    ]
    assert spent and all(p["status"] == "not-run" for p in spent)
    assert {r["id"]: r["status"] for r in summary["requirements"]}["anthropic.name.max-length"] == "fail"


@pytest.mark.parametrize("limit", [1, 2, 5])
def test_a_tight_budget_still_runs_every_rejection_probe_against_a_target_that_behaves(limit):
    """The fixed cases would take the whole budget: they are planned within one less, so the
    probes that expect a refusal still send after the planned creates."""
    summary = _suite("d3lay", max_creates=limit)
    assert summary["workspaces_created"] <= limit
    probes = summary["probes"]
    assert not [p["nodeid"] for p in probes if "the workspace budget is spent" in p["message"]]
    refusals = [p for p in probes if p["probe"] == "test_body_without_required_field_is_rejected"]
    assert refusals and all(p["status"] == "pass" for p in refusals)


@pytest.mark.slow
@pytest.mark.parametrize(
    "key, fault, limit",
    [("d3lay", None, 10), ("anthropic", "name-max-41", 6)],
    ids=["conformant", "accepts-what-it-must-refuse"],
)
def test_the_create_budget_holds_for_the_whole_run_under_xdist(tmp_path, key, fault, limit):
    """Two workers share one count: the target gets at most N workspaces in all, not N each, and
    the controller's report carries the plan the workers followed."""
    from conformance.reference.serving import behaviour_prefix, selftest_app

    from .conftest import CountingCreates
    from .conftest import run_suite as run_as_user

    app = CountingCreates(selftest_app([key], CREDENTIAL))
    server = ServerThread(app)
    root = server.start()
    try:
        url = root + behaviour_prefix(key, fault, "default") + load(key).base_path
        params = [
            a
            for name, value in provider_module(key).TARGET_PARAMS.items()
            for a in ("--conformance-target-param", f"{name}={value}")
        ]
        completed, verdicts = run_as_user(
            tmp_path,
            "--conformance-provider",
            key,
            "--conformance-target-url",
            url,
            "--conformance-max-creates",
            str(limit),
            "-n",
            "2",
            *params,
            env={"CONFORMANCE_CREDENTIAL": CREDENTIAL},
        )
    finally:
        server.stop()
    assert "INTERNALERROR" not in completed.stdout + completed.stderr
    assert 0 < app.made <= limit
    assert verdicts["workspaces_created"] <= app.made
    assert verdicts["create_budget"]["max_creates"] == limit
    statuses = {r["id"]: r["status"] for r in verdicts["requirements"]}
    if fault:
        assert statuses[f"{key}.name.max-length"] == "fail"
    else:
        assert "fail" not in statuses.values()


def test_a_shared_create_count_holds_a_place_for_each_create_in_flight(tmp_path):
    """The run-wide count: a place is held while a create is in flight, given back when it is
    refused, kept when it made a workspace; once the cap is made, nothing more is let through."""
    from conformance.client.counters import CreateCount
    from conformance.model.outcome import CreatesLeftOut

    counter = tmp_path / "creates"
    counter.write_text("")
    one, other = CreateCount(str(counter)), CreateCount(str(counter))
    assert one.reserve(2, 0.05) and other.reserve(2, 0.05)
    with pytest.raises(CreatesLeftOut, match="0 created and 2 creates in flight"):  # a third waits, then gives up
        one.reserve(2, 0.05)
    one.settle(False, True)  # refused: its place comes back
    assert one.reserve(2, 0.05)
    one.settle(True, True)
    other.settle(True, True)
    assert one.made() == other.made() == 2 and (one.mine, other.mine) == (1, 1)
    with pytest.raises(CreatesLeftOut, match="2 created, --conformance-max-creates 2"):
        other.reserve(2, 0.05)


def test_a_place_held_by_a_process_that_is_gone_is_given_back(tmp_path):
    """A worker killed mid-request (SIGKILL, out of memory) never settles its place: the count
    drops the places of processes that no longer exist instead of waiting on them."""
    import subprocess
    import sys

    from conformance.client.counters import CreateCount

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    counter = tmp_path / "creates"
    counter.write_text(f"0 {int(gone.stdout)}")
    count = CreateCount(str(counter))
    assert count.reserve(1, 0.05) is True
    count.settle(True, True)
    assert counter.read_text() == "1" and count.made() == 1


@pytest.mark.parametrize(
    "key, statuses", [("orgo", (201, 201)), ("anthropic", (202, 200))], ids=["success-without-json", "undocumented-2xx"]
)
def test_every_2xx_create_counts_toward_the_budget_whatever_its_body(key, statuses):
    """A 201 whose body is not JSON, or a 202 where the page documents 200, still made a
    workspace: the cap counts it."""
    import httpx

    from conformance.client.counters import Budget
    from conformance.client.target import Target
    from conformance.model.outcome import CreatesLeftOut

    profile = load(key)
    answers = iter([httpx.Response(statuses[0], text="<html>made</html>"), httpx.Response(statuses[1], json={})])
    target = Target(
        profile,
        "http://target.test",
        CREDENTIAL,
        {},
        run_id="t",
        budget=Budget(None),
        transport=httpx.MockTransport(lambda request: next(answers)),
    )
    target.create_plan = creates.CreatePlan(2)
    target.create({"name": "a"})
    target.create({"name": "b"})
    assert target.create_count.made() == 2
    with pytest.raises(CreatesLeftOut):
        target.create({"name": "c"})


_RACER = """
import json, sys, time
from conformance.client.counters import SharedCreates
from conformance.client.transcript import Exchange

def make():
    with open(sys.argv[2], "a") as log:
        log.write("made\\n")
    time.sleep(0.3)  # the other worker asks meanwhile
    exchange = Exchange("POST", "http://t/", {}, '{"name": "baseline"}', status=201, json={"id": "w\\ud800"})
    return exchange, {"name": "baseline"}

(exchange, body), here = SharedCreates(sys.argv[1]).get("baseline", make)
print(json.dumps({"here": here, "status": exchange.status, "id": exchange.json["id"], "body": body}))
"""


def test_a_shared_create_is_made_once_for_every_worker_of_a_run(tmp_path):
    """Two workers ask for the baseline at once: one makes it while holding its lock, the other
    reads that exchange and body (a real Exchange, lone surrogate and all) instead of leaving a
    second workspace."""
    import subprocess
    import sys

    shared, log = tmp_path / "shared", tmp_path / "made.log"
    shared.mkdir()
    racers = [
        subprocess.Popen([sys.executable, "-c", _RACER, str(shared), str(log)], stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    answers = [json.loads(r.communicate(timeout=60)[0]) for r in racers]
    assert log.read_text() == "made\n"
    assert sorted(a["here"] for a in answers) == [False, True]
    assert all(a["status"] == 201 and a["id"] == "w\ud800" and a["body"] == {"name": "baseline"} for a in answers)


def test_a_shared_create_that_could_not_be_made_is_tried_again(tmp_path):
    from conformance.client.counters import SharedCreates

    def refused():
        raise RuntimeError("refused")

    first, second = SharedCreates(str(tmp_path)), SharedCreates(str(tmp_path))
    assert second.known("minimal") is None
    with pytest.raises(RuntimeError):
        first.get("minimal", refused)
    assert second.get("minimal", lambda: ("exchange", {"name": "m"})) == (("exchange", {"name": "m"}), True)
    assert first.known("minimal") == ("exchange", {"name": "m"})
