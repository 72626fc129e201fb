"""One conformance run: its target (embedded reference server or the user's), its budget,
the probe results it gathers, and the reports and exit status it ends with."""
from __future__ import annotations

import os
import secrets
import shutil
import tempfile
import time
import traceback
import xml.etree.ElementTree as ET
from datetime import datetime, timezone
from pathlib import Path

from conformance import __version__, exitcodes
from conformance.client.auth import credential_name, credential_place
from conformance.client.counters import Budget, CreateCount, SharedCreates, Slots, WaitBudget, WentAway
from conformance.client.target import Target
from conformance.client.transcript import Redactor
from conformance.text import terminal_safe
from conformance.reports.summary import (
    file_beside,
    internal_error,
    one_line,
    probe_crashes,
    summarize,
    write_atomically,
    write_json,
)
from conformance.settings import Settings, default_seed

# More than this share of the answers to requests sent with the run's credential being 401 or
# 403 means the credential was refused: nothing else was measured (Schemathesis warns alike).
REFUSED_SHARE = 0.5
REFUSED_MINIMUM = 3


class StartError(RuntimeError):
    pass


class Run:
    def __init__(self, settings: Settings, worker: dict | None = None, seed=None):
        self.settings = settings
        self.profile = settings.profile
        self.worker = worker
        self.results: list[dict] = []
        self.summary: dict | None = None
        self.server = None
        self.started = time.time()
        self.credential = settings.credential
        self.params = dict(settings.params)
        self.target_url = settings.target_url
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
        self.create_plan = None
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

    # -- lifecycle ------------------------------------------------------------------
    def point_reports(self, config) -> None:
        out = Path(self.settings.report_dir)
        check_report_dir(out, self.settings.sources.get("conformance_report_dir"))
        key = self.profile.key
        self.paths = {"json": out / f"{key}.json", "junit": out / f"{key}.junit.xml", "html": out / f"{key}.html"}
        if not config.option.xmlpath:
            config.option.xmlpath = str(self.paths["junit"])
        self.paths["junit"] = Path(config.option.xmlpath)
        if hasattr(config.option, "htmlpath"):
            if not config.option.htmlpath:
                config.option.htmlpath = str(self.paths["html"])
                config.option.self_contained_html = True
            self.paths["html"] = Path(config.option.htmlpath)
        # pytest and pytest-html open their files in place, following a symlink someone planted
        # there and leaving half a file if stopped mid-write: each writes a fresh file of ours
        # beside the report instead, renamed over the report (never through it) at the end.
        self.writing["junit"] = _fresh_beside(self.paths["junit"])
        config.option.xmlpath = str(self.writing["junit"])
        if "html" in self.paths and hasattr(config.option, "htmlpath"):
            self.writing["html"] = _fresh_beside(self.paths["html"])
            config.option.htmlpath = str(self.writing["html"])

    def start(self) -> None:
        if self.target_url is not None:
            return
        from conformance.reference import provider_module
        from conformance.reference.serving import ServerThread, base_url, provider_app

        self.credential = self.credential or secrets.token_urlsafe(18)
        self.redactor = Redactor(self.credential, self.target_url)
        try:
            module = provider_module(self.profile.key)
        except KeyError:
            raise StartError(f"there is no bundled reference server for {self.profile.key!r}: give --conformance-target-url") from None
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
        return {"conformance_budget_file": self.budget_file, "conformance_slots_dir": self.slots_dir,
                "conformance_creates_file": self.creates_file, "conformance_shares_dir": self.shares_dir,
                "conformance_waits_file": self.waits_file,
                "conformance_target_url": self.target_url, "conformance_credential": self.credential,
                "conformance_params": self.params, "conformance_run_id": self.run_id,
                "conformance_seed": self.seed}

    def target(self) -> Target:
        if self._target is None:
            self._target = Target(self.profile, self.target_url, self.credential, self.params,
                                  run_id=self.run_id, budget=Budget(self.settings.max_requests, self.budget_file),
                                  timeout=self.settings.timeout, dry_run=self.settings.dry_run,
                                  slots=Slots(self.settings.max_concurrency, self.slots_dir),
                                  examples=self.settings.examples, hypothesis_seed=self.seed,
                                  create_count=CreateCount(self.creates_file), shares=SharedCreates(self.shares_dir),
                                  waits=WaitBudget(self.settings.max_wait, self.waits_file),
                                  went_away=WentAway(self.shares_dir))
        return self._target

    def plan_creates(self, pairs) -> None:
        """Which selected cases the workspace budget (--conformance-max-creates) admits."""
        from conformance.engine.creates import plan

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
            "embedded_reference_server": self.settings.embedded,
            "suite_version": __version__,
            "started": datetime.fromtimestamp(self.started, timezone.utc).isoformat(timespec="seconds"),
            "duration_s": round(time.time() - self.started, 3),
            "requests_sent": sum(1 for r in self.results for e in r["exchanges"] if "(sent once" not in e["note"]
                                 and (e["response"] is not None or e["error"])),
            "hypothesis_seed": self.seed,
            **({"credential_placement": credential_place(self.profile, self.params)} if "auth" in self.profile.data else {}),
            "max_wait_s": self.settings.max_wait,
        }

    def summarize(self, exitstatus: int = 0) -> dict:
        from conformance.engine.runner import RUN_WIDE_NODEID, run_wide_results

        self.results = [r for r in self.results if r["nodeid"] != RUN_WIDE_NODEID]  # judged afresh
        if self.selected is None or f"{self.profile.key}.robustness.no-server-error" in self.selected:
            # with the robustness probes only: a run of a user's own probes (or -k auth) is judged on those
            self.results += run_wide_results(self.profile, self.results)
        unreachable = next((r["unreachable"] for r in self.results if r.get("unreachable")), None)
        refused = None if unreachable else self.refused_credential()
        if refused:
            self._block_auth_refusals()
        interrupted = None
        if exitstatus == exitcodes.INTERRUPTED:
            interrupted = (f"the run was stopped by {self.stopped_by} before every probe ran" if self.stopped_by
                           else "the run was interrupted before every probe ran")
        self.summary = summarize(self.profile, self.results, fail_on=self.settings.fail_on, meta=self.meta(),
                                 unreachable=unreachable, interrupted=interrupted,
                                 internal_errors=self.internal_errors, selected=self.selected)
        if refused:
            self.summary.update(verdict="INCOMPLETE", exit_status=exitcodes.INCOMPLETE, complete=False, problem=refused)
        stopped = self._stopped()
        if stopped and not unreachable and not refused:
            self.summary.update(complete=False, problem=stopped)
            if self.summary["exit_status"] == exitcodes.OK:  # whatever held, the run stopped short of the rest
                self.summary.update(verdict="INCOMPLETE", exit_status=exitcodes.INCOMPLETE)
        self._gate(unreachable, interrupted)
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

    def _gate(self, unreachable: str | None, interrupted: str | None) -> None:
        """The CI gate's additions: the expectations file's judgement and the baseline's diff."""
        if self.settings.expectations is not None:
            from conformance.model import expectations

            expectations.apply(self.summary, self.settings.expectations, self.settings.expectations_file,
                               unreachable=unreachable, interrupted=interrupted)
        if self.settings.baseline is not None:
            from conformance.reports.baseline import compare

            self.summary["baseline"] = compare(self.settings.baseline, self.summary["requirements"])

    def _stopped(self) -> str | None:
        """Why the run stopped sending (its time for waiting on a rate-limiting target spent): the
        sentence of the request that met it, before the \"not sent\" of those after."""
        said = [r["stopped"] for r in self.results if r.get("stopped")]
        return next((s for s in said if not s.startswith("not sent")), said[0] if said else None)

    def _block_auth_refusals(self) -> None:
        """Where the requests carrying the run's credential are refused too, the auth probes'
        refusals prove nothing: their requirements are blocked, never passed."""
        from conformance.model.catalog import rid
        from conformance.model.outcome import BLOCKED, PASS

        auth = [rid(self.profile, "auth.missing-credential"), rid(self.profile, "auth.wrong-credential")]
        why = "not checked: the requests carrying the credential were refused too, so a refusal proves nothing"
        for result in self.results:
            blocked = [r for r in auth if result.get("outcomes", {}).get(r) == PASS]
            for requirement in blocked:
                result["outcomes"][requirement] = BLOCKED
                result["blocked_by"] = {**result.get("blocked_by", {}), requirement: []}
            if blocked and result["status"] == PASS:
                result["status"] = BLOCKED
                result["message"] = "\n".join(f"[{r}] {why}" for r in blocked)

    def created(self) -> list[str]:
        return [i for r in self.results for i in r.get("created", [])]

    def clean_up(self) -> None:
        """--cleanup: remove what the run created, by the provider's documented means."""
        from conformance.client.cleanup import remove_all

        self.cleanup_report = remove_all(self.target(), self.created())

    def writer_failed(self, report: str | None, where: str, exc: BaseException) -> None:
        """A bug of ours (or of a plugin writing a report): recorded with its redacted traceback,
        never a verdict, and it does not stop the other writers."""
        if report:
            self.unwritten.add(report)
        trace = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        detail = str(exc).splitlines()[0] if str(exc) else ""
        self.internal_errors.append(internal_error(
            where, self.redactor.text(f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__),
            self.redactor.text(trace)))

    def _guarded(self, report: str | None, where: str, step) -> None:
        try:
            step()
        except Exception as exc:  # noqa: BLE001 - each writer is independent of the others
            self.writer_failed(report, where, exc)

    def header_lines(self) -> list[str]:
        target = "the bundled reference server" if self.settings.embedded else self.redactor.url(self.target_url or "")
        return [f"conformance: {self.profile.key} at {target}, seed {self.seed}"
                + (", dry run" if self.settings.dry_run else "")]

    def credential_warning(self) -> str | None:
        """One sentence before the first request when the provider needs a credential and none
        was given for the user's target."""
        if self.settings.embedded or self.credential or "auth" not in self.profile.data:
            return None
        auth = self.profile.auth
        where = f"the {credential_name(self.profile, self.params)} {'cookie' if auth['in'] == 'cookie' else 'header'}"
        return (f"no credential given: {self.profile.key} expects one in {where}, so the target will likely "
                "refuse every request; set CONFORMANCE_CREDENTIAL (or --conformance-credential).")

    def refused_credential(self) -> str | None:
        answers = [e["response"]["status"] for r in self.results for e in r["exchanges"]
                   if e.get("authenticated", True) and e["response"] is not None and "(sent once" not in e["note"]]
        refused = sum(1 for status in answers if status in (401, 403))
        if len(answers) < REFUSED_MINIMUM or refused <= REFUSED_SHARE * len(answers):
            return None
        with_ = " or ".join(str(s) for s in sorted({s for s in answers if s in (401, 403)}))
        place = credential_place(self.profile, self.params) if "auth" in self.profile.data else "where it goes"
        if not self.credential:
            return (f"the target refused the credential: {refused} of {len(answers)} requests meant to be "
                    f"authenticated were refused with {with_} (no credential was given; the {place} carries none)")
        which = ("every request carrying the credential" if refused == len(answers)
                 else f"{refused} of {len(answers)} requests carrying the credential")
        return (f"the target refused the credential: {which} ({place}) {'was' if refused == len(answers) else 'were'} "
                f"refused with {with_}: check the credential (CONFORMANCE_CREDENTIAL) and where it goes")

    def finish(self, exitstatus: int) -> int:
        self.finishing = True
        if exitstatus == exitcodes.INTERRUPTED and self.stopped_itself and self.stopped_by is None:
            # pytest calls a session the run stopped itself "interrupted"; the summary says why it stopped.
            exitstatus = exitcodes.NOT_CONFORMANT
        if self.settings.cleanup and exitstatus != exitcodes.USAGE:
            self._guarded(None, "the cleanup", self.clean_up)
        summary = self.summarize(exitstatus)
        if self.paths:  # a dry run writes no report (the last real one stays as it was)
            self._guarded("json", "the JSON report", lambda: write_json(self.paths["json"], summary, self.redactor))
            self._guarded(None, "the badge and the Markdown summary", lambda: self._write_ci_artifacts(summary))
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

    def place_reports(self) -> int | None:
        """After every plugin's end of session (pytest-html writes its page last of all): the
        JUnit and HTML files, written beside, redacted and renamed into place, each on its own.
        Returns the internal-error exit status when one of them failed (the JSON then says so)."""
        before = len(self.internal_errors)
        unfinished = list(self.writing.values())
        self._guarded("junit", "the JUnit report", self._finish_junit)
        self._guarded("html", "the HTML report", self._finish_html)
        for written in unfinished:  # what a failed or empty writer left beside the report: not a report
            written.unlink(missing_ok=True)
        if len(self.internal_errors) == before or self.summary is None:
            return None
        self.summary["internal_errors"] = probe_crashes(self.results) + self.internal_errors
        self.summary["exit_status"] = exitcodes.INTERNAL
        if "json" in self.paths:
            self._guarded("json", "the JSON report",
                          lambda: write_json(self.paths["json"], self.summary, self.redactor))
        return exitcodes.INTERNAL

    def _write_ci_artifacts(self, summary: dict) -> None:
        """The badge beside the reports, and the Markdown summary for the CI page."""
        from conformance.reports import badge, markdown_summary

        self.paths["badge"] = self.paths["json"].with_name(f"{self.profile.key}.svg")
        badge.write(self.paths["badge"], summary)
        if not self.settings.markdown:
            return
        names = [p.name for p in self.paths.values()]  # pytest-html may write its page after this
        text = self.redactor.text(markdown_summary.render(summary, names, markdown_summary.run_url()))
        for path in self.settings.markdown:
            try:
                markdown_summary.append(path, text)
            except OSError as exc:
                self.markdown_problem = f"could not write the Markdown summary to {path}: {exc.strerror or exc}"

    def _finish_html(self) -> None:
        """pytest-html has written its page by now, beside the report: whatever a user's probe
        logged, the secret does not stay in it, and the page is renamed into place."""
        written = self.writing.pop("html", None)
        if written is None or not written.is_file() or written.stat().st_size == 0:
            return
        text = written.read_text(encoding="utf-8")
        if self.redactor.leaks(text):
            write_atomically(self.paths["html"], self.redactor.text(text))
            written.unlink()
        else:
            os.replace(written, self.paths["html"])
        self.renamed[str(written.absolute())] = self.paths["html"].absolute()

    def _finish_junit(self) -> None:
        """CI test tabs read the suite by the provider and each case by its requirement id; where
        pytest wrote a failed call as <failure>, a check the suite could not make is an <error>,
        as in the verdicts. Every text and attribute is redacted and stripped of control
        characters (CI logs render ANSI escapes)."""
        written = self.writing.pop("junit", None)
        if written is None or not written.is_file() or written.stat().st_size == 0:
            return
        by_name = {r["nodeid"].split("::", 1)[-1]: r for r in self.results}
        tree = ET.parse(written)
        for element in tree.iter():
            element.text = element.text and self._shown(element.text)
            element.tail = element.tail and self._shown(element.tail)
            for name, value in element.attrib.items():
                element.set(name, self._shown(value))
        for suite in tree.iter("testsuite"):
            suite.set("name", self.profile.key)
        for case in tree.iter("testcase"):
            result = by_name.get(case.get("name"))
            if result is None:
                continue
            failure = case.find("failure")
            if failure is not None and result["status"] == "error":
                failure.tag = "error"
            if failure is None and result["status"] == "blocked" and case.find("skipped") is None:
                # Blocked after it ran (the credential was refused run-wide): not a pass in CI either.
                ET.SubElement(case, "skipped", {"type": "blocked", "message": self._shown(result["message"])})
            case.set("name", f"{result['requirements'][0]}: {case.get('name')}")
        text = ET.tostring(tree.getroot(), encoding="unicode")
        write_atomically(self.paths["junit"], '<?xml version="1.0" encoding="utf-8"?>' + text)
        written.unlink()
        self.renamed[str(written.absolute())] = self.paths["junit"].absolute()

    def _shown(self, text: str) -> str:
        return terminal_safe(self.redactor.text(text))

    def closing_lines(self) -> list[str]:
        s = self.summary
        if self.settings.dry_run:
            return [self._shown(line) for line in self._dry_run_lines()]
        lines = [one_line(s)]
        lines += self._gate_lines()
        lines += self._retry_lines()
        if self.cleanup_report is not None:
            c = self.cleanup_report
            lines.append(f"cleanup: removed {len(c['removed'])} of {len(c['removed']) + len(c['not_removed'])} "
                         "workspaces created" + "".join(f"; not removed {n['id']}: {n['why']}" for n in c["not_removed"][:5]))
        elif s.get("created_workspaces"):
            lines.append(f"created {len(s['created_workspaces'])} workspaces named conformance-{self.run_id}-…"
                         + ("; --conformance-cleanup removes them" if "cleanup" in self.profile.data else ""))
        if s["problem"]:
            lines.append(f"conformance: {s['problem']}; the report shows what was measured before that.")
        lines += self._internal_error_lines()
        if self.markdown_problem:
            lines.append(f"conformance: {self.markdown_problem}")
        written = ", ".join(str(p) for kind, p in self.paths.items() if p.exists() and kind not in self.unwritten)
        lines.append(f"reports: {written}")
        return [self._shown(line) for line in lines]

    def _retry_lines(self) -> list[str]:
        """What the suite retried, by status (429, 503, a documented passing 5xx), and the waits."""
        sent = [e for r in self.results for e in r["exchanges"] if "(sent once" not in e["note"]]
        counts: dict[int, int] = {}
        for e in sent:
            for status in e.get("retried_statuses", ()):
                counts[status] = counts.get(status, 0) + 1
        if not counts:
            return []
        said = ", ".join(f"{status} {n} time{'' if n == 1 else 's'}" for status, n in sorted(counts.items()))
        waited = sum(w for e in sent for w in e["retry_waits_s"])
        return [f"the target answered {said}, and the suite asked again; it waited {waited:.1f} s in all "
                f"(--conformance-max-wait {self.settings.max_wait:g})"]

    def _gate_lines(self) -> list[str]:
        from conformance.model import expectations
        from conformance.reports import baseline

        return expectations.closing_lines(self.summary) + baseline.closing_lines(self.summary)


    def _internal_error_lines(self) -> list[str]:
        errors = probe_crashes(self.results) + self.internal_errors
        if not errors:
            return []
        where = ("the traceback is in " + str(self.paths["json"])) if "json" not in self.unwritten \
            else "no JSON report was written to hold the traceback"
        return [f"{e['sentence']} ({where}; exit status {exitcodes.INTERNAL})" for e in errors[:5]] + (
            [f"… and {len(errors) - 5} more internal errors"] if len(errors) > 5 else [])

    def _dry_run_lines(self) -> list[str]:
        lines = ["dry run: nothing was sent. The run would begin with these requests "
                 "(later ones depend on the answers):"]
        for r in self.results:
            for e in r["exchanges"]:
                body = e["request"]["body"].replace("\n", " ")
                body = body if len(body) <= 100 else body[:100] + "…"
                lines.append(f"  {r['nodeid'].split('::')[-1]}: {e['request']['method']} {e['request']['url']} {body}")
        return lines


def check_report_dir(directory: Path, where: str | None) -> None:
    """A report directory that cannot take the reports is found before the first request."""
    named = f"the report directory {str(directory)!r}" + (f" (from {where})" if where else "")
    for parent in [directory, *directory.parents]:
        if parent.exists() and not parent.is_dir():
            what = "is a file" if parent == directory else f"cannot be created: {str(parent)!r} is a file"
            raise StartError(f"{named} {what}")
        if parent.exists():
            break
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=directory):
            pass
    except OSError as exc:
        raise StartError(f"{named} is not writable: {exc.strerror or exc}") from None


def _fresh_beside(path: Path) -> Path:
    """A new, empty regular file of our own in the report's directory (created exclusively, so
    nothing planted can be followed), for a writer that opens its path in place."""
    fd, name = file_beside(path, ".part")
    os.close(fd)
    return Path(name)
