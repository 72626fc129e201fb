"""The run's report files: where they go, the files pytest and pytest-html write beside them,
and the finishing (redaction, the JUnit reading of outcomes) and renaming into place at the end.

Every function takes the session's `Run`; the paths it chose stay on it (`run.paths`,
`run.writing`, `run.renamed`), so two sessions in one process stay apart."""

from __future__ import annotations

import os
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conformance import exitcodes
from conformance.reports import badge, har, markdown_summary
from conformance.reports.summary import file_beside, probe_crashes, write_atomically, write_json
from conformance.text import terminal_safe


class StartError(RuntimeError):
    """Something local keeps the run from starting (a report directory that cannot take the
    reports, no reference server for a user's provider): one sentence, a usage error."""


def point_reports(run, config) -> None:
    out = Path(run.settings.report_dir)
    check_report_dir(out, run.settings.sources.get("conformance_report_dir"))
    key = run.profile.key
    run.paths = {"json": out / f"{key}.json", "junit": out / f"{key}.junit.xml", "html": out / f"{key}.html"}
    if not config.option.xmlpath:
        config.option.xmlpath = str(run.paths["junit"])
    run.paths["junit"] = Path(config.option.xmlpath)
    if hasattr(config.option, "htmlpath"):
        if not config.option.htmlpath:
            config.option.htmlpath = str(run.paths["html"])
            config.option.self_contained_html = True
        run.paths["html"] = Path(config.option.htmlpath)
    if run.settings.har:
        run.paths["har"] = Path(run.settings.har)
    # pytest and pytest-html open their files in place, following a symlink someone planted
    # there and leaving half a file if stopped mid-write: each writes a fresh file of ours
    # beside the report instead, renamed over the report (never through it) at the end.
    run.writing["junit"] = fresh_beside(run.paths["junit"])
    config.option.xmlpath = str(run.writing["junit"])
    if "html" in run.paths and hasattr(config.option, "htmlpath"):
        run.writing["html"] = fresh_beside(run.paths["html"])
        config.option.htmlpath = str(run.writing["html"])


def write_own_reports(run, summary: dict) -> None:
    """Our own writers, each on its own: the JSON verdicts, the HAR, the badge and the Markdown."""
    if "har" in run.paths:  # before the JSON, which then records a failure of it
        before = len(run.internal_errors)
        run.guarded("har", "the HAR file", lambda: har.write(run.paths["har"], run.results, run, run.redactor))
        summary["internal_errors"] = [*summary["internal_errors"], *run.internal_errors[before:]]
    run.guarded("json", "the JSON report", lambda: write_json(run.paths["json"], summary, run.redactor))
    run.guarded(None, "the badge and the Markdown summary", lambda: write_ci_artifacts(run, summary))


def place_reports(run) -> int | None:
    """After every plugin's end of session (pytest-html writes its page last of all): the
    JUnit and HTML files, written beside, redacted and renamed into place, each on its own.
    Returns the internal-error exit status when one of them failed (the JSON then says so)."""
    before = len(run.internal_errors)
    unfinished = list(run.writing.values())
    run.guarded("junit", "the JUnit report", run._finish_junit)  # through the run: a test can break one step
    run.guarded("html", "the HTML report", run._finish_html)
    for written in unfinished:  # what a failed or empty writer left beside the report: not a report
        written.unlink(missing_ok=True)
    if len(run.internal_errors) == before or run.summary is None:
        return None
    run.summary["internal_errors"] = probe_crashes(run.results) + run.internal_errors
    run.summary["exit_status"] = exitcodes.INTERNAL
    if "json" in run.paths:
        run.guarded("json", "the JSON report", lambda: write_json(run.paths["json"], run.summary, run.redactor))
    return exitcodes.INTERNAL


def write_ci_artifacts(run, summary: dict) -> None:
    """The badge beside the reports, and the Markdown summary for the CI page."""
    run.paths["badge"] = run.paths["json"].with_name(f"{run.profile.key}.svg")
    badge.write(run.paths["badge"], summary)
    if not run.settings.markdown:
        return
    names = [p.name for p in run.paths.values()]  # pytest-html may write its page after this
    text = run.redactor.text(markdown_summary.render(summary, names, markdown_summary.run_url()))
    for path in run.settings.markdown:
        try:
            markdown_summary.append(path, text)
        except OSError as exc:
            run.markdown_problem = f"could not write the Markdown summary to {path}: {exc.strerror or exc}"


def finish_html(run) -> None:
    """pytest-html has written its page by now, beside the report: whatever a user's probe
    logged, the secret does not stay in it, and the page is renamed into place."""
    written = run.writing.pop("html", None)
    if written is None or not written.is_file() or written.stat().st_size == 0:
        return
    text = written.read_text(encoding="utf-8")
    if run.redactor.leaks(text):
        write_atomically(run.paths["html"], run.redactor.text(text))
        written.unlink()
    else:
        os.replace(written, run.paths["html"])
    run.renamed[str(written.absolute())] = run.paths["html"].absolute()


def finish_junit(run) -> None:
    """CI test tabs read the suite by the provider and each case by its requirement id; where
    pytest wrote a failed call as <failure>, a check the suite could not make is an <error>,
    as in the verdicts; an expected failure is pytest's xfail, a <skipped> with its reason.
    Every text and attribute is redacted and stripped of control characters (CI logs render
    ANSI escapes)."""
    written = run.writing.pop("junit", None)
    if written is None or not written.is_file() or written.stat().st_size == 0:
        return

    def shown(text: str) -> str:
        return terminal_safe(run.redactor.text(text))

    by_name = {r["nodeid"].split("::", 1)[-1]: r for r in run.results}
    tree = ET.parse(written)
    for element in tree.iter():
        element.text = element.text and shown(element.text)
        element.tail = element.tail and shown(element.tail)
        for name, value in element.attrib.items():
            element.set(name, shown(value))
    for suite in tree.iter("testsuite"):
        suite.set("name", run.profile.key)
    for case in tree.iter("testcase"):
        result = by_name.get(case.get("name"))
        if result is None:
            continue
        failure = case.find("failure")
        if failure is not None and result["status"] == "error":
            failure.tag = "error"
        if failure is None and result["status"] == "blocked" and case.find("skipped") is None:
            # Blocked after it ran (the credential was refused run-wide): not a pass in CI either.
            ET.SubElement(case, "skipped", {"type": "blocked", "message": shown(result["message"])})
        case.set("name", f"{result['requirements'][0]}: {case.get('name')}")
    text = ET.tostring(tree.getroot(), encoding="unicode")
    write_atomically(run.paths["junit"], '<?xml version="1.0" encoding="utf-8"?>' + text)
    written.unlink()
    run.renamed[str(written.absolute())] = run.paths["junit"].absolute()


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


def fresh_beside(path: Path) -> Path:
    """A new, empty regular file of our own in the report's directory (created exclusively, so
    nothing planted can be followed), for a writer that opens its path in place."""
    fd, name = file_beside(path, ".part")
    os.close(fd)
    return Path(name)


class ReportPlacer:
    """Registered on the controller: wraps every end-of-session hook, pytest-html's (which
    writes its page last of all) included."""

    def __init__(self, run):
        self.run = run

    @pytest.hookimpl(hookwrapper=True)
    def pytest_sessionfinish(self, session):
        yield
        status = self.run.place_reports()
        if status is not None:
            session.exitstatus = status
        _name_reports_where_they_are(session.config, self.run.renamed)


def _name_reports_where_they_are(config, renamed: dict) -> None:
    """pytest ("generated xml file: ...") and pytest-html ("Generated html report: ...") name
    the file they wrote in their closing line; it has been renamed into place since. Neither
    offers a way to change the name, so their attributes are set where they are found."""
    for plugin in config.pluginmanager.get_plugins():
        for attribute in ("logfile", "_report_path"):
            written = getattr(plugin, attribute, None)
            if isinstance(written, (str, os.PathLike)) and str(os.path.abspath(written)) in renamed:
                final = renamed[str(os.path.abspath(written))]
                setattr(plugin, attribute, final if isinstance(written, os.PathLike) else str(final))
