"""The public fixtures for users' own probes, registered only once the suite is chosen (so an
unrelated project's `target` or `profile` fixture is never shadowed or supplied by us)."""

from __future__ import annotations

import pytest

from conformance.pytest_plugin.run import active_run


@pytest.fixture(scope="session")
def profile(request):
    """The loaded provider profile (schemas/<provider>/)."""
    return active_run(request.config).profile


@pytest.fixture(scope="session")
def request_schema(profile):
    return profile.schemas["request"]


@pytest.fixture(scope="session")
def resource_schema(profile):
    return profile.schemas["resource"]


@pytest.fixture(scope="session")
def error_schema(profile):
    return profile.schemas.get("error")


@pytest.fixture
def target(request):
    """A client bound to the target: auth applied, every exchange recorded, secret redacted."""
    client = active_run(request.config).target()
    client.begin()
    return client


@pytest.fixture(scope="session")
def valid_payloads(profile):
    """Hypothesis strategy of request bodies the provider's request schema allows."""
    # Here, not at the top: this module is loaded while pytest configures its plugins, and
    # importing hypothesis-jsonschema then reads Hypothesis's storage, which Hypothesis warns
    # a plugin must not do (HypothesisSideeffectWarning on every run).
    from conformance.engine.strategies import valid_bodies  # noqa: PLC0415

    return valid_bodies(profile)


@pytest.fixture(scope="session")
def invalid_payloads(profile):
    """Hypothesis strategy of (body, field, kind, requirement id), each body broken in one place."""
    from conformance.engine.strategies import invalid_bodies  # noqa: PLC0415 (as valid_payloads)

    return invalid_bodies(profile)
