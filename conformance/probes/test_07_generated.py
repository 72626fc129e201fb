"""Workflow 7: Hypothesis-generated bodies from the request schema.

Bodies broken in one place must be rejected as the broken requirement says; valid bodies
(last, so that they take what the workspace budget leaves) must be accepted and echoed exactly. Every example costs one request from the budget; shrinking is
capped, and a payload is never sent twice (the final replay reads the memo). Hypothesis is
imported, and the strategies built, only when a generated probe is selected, and before the
first request of the run.
"""
from __future__ import annotations

from conformance.engine import cases
from conformance.engine.creates import MAYBE, OWN, Elastic
from conformance.engine.runner import probe
from conformance.registry import full_name


def prepare(profile) -> None:
    from conformance.engine.strategies import invalid_bodies, valid_bodies

    # Validating the valid bodies builds the character tables of every alphabet (tens of
    # milliseconds); the broken bodies draw from the same alphabets.
    valid_bodies(profile).validate()
    for case in cases.generated_invalid(profile):
        invalid_bodies(profile, case.field)


def _acceptable_breaks(profile, case) -> tuple:
    """A conformant target may accept a null optional field or a lone surrogate: one create
    each at most (the run stops sending a break the target has accepted for the field), and
    only where the budget has room (otherwise that break is not sent; the others are)."""
    from conformance.engine.cases import mutations
    from conformance.engine.generated_run import MAY_BE_ACCEPTED

    return tuple(f"{MAYBE}{OWN}:{kind}" for kind, _ in mutations(profile, case.field) if kind in MAY_BE_ACCEPTED)


@probe(cases.generated_invalid, prepare, creates=_acceptable_breaks)
def test_generated_bodies_broken_in_one_place_are_rejected(target, case):
    from conformance.engine.generated_run import MAY_BE_ACCEPTED, GeneratedRun, judge_invalid
    from conformance.engine.strategies import corner_breaks, invalid_bodies

    probe_name = full_name(test_generated_bodies_broken_in_one_place_are_rejected)
    run = GeneratedRun(target, invalid_bodies(target.profile, case.field), judge_invalid,
                       f"bodies with `{case.field}` broken", explicit=corner_breaks(target.profile, case.field))
    run.unsent_kinds = {kind for kind in MAY_BE_ACCEPTED
                        if not target.create_plan.admits_maybe(probe_name, case.id, kind)}
    run.run()


def _corner_count(profile) -> int:
    from conformance.engine.strategies import corner_bodies

    return len(corner_bodies(profile))


@probe(cases.single("request.valid-accepted"), prepare, creates=Elastic(_corner_count))
def test_generated_valid_bodies_are_accepted_and_echoed(target, case):
    from conformance.engine.generated_run import GeneratedRun, judge_valid
    from conformance.engine.strategies import corner_bodies, valid_bodies

    # Last of the run, it takes what the budget has left: the plan's share, less any workspace a
    # target made by accepting what it should have refused (the budget is a hard cap).
    room = target.create_plan.room(target.create_count.made())
    if room is not None and room < _corner_count(target.profile):
        # Fewer than its corner bodies would pass the requirement on less than it claims.
        from conformance.model.outcome import CreatesLeftOut

        raise CreatesLeftOut(f"the workspace budget has {room} left, fewer than the generated valid bodies' "
                             f"{_corner_count(target.profile)} corner bodies")
    GeneratedRun(target, valid_bodies(target.profile), judge_valid, "valid bodies",
                 explicit=corner_bodies(target.profile), max_sent=room).run()
