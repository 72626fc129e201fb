"""One conformance run: its target (embedded reference server or the user's), its budget,
the probe results it gathers, and the reports and exit status it ends with."""
from __future__ import annotations

import os
import secrets
import shutil
import tempfile
import time
import xml.etree.ElementTree as ET
from datetime import datetime, timezone
from pathlib import Path

from . import __version__, exitcodes
from .client import Budget, Slots, Target
from .settings import Settings
from .transcript import Redactor
from .verdicts import one_line, summarize, write_atomically, write_json

_ACTIVE: "Run | None" = None


class StartError(RuntimeError):
    pass


def collect(result: dict) -> None:
    if _ACTIVE is not None:
        _ACTIVE.results.append(result)


class Run:
    def __init__(self, settings: Settings, worker: dict | None = None, seed=None):
        global _ACTIVE
        _ACTIVE = self
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
        self.slots_dir: str | None = None
        self.cleanup_report: dict | None = None
        self.create_plan = None
        if worker:  # an xdist worker: the controller decided all of this
            self.target_url = worker["conformance_target_url"]
            self.credential = worker["conformance_credential"]
            self.params = worker["conformance_params"]
            self.run_id = f"{worker['conformance_run_id']}{worker.get('workerid', 'w')}"
            self.seed = worker["conformance_seed"]
            self.budget_file = worker["conformance_budget_file"]
            self.slots_dir = worker["conformance_slots_dir"]
        if self.seed is None:
            self.seed = secrets.randbelow(2**32)
        self.redactor = Redactor(self.credential)

    # -- lifecycle ------------------------------------------------------------------
    def point_reports(self, config) -> None:
        out = Path(self.settings.report_dir)
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

    def start(self) -> None:
        if self.target_url is not None:
            return
        from .reference import provider_module
        from .reference.serving import ServerThread, base_url, provider_app

        self.credential = self.credential or secrets.token_urlsafe(18)
        self.redactor = Redactor(self.credential)
        try:
            module = provider_module(self.profile.key)
        except KeyError:
            raise StartError(f"there is no bundled reference server for {self.profile.key!r}: give --target-url") from None
        self.params = {**module.TARGET_PARAMS, **self.params}
        self.server = ServerThread(provider_app(self.profile.key, self.credential))
        self.target_url = base_url(self.server.start(), self.profile.key)

    def worker_input(self) -> dict:
        if self.settings.max_requests is not None and self.budget_file is None:
            fd, self.budget_file = tempfile.mkstemp(prefix="conformance-budget-")
            os.close(fd)
        if self.slots_dir is None:
            self.slots_dir = tempfile.mkdtemp(prefix="conformance-slots-")
        return {"conformance_budget_file": self.budget_file, "conformance_slots_dir": self.slots_dir,"conformance_target_url": self.target_url, "conformance_credential": self.credential,
                "conformance_params": self.params, "conformance_run_id": self.run_id,
                "conformance_seed": self.seed}

    def target(self) -> Target:
        if self._target is None:
            self._target = Target(self.profile, self.target_url, self.credential, self.params,
                                  run_id=self.run_id, budget=Budget(self.settings.max_requests, self.budget_file),
                                  timeout=self.settings.timeout, dry_run=self.settings.dry_run,
                                  slots=Slots(self.settings.max_concurrency, self.slots_dir),
                                  examples=self.settings.examples, hypothesis_seed=self.seed)
        return self._target

    def plan_creates(self, pairs) -> None:
        """Which selected cases the workspace budget (--conformance-max-creates) admits."""
        from .creates import plan

        self.create_plan = plan(pairs, self.profile, self.settings.max_creates)
        self.target().create_plan = self.create_plan

    def stop(self) -> None:
        if self._target is not None:
            self._target.close()
        if self.server is not None:
            self.server.stop()
            self.server = None
        if not self.worker:
            if self.budget_file:
                Path(self.budget_file).unlink(missing_ok=True)
            if self.slots_dir:
                shutil.rmtree(self.slots_dir, ignore_errors=True)

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
        }

    def summarize(self, exitstatus: int = 0) -> dict:
        unreachable = next((r["unreachable"] for r in self.results if r.get("unreachable")), None)
        interrupted = "the run was interrupted before every probe ran" if exitstatus == exitcodes.INTERRUPTED else None
        self.summary = summarize(self.profile, self.results, fail_on=self.settings.fail_on, meta=self.meta(),
                                 unreachable=unreachable, interrupted=interrupted)
        self.summary["created_workspaces"] = self.created()
        self.summary["workspaces_created"] = len(self.summary["created_workspaces"])
        if self.create_plan is not None:
            self.summary["create_budget"] = self.create_plan.to_dict()
        if self.cleanup_report is not None:
            self.summary["cleanup"] = self.cleanup_report
        if self.settings.dry_run:
            self.summary["dry_run"] = True
        return self.summary

    def created(self) -> list[str]:
        return [i for r in self.results for i in r.get("created", [])]

    def clean_up(self) -> None:
        """--cleanup: remove what the run created, by the provider's documented means."""
        from .cleanup import remove_all

        self.cleanup_report = remove_all(self.target(), self.created())

    def finish(self, exitstatus: int) -> int:
        if self.settings.cleanup and exitstatus != exitcodes.USAGE:
            self.clean_up()
        summary = self.summarize(exitstatus)
        write_json(self.paths["json"], summary)
        self._mark_junit_errors()
        self._redact_html()
        if self.settings.dry_run:
            return exitcodes.OK if exitstatus in (exitcodes.OK, exitcodes.NO_TESTS) else exitstatus
        if summary["exit_status"] == exitcodes.UNREACHABLE:
            return exitcodes.UNREACHABLE  # even though we stopped the session ourselves
        if exitstatus in (exitcodes.INTERRUPTED, exitcodes.INTERNAL, exitcodes.USAGE):
            return exitstatus
        if not self.results and exitstatus == exitcodes.NO_TESTS:
            return exitstatus
        return summary["exit_status"]

    def _redact_html(self) -> None:
        """pytest-html has written its page by now; whatever a user's probe logged, the secret
        does not stay in it (and the rewrite is atomic, like every report of ours)."""
        path = self.paths.get("html")
        if not path or not path.is_file() or not self.redactor.secret:
            return
        text = path.read_text(encoding="utf-8")
        if self.redactor.secret in text:
            write_atomically(path, self.redactor.text(text))

    def _mark_junit_errors(self) -> None:
        """pytest writes every failed call as <failure>; a check the suite could not make is an
        <error> in the verdicts, and CI test tabs should say so too."""
        path = self.paths.get("junit")
        errors = {r["nodeid"].split("::", 1)[-1] for r in self.results if r["status"] == "error"}
        if not path or not path.is_file() or not errors:
            return
        tree = ET.parse(path)
        for case in tree.iter("testcase"):
            failure = case.find("failure")
            if failure is not None and case.get("name") in errors:
                failure.tag = "error"
        text = ET.tostring(tree.getroot(), encoding="unicode")
        write_atomically(path, '<?xml version="1.0" encoding="utf-8"?>' + text)

    def closing_lines(self) -> list[str]:
        s = self.summary
        if self.settings.dry_run:
            return self._dry_run_lines()
        lines = [one_line(s)]
        waits = [w for r in self.results for e in r["exchanges"] for w in e["retry_waits_s"]]
        if waits:
            lines.append(f"the target asked the suite to slow down {len(waits)} times; it waited {sum(waits):.1f} s in all")
        if self.cleanup_report is not None:
            c = self.cleanup_report
            lines.append(f"cleanup: removed {len(c['removed'])} of {len(c['removed']) + len(c['not_removed'])} "
                         "workspaces created" + "".join(f"; not removed {n['id']}: {n['why']}" for n in c["not_removed"][:5]))
        elif s.get("created_workspaces"):
            lines.append(f"created {len(s['created_workspaces'])} workspaces named conformance-{self.run_id}-…"
                         + ("; --cleanup removes them" if "cleanup" in self.profile.data else ""))
        if s["problem"]:
            lines.append(f"conformance: {s['problem']}; the report shows what was measured before that.")
        written = ", ".join(str(p) for p in self.paths.values() if p.exists())
        lines.append(f"reports: {written}")
        return lines


    def _dry_run_lines(self) -> list[str]:
        lines = ["dry run: nothing was sent. The run would begin with these requests "
                 "(later ones depend on the answers):"]
        for r in self.results:
            for e in r["exchanges"]:
                body = e["request"]["body"].replace("\n", " ")
                body = body if len(body) <= 100 else body[:100] + "…"
                lines.append(f"  {r['nodeid'].split('::')[-1]}: {e['request']['method']} {e['request']['url']} {body}")
        return lines

