"""The probe registry and the one way a probe is run, by pytest or by the selftest engine."""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

from .checks import passive_findings
from .verdict import ERROR, FAIL, PASS, ConformanceFailure, ProbeError, ProbeResult, TargetUnreachable

REGISTRY: dict[str, "ProbeSpec"] = {}


@dataclass
class ProbeSpec:
    name: str
    function: Callable
    cases: Callable
    module: str


def probe(cases: Callable, prepare: Callable | None = None):
    """Register a probe function and the profile-derived cases it runs with. `prepare(profile)`,
    if given, is called once before the first request of a run that selected the
    probe: imports and set-up paid there are start-up, not time between requests."""
    def decorate(function):
        function.conformance_cases = cases
        function.conformance_prepare = prepare
        REGISTRY[function.__name__] = ProbeSpec(function.__name__, function, cases, function.__module__)
        return function
    return decorate


def prepare_probes(functions, profile) -> None:
    """Run each distinct `prepare` of the given probe functions once, before any request."""
    found = (getattr(function, "conformance_prepare", None) for function in functions)
    for prepare in dict.fromkeys(p for p in found if p is not None):
        try:
            prepare(profile)
        except Exception:  # noqa: BLE001 - the probe meets the same error when it runs, and reports it
            pass


def execute(function: Callable, target, case, nodeid: str = "") -> ProbeResult:
    """Run one probe case and judge every exchange it made."""
    target.begin()
    findings, status, message, unreachable = [], PASS, "", ""
    unchecked: list[str] = []
    created_before = len(target.created)
    started = time.perf_counter()
    try:
        function(target, case)
    except ConformanceFailure as failure:
        findings = failure.findings
    except TargetUnreachable as problem:
        status = ERROR
        message = unreachable = target.redactor.text(f"could not reach the target: {problem}")
    except ProbeError as problem:
        status, message = problem.verdict, target.redactor.text(str(problem))
        unchecked = [case.requirement]
    except Exception as crash:  # a bug of ours, or a target answer we did not foresee
        status, message = ERROR, target.redactor.text(f"{type(crash).__name__}: {crash}")
    own = [(i, e) for i, e in enumerate(target.transcript) if not getattr(e, "shared", False)]
    judged, passive = passive_findings(target.profile, own, findings)
    findings = findings + passive
    if findings:
        status = FAIL
        message = "\n".join(
            [f"[{f.requirement}] {f.title}: expected {f.expected}; observed {f.observed}" for f in findings]
            + ([message] if unchecked and message else []))
    # A probe touches its own requirement, whatever it found, and every requirement the
    # passive checks judged on its exchanges (so "no 5xx" is credited where it was checked).
    touched = [case.requirement] + [f.requirement for f in findings] + sorted(judged)
    return ProbeResult(
        nodeid=nodeid or f"{function.__name__}[{case.id}]",
        probe=function.__name__,
        case=case.id,
        requirements=list(dict.fromkeys(touched)),
        status=status,
        message=target.redactor.text(message),
        findings=[f.to_dict() for f in findings],
        observations=[o.to_dict() for o in target.observations],
        exchanges=[e.to_dict() for e in target.transcript],
        duration=time.perf_counter() - started,
        unreachable=unreachable,
        created=target.created[created_before:],
        unchecked=unchecked if status == FAIL else [],
    )

