"""Workflow 2: bodies missing a required field, or carrying it null or of the wrong type."""
from . import cases
from .checks import expect_created, expect_rejected, fail, status_allowed
from .payloads import baseline
from .probing import probe
from .profile import ABSENT, value_at


@probe(cases.required_missing)
def test_body_without_required_field_is_rejected(target, case):
    exchange = target.create(baseline(target, omit=(case.field,)))
    expect_rejected(target, exchange, case.requirement, f"a body without `{case.field}` is rejected")


@probe(cases.required_null)
def test_required_field_null_is_rejected(target, case):
    exchange = target.create(baseline(target, **{case.field: None}))
    expect_rejected(target, exchange, case.requirement, f"a null `{case.field}` is rejected")


@probe(cases.wrong_types)
def test_field_of_wrong_type_is_rejected(target, case):
    exchange = target.create(baseline(target, **{case.field: case["value"]}))
    expect_rejected(target, exchange, case.requirement,
                    f"`{case.field}` = {case['value']!r} is rejected, not coerced")


@probe(cases.null_optional)
def test_optional_field_null_is_rejected_or_taken_as_absent(target, case):
    """A null where an optional string goes: refusing it and reading it as "not given" are both
    sound; answering 5xx, or storing a value the resource schema does not allow, is not."""
    exchange = target.create(baseline(target, **{case.field: None}), files=target.default_files())
    if not status_allowed(exchange.status, target.profile.success_statuses):
        expect_rejected(target, exchange, case.requirement, f"a null `{case.field}` is rejected or taken as absent")
        return
    resource = expect_created(target, exchange, case.requirement, f"a null `{case.field}` is taken as absent")
    pointer = target.profile.echo.get(case.field)
    stored = ABSENT if pointer is None else value_at(resource, pointer)
    schema = target.profile.resource_schema.get("properties", {}).get(pointer.strip("/") if pointer else "", {})
    if stored is not ABSENT and schema:
        errors = list(target.profile.validator("resource").evolve(schema=schema).iter_errors(stored))
        if errors:
            fail(target, case.requirement, f"a null `{case.field}` accepted is stored as a valid value",
                 "a value the resource schema allows", f"{stored!r}: {errors[0].message}", exchange)
    target.observe(case.requirement, f"a null `{case.field}` is accepted and stored as "
                                     f"{'(absent)' if stored is ABSENT else repr(stored)}")
