"""One conformance run inside pytest: the hooks that act once the suite has been chosen.

The entry module (`entry.py`) registers a `ConformanceRun` with the plugin manager only when
a conformance option is given or the suite's probes are named; the run's state lives on this
object, never in module globals, so two sessions in one process stay apart.
"""

from __future__ import annotations

import atexit
import gc
import signal
import threading

import pytest

from conformance.engine.runner import execute, prepare_probes, share_hypothesis_cache
from conformance.model.outcome import BLOCKED, ERROR, FAIL, NOT_RUN
from conformance.pytest_plugin import fixtures, probe_reports, progress, report_files
from conformance.pytest_plugin import run as run_session
from conformance.pytest_plugin.run import RUN
from conformance.reports.html_page import ConformanceHtml
from conformance.settings import Settings
from conformance.text import terminal_safe

NAME = "conformance-run"
RESULT = pytest.StashKey[dict]()
# What pytest prints (`! ... !`) when the run stops the session itself: the closing lines above
# it have said why, once.
STOPPED = "the conformance run stopped sending; its closing lines above say why"


class ConformanceRun:
    def __init__(self, config, settings: Settings):
        self.config = config
        worker = getattr(config, "workerinput", None)
        seed = settings.seed if settings.seed is not None else config.getoption("hypothesis_seed", None)
        self.run = run_session.Run(settings, worker=worker, seed=seed)
        config.stash[RUN] = self.run
        self.worker = worker
        self.session = None
        self.catalog_items = 0  # the catalog's probes that apply to this provider, before any -k
        self.collect_only = bool(config.option.collectonly)
        self.caseless: set[str] = set()  # node ids of probe functions with no case for this provider

    def start(self) -> None:
        """Called from the entry module's pytest_configure, before junitxml and pytest-html read
        their paths: everything local is checked here, before the first request."""
        config, run = self.config, self.run
        # Cleanups run last-in first-out and this runs first: the unfreeze comes after pytest's
        # own end-of-session collections. At exit all is frozen again: the interpreter's last
        # collection then skips what is about to vanish anyway (0.13 s of every run).
        config.add_cleanup(gc.unfreeze)
        atexit.unregister(gc.freeze)  # once per process, however many sessions it runs
        atexit.register(gc.freeze)
        undo = share_hypothesis_cache()
        if undo is not None:
            config.add_cleanup(undo)
        config.addinivalue_line(
            "markers",
            "requirement(id, level='MUST', title=''): the requirement a "
            "user-written probe checks (reported beside the catalog's)",
        )

        config.pluginmanager.register(fixtures, "conformance-fixtures")
        if self.worker is None:
            if not (self.collect_only or run.settings.dry_run):
                try:
                    run.point_reports(config)
                except run_session.StartError as exc:
                    raise pytest.UsageError(str(exc)) from None
                config.pluginmanager.register(report_files.ReportPlacer(run), "conformance-reports")
            _stop_on_sigterm(config, run)
            if not self.collect_only:
                try:
                    run.start()
                except run_session.StartError as exc:
                    raise pytest.UsageError(str(exc)) from None
        if config.pluginmanager.hasplugin("xdist"):
            config.pluginmanager.register(_XdistHooks(run), "conformance-xdist")

        if self.worker is None and not self.collect_only and progress.wanted(config):
            config.pluginmanager.register(progress.ProgressLine(config, run), "conformance-progress")
        if self.worker is None and run.paths and config.pluginmanager.hasplugin("html"):
            config.pluginmanager.register(ConformanceHtml(run), "conformance-html")

    def pytest_unconfigure(self, config):
        self.run.stop()

    def pytest_report_header(self, config):
        return self.run.header_lines()

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionstart(self, session):
        """The first line on the console, before pytest's own: the URL the suite POSTs to."""
        self.session = session
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if self.worker is None and reporter is not None:
            for line in self.run.first_lines():
                reporter.write_line(line)

    def pytest_generate_tests(self, metafunc):
        cases = getattr(metafunc.function, "conformance_cases", None)
        if cases is None:
            return
        found = cases(self.run.profile)
        if not found:
            self.caseless.add(metafunc.definition.nodeid)
        metafunc.parametrize("case", found, ids=[c.id for c in found])

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_modifyitems(self, config, items):
        """Probes with no case for this provider do not apply to it: left out, neither skipped
        nor counted as deselected (a count nobody chose, which pytest would print unexplained).
        Runs before -k and -m, so a user's own deselection is counted as pytest counts it."""
        items[:] = [item for item in items if item.nodeid.split("[", 1)[0] not in self.caseless]
        self.catalog_items = sum(1 for item in items if _is_catalog_probe(item))

    @pytest.hookimpl(trylast=True)
    def pytest_collection_finish(self, session):
        """Set-up is paid before the first request, not between requests."""
        run = self.run
        catalog = [item for item in session.items if _is_catalog_probe(item)]
        # Every catalog probe selected: the whole catalog is judged, even where a stopped run
        # never touched a requirement (an unreachable target: every requirement counts).
        whole = self.catalog_items > 0 and len(catalog) == self.catalog_items
        run.selected = None if whole else _selected_requirements(session.items)
        if self.collect_only:
            return
        prepare_probes((getattr(item, "obj", None) for item in session.items), run.profile)
        run.target()  # the HTTP client, and the transport modules httpx imports on first use
        # Every xdist worker collects the same items, so each makes the same plan.
        run.plan_creates(
            [
                (item.obj, item.callspec.params["case"])
                for item in session.items
                if hasattr(getattr(item, "obj", None), "conformance_cases") and hasattr(item, "callspec")
            ]
        )
        if self.worker is None:
            sentence = run.credential_warning()
            if sentence:
                reporter = session.config.pluginmanager.get_plugin("terminalreporter")
                if reporter is not None:
                    reporter.write_line(f"conformance: {sentence}", yellow=True)
        # Everything loaded so far (modules, schemas, strategies: some 70 000 long-lived objects)
        # is frozen, so the garbage collector stops re-scanning it: pytest's gc.collect() calls at
        # session end took 0.15 s of a d3lay run, now 0.01 s. Unfrozen at the very end (see
        # start), so nothing a session made outlives it.
        gc.freeze()

    def pytest_pyfunc_call(self, pyfuncitem):
        function = pyfuncitem.obj
        if not hasattr(function, "conformance_cases"):
            return None
        target = pyfuncitem.funcargs["target"]
        result = execute(function, target, pyfuncitem.funcargs["case"], pyfuncitem.nodeid).to_dict()
        pyfuncitem.stash[RESULT] = result
        if result.get("unreachable") or result.get("stopped"):
            # Nothing more can be measured (or sent): stop now rather than print one error per probe.
            pyfuncitem.session.shouldstop = STOPPED
            self.run.stopped_itself = True  # pytest then ends the session as interrupted: not so
        if result["status"] == NOT_RUN:
            pytest.skip(f"not run: {result['message']}")
        if result["status"] == BLOCKED:
            # Not a pass: the requirement that blocked it fails in its own probe, which says why.
            pytest.skip(f"blocked: {result['message']}")
        if result["status"] in (FAIL, ERROR):
            raise _Verdict(result["message"])
        return True

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        report = outcome.get_result()
        run = self.run
        probe_reports.redact_report(report, run.redactor)
        result = item.stash.get(RESULT, None)
        if result is None and call.when == "call" and "target" in getattr(item, "fixturenames", ()):
            result = probe_reports.user_probe_result(item, report, run, call)
        if call.when != "call" or result is None:
            return
        report.conformance = result
        report.user_properties.append(("requirements", " ".join(result["requirements"])))
        try:
            probe_reports.attach_evidence(item, report, result, run.redactor)
        except Exception as exc:  # the HTML loses this row's evidence, nothing else
            run.writer_failed(None, f"the HTML evidence of {item.nodeid}", exc)
        if result["status"] in (FAIL, ERROR) and item.stash.get(RESULT, None) is not None:
            report.longrepr = result["message"]
            if result.get("unreachable"):  # said once, in the closing lines, not once per place
                report.longrepr = "not checked: the target could not be reached (the closing lines say why)"
            probe_reports.redact_report(report, run.redactor)  # the message replaces what was made safe above
        expected = probe_reports.expected_by(result, run.settings)
        if expected and report.failed:
            # An expected failure is pytest's xfail: `x` on the console, <skipped> in JUnit,
            # pytest-html's "Expected failures"; the verdict itself stays what the target earned.
            report.outcome = "skipped"
            report.wasxfail = expected

    def pytest_report_teststatus(self, report, config):
        result = getattr(report, "conformance", None)
        if hasattr(report, "wasxfail"):
            return None  # pytest's own xfail status
        if result and result["status"] == ERROR and report.when == "call":
            return "error", "E", ("ERROR", {"yellow": True})
        if result and result["status"] == BLOCKED and report.when == "call":
            return "blocked", "b", ("BLOCKED", {"yellow": True})
        return None

    def pytest_runtest_logreport(self, report):
        result = getattr(report, "conformance", None)
        if result is not None and report.when == "call":
            self.run.results.append(result)
            if result.get("unreachable") or result.get("stopped"):  # a worker's, under xdist
                self.run.stopped_itself = True
            elif self.session is not None and not self.session.shouldstop and self.run.wrong_url():
                # Most creates answered 404 or 405: the URL names no endpoint; the rest would too.
                self.session.shouldstop = STOPPED
                self.run.stopped_itself = True

    @pytest.hookimpl(wrapper=True, trylast=True)
    def pytest_sessionfinish(self, session, exitstatus):
        """Around the plugins that write reports (junitxml, pytest-html): one of them failing is an
        internal error, not the end of the others; then our own writers, each on its own."""
        if self.worker is not None and self.run.create_plan is not None:
            # The controller collects nothing: the plan every worker made (the same) goes back to it.
            session.config.workeroutput["conformance_create_budget"] = self.run.create_plan.to_dict()
        if self.worker is not None or self.collect_only:
            return (yield)
        try:
            yield
        except Exception as exc:  # reported as an internal error, never a verdict
            report, where = probe_reports.failed_writer(exc)
            self.run.writer_failed(report, where, exc)
        session.exitstatus = self.run.finish(int(exitstatus))
        return None

    def pytest_terminal_summary(self, terminalreporter, exitstatus, config):
        if self.run.summary is None:
            return
        for line in self.run.closing_lines():
            terminalreporter.write_line(terminal_safe(line))


class Terminated(KeyboardInterrupt):
    """SIGTERM, what CI systems send on cancel or timeout: handled as Ctrl-C is, so the session
    ends through pytest's own interrupt path (reports written, verdict INCOMPLETE, exit 2) and
    pytest-xdist tears its workers down."""


def _stop_on_sigterm(config, run) -> None:
    if threading.current_thread() is not threading.main_thread():
        return  # signals reach the main thread only (an embedding program's choice)

    def stop(signum, frame):
        signal.signal(signal.SIGTERM, previous)  # a second SIGTERM is not caught: it ends the process
        run.stopped_by = "SIGTERM"
        if not run.finishing:  # once the reports are being written, the quickest end is to finish
            raise Terminated("SIGTERM")

    previous = signal.signal(signal.SIGTERM, stop) or signal.SIG_DFL
    config.add_cleanup(lambda: signal.signal(signal.SIGTERM, previous))


class _XdistHooks:
    def __init__(self, run):
        self.run = run

    def pytest_configure_node(self, node):
        node.workerinput.update(self.run.worker_input())

    def pytest_testnodedown(self, node, error):
        budget = getattr(node, "workeroutput", {}).get("conformance_create_budget")
        if budget is not None:
            self.run.create_budget = budget


class _Verdict(Exception):
    """Carries a failure or error message that is already redacted and needs no traceback."""


def _is_catalog_probe(item) -> bool:
    return hasattr(getattr(item, "obj", None), "conformance_cases") and hasattr(item, "callspec")


def _selected_requirements(items) -> set[str]:
    """The requirements the selected catalog probes check: a run of some probes (a user's own
    file, -k) is judged on those, not on catalog probes nobody selected."""
    selected = set()
    for item in items:
        callspec = getattr(item, "callspec", None)
        case = callspec.params.get("case") if callspec is not None else None
        if hasattr(getattr(item, "obj", None), "conformance_cases") and case is not None:
            selected.add(case.requirement)
    return selected
