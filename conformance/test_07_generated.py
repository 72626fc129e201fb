"""Workflow 7: Hypothesis-generated bodies from the request schema.

Valid bodies must be accepted and echoed exactly; bodies broken in one place must be rejected
as the broken requirement says. Every example costs one request from the budget; shrinking is
capped, and a payload is never sent twice (the final replay reads the memo). Hypothesis is
imported when the first generated probe runs, not at collection: the first request goes out
sooner.
"""
from __future__ import annotations

from . import cases
from .probing import probe


@probe(cases.single("request.valid-accepted"))
def test_generated_valid_bodies_are_accepted_and_echoed(target, case):
    from .generated import GeneratedRun, judge_valid
    from .generation import corner_bodies, valid_bodies

    GeneratedRun(target, valid_bodies(target.profile), judge_valid, "valid bodies",
                 explicit=corner_bodies(target.profile)).run()


@probe(cases.generated_invalid)
def test_generated_bodies_broken_in_one_place_are_rejected(target, case):
    from .generated import GeneratedRun, judge_invalid
    from .generation import corner_breaks, invalid_bodies

    GeneratedRun(target, invalid_bodies(target.profile, case.field), judge_invalid,
                 f"bodies with `{case.field}` broken", explicit=corner_breaks(target.profile, case.field)).run()
