"""Workspaces created: what each probe case costs a target that behaves, and which cases a
run can afford under --conformance-max-creates.

Against a live endpoint every accepted create leaves a workspace behind (Anthropic's can only
be archived; organizations have workspace limits). Each probe declares the creates it asks
for when the target behaves: none for a probe that expects a rejection, a shared create
(`baseline`, `minimal`, `echo`) for the probes that only read its answer, one of its own
otherwise, and `Elastic` for the generated valid bodies, which take what the budget leaves.
The plan is static (the same in every pytest-xdist worker) and chooses, within the budget,
the cases that check the most requirements first. A case left out is *not-run*, never pass.
A target that accepts what it must reject creates more than planned: the report counts it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from conformance.model.catalog import by_id
from conformance.registry import full_name

if TYPE_CHECKING:  # annotations only
    from conformance.engine.cases import Case
    from conformance.model.profile import Profile

OWN = "own"  # a create of the case's own: its key is made unique per case
# A create the case makes only if the target accepts what it may refuse or accept (a generated
# null for an optional field): planned when the budget has room, otherwise not sent, and the
# case runs without it rather than not at all.
MAYBE = "maybe:"


@dataclass(frozen=True)
class Elastic:
    """`creates=` of the generated valid bodies: they take what the budget leaves, but at least
    `minimum(profile)` (the fixed corner bodies every run sends), or they are left out."""

    minimum: Callable


def none(profile: Profile, case: Case) -> tuple:
    return ()


def own(profile: Profile, case: Case) -> tuple:
    return (OWN,)


def shares(*kinds):
    """The case reads shared creates only."""

    def keys(profile: Profile, case: Case) -> tuple:
        return kinds

    keys.__name__ = f"shares({', '.join(kinds)})"
    return keys


@dataclass(frozen=True)
class Candidate:
    probe: str
    case: str
    requirements: frozenset  # the case's own, and the others it covers (a generated-invalid case)
    keys: frozenset
    soft: frozenset = frozenset()  # its MAYBE creates
    elastic: int = 0  # for the generated valid bodies: the fewest creates they can run with

    @property
    def name(self) -> str:
        return f"{self.probe}[{self.case}]"


@dataclass
class CreatePlan:
    limit: int | None
    chosen: set = field(default_factory=set)  # Candidate.name of the cases that run
    left_out: set = field(default_factory=set)
    planned: int = 0  # creates the chosen fixed cases ask for
    elastic: int | None = None  # creates left for the generated valid bodies
    maybe: set = field(default_factory=set)  # the MAYBE creates the budget has room for

    def admits(self, probe: str, case: str) -> bool:
        return self.limit is None or f"{probe}[{case}]" not in self.left_out

    def room(self, created: int) -> int | None:
        """Creates left for the generated valid bodies, `created` workspaces into the run: the
        plan's share, less what the target spent beyond the plan (None: no budget)."""
        if self.limit is None or self.elastic is None:
            return None
        return max(0, min(self.elastic, self.limit - created))

    @property
    def spare(self) -> int:
        """Workspaces of the budget no case plans: what a target that accepts against the page
        may spend before the sending stops."""
        return 0 if self.limit is None else self.limit - self.planned - (self.elastic or 0)

    def admits_maybe(self, probe: str, case: str, label: str) -> bool:
        """May the case send what creates `own:<label>` only if the target accepts it?"""
        return self.limit is None or f"{probe}[{case}]:{label}" in self.maybe

    def to_dict(self) -> dict:
        return {
            "max_creates": self.limit,
            "planned_creates": self.planned,
            "generated_creates": self.elastic,
            "cases_left_out": sorted(shown(name) for name in self.left_out),
            "maybe_creates": len(self.maybe),
        }


UNLIMITED = CreatePlan(None)


def shown(name: str) -> str:
    """A case as people read it: `probe[case]`, without the probe's module."""
    return name.split(":", 1)[-1]


def candidates(pairs: list[tuple[Callable, Case]], profile: Profile) -> list[Candidate]:
    """`pairs`: (probe function, case) in run order."""
    out = []
    for function, case in pairs:
        declared = getattr(function, "conformance_creates", None)
        name = f"{full_name(function)}[{case.id}]"
        if isinstance(declared, Elastic):
            minimum = declared.minimum(profile)
            out.append(Candidate(full_name(function), case.id, _checks(case), frozenset(), elastic=max(1, minimum)))
            continue
        keys = () if declared is None else declared(profile, case)
        hard = frozenset(_key(name, k) for k in keys if not k.startswith(MAYBE))
        soft = frozenset(_key(name, k[len(MAYBE) :]) for k in keys if k.startswith(MAYBE))
        out.append(Candidate(full_name(function), case.id, _checks(case), hard, soft))
    return out


def _checks(case: Case) -> frozenset:
    return frozenset({case.requirement, *getattr(case, "params", {}).get("covers", ())})


def _key(case_name: str, key: str) -> str:
    """`own` and `own:<label>` are the case's own creates; any other key is shared."""
    return case_name + key[len(OWN) :] if key == OWN or key.startswith(OWN + ":") else key


def plan(pairs: list[tuple[Callable, Case]], profile: Profile, limit: int | None) -> CreatePlan:
    """The plan for a budget of `limit` workspaces (see _plan). The budget is a hard cap, and
    the probes that expect a refusal still send after the planned creates: where the chosen
    fixed cases would take the whole budget (no generated valid bodies left to absorb what a
    target accepts against the page), they are planned within one less, and that spare one
    is what such a target spends."""
    if limit is None:
        return UNLIMITED

    found = candidates(pairs, profile)
    weight = {r.id: (1000 if r.level == "MUST" else 1) for r in by_id(profile).values()}
    made = _plan(found, limit, weight)
    if made.elastic is None and made.planned >= limit > 0:
        spare = _plan(found, limit - 1, weight)
        made = CreatePlan(limit, spare.chosen, spare.left_out, spare.planned, None, spare.maybe)
    return made


def _plan(found: list[Candidate], limit: int, weight: dict[str, int]) -> CreatePlan:
    """Greedy: first the cases that add requirements not yet checked, most new requirements
    per create first (paying for a shared create counts every case it unlocks); then the
    remaining cases, cheapest first, while the budget lasts; then the MAYBE creates of the
    chosen cases; the generated valid bodies get what is left. Ties keep the workflow order."""
    paid: set = set()
    chosen: dict[Candidate, None] = {}  # ordered, and a fast membership test
    covered: set = set()
    elastic_min = 0

    def cost(c: Candidate) -> int:
        return len(c.keys - paid) + (c.elastic if c.elastic and not elastic_min else 0)

    def take(c: Candidate) -> None:
        nonlocal elastic_min
        paid.update(c.keys)
        elastic_min = elastic_min or c.elastic
        chosen[c] = None
        covered.update(c.requirements)

    def free_cases() -> None:
        for c in found:
            if c not in chosen and not c.elastic and c.keys <= paid:
                take(c)

    free_cases()
    while True:
        room = limit - len(paid) - elastic_min
        best, best_score = None, 0.0
        for c in found:
            spend = cost(c)
            if c in chosen or spend > room:
                continue
            unlocked = {
                r
                for o in found
                if o not in chosen and not o.elastic and o.keys <= paid | c.keys
                for r in o.requirements
            } | (c.requirements if c.elastic else set())
            gain = sum(weight.get(r, 1) for r in unlocked - covered)
            score = gain / spend if spend else float("inf")
            if gain and score > best_score:
                best, best_score = c, score
        if best is None:
            break
        take(best)
        free_cases()
    for c in sorted((c for c in found if c not in chosen and not c.elastic), key=cost):
        if cost(c) <= limit - len(paid) - elastic_min:
            take(c)
            free_cases()
    maybe: set[str] = set()
    for c in chosen:  # then the creates that happen only if the target accepts, while room lasts
        for key in sorted(c.soft - paid):
            if len(paid) + elastic_min < limit:
                paid.add(key)
                maybe.add(key)
    planned = len(paid)
    left = {c.name for c in found if c not in chosen}
    elastic = limit - planned if elastic_min else None
    return CreatePlan(limit, {c.name for c in chosen}, left, planned, elastic, maybe)
