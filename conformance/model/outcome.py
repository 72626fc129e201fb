"""What a probe concludes: findings against requirements, and why a check could not be made.

A probe either returns (its requirement held), raises ConformanceFailure (the target broke a
requirement: verdict *fail*), raises CheckBlocked (another requirement's breach kept the check
from being made: verdict *blocked*), or raises ProbeError (the suite could not check: verdict
*error*, or *not-run* when the request budget was spent before the probe began). A
requirement passes only when its own check ran and held.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from conformance.text import printable

PASS, FAIL, BLOCKED, ERROR, NOT_RUN = "pass", "fail", "blocked", "error", "not-run"
OUTCOMES = (FAIL, ERROR, BLOCKED, NOT_RUN, PASS)  # worst first
# A requirement's verdict is the worst verdict of its probes: one failing case fails it, and
# one case that could not be checked keeps it from passing.
SEVERITY = {FAIL: 4, ERROR: 3, BLOCKED: 2, NOT_RUN: 1, PASS: 0}


@dataclass
class Finding:
    """One broken requirement, with the expectation and what was seen instead."""

    requirement: str
    title: str
    expected: str
    observed: str
    exchange: int | None = None  # index into the probe's transcript

    def to_dict(self) -> dict:
        return {
            "requirement": self.requirement,
            "title": self.title,
            "expected": self.expected,
            "observed": self.observed,
            "exchange": self.exchange,
        }


class ConformanceFailure(AssertionError):
    """The target broke one or more requirements."""

    def __init__(self, findings: list[Finding]):
        self.findings = list(findings)
        super().__init__(self.summary())

    def summary(self) -> str:
        return "\n".join(
            f"[{f.requirement}] {f.title}: expected {f.expected}; observed {f.observed}" for f in self.findings
        )


class ProbeError(Exception):
    """The suite could not make a check (transport failure, precondition, budget)."""

    verdict = ERROR


class BudgetExhausted(ProbeError):
    """--conformance-max-requests was reached; what remains is reported as not run."""

    verdict = NOT_RUN


class CreatesLeftOut(ProbeError):
    """--conformance-max-creates left no room for the workspaces this case would create."""

    verdict = NOT_RUN


class CheckBlocked(ProbeError):
    """The probe's own check could not be made because the target broke another requirement
    first (e.g. the create it needed was refused): its requirement is *blocked*, never passed."""

    verdict = BLOCKED

    def __init__(self, by: list[str] | str, observed: str):
        self.by = [by] if isinstance(by, str) else list(by)
        self.observed = observed
        super().__init__(f"blocked by {', '.join(self.by)}: {observed}")


class DryRun(ProbeError):
    """--conformance-dry-run: the request was listed, not sent."""

    verdict = NOT_RUN


class TargetUnreachable(ProbeError):
    """The target could not be reached at all; the run stops probing."""


class TargetWentAway(TargetUnreachable):
    """The target answered earlier requests, then stopped answering: the request that took it
    down failed robustness.no-server-error where it was sent; the rest of the run is not checked."""


class WaitSpent(ProbeError):
    """The run-wide time for honouring Retry-After (--conformance-max-wait) is spent: nothing more
    is sent, and the run is INCOMPLETE. The request that met the last wait could not be checked."""

    def __init__(self, sentence: str, first: bool = True):
        self.sentence = sentence
        self.first = first  # False: a later probe, which sent nothing (not run)
        self.verdict = ERROR if first else NOT_RUN
        super().__init__(sentence)


@dataclass
class Observation:
    """What the suite saw where a document is silent (recorded, never judged)."""

    requirement: str
    text: str

    def to_dict(self) -> dict:
        return {"requirement": self.requirement, "text": self.text}


@dataclass
class ProbeResult:
    """The outcome of one probe case, in a form the reports and xdist can carry."""

    nodeid: str
    probe: str
    case: str
    requirements: list[str]
    status: str
    message: str = ""
    findings: list[dict] = field(default_factory=list)
    observations: list[dict] = field(default_factory=list)
    exchanges: list[dict] = field(default_factory=list)
    duration: float = 0.0
    unreachable: str = ""  # set when the target could not be reached at all
    stopped: str = ""  # set when the run stopped sending (the wait for a rate-limiting target is spent)
    created: list[str] = field(default_factory=list)  # ids of workspaces this probe created
    # requirement id -> this probe's outcome for it (pass only where a check ran and held)
    outcomes: dict[str, str] = field(default_factory=dict)
    # requirement id -> the requirements whose breach blocked its check
    blocked_by: dict[str, list[str]] = field(default_factory=dict)
    traceback: str = ""  # a crash of the probe itself (a bug of ours), redacted, for a bug report

    def to_dict(self) -> dict:
        """The form every report and xdist carry: text a UTF-8 file cannot hold made printable."""
        return printable(dict(self.__dict__))


def evidence_of(result: dict, finding: dict) -> dict | None:
    """The exchange a finding points at, in a result's dict form (None when it names none)."""
    index = finding.get("exchange")
    return result["exchanges"][index] if index is not None and 0 <= index < len(result["exchanges"]) else None


def worst(verdicts) -> str:
    verdicts = list(verdicts)
    return max(verdicts, key=SEVERITY.__getitem__) if verdicts else NOT_RUN
