"""The whole suite run in-process (conformance/probes/__init__.py: run_in_process, probe_specs,
share_hypothesis_cache) against reference servers on loopback, with one or two generated
examples a probe so that each run takes well under a second. Fast, so the mutation tester runs
these on every mutant (README "Mutation testing")."""

from __future__ import annotations

import asyncio
import pkgutil
import re
import socket
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from conformance import __version__, exitcodes, probes
from conformance.engine import runner
from conformance.engine.runner import REGISTRY, share_hypothesis_cache
from conformance.model.outcome import NOT_RUN, PASS
from conformance.model.profile import load
from conformance.probes import probe_specs, run_in_process
from conformance.reference import provider_module
from conformance.reference.serving import ServerThread, base_url, provider_app
from conformance.registry import Registry, full_name

CREDENTIAL = "suite-run-unit-credential"
KEY = "anthropic"
PROFILE = load(KEY)
PARAMS = dict(provider_module(KEY).TARGET_PARAMS)


class _Recording:
    """ASGI wrapper keeping every HTTP request the reference app received, body included."""

    def __init__(self, app, delay: float = 0.0):
        self.app, self.delay, self.requests = app, delay, []

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        chunks = []
        self.requests.append(chunks)

        async def recorded():
            message = await receive()
            if message["type"] == "http.request":
                chunks.append(message.get("body", b""))
            return message

        if self.delay:
            await asyncio.sleep(self.delay)
        await self.app(scope, recorded, send)

    def bodies(self) -> list[str]:
        return [b"".join(chunks).decode("utf-8", "replace") for chunks in self.requests]


@pytest.fixture(scope="module")
def servers():
    """start(fault=None, delay=0) -> (recording app, base URL of an anthropic reference server)."""
    started = []

    def start(fault: str | None = None, delay: float = 0.0):
        app = _Recording(provider_app(KEY, CREDENTIAL, fault), delay)
        server = ServerThread(app)
        started.append(server)
        return app, base_url(server.start(), KEY)

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="module")
def conformant(servers):
    return servers()


@pytest.fixture
def serve(servers, conformant):
    """serve(fault=None, delay=0) -> (recording app, base URL): the conformant server is shared by
    the module's tests, with what it received cleared for each; a fault or a delay gets its own."""

    def start(fault: str | None = None, delay: float = 0.0):
        if fault is None and not delay:
            conformant[0].requests.clear()
            return conformant
        return servers(fault, delay)

    return start


def _run(url: str, **kwargs) -> dict:
    kwargs.setdefault("examples", 1)
    return run_in_process(PROFILE, url, CREDENTIAL, PARAMS, **kwargs)


def _statuses(summary: dict) -> dict[str, str]:
    return {r["id"]: r["status"] for r in summary["requirements"]}


def _closed_port_url() -> str:
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    return f"http://127.0.0.1:{port}"


# -- probe_specs ---------------------------------------------------------------------------
def test_probe_specs_imports_every_probe_module_in_name_order_and_returns_the_registry(monkeypatch):
    from conformance import probes

    imported = []
    real_import = probes.importlib.import_module
    monkeypatch.setattr(probes.importlib, "import_module", lambda name: (imported.append(name), real_import(name))[1])
    specs = probe_specs()
    modules = sorted(m.name for m in pkgutil.iter_modules(probes.__path__) if m.name.startswith("test_"))
    assert len(modules) >= 7
    assert imported == [f"conformance.probes.{name}" for name in modules]
    assert specs == list(REGISTRY.values())
    assert {spec.module for spec in specs} == set(imported)
    assert all(REGISTRY[full_name(spec.function)] is spec and spec.function.__name__ == spec.name for spec in specs)


# -- a run against a conformant target -------------------------------------------------------
def test_a_conformant_target_passes_every_requirement_and_the_summary_says_how_the_run_went(serve, monkeypatch):
    app, url = serve()
    clock = iter([1000.0, 1001.23456])
    monkeypatch.setattr(probes, "time", SimpleNamespace(time=lambda: next(clock), perf_counter=time.perf_counter))
    summary = _run(url, seed=5)
    assert (summary["verdict"], summary["exit_status"]) == ("CONFORMANT", exitcodes.OK)
    assert summary["complete"] is True and summary["problem"] is None and summary["internal_errors"] == []
    assert set(_statuses(summary).values()) == {PASS}
    assert {p["status"] for p in summary["probes"]} == {PASS}
    assert summary["provider"] == KEY and summary["fail_on"] == "must"
    assert summary["target"] == url
    assert summary["suite_version"] == __version__
    assert summary["hypothesis_seed"] == 5
    assert summary["duration_s"] == 1.235
    assert summary["requests_sent"] == len(app.requests) > 0


def test_every_registered_case_runs_once_under_its_node_id_in_registry_order(serve):
    _, url = serve()
    probes = [p for p in _run(url)["probes"] if p["nodeid"] != runner.RUN_WIDE_NODEID]  # judged over the run
    pattern = re.compile(r"conformance/probes/(test_\d\d_\w+)\.py::(test_\w+)\[([^\]]+)\]\Z")
    specs = {spec.name: spec for spec in probe_specs()}
    order = list(specs)
    for result in probes:
        module, name, case = pattern.match(result["nodeid"]).groups()
        assert (name, case) == (result["probe"], result["case"])
        assert f"conformance.probes.{module}" == specs[name].module
    assert [p["case"] for p in probes if p["probe"] == order[0]] == [case.id for case in specs[order[0]].cases(PROFILE)]
    assert len(probes) == sum(len(spec.cases(PROFILE)) for spec in specs.values())
    ran = list(dict.fromkeys(p["probe"] for p in probes))
    assert ran == [name for name in order if specs[name].cases(PROFILE)]
    assert len({p["nodeid"] for p in probes}) == len(probes)


def test_the_workspaces_created_are_listed_and_counted_without_a_budget(serve):
    _, url = serve()
    summary = _run(url)
    listed = [i for p in summary["probes"] for i in p["created"]]
    assert summary["created_workspaces"] == listed and len(listed) > 3
    assert all(i.startswith("wrkspc_") for i in listed)
    assert summary["workspaces_created"] == len(listed)
    assert summary["create_budget"]["max_creates"] is None and summary["create_budget"]["cases_left_out"] == []


def test_max_creates_bounds_the_workspaces_and_leaves_what_does_not_fit_not_run(serve):
    _, url = serve()
    summary = _run(url, max_creates=2)
    assert summary["create_budget"]["max_creates"] == 2
    assert 0 < summary["workspaces_created"] == len(summary["created_workspaces"]) <= 2
    left_out = summary["create_budget"]["cases_left_out"]
    assert left_out
    by_case = {f"{p['probe']}[{p['case']}]": p for p in summary["probes"]}
    assert all(by_case[name]["status"] == NOT_RUN for name in left_out)


def test_max_requests_is_a_hard_cap_and_what_could_not_be_sent_is_not_run(serve):
    app, url = serve()
    summary = _run(url, max_requests=4)
    assert summary["requests_sent"] == len(app.requests) == 4
    last = [p for p in summary["probes"] if p["nodeid"] != runner.RUN_WIDE_NODEID][-1]  # not the run-wide judgement
    assert last["status"] == NOT_RUN
    assert "--conformance-max-requests 4" in last["message"]
    assert summary["verdict"] == "INCOMPLETE"


def test_examples_0_leaves_the_generated_probes_not_run_and_the_rest_runs(serve):
    _, url = serve()
    probes = _run(url, examples=0)["probes"]
    generated = [p for p in probes if p["nodeid"].startswith("conformance/probes/test_07_generated.py::")]
    assert generated and {p["status"] for p in generated} == {NOT_RUN}
    assert all(p["exchanges"] == [] for p in generated)
    assert {p["status"] for p in probes if p not in generated} == {PASS}


def _generated_bodies(summary: dict) -> list[str]:
    return [
        e["request"]["body"]
        for p in summary["probes"]
        for e in p["exchanges"]
        if p["nodeid"].startswith("conformance/probes/test_07_generated.py::")
    ]


def test_the_seed_decides_the_generated_bodies(serve):
    _, url = serve()
    bodies = _generated_bodies(_run(url, examples=2, seed=11))
    assert bodies and bodies == _generated_bodies(_run(url, examples=2, seed=11))
    assert bodies != _generated_bodies(_run(url, examples=2, seed=12))


def test_the_defaults_seed_0_and_run_id_selftest(serve):
    app, url = serve()
    summary = run_in_process(PROFILE, url, CREDENTIAL, PARAMS, examples=0, max_requests=3)
    assert summary["hypothesis_seed"] == 0
    assert any("conformance-selftest-" in body for body in app.bodies())


def test_the_run_id_names_what_the_run_sends(serve):
    app, url = serve()
    _run(url, run_id="r7q", examples=0)
    assert sum("conformance-r7q-" in body for body in app.bodies()) > 3
    assert not any("conformance-selftest-" in body for body in app.bodies())


# -- a run against a target that breaks a requirement, or cannot be reached --------------------
def test_a_fault_fails_its_requirement_and_only_that_requirement(serve):
    _, url = serve(fault="name-max-41")
    summary = _run(url)
    statuses = _statuses(summary)
    assert statuses[f"{KEY}.name.max-length"] == "fail"
    assert {rid for rid, status in statuses.items() if status != PASS} == {f"{KEY}.name.max-length"}
    assert (summary["verdict"], summary["exit_status"]) == ("NOT CONFORMANT", exitcodes.NOT_CONFORMANT)


def test_an_unreachable_target_is_incomplete_with_its_reason_not_an_exception():
    url = _closed_port_url()
    summary = _run(url)
    assert (summary["verdict"], summary["exit_status"]) == ("INCOMPLETE", exitcodes.UNREACHABLE)
    assert summary["problem"].startswith("could not reach the target: ")
    assert url in summary["problem"] and summary["complete"] is False
    assert summary["workspaces_created"] == 0 and summary["created_workspaces"] == []
    assert summary["target"] == url


def test_a_target_slower_than_the_timeout_is_reported_as_not_answering_in_time(serve):
    _, url = serve(delay=0.3)
    summary = _run(url, timeout=0.05, max_requests=1)
    assert "did not answer in time (--request-timeout 0.05 s" in summary["probes"][0]["message"]
    assert summary["requests_sent"] == 1


def test_prepare_runs_once_with_the_runs_profile_before_the_first_request(serve, monkeypatch):
    app, url = serve()
    seen = []

    def prepare(profile):
        seen.append((profile.key, len(app.requests)))

    def cases(profile):
        return []

    def test_spy(target, case):
        raise AssertionError("has no cases")

    test_spy.conformance_prepare = prepare
    spy = runner.ProbeSpec("test_spy", test_spy, cases, "conformance.probes.test_99_spy")
    spied = Registry("probe")
    spied.restore(REGISTRY.snapshot())
    spied.add(full_name(test_spy), spy, full_name(test_spy))
    monkeypatch.setattr(runner, "REGISTRY", spied)
    summary = _run(url, examples=0, max_requests=2)
    assert seen == [(KEY, 0)]
    assert not any(p["probe"] == "test_spy" for p in summary["probes"])


# -- share_hypothesis_cache ----------------------------------------------------------------
@pytest.fixture
def hypothesis_home():
    from hypothesis import configuration

    before = getattr(configuration, "__hypothesis_home_directory")
    yield configuration
    configuration.set_hypothesis_home_dir(before)


def test_a_chosen_hypothesis_storage_directory_is_left_alone(hypothesis_home, monkeypatch, tmp_path):
    monkeypatch.setenv("HYPOTHESIS_STORAGE_DIRECTORY", str(tmp_path / "chosen"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    hypothesis_home.set_hypothesis_home_dir(tmp_path / "before")
    assert share_hypothesis_cache() is None
    assert getattr(hypothesis_home, "__hypothesis_home_directory") == tmp_path / "before"


def test_the_hypothesis_cache_goes_to_the_users_cache_directory_and_comes_back(hypothesis_home, monkeypatch, tmp_path):
    monkeypatch.delenv("HYPOTHESIS_STORAGE_DIRECTORY", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    hypothesis_home.set_hypothesis_home_dir(tmp_path / "before")
    undo = share_hypothesis_cache()
    assert getattr(hypothesis_home, "__hypothesis_home_directory") == tmp_path / "workspace-conformance" / "hypothesis"
    undo()
    assert getattr(hypothesis_home, "__hypothesis_home_directory") == tmp_path / "before"


def test_without_xdg_cache_home_the_hypothesis_cache_goes_under_the_home_cache(hypothesis_home, monkeypatch, tmp_path):
    monkeypatch.delenv("HYPOTHESIS_STORAGE_DIRECTORY", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", "")
    monkeypatch.setenv("HOME", str(tmp_path))
    hypothesis_home.set_hypothesis_home_dir(None)
    undo = share_hypothesis_cache()
    assert (
        getattr(hypothesis_home, "__hypothesis_home_directory")
        == Path(tmp_path) / ".cache" / "workspace-conformance" / "hypothesis"
    )
    undo()
    assert getattr(hypothesis_home, "__hypothesis_home_directory") is None
