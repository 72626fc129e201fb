"""What pytest reports of each probe: redacted and spelled for the interface in use, with the
evidence pytest-html shows under it, an expected failure turned into pytest's xfail, and a
user's own probe's outcome read from its report."""

from __future__ import annotations

import traceback

from pytest_html import extras

from conformance.model.expectations import today
from conformance.model.outcome import ERROR, FAIL, NOT_RUN, PASS, Finding, ProbeError, ProbeResult
from conformance.options import spelled
from conformance.reports.html_evidence import extras_for
from conformance.reports.summary import outcome_for
from conformance.settings import Settings
from conformance.text import printable, terminal_safe


def expected_by(result: dict, settings: Settings) -> str | None:
    """The expectations file's reason when every requirement this probe did not pass has an
    expectation of just that outcome, still in date; otherwise None."""
    if not settings.expectations or result["status"] not in (FAIL, ERROR):
        return None

    touched = {*result["requirements"], *result.get("outcomes", {}), *(f["requirement"] for f in result["findings"])}
    missed = {rid: outcome_for(result, rid) for rid in touched}
    missed = {rid: outcome for rid, outcome in missed.items() if outcome != PASS}
    reasons = []
    for rid, outcome in missed.items():
        expectation = settings.expectations.get(rid)
        if expectation is None or expectation.outcome != outcome or expectation.expired(today()):
            return None
        reasons.append(f"{rid}: {expectation.reason}")
    return f"expected by {settings.expectations_file}: " + "; ".join(reasons) if reasons else None


def attach_evidence(item, report, result, redactor) -> None:
    """pytest-html shows `report.extras` under the row: the failed probe's evidence."""
    if not item.config.pluginmanager.hasplugin("html"):
        return

    evidence = extras_for(result)
    if evidence:
        report.extras = [*getattr(report, "extras", []), extras.html(redactor.text(evidence))]


def failed_writer(exc: BaseException) -> tuple[str | None, str]:
    """Which report a plugin's end-of-session failure cost: read from where it was raised."""
    files = [frame.filename.replace("\\", "/") for frame in traceback.extract_tb(exc.__traceback__)]
    for fragment, report, where in (
        ("/pytest_html/", "html", "the HTML report (pytest-html)"),
        ("/_pytest/junitxml", "junit", "the JUnit report (pytest junitxml)"),
    ):
        if any(fragment in name for name in files):
            return report, where
    return None, "a plugin's end-of-session step"


def redact_report(report, redactor) -> None:
    """Whatever a probe (ours or a user's) printed or asserted, the secret never leaves, and
    text no UTF-8 report can hold (a lone surrogate) is made printable, and a target's control
    characters (ANSI escapes) reach neither the terminal nor the JUnit file."""
    if isinstance(report.longrepr, tuple) and len(report.longrepr) == 3:  # a skip: (path, line, reason)
        path, line, reason = report.longrepr
        report.longrepr = (path, line, terminal_safe(redactor.text(spelled(str(reason)))))
        shown = None
    else:
        shown = None if report.longrepr is None else str(report.longrepr)
    if shown is not None:
        safe = terminal_safe(redactor.text(spelled(shown)))
        if safe != shown:
            report.longrepr = safe
    report.sections = [(terminal_safe(title), terminal_safe(redactor.text(text))) for title, text in report.sections]


def user_probe_result(item, report, run, call) -> dict:
    """A user's own test that used the `target` fixture: its requirement comes from
    @pytest.mark.requirement("id", level="MUST", title="..."), else `custom.<test name>`."""
    marker = item.get_closest_marker("requirement")
    rid = marker.args[0] if marker and marker.args else f"{run.profile.key}.custom.{item.name}"
    status = {"passed": PASS, "failed": FAIL, "skipped": NOT_RUN}[report.outcome]
    stopped = call.excinfo.value if call.excinfo is not None else None
    if isinstance(stopped, ProbeError):  # the suite stopped it (budget spent, dry run): no verdict on the target
        status = stopped.verdict
    target = run.target()
    message = run.redactor.text(str(report.longrepr)) if report.failed else ""
    findings = (
        [
            Finding(
                rid,
                item.name,
                "the test's assertions hold",
                message.strip().splitlines()[-1] if message.strip() else "failed",
                len(target.transcript) - 1 if target.transcript else None,
            )
        ]
        if report.failed
        else []
    )
    result = ProbeResult(
        nodeid=item.nodeid,
        probe=item.name,
        case="",
        requirements=[rid],
        status=status,
        message=message,
        findings=[f.to_dict() for f in findings] if status == FAIL else [],
        created=target.created[target.created_before :],
        exchanges=[e.to_dict() for e in target.transcript],
        duration=report.duration,
        outcomes={rid: status},
    )
    level = marker.kwargs.get("level", "MUST") if marker else "MUST"
    title = marker.kwargs.get("title", item.name) if marker else item.name
    return {**result.to_dict(), "custom": printable({"level": level, "title": title})}
