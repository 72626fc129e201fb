"""The pytest plugin: options, fixtures and report hooks. All logic lives in the library.

Loaded through the `pytest11` entry point, it stays inert until a provider is chosen.
"""
from __future__ import annotations

import atexit
import gc
import sys

import pytest


def _leave_library_asserts_alone() -> None:
    """pytest rewrites the asserts of every module of every distribution that declares a pytest
    plugin: all of Hypothesis (some 150 modules) and this package, on every run whose bytecode
    is not cached (CI images often set PYTHONDONTWRITEBYTECODE). Their asserts are internal
    invariants, not tests (our probes raise their own failures), and rewriting them was half of
    the start-up time. Users' own test files are rewritten as always."""
    for finder in sys.meta_path:
        marked = getattr(finder, "_must_rewrite", None)
        if type(finder).__name__ == "AssertionRewritingHook" and isinstance(marked, set):
            marked.difference_update({"hypothesis", "hypothesis_jsonschema", "conformance"})


_leave_library_asserts_alone()  # before the imports below, which it concerns

from . import session as run_session  # noqa: E402
from .probing import execute, prepare_probes  # noqa: E402
from .settings import OPTIONS, SettingsError, resolve  # noqa: E402
from .verdict import BLOCKED, ERROR, FAIL, NOT_RUN  # noqa: E402

RUN = pytest.StashKey["run_session.Run"]()
RESULT = pytest.StashKey[dict]()


def pytest_addoption(parser):
    group = parser.getgroup("conformance", "workspace-conformance")
    for flag, dest, env, help_text in OPTIONS:
        group.addoption(flag, dest=dest, default=None, help=f"{help_text} [env {env}]")
        parser.addini(dest, help_text)
    group.addoption("--target-param", dest="conformance_target_params", action="append", default=[],
                    metavar="KEY=VALUE", help="provider input such as organization_id (repeatable)")
    group.addoption("--dry-run", dest="conformance_dry_run", action="store_true",
                    help="list every request the run would send, without sending any")
    group.addoption("--cleanup", dest="conformance_cleanup", action="store_true",
                    help="remove the workspaces the run created, where the provider documents how")


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    config.addinivalue_line("markers", "requirement(id, level='MUST', title=''): the requirement a "
                                       "user-written probe checks (reported beside the catalog's)")
    def get(dest, env):
        import os

        return config.getoption(dest) or os.environ.get(env) or config.getini(dest) or None

    try:
        settings = resolve(get, config.getoption("conformance_target_params"),
                           dry_run=config.getoption("conformance_dry_run"),
                           cleanup=config.getoption("conformance_cleanup"))
    except SettingsError as exc:
        raise pytest.UsageError(str(exc)) from None
    if settings is None:
        return
    worker = getattr(config, "workerinput", None)
    run = run_session.Run(settings, worker=worker, seed=config.getoption("hypothesis_seed", None))
    config.stash[RUN] = run
    # Cleanups run last-in first-out and this hook runs first: the unfreeze comes after pytest's
    # own end-of-session collections. At exit all is frozen again: the interpreter's last
    # collection then skips what is about to vanish anyway (0.13 s of every run).
    config.add_cleanup(gc.unfreeze)
    atexit.unregister(gc.freeze)  # once per process, however many sessions it runs
    atexit.register(gc.freeze)
    if worker is None:
        run.point_reports(config)
        try:
            run.start()
        except run_session.StartError as exc:
            raise pytest.UsageError(str(exc)) from None
    if config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(_XdistHooks(run), "conformance-xdist")
    if worker is None and config.pluginmanager.hasplugin("html"):
        from .html_report import ConformanceHtml

        config.pluginmanager.register(ConformanceHtml(run), "conformance-html")


class _XdistHooks:
    def __init__(self, run):
        self.run = run

    def pytest_configure_node(self, node):
        node.workerinput.update(self.run.worker_input())


def pytest_unconfigure(config):
    run = config.stash.get(RUN, None)
    if run is not None:
        run.stop()


def _run(config):
    run = config.stash.get(RUN, None)
    if run is None:
        raise pytest.UsageError("choose a provider: --provider NAME (or CONFORMANCE_PROVIDER)")
    return run


def pytest_generate_tests(metafunc):
    cases = getattr(metafunc.function, "conformance_cases", None)
    if cases is None:
        return
    run = metafunc.config.stash.get(RUN, None)
    found = cases(run.profile) if run else []  # no provider: refused in collection_modifyitems
    metafunc.parametrize("case", found, ids=[c.id for c in found])


def pytest_collection_modifyitems(config, items):
    """Probes with no case for this provider do not apply to it: deselect, do not skip."""
    if RUN not in config.stash and any(hasattr(getattr(i, "obj", None), "conformance_cases") for i in items):
        raise pytest.UsageError("choose a provider: --provider NAME (or CONFORMANCE_PROVIDER)")
    keep, drop = [], []
    for item in items:
        is_probe = hasattr(getattr(item, "obj", None), "conformance_cases")
        skip = item.get_closest_marker("skip")
        empty = skip is not None and "empty parameter set" in str(skip.kwargs.get("reason", ""))
        (drop if is_probe and empty else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session):
    """Set-up is paid before the first request, not between requests."""
    run = session.config.stash.get(RUN, None)
    if run is None or session.config.option.collectonly:
        return
    prepare_probes((getattr(item, "obj", None) for item in session.items), run.profile)
    run.target()  # the HTTP client, and the transport modules httpx imports on first use
    # Every xdist worker collects the same items, so each makes the same plan.
    run.plan_creates([(item.obj, item.callspec.params["case"]) for item in session.items
                      if hasattr(getattr(item, "obj", None), "conformance_cases") and hasattr(item, "callspec")])
    # Everything loaded so far (modules, schemas, strategies: some 70 000 long-lived objects)
    # is frozen, so the garbage collector stops re-scanning it: pytest's gc.collect() calls at
    # session end took 0.15 s of a d3lay run, now 0.01 s. Unfrozen at the very end (see
    # pytest_configure), so nothing a session made outlives it.
    gc.freeze()


@pytest.fixture(scope="session")
def profile(request):
    """The loaded provider profile (schemas/<provider>/)."""
    return _run(request.config).profile


@pytest.fixture(scope="session")
def request_schema(profile):
    return profile.schemas["request"]


@pytest.fixture(scope="session")
def resource_schema(profile):
    return profile.schemas["resource"]


@pytest.fixture(scope="session")
def error_schema(profile):
    return profile.schemas.get("error")


@pytest.fixture
def target(request):
    """A client bound to the target: auth applied, every exchange recorded, secret redacted."""
    client = _run(request.config).target()
    client.begin()
    return client


@pytest.fixture(scope="session")
def valid_payloads(profile):
    """Hypothesis strategy of request bodies the provider's request schema allows."""
    from .generation import valid_bodies

    return valid_bodies(profile)


@pytest.fixture(scope="session")
def invalid_payloads(profile):
    """Hypothesis strategy of (body, field, kind, requirement id), each body broken in one place."""
    from .generation import invalid_bodies

    return invalid_bodies(profile)


def pytest_pyfunc_call(pyfuncitem):
    function = pyfuncitem.obj
    if not hasattr(function, "conformance_cases"):
        return None
    _run(pyfuncitem.config)  # a clear usage error when no provider was chosen
    target = pyfuncitem.funcargs["target"]
    result = execute(function, target, pyfuncitem.funcargs["case"], pyfuncitem.nodeid).to_dict()
    pyfuncitem.stash[RESULT] = result
    if result.get("unreachable"):
        # Nothing more can be measured: stop now rather than print one error per probe.
        pyfuncitem.session.shouldstop = result["unreachable"]
    if result["status"] == NOT_RUN:
        pytest.skip(f"not run: {result['message']}")
    if result["status"] == BLOCKED:
        # Not a pass: the requirement that blocked it fails in its own probe, which says why.
        pytest.skip(f"blocked: {result['message']}")
    if result["status"] in (FAIL, ERROR):
        raise _Verdict(result["message"])
    return True


class _Verdict(Exception):
    """Carries a failure or error message that is already redacted and needs no traceback."""


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    run = item.config.stash.get(RUN, None)
    if run is None:
        return
    _redact_report(report, run.redactor)
    result = item.stash.get(RESULT, None)
    if result is None and call.when == "call" and "target" in getattr(item, "fixturenames", ()):
        result = _user_probe_result(item, report, run)
    if call.when != "call" or result is None:
        return
    report.conformance = result
    report.user_properties.append(("requirements", " ".join(result["requirements"])))
    _attach_evidence(item, report, result, run.redactor)
    if result["status"] in (FAIL, ERROR) and item.stash.get(RESULT, None) is not None:
        report.longrepr = result["message"]


def _attach_evidence(item, report, result, redactor) -> None:
    """pytest-html shows `report.extras` under the row: the failed probe's evidence."""
    if not item.config.pluginmanager.hasplugin("html"):
        return
    from pytest_html import extras

    from .html_report import extras_for

    evidence = extras_for(result)
    if evidence:
        report.extras = [*getattr(report, "extras", []), extras.html(redactor.text(evidence))]


def _redact_report(report, redactor) -> None:
    """Whatever a probe (ours or a user's) printed or asserted, the secret never leaves."""
    if redactor.secret is None:
        return
    if report.longrepr is not None and redactor.secret in str(report.longrepr):
        report.longrepr = redactor.text(str(report.longrepr))
    report.sections = [(title, redactor.text(text)) for title, text in report.sections]


def _user_probe_result(item, report, run) -> dict:
    """A user's own test that used the `target` fixture: its requirement comes from
    @pytest.mark.requirement("id", level="MUST", title="..."), else `custom.<test name>`."""
    marker = item.get_closest_marker("requirement")
    rid = marker.args[0] if marker and marker.args else f"{run.profile.key}.custom.{item.name}"
    status = {"passed": "pass", "failed": FAIL, "skipped": NOT_RUN}[report.outcome]
    target = run.target()
    message = run.redactor.text(str(report.longrepr)) if report.failed else ""
    findings = [{"requirement": rid, "title": item.name, "expected": "the test's assertions hold",
                 "observed": message.strip().splitlines()[-1] if message.strip() else "failed",
                 "exchange": len(target.transcript) - 1 if target.transcript else None}] if report.failed else []
    return {
        "nodeid": item.nodeid, "probe": item.name, "case": "", "requirements": [rid], "status": status,
        "message": message, "findings": findings, "observations": [],
        "exchanges": [e.to_dict() for e in target.transcript], "duration": report.duration, "unreachable": "",
        "custom": {"level": (marker.kwargs.get("level", "MUST") if marker else "MUST"),
                   "title": (marker.kwargs.get("title", item.name) if marker else item.name)},
    }


def pytest_report_teststatus(report, config):
    result = getattr(report, "conformance", None)
    if result and result["status"] == ERROR and report.when == "call":
        return "error", "E", ("ERROR", {"yellow": True})
    if result and result["status"] == BLOCKED and report.when == "call":
        return "blocked", "b", ("BLOCKED", {"yellow": True})
    return None


def pytest_runtest_logreport(report):
    result = getattr(report, "conformance", None)
    if result is not None and report.when == "call":
        run_session.collect(result)


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus):
    run = session.config.stash.get(RUN, None)
    if run is None or hasattr(session.config, "workerinput"):
        return
    session.exitstatus = run.finish(int(exitstatus))


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    run = config.stash.get(RUN, None)
    if run is None or run.summary is None:
        return
    for line in run.closing_lines():
        terminalreporter.write_line(line)
