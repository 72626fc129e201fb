"""Workflow 7: Hypothesis-generated bodies from the request schema.

Valid bodies must be accepted and echoed exactly; bodies broken in one place must be rejected
as the broken requirement says. Every example costs one request from the budget; shrinking is
capped, and a payload is never sent twice (the final replay reads the memo).
"""
from __future__ import annotations

from . import cases
from .generated import GeneratedRun, judge_invalid, judge_valid
from .generation import corner_bodies, invalid_bodies, valid_bodies
from .probing import probe


@probe(cases.single("request.valid-accepted"))
def test_generated_valid_bodies_are_accepted_and_echoed(target, case):
    GeneratedRun(target, valid_bodies(target.profile), judge_valid, "valid bodies",
                 explicit=corner_bodies(target.profile)).run()


@probe(cases.generated_invalid)
def test_generated_bodies_broken_in_one_place_are_rejected(target, case):
    GeneratedRun(target, invalid_bodies(target.profile, case.field), judge_invalid,
                 f"bodies with `{case.field}` broken").run()
