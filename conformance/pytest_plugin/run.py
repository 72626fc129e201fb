"""One conformance run: its target (embedded reference server or the user's), its budget,
the probe results it gathers, and the reports and exit status it ends with."""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
import time
import traceback
from datetime import datetime, timezone
from pathlib import Path

import pytest

from conformance import __version__, exitcodes
from conformance.client.cleanup import remove_all
from conformance.client.counters import Budget, CreateCount, SharedCreates, Slots, WaitBudget, WentAway
from conformance.client.target import Target, endpoint_url, split_endpoint
from conformance.client.transcript import Redactor
from conformance.engine.creates import CreatePlan, plan
from conformance.engine.runner import RUN_WIDE_NODEID, run_wide_results
from conformance.model import expectations
from conformance.model.auth import credential_place
from conformance.options import flag_name
from conformance.pytest_plugin import console, report_files, unmeasured
from conformance.pytest_plugin.report_files import StartError
from conformance.reference import provider_module
from conformance.reference.serving import ServerThread, base_url, provider_app
from conformance.reports.baseline import compare
from conformance.reports.summary import internal_error, summarize
from conformance.settings import Settings, default_seed


class Run:
    def __init__(self, settings: Settings, worker: dict | None = None, seed=None):
        self.settings = settings
        self.profile = settings.profile
        self.worker = worker
        self.results: list[dict] = []
        self.summary: dict | None = None
        self.server: ServerThread | None = None
        self.started = time.time()
        self.credential = settings.credential
        self.params = dict(settings.params)
        # The target-URL rule: the base URL or the endpoint's full URL; a trailing documented path
        # is not appended again.
        self.target_url, self.trimmed_path = split_endpoint(settings.target_url, self.profile)
        self.run_id = secrets.token_hex(3)
        self.seed = seed
        self._target: Target | None = None
        self.paths: dict[str, Path] = {}
        self.budget_file: str | None = None
        self.creates_file: str | None = None  # the run-wide count of workspaces made, under xdist
        self.shares_dir: str | None = None  # the run's shared creates, under xdist
        self.slots_dir: str | None = None
        self.waits_file: str | None = None  # the run-wide time spent waiting on the target, under xdist
        self.cleanup_report: dict | None = None
        self.internal_errors: list[dict] = []  # our own writers that failed (probe crashes are in results)
        self.unwritten: set[str] = set()  # reports a failing writer left absent or partial
        self.selected: set[str] | None = None  # requirements of the selected catalog probes
        self.markdown_problem: str | None = None
        self.create_plan: CreatePlan | None = None
        self.create_budget: dict | None = None  # under xdist, the plan's figures as a worker sent them
        if worker:  # an xdist worker: the controller decided all of this
            self.target_url = worker["conformance_target_url"]
            self.credential = worker["conformance_credential"]
            self.params = worker["conformance_params"]
            self.run_id = f"{worker['conformance_run_id']}{worker.get('workerid', 'w')}"
            self.seed = worker["conformance_seed"]
            self.budget_file = worker["conformance_budget_file"]
            self.creates_file = worker.get("conformance_creates_file")
            self.shares_dir = worker.get("conformance_shares_dir")
            self.slots_dir = worker["conformance_slots_dir"]
            self.waits_file = worker.get("conformance_waits_file")
        if self.seed is None:
            self.seed = secrets.randbelow(2**32) if settings.seed_random else default_seed(self.profile.key)
        self.redactor = Redactor(self.credential, self.target_url)
        self.writing: dict[str, Path] = {}  # pytest's and pytest-html's files, renamed into place at the end
        self.renamed: dict[str, Path] = {}  # what each was written as -> where it now is
        self.stopped_by: str | None = None  # the signal that ended the run early
        self.stopped_itself = False  # the run stopped the session (target unreachable or gone, waits spent)
        self.finishing = False

    def start(self) -> None:
        if self.target_url is not None:
            return

        self.credential = self.credential or secrets.token_urlsafe(18)
        self.redactor = Redactor(self.credential, self.target_url)
        try:
            module = provider_module(self.profile.key)
        except KeyError:
            raise StartError(
                f"there is no bundled reference server for {self.profile.key!r}: "
                f"give {flag_name('conformance_target_url')}"
            ) from None
        self.params = {**module.TARGET_PARAMS, **self.params}
        self.server = ServerThread(provider_app(self.profile.key, self.credential))
        self.target_url = base_url(self.server.start(), self.profile.key)

    def worker_input(self) -> dict:
        if self.settings.max_requests is not None and self.budget_file is None:
            fd, self.budget_file = tempfile.mkstemp(prefix="conformance-budget-")
            os.close(fd)
        if self.settings.max_creates is not None and self.creates_file is None:
            # The workspace budget is run-wide too: every worker counts its creates in one file.
            fd, self.creates_file = tempfile.mkstemp(prefix="conformance-creates-")
            os.close(fd)
        if self.waits_file is None:
            # --conformance-max-wait is run-wide too: every worker adds its waits to one file.
            fd, self.waits_file = tempfile.mkstemp(prefix="conformance-waits-")
            os.close(fd)
        if self.slots_dir is None:
            self.slots_dir = tempfile.mkdtemp(prefix="conformance-slots-")
        if self.shares_dir is None:
            self.shares_dir = tempfile.mkdtemp(prefix="conformance-shared-")
        return {
            "conformance_budget_file": self.budget_file,
            "conformance_slots_dir": self.slots_dir,
            "conformance_creates_file": self.creates_file,
            "conformance_shares_dir": self.shares_dir,
            "conformance_waits_file": self.waits_file,
            "conformance_target_url": self.target_url,
            "conformance_credential": self.credential,
            "conformance_params": self.params,
            "conformance_run_id": self.run_id,
            "conformance_seed": self.seed,
        }

    def target(self) -> Target:
        if self._target is None:
            if self.target_url is None:  # start() gives it, or the controller does to a worker
                raise RuntimeError("the run has no target URL yet: Run.start() comes before Run.target()")
            self._target = Target(
                self.profile,
                self.target_url,
                self.credential,
                self.params,
                run_id=self.run_id,
                budget=Budget(self.settings.max_requests, self.budget_file),
                timeout=self.settings.timeout,
                dry_run=self.settings.dry_run,
                slots=Slots(self.settings.max_concurrency, self.slots_dir),
                examples=self.settings.examples,
                hypothesis_seed=self.seed,
                create_count=CreateCount(self.creates_file),
                shares=SharedCreates(self.shares_dir),
                waits=WaitBudget(self.settings.max_wait, self.waits_file),
                went_away=WentAway(self.shares_dir),
            )
        return self._target

    def plan_creates(self, pairs) -> None:
        """Which selected cases the workspace budget (--conformance-max-creates) admits."""
        self.create_plan = plan(pairs, self.profile, self.settings.max_creates)
        self.target().create_plan = self.create_plan

    def stop(self) -> None:
        if self._target is not None:
            self._target.close()
        if self.server is not None:
            self.server.stop()
            self.server = None
        for unfinished in self.writing.values():
            unfinished.unlink(missing_ok=True)
        if not self.worker:
            for counter in (self.budget_file, self.creates_file, self.waits_file):
                if counter:
                    Path(counter).unlink(missing_ok=True)
            for directory in (self.slots_dir, self.shares_dir):
                if directory:
                    shutil.rmtree(directory, ignore_errors=True)

    # -- ending ---------------------------------------------------------------------
    def meta(self) -> dict:
        return {
            "target": self.redactor.url(self.target_url or ""),
            "endpoint": f"{self.profile.method} {self.endpoint_url()}",
            "embedded_reference_server": self.settings.embedded,
            "suite_version": __version__,
            "started": datetime.fromtimestamp(self.started, timezone.utc).isoformat(timespec="seconds"),
            "duration_s": round(time.time() - self.started, 3),
            "requests_sent": sum(
                1
                for r in self.results
                for e in r["exchanges"]
                if "(sent once" not in e["note"] and (e["response"] is not None or e["error"])
            ),
            "hypothesis_seed": self.seed,
            **(
                {"credential_placement": credential_place(self.profile, self.params)}
                if "auth" in self.profile.data
                else {}
            ),
            "max_wait_s": self.settings.max_wait,
        }

    def summarize(self, exitstatus: int = 0) -> dict:
        self.results = [r for r in self.results if r["nodeid"] != RUN_WIDE_NODEID]  # judged afresh
        if self.selected is None or f"{self.profile.key}.robustness.no-server-error" in self.selected:
            # with the robustness probes only: a run of a user's own probes (or -k auth) is judged on those
            self.results += run_wide_results(self.profile, self.results)
        unreachable = next((r["unreachable"] for r in self.results if r.get("unreachable")), None)
        wrong_url = None if unreachable else self.wrong_url()
        refused = None if unreachable or wrong_url else self.refused_credential()
        if refused:
            unmeasured.block_auth_refusals(self)
        interrupted = None
        if exitstatus == exitcodes.INTERRUPTED:
            interrupted = (
                f"the run was stopped by {self.stopped_by} before every probe ran"
                if self.stopped_by
                else "the run was interrupted before every probe ran"
            )
        self.summary = summarize(
            self.profile,
            self.results,
            fail_on=self.settings.fail_on,
            meta=self.meta(),
            unreachable=unreachable,
            interrupted=interrupted,
            internal_errors=self.internal_errors,
            selected=self.selected,
        )
        if refused:
            self.summary.update(verdict="INCOMPLETE", exit_status=exitcodes.INCOMPLETE, complete=False, problem=refused)
        stopped = self._stopped()
        if stopped and not unreachable and not refused:
            self.summary.update(complete=False, problem=stopped)
            if self.summary["exit_status"] == exitcodes.OK:  # whatever held, the run stopped short of the rest
                self.summary.update(verdict="INCOMPLETE", exit_status=exitcodes.INCOMPLETE)
        self._gate(self.summary, unreachable, interrupted)
        if wrong_url:  # after the gate: no expectation excuses a run that never reached the endpoint
            self.summary.update(
                verdict="INCOMPLETE", exit_status=exitcodes.INCOMPLETE, complete=False, problem=wrong_url
            )
            if self.summary.get("gate"):
                self.summary["gate"].update(
                    passed=False, exit_status=exitcodes.INCOMPLETE, note="gate incomplete: the endpoint was not reached"
                )
        if self.settings.har:
            self.summary["har"] = Path(self.settings.har).name
        self.summary["created_workspaces"] = self.created()
        self.summary["workspaces_created"] = len(self.summary["created_workspaces"])
        budget = self.create_plan.to_dict() if self.create_plan is not None else self.create_budget
        if budget is not None:
            self.summary["create_budget"] = budget
        if self.cleanup_report is not None:
            self.summary["cleanup"] = self.cleanup_report
        if self.settings.dry_run:
            self.summary["dry_run"] = True
        return self.summary

    def _gate(self, summary: dict, unreachable: str | None, interrupted: str | None) -> None:
        """The CI gate's additions to `summary`: the expectations file's judgement and the
        baseline's diff."""
        if self.settings.expectations is not None:
            source = self.settings.expectations_file
            if source is None:  # settings._ci_gate sets both together
                raise RuntimeError("expectations were loaded without the name of their file")
            expectations.apply(
                summary, self.settings.expectations, source, unreachable=unreachable, interrupted=interrupted
            )
        if self.settings.baseline is not None:
            summary["baseline"] = compare(self.settings.baseline, summary["requirements"])

    def _stopped(self) -> str | None:
        """Why the run stopped sending (its time for waiting on a rate-limiting target spent): the
        sentence of the request that met it, before the \"not sent\" of those after."""
        said = [r["stopped"] for r in self.results if r.get("stopped")]
        return next((s for s in said if not s.startswith("not sent")), said[0] if said else None)

    def created(self) -> list[str]:
        return [i for r in self.results for i in r.get("created", [])]

    def clean_up(self) -> None:
        """--cleanup: remove what the run created, by the provider's documented means."""
        self.cleanup_report = remove_all(self.target(), self.created())

    def writer_failed(self, report: str | None, where: str, exc: BaseException) -> None:
        """A bug of ours (or of a plugin writing a report): recorded with its redacted traceback,
        never a verdict, and it does not stop the other writers."""
        if report:
            self.unwritten.add(report)
        trace = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        detail = str(exc).splitlines()[0] if str(exc) else ""
        self.internal_errors.append(
            internal_error(
                where,
                self.redactor.text(f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__),
                self.redactor.text(trace),
            )
        )

    def guarded(self, report: str | None, where: str, step) -> None:
        try:
            step()
        except Exception as exc:  # each writer is independent of the others
            self.writer_failed(report, where, exc)

    def endpoint_url(self) -> str:
        """The URL the suite POSTs to, as every report shows it."""
        return self.redactor.url(endpoint_url(self.target_url or "", self.profile))

    def finish(self, exitstatus: int) -> int:
        self.finishing = True
        if exitstatus == exitcodes.INTERRUPTED and self.stopped_itself and self.stopped_by is None:
            # pytest calls a session the run stopped itself "interrupted"; the summary says why it stopped.
            exitstatus = exitcodes.NOT_CONFORMANT
        if self.settings.cleanup and exitstatus != exitcodes.USAGE:
            self.guarded(None, "the cleanup", self.clean_up)
        summary = self.summarize(exitstatus)
        if self.paths:  # a dry run writes no report (the last real one stays as it was)
            report_files.write_own_reports(self, summary)
        if summary["internal_errors"] or self.internal_errors:
            summary["exit_status"] = exitcodes.INTERNAL
            return exitcodes.INTERNAL  # never 1: a bug of ours is not the target's verdict
        if self.settings.dry_run:
            return exitcodes.OK if exitstatus in (exitcodes.OK, exitcodes.NO_TESTS) else exitstatus
        if summary["exit_status"] == exitcodes.UNREACHABLE:
            return exitcodes.UNREACHABLE  # even though we stopped the session ourselves
        if exitstatus in (exitcodes.INTERRUPTED, exitcodes.INTERNAL, exitcodes.USAGE):
            return exitstatus
        if not self.results and exitstatus == exitcodes.NO_TESTS:
            return exitstatus
        return summary["exit_status"]

    # -- why nothing was measured, the report files and the console (modules of their own) ----
    def wrong_url(self) -> str | None:
        return unmeasured.wrong_url(self)

    def refused_credential(self) -> str | None:
        return unmeasured.refused_credential(self)

    def point_reports(self, config) -> None:
        report_files.point_reports(self, config)

    def place_reports(self) -> int | None:
        return report_files.place_reports(self)

    def _finish_junit(self) -> None:
        report_files.finish_junit(self)

    def _finish_html(self) -> None:
        report_files.finish_html(self)

    def first_lines(self) -> list[str]:
        return console.first_lines(self)

    def header_lines(self) -> list[str]:
        return console.header_lines(self)

    def credential_warning(self) -> str | None:
        return console.credential_warning(self)

    def closing_lines(self) -> list[str]:
        return console.closing_lines(self)


# The session's run, on its config (never a module global): set by the hooks at configure.
RUN = pytest.StashKey["Run"]()


def active_run(config) -> Run:
    run = config.stash.get(RUN, None)
    if run is None:
        raise pytest.UsageError(
            f"choose a provider: {flag_name('conformance_provider')} NAME (or CONFORMANCE_PROVIDER)"
        )
    return run
