"""Workflow 4: the credential is enforced where the provider's auth scheme puts it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from conformance.engine import cases
from conformance.engine.checks import expect_rejected
from conformance.engine.creates import none
from conformance.engine.payloads import baseline
from conformance.engine.runner import probe

if TYPE_CHECKING:  # annotations only
    from conformance.client.target import Target
    from conformance.engine.cases import Case


@probe(cases.single("auth.missing-credential"), creates=none)
def test_create_without_credential_is_rejected(target: Target, case: Case):
    exchange = target.create(baseline(target), auth="missing")
    expect_rejected(target, exchange, case.requirement, "a create without credentials is rejected", "auth")


@probe(cases.single("auth.wrong-credential"), creates=none)
def test_create_with_wrong_credential_is_rejected(target: Target, case: Case):
    exchange = target.create(baseline(target), auth="wrong")
    expect_rejected(target, exchange, case.requirement, "a create with a wrong credential is rejected", "auth")
