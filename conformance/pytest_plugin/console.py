"""What a run says on the console: its first lines (the URL it POSTs to, before anything is
sent) and its closing lines (the verdict, the gate, what it retried, created and wrote).

Every hint names options as the user in front of the run spells them (`options.spelled`):
`--cleanup` under `conformance run`, `--conformance-cleanup` under pytest."""

from __future__ import annotations

from urllib.parse import urlsplit

from conformance import exitcodes
from conformance.model import expectations
from conformance.model.auth import credential_name
from conformance.options import flag_name, spelled
from conformance.reports import baseline
from conformance.reports.summary import one_line, probe_crashes
from conformance.text import terminal_safe


def first_lines(run) -> list[str]:
    """The URL the suite POSTs to, first of all, then what was said about the options."""
    where = " (the bundled reference server)" if run.settings.embedded else ""
    lines = [
        f"conformance: {run.profile.key}: {run.profile.method} {run.endpoint_url()}{where}, "
        f"seed {run.seed}" + (", dry run" if run.settings.dry_run else "")
    ]
    if run.trimmed_path:
        lines.append(
            f"conformance: {flag_name('conformance_target_url')} already ends with the documented path "
            f"{run.profile.path}; it is not appended again"
        )
    elif run.target_url and _unexpected_path(run.target_url, run.profile.base_path):
        # A near miss of the endpoint (`/v1/organization/workspaces`, a typo) is otherwise seen
        # only in the URL above, or when the creates come back 404.
        lines.append(
            f"conformance: note: {flag_name('conformance_target_url')} has the path "
            f"{urlsplit(run.target_url).path}, taken as a base URL: the suite appends the documented path "
            f"{run.profile.path} to it (the URL above); give the endpoint's full URL if that is not meant"
        )
    lines += [f"conformance: warning: {w}" for w in run.settings.warnings]
    return [shown(run, line) for line in lines]


def _unexpected_path(url: str, base_path: str) -> bool:
    path = urlsplit(url).path.rstrip("/")
    return path not in ("", base_path)


def header_lines(run) -> list[str]:
    """pytest's header block (without -q): the values that matter for reading the run."""
    return [f"conformance: provider {run.profile.key}, seed {run.seed}" + (", dry run" if run.settings.dry_run else "")]


def credential_warning(run) -> str | None:
    """One sentence before the first request when the provider needs a credential and none
    was given for the user's target."""
    if run.settings.embedded or run.credential or "auth" not in run.profile.data:
        return None
    auth = run.profile.auth
    where = f"the {credential_name(run.profile, run.params)} {'cookie' if auth['in'] == 'cookie' else 'header'}"
    return (
        f"no credential given: {run.profile.key} expects one in {where}, so the target will likely "
        f"refuse every request; set CONFORMANCE_CREDENTIAL (or {flag_name('conformance_credential')})."
    )


def closing_lines(run) -> list[str]:
    s = run.summary
    if run.settings.dry_run:
        return [shown(run, line) for line in _dry_run_lines(run)]
    lines = [one_line(s)]
    lines += _gate_lines(run)
    lines += _retry_lines(run)
    if run.cleanup_report is not None:
        c = run.cleanup_report
        lines.append(
            f"cleanup: removed {len(c['removed'])} of {len(c['removed']) + len(c['not_removed'])} "
            "workspaces created" + "".join(f"; not removed {n['id']}: {n['why']}" for n in c["not_removed"][:5])
        )
    elif s.get("created_workspaces"):
        lines.append(
            f"created {len(s['created_workspaces'])} workspaces named conformance-{run.run_id}-…"
            + (f"; {flag_name('conformance_cleanup')} removes them" if "cleanup" in run.profile.data else "")
        )
    if s["problem"]:
        measured = any(e["response"] is not None for r in run.results for e in r["exchanges"])
        lines.append(
            f"conformance: {s['problem']}" + ("; the report shows what was measured before that." if measured else ".")
        )
    lines += _internal_error_lines(run)
    if run.markdown_problem:
        lines.append(f"conformance: {run.markdown_problem}")
    written = ", ".join(str(p) for kind, p in run.paths.items() if p.exists() and kind not in run.unwritten)
    lines.append(f"reports: {written}")
    return [shown(run, line) for line in lines]


def shown(run, text: str) -> str:
    return terminal_safe(run.redactor.text(spelled(text)))


def _retry_lines(run) -> list[str]:
    """What the suite retried, by status (429, 503, a documented passing 5xx), and the waits."""
    sent = [e for r in run.results for e in r["exchanges"] if "(sent once" not in e["note"]]
    counts: dict[int, int] = {}
    for e in sent:
        for status in e.get("retried_statuses", ()):
            counts[status] = counts.get(status, 0) + 1
    if not counts:
        return []
    said = ", ".join(f"{status} {n} time{'' if n == 1 else 's'}" for status, n in sorted(counts.items()))
    waited = sum(w for e in sent for w in e["retry_waits_s"])
    return [
        f"the target answered {said}, and the suite asked again; it waited {waited:.1f} s in all "
        f"({flag_name('conformance_max_wait')} {run.settings.max_wait:g})"
    ]


def _gate_lines(run) -> list[str]:
    gate = run.summary.get("gate")
    expected = []
    if gate and gate["expected"]:
        rows = {r["id"]: r for r in run.summary["requirements"]}
        expected = [
            f"expected failures (excused by {gate['expectations']}): "
            + "; ".join(f"{rid} ({rows[rid]['expectation']['reason']})" for rid in gate["expected"])
        ]
    return expected + expectations.closing_lines(run.summary) + baseline.closing_lines(run.summary)


def _internal_error_lines(run) -> list[str]:
    errors = probe_crashes(run.results) + run.internal_errors
    if not errors:
        return []
    where = (
        ("the traceback is in " + str(run.paths["json"]))
        if "json" not in run.unwritten
        else "no JSON report was written to hold the traceback"
    )
    return [f"{e['sentence']} ({where}; exit status {exitcodes.INTERNAL})" for e in errors[:5]] + (
        [f"… and {len(errors) - 5} more internal errors"] if len(errors) > 5 else []
    )


def _dry_run_lines(run) -> list[str]:
    lines = ["dry run: nothing was sent. The run would begin with these requests (later ones depend on the answers):"]
    for r in run.results:
        for e in r["exchanges"]:
            body = e["request"]["body"].replace("\n", " ")
            body = body if len(body) <= 100 else body[:100] + "…"
            lines.append(f"  {r['nodeid'].split('::')[-1]}: {e['request']['method']} {e['request']['url']} {body}")
    return lines
