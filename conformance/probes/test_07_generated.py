"""Workflow 7: Hypothesis-generated bodies from the request schema.

Bodies broken in one place must be rejected as the broken requirement says; valid bodies
(last, so that they take what the workspace budget leaves) must be accepted and echoed
exactly. Every example costs one request from the budget; shrinking is capped, and a payload
is never sent twice (the final replay reads the memo). The strategies are built once, before
the first request of the run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from conformance.engine import cases
from conformance.engine.creates import MAYBE, OWN, UNLIMITED, Elastic
from conformance.engine.generated_run import MAY_BE_ACCEPTED, GeneratedRun, judge_invalid, judge_valid
from conformance.engine.mutations import generated_invalid, mutations
from conformance.engine.runner import probe
from conformance.engine.strategies import corner_bodies, corner_breaks, invalid_bodies, valid_bodies
from conformance.model.outcome import CreatesLeftOut
from conformance.registry import full_name

if TYPE_CHECKING:  # annotations only
    from conformance.client.target import Target
    from conformance.engine.cases import Case
    from conformance.model.profile import Profile


def prepare(profile: Profile) -> None:
    # Validating the valid bodies builds the character tables of every alphabet (tens of
    # milliseconds); the broken bodies draw from the same alphabets.
    valid_bodies(profile).validate()
    for case in generated_invalid(profile):
        invalid_bodies(profile, case.field)


def _acceptable_breaks(profile: Profile, case: Case) -> tuple:
    """A conformant target may accept a null optional field or a lone surrogate: one create
    each at most (the run stops sending a break the target has accepted for the field), and
    only where the budget has room (otherwise that break is not sent; the others are)."""
    return tuple(f"{MAYBE}{OWN}:{kind}" for kind, _ in mutations(profile, case.field_name) if kind in MAY_BE_ACCEPTED)


@probe(generated_invalid, prepare, creates=_acceptable_breaks)
def test_generated_bodies_broken_in_one_place_are_rejected(target: Target, case: Case):
    probe_name = full_name(test_generated_bodies_broken_in_one_place_are_rejected)
    run = GeneratedRun(
        target,
        invalid_bodies(target.profile, case.field),
        judge_invalid,
        f"bodies with `{case.field}` broken",
        explicit=corner_breaks(target.profile, case.field_name),
    )
    run.unsent_kinds = {
        kind
        for kind in MAY_BE_ACCEPTED
        if not (target.create_plan or UNLIMITED).admits_maybe(probe_name, case.id, kind)
    }
    run.run()


def _corner_count(profile: Profile) -> int:
    return len(corner_bodies(profile))


@probe(cases.single("request.valid-accepted"), prepare, creates=Elastic(_corner_count))
def test_generated_valid_bodies_are_accepted_and_echoed(target: Target, case: Case):
    # Last of the run, it takes what the budget has left: the plan's share, less any workspace a
    # target made by accepting what it should have refused (the budget is a hard cap).
    room = (target.create_plan or UNLIMITED).room(target.create_count.made())
    if room is not None and room < _corner_count(target.profile):
        # Fewer than its corner bodies would pass the requirement on less than it claims.

        raise CreatesLeftOut(
            f"the workspace budget has {room} left, fewer than the generated valid bodies' "
            f"{_corner_count(target.profile)} corner bodies"
        )
    GeneratedRun(
        target,
        valid_bodies(target.profile),
        judge_valid,
        "valid bodies",
        explicit=corner_bodies(target.profile),
        max_sent=room,
    ).run()
