"""Running a Hypothesis strategy against a live target, inside the suite's bounds.

Each example costs one request from the budget, and no more than `allowance` are sent per
probe; what Hypothesis asks for beyond that (late shrinking) is treated as passing without
being sent. Answers are memoised by payload, so the replay of the smallest failing body reads
the memo instead of sending it again, and a target is never asked the same thing twice.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from hypothesis import HealthCheck, Phase, Verbosity, example, given, seed, settings
from hypothesis.errors import Flaky

from conformance.engine.checks import (
    describe,
    expect_created,
    expect_equal,
    expect_no_server_error,
    expect_null_rejected_or_absent,
    expect_rejected,
    index_of,
)
from conformance.engine.strategies import LONE_SURROGATE, NULL_OPTIONAL
from conformance.model.catalog import rid
from conformance.model.outcome import NOT_RUN, CheckBlocked, ConformanceFailure, Finding, ProbeError
from conformance.model.profile import ABSENT, value_at
from conformance.model.request_requirements import request_properties
from conformance.model.statuses import status_allowed

if TYPE_CHECKING:  # annotations only
    from conformance.client.target import Target


class GenerationOff(ProbeError):
    """--conformance-examples 0: the generated probes are listed but not run."""

    verdict = NOT_RUN


class _Counterexample(Exception):
    def __init__(self, findings: list[Finding]):
        super().__init__("counterexample")
        self.findings = findings


class GeneratedRun:
    def __init__(self, target: Target, strategy, judge, label: str, explicit=(), max_sent: int | None = None):
        """`max_sent`: a hard cap on requests (the workspaces the create budget leaves)."""
        self.target, self.strategy, self.judge, self.label = target, strategy, judge, label
        self.explicit = list(explicit)[:max_sent]  # tried first, every run, whatever the seed
        self.examples = target.examples
        # Room for the examples and a short shrink; never an open-ended loop against a live target.
        self.allowance = len(self.explicit) + self.examples + max(10, self.examples // 2)
        if max_sent is not None:
            self.allowance = min(self.allowance, max_sent)
            if self.examples > 0:  # 0 keeps generation off
                self.examples = min(self.examples, max(1, max_sent - len(self.explicit)))
        self.sent = 0
        self.accepted_kinds: set[tuple[str, str]] = set()  # (field, kind) breaks the target accepted
        self.unsent_kinds: set[str] = set()  # breaks the workspace budget has no room for
        self.memo: dict[str, list[Finding] | None] = {}
        self.stopped: ProbeError | None = None
        self.last = None  # the exchange of the body being judged

    def run(self) -> None:
        if self.examples <= 0:
            raise GenerationOff("generated probes are off (--conformance-examples 0)")

        def judged_example(drawn: object) -> None:
            findings = self._judged(drawn)
            if findings:
                raise _Counterexample(findings)

        test = judged_example
        for drawn in reversed(self.explicit):
            test = example(drawn)(test)
        generated = settings(
            max_examples=self.examples,
            database=None,
            deadline=None,
            derandomize=False,
            suppress_health_check=list(HealthCheck),
            verbosity=Verbosity.quiet,
            report_multiple_bugs=False,
            print_blob=False,
            phases=(Phase.explicit, Phase.generate, Phase.shrink),
        )(seed(self.target.hypothesis_seed)(given(self.strategy)(test)))

        try:
            generated()
        except _Counterexample as found:
            raise ConformanceFailure([self._explained(f) for f in found.findings]) from None
        except Flaky:
            # The answers are memoised, so a replay reads what the target said the first time;
            # should Hypothesis still find them inconsistent, what the target broke stands.
            memoised = next((f for f in self.memo.values() if f), None)
            if memoised is None:
                raise ProbeError(
                    f"Hypothesis found the answers to {self.label} inconsistent when it replayed "
                    f"them (after {self.sent} generated requests)"
                ) from None
            raise ConformanceFailure([self._explained(f, shrunk=False) for f in memoised]) from None
        if self.stopped is not None:
            stopped = self.stopped  # raised as it is (its kind and fields say why), with the count
            stopped.args = (f"{stopped} (after {self.sent} generated requests)",)
            raise stopped
        if not self.sent:
            raise ProbeError(f"no {self.label} could be sent: every one drawn was set aside")

    def send(self, body):
        self.sent += 1
        self.last = self.target.create(body, note=f"generated: {self.label}")
        return self.last

    def _judged(self, drawn):
        key = json.dumps(drawn, sort_keys=True, default=repr)  # ASCII escapes keep surrogates apart
        if key in self.memo:
            return self.memo[key]
        if self.stopped is not None or self.sent >= self.allowance:
            return None
        self.last = None
        try:
            self.judge(self, drawn)
            outcome = None
        except ConformanceFailure as failure:
            outcome = failure.findings
        except CheckBlocked as blocked:
            # The answer could not be judged on the probe's requirement because it broke another
            # (a 5xx): a counterexample of that one, shrunk like any other.
            outcome = [self._blocked_finding(blocked)]
        except ProbeError as problem:  # budget spent, dry run, target gone: stop sending
            self.stopped = problem
            return None
        self.memo[key] = outcome
        return outcome

    def _blocked_finding(self, blocked: CheckBlocked) -> Finding:
        exchange = self.last
        server_error = exchange is not None and exchange.status is not None and exchange.status >= 500
        title = "no request is answered with a 5xx" if server_error else f"{self.label} can be judged"
        return Finding(
            blocked.by[0],
            title,
            "a 2xx or 4xx answer",
            describe(exchange) if exchange is not None else blocked.observed,
            None if exchange is None else index_of(self.target, exchange),
        )

    def _explained(self, finding: Finding, shrunk: bool = True) -> Finding:
        finding.title = f"{finding.title} (Hypothesis, {'smallest failing body' if shrunk else 'a failing body'})"
        finding.observed += (
            f"; replay with --conformance-hypothesis-seed {self.target.hypothesis_seed}"
            f" --conformance-examples {self.examples}"
        )
        return finding


def prepared(target: Target, body: dict, keep: str | None = None) -> dict:
    """A drawn body made sendable: param fields take the target's values (a real organization)
    and unique fields a per-run value of the same kind; `keep` (the broken field) is untouched."""
    profile = target.profile
    body = dict(body)
    for name in profile.param_fields:
        if name != keep and name in body and profile.param_value(target.params, name) is not None:
            body[name] = profile.param_value(target.params, name)
    for name, template in profile.unique_fields.items():
        if name != keep and isinstance(body.get(name), str):
            body[name] = template.format(tag=target.names.tag())
    props = request_properties(profile)
    for name in profile.tagged_fields:
        if name != keep and isinstance(body.get(name), str):
            body[name] = target.names.keep_class(body[name], props.get(name, {}).get("maxLength"))
    return body


def _shown(body) -> str:
    return json.dumps(body, ensure_ascii=False, default=repr).encode("utf-8", "backslashreplace").decode()


def judge_valid(run: GeneratedRun, body: dict) -> None:
    target = run.target
    profile = target.profile
    body = prepared(target, body)
    exchange = run.send(body)
    requirement = rid(profile, "request.valid-accepted")
    try:
        resource = expect_created(target, exchange, requirement, "a body the request schema allows is accepted")
    except ConformanceFailure as failure:
        for f in failure.findings:
            f.observed += f" for {_shown(body)}"
        raise
    for name, pointer in profile.echo.items():
        if name not in body:
            continue
        returned, sent = value_at(resource, pointer), body[name]
        if request_properties(profile)[name].get("format") == "uuid" and isinstance(returned, str):
            returned, sent = returned.lower(), sent.lower()  # a UUID's case carries no meaning
        if (
            sent == ""
            and returned in (None, ABSENT)
            and profile.primary_encoding == "multipart"
            and name not in profile.request_schema.get("required", [])
        ):
            # In a form an empty optional field is what a blank input sends: reading it as "not
            # given" is a sound choice (an implementation written from the page made it).
            target.observe(rid(profile, f"{name}.echoed"), f"an empty `{name}` is taken as not given")
            continue
        expect_equal(
            target, rid(profile, f"{name}.echoed"), f"`{name}` is returned as submitted", sent, returned, exchange
        )


_BROKEN = {
    "drop": "missing",
    "null": "null",
    "wrong-type": "not a string",
    "too-long": "too long",
    "too-short": "too short",
    "off-enum": "not a documented value",
    "bad-format": "malformed",
    LONE_SURROGATE: "text with a lone surrogate",
    NULL_OPTIONAL: "null (optional)",
}


# Breaks a conformant target may accept (null taken as absent; a lone surrogate stored as its
# escape): each acceptance is a workspace left behind, so once the target has shown that it
# accepts one for a field, that break is not sent again for the field.
MAY_BE_ACCEPTED = (NULL_OPTIONAL, LONE_SURROGATE)


def judge_invalid(run: GeneratedRun, drawn) -> None:
    target = run.target
    body, name, kind, requirement = drawn
    if (name, kind) in run.accepted_kinds or kind in run.unsent_kinds:
        return  # its answer is known, or the budget has no room: sent, it could leave a workspace
    body = prepared(target, body, keep=name)
    if kind != LONE_SURROGATE and target.profile.validator("request").is_valid(body):
        return  # the break happened to land on a valid value: nothing to judge
    exchange = run.send(body)
    why = f"a body whose `{name}` is {_BROKEN[kind]} is rejected"
    try:
        if kind == NULL_OPTIONAL:
            expect_null_rejected_or_absent(target, exchange, requirement, name)
        elif kind == LONE_SURROGATE:
            expect_no_server_error(target, exchange, why.replace("is rejected", "never gets a 5xx"))
        else:
            expect_rejected(target, exchange, requirement, why)
    except ConformanceFailure as failure:
        for f in failure.findings:
            f.observed += f" for {_shown(body)}{_units(body.get(name), kind)}"
        raise
    if kind in MAY_BE_ACCEPTED and status_allowed(exchange.status, target.profile.success_statuses):
        run.accepted_kinds.add((name, kind))  # judged and held: known from now on


def _units(value, kind: str) -> str:
    """Lengths in every unit a server might count in, so a miscount explains itself."""
    if kind not in ("too-long", "too-short") or not isinstance(value, str):
        return ""
    utf16 = len(value.encode("utf-16-le", "surrogatepass")) // 2
    utf8 = len(value.encode("utf-8", "surrogatepass"))
    return f" (the value is {len(value)} code points, {utf16} UTF-16 units, {utf8} UTF-8 bytes)"
