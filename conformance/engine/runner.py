"""The probe registry and the one way a probe is run, by pytest or by the selftest."""

from __future__ import annotations

import os
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from hypothesis import configuration

from conformance.engine.checks import passive_findings
from conformance.engine.creates import UNLIMITED
from conformance.model.catalog import by_id, known
from conformance.model.outcome import (
    BLOCKED,
    ERROR,
    FAIL,
    PASS,
    CheckBlocked,
    ConformanceFailure,
    CreatesLeftOut,
    Finding,
    ProbeError,
    ProbeResult,
    TargetUnreachable,
    TargetWentAway,
    WaitSpent,
)
from conformance.model.profile import Profile
from conformance.registry import Registry, full_name

if TYPE_CHECKING:  # annotations only
    from conformance.client.target import Target
    from conformance.engine.cases import Case

REGISTRY: Registry[ProbeSpec] = Registry("probe")  # keyed module:qualname


@dataclass
class ProbeSpec:
    name: str
    function: Callable
    cases: Callable
    module: str


def probe(cases: Callable, prepare: Callable | None = None, *, creates):
    """Register a probe function and the profile-derived cases it runs with. `prepare(profile)`,
    if given, is called once before the first request of a run that selected the
    probe: imports and set-up paid there are start-up, not time between requests.
    `creates(profile, case)` names the creates a case asks for when the target behaves (see
    conformance.engine.creates: `none` for a probe that expects rejections only). It is required, so
    a new probe cannot be left out of the workspace budget by omission."""

    def decorate(function):
        function.conformance_cases = cases
        function.conformance_prepare = prepare
        function.conformance_creates = creates
        REGISTRY.add(
            full_name(function), ProbeSpec(function.__name__, function, cases, function.__module__), full_name(function)
        )
        return function

    return decorate


def share_hypothesis_cache():
    """Hypothesis builds a table of every Unicode character's category before the first
    generated body (about 3 s) and keeps it under its storage directory, `.hypothesis/` in the
    working directory by default: a fresh checkout, as in CI, paid it on every run. Unless the
    user chose a place (HYPOTHESIS_STORAGE_DIRECTORY), a chosen conformance run keeps it in the
    user's cache directory instead, built once per machine. The suite keeps no example database
    (`database=None`). The place is Hypothesis's process-wide setting: this returns the undo
    (None when nothing changed), which the plugin runs at the end of the session."""
    if os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY"):
        return None

    previous = getattr(configuration, "__hypothesis_home_directory", None)
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    configuration.set_hypothesis_home_dir(base / "workspace-conformance" / "hypothesis")
    return lambda: configuration.set_hypothesis_home_dir(previous)


def prepare_probes(functions: Iterable[Callable], profile: Profile) -> None:
    """Run each distinct `prepare` of the given probe functions once, before any request."""
    found = (getattr(function, "conformance_prepare", None) for function in functions)
    for prepare in dict.fromkeys(p for p in found if p is not None):
        try:
            prepare(profile)
        except Exception:
            pass


def execute(function: Callable, target: Target, case: Case, nodeid: str = "") -> ProbeResult:
    """Run one probe case and judge every exchange it made.

    The probe's own requirement passes only when the probe returned: its check ran and held.
    A failure raised on another requirement first (the create it needed was refused) leaves
    its own requirement *blocked* by that one, never passed."""
    target.begin()
    raised: list[Finding] = []
    own: str | None = PASS  # None: the probe makes no claim on its own requirement
    blocked_by: list[str] = []
    message, unreachable, crash_trace, stopped = "", "", "", ""
    started = time.perf_counter()
    try:
        plan_ = target.create_plan or UNLIMITED
        if not plan_.admits(full_name(function), case.id):
            raise CreatesLeftOut(f"left out: its creates do not fit --conformance-max-creates {plan_.limit}")
        function(target, case)
    except ConformanceFailure as failure:
        raised = failure.findings
        others = list(dict.fromkeys(f.requirement for f in raised if f.requirement != case.requirement))
        if any(f.requirement == case.requirement for f in raised):
            own = FAIL
        elif set(others) <= set(getattr(case, "params", {}).get("covers", ())):
            # An exploring probe that found another of the requirements it covers made no claim
            # on this one (the hand-picked probes do): it records no outcome for it.
            own = None
        else:
            own, blocked_by = BLOCKED, others
    except CheckBlocked as blocked:
        own, blocked_by, message = BLOCKED, blocked.by, f"[{case.requirement}] {blocked}"
    except TargetWentAway as problem:  # the request it went away after failed where it was sent
        own = ERROR
        message = unreachable = target.redactor.text(str(problem))
    except TargetUnreachable as problem:
        own = ERROR
        message = unreachable = target.redactor.text(f"could not reach the target: {problem}")
    except WaitSpent as problem:  # the run stops sending: INCOMPLETE, with the sentence saying why
        own, message, stopped = (
            problem.verdict,
            target.redactor.text(str(problem)),
            target.redactor.text(problem.sentence),
        )
    except ProbeError as problem:
        own, message = problem.verdict, str(problem)
    except Exception as crash:  # a bug of ours, or a target answer we did not foresee
        own, message = ERROR, f"the suite could not check this ({type(crash).__name__}: {crash})"
        crash_trace = target.redactor.text(traceback.format_exc())
    own_exchanges = [(i, e) for i, e in enumerate(target.transcript) if not getattr(e, "shared", False)]
    try:
        judged, passive = passive_findings(target.profile, own_exchanges, raised)
    except Exception as crash:  # a bug of ours: nothing these answers were judged on may pass
        judged, passive = set(), []
        own = ERROR if own == PASS else own
        message = f"the suite could not judge the answers ({type(crash).__name__}: {crash})"
        crash_trace = target.redactor.text(traceback.format_exc())
    findings = raised + passive
    outcomes = {} if own is None else {case.requirement: own}
    for rid in sorted(judged):
        outcomes.setdefault(rid, PASS)
    for finding in findings:
        outcomes[finding.requirement] = FAIL
    catalog = by_id(target.profile)
    strays = [rid for rid in outcomes if rid not in catalog]
    stray_message = ""
    if strays:  # a built-in probe named an id its catalog lacks: a bug of ours, never a new requirement
        findings = [f for f in findings if f.requirement in catalog]  # what the target broke still counts
        outcomes = {rid: outcome for rid, outcome in outcomes.items() if rid in catalog}
        if case.requirement in catalog and outcomes.get(case.requirement) != FAIL:
            outcomes[case.requirement] = ERROR
        own = ERROR
        message = stray_message = (
            f"the suite named requirements the {target.profile.key} catalog does not hold: {', '.join(strays)}"
        )
    if findings:
        message = "\n".join(
            [f"[{f.requirement}] {f.title}: expected {f.expected}; observed {f.observed}" for f in findings]
            + ([stray_message] if stray_message else [])
        )
        if own == BLOCKED:
            message += f"\n[{case.requirement}] not checked: blocked by {', '.join(blocked_by)}"
    status = FAIL if findings else own
    if status is None:  # own is None only where the probe raised findings of its own
        raise RuntimeError(f"{function.__name__}[{case.id}] raised a ConformanceFailure without findings")
    return ProbeResult(
        nodeid=nodeid or f"{function.__name__}[{case.id}]",
        probe=function.__name__,
        case=case.id,
        requirements=list(outcomes),
        status=status,
        message=target.redactor.text(message),
        findings=[f.to_dict() for f in findings],
        observations=[o.to_dict() for o in target.observations],
        exchanges=[e.to_dict() for e in target.transcript],
        duration=time.perf_counter() - started,
        unreachable=unreachable,
        stopped=stopped,
        created=target.created[target.created_before :],
        outcomes=outcomes,
        blocked_by={case.requirement: blocked_by} if own == BLOCKED else {},
        traceback=crash_trace,
    )


RUN_WIDE_NODEID = "conformance/probes/test_06_robustness.py::transient server errors, judged over the whole run"


def run_wide_results(profile: Profile, results: list[dict]) -> list[dict]:
    """Judgements no single probe can make, over every probe's exchanges (of every pytest-xdist
    worker: the controller holds them all): a passing 5xx the retries hid, where the provider
    documents retrying (`transient` in its profile)."""
    requirement = known(profile, "robustness.transient-server-errors")
    sent = [
        e
        for r in results
        for e in r["exchanges"]
        if "(sent once" not in e["note"] and (e["response"] is not None or e["error"])
    ]
    answered = [e for e in sent if e["response"] is not None]
    if requirement is None or not answered:
        return []  # nothing answered, nothing checked: the requirement is not run
    hidden = [
        e
        for e in answered
        if e["response"]["status"] < 500 and any(status >= 500 for status in e.get("retried_statuses", ()))
    ]
    findings, message = [], ""
    if hidden:
        counts: dict[int, int] = {}
        for e in hidden:
            for status in sorted({s for s in e["retried_statuses"] if s >= 500}):
                counts[status] = counts.get(status, 0) + 1
        said = " and ".join(f"{status} to {n}" for status, n in sorted(counts.items()))
        finding = Finding(
            requirement,
            "a create is not answered with a passing 5xx that succeeds on retry",
            "an answer at the first sending",
            f"answered {said} of {len(sent)} requests; each succeeded on retry",
            0,
        )
        findings = [finding.to_dict()]
        message = f"[{requirement}] {finding.title}: expected {finding.expected}; observed {finding.observed}"
    return [
        ProbeResult(
            nodeid=RUN_WIDE_NODEID,
            probe="transient_server_errors",
            case="run",
            requirements=[requirement],
            status=FAIL if hidden else PASS,
            message=message,
            findings=findings,
            exchanges=[
                {**e, "note": f"{e['note']} (sent once, by its probe; shown again here)".lstrip()} for e in hidden[:1]
            ],
            outcomes={requirement: FAIL if hidden else PASS},
        ).to_dict()
        | {"run_wide": True}
    ]
