"""String formats: one registry, so that a format a schema names is known everywhere at once.

A format registers, in one call, how a value is checked (the jsonschema format checker the
validators use), a value it accepts and values it refuses (the hand-picked probes), a fresh
value for a baseline body, and, where hypothesis-jsonschema has none, the Hypothesis strategy
that draws valid values. A format no one registered is still checked when jsonschema knows it
(`email`, `ipv4`, ...), but gets no hand-picked probes: its requirement then rests on the
generated probes alone.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable

import jsonschema

UINT64_MAX = 2**64 - 1

# The checker every validator of the suite uses; registered checks are added to it.
CHECKER = jsonschema.FormatChecker()


@dataclass(frozen=True)
class StringFormat:
    name: str
    good: str  # a valid value, fixed (case ids and reports stay stable across runs)
    bad: tuple[str, ...]  # values the format refuses: each is one hand-picked probe
    fresh: Callable[[], str]  # a valid value for a baseline body (unique where that matters)
    strategy: Callable | None  # () -> a Hypothesis strategy; None: hypothesis-jsonschema's own


REGISTRY: dict[str, StringFormat] = {}


def register(name: str, *, good: str, bad, fresh: Callable[[], str] | None = None,
             check: Callable[[str], bool] | None = None, strategy: Callable | None = None) -> StringFormat:
    """Make `name` known to the validators, the hand-picked probes, the baseline bodies and the
    generated probes. `check` is needed only where jsonschema does not know the format;
    `strategy` (built lazily: Hypothesis is imported only when generating) only where
    hypothesis-jsonschema does not."""
    if check is not None:
        def conforms(value) -> bool:
            return not isinstance(value, str) or check(value)  # a format constrains strings only
        CHECKER.checks(name, raises=())(conforms)
    fmt = StringFormat(name, good, tuple(bad), fresh or (lambda: good), strategy)
    for value in fmt.bad:
        if CHECKER.conforms(value, name):
            raise ValueError(f"format {name!r}: the bad example {value!r} passes its own check")
    if not CHECKER.conforms(good, name):
        raise ValueError(f"format {name!r}: the good example {good!r} fails its own check")
    REGISTRY[name] = fmt
    return fmt


def known(name) -> StringFormat | None:
    return REGISTRY.get(name) if isinstance(name, str) else None


def custom_strategies() -> dict:
    """Strategies for hypothesis-jsonschema's `custom_formats`."""
    return {name: fmt.strategy() for name, fmt in REGISTRY.items() if fmt.strategy is not None}


def _uuid_strategy():
    from hypothesis import strategies as st

    # hypothesis-jsonschema leaves `uuid` (new in 2019-09) unconstrained; any version will do.
    return st.uuids(version=None).map(str)


def _uint64_strategy():
    from hypothesis import strategies as st

    return st.integers(min_value=0, max_value=UINT64_MAX).map(str)


register("uuid", good="3fa85f64-5717-4562-b3fc-2c963f66afa6",
         bad=["not-a-uuid", "3fa85f64-5717-4562-b3fc-2c963f66afa", "3fa85f64x5717x4562xb3fcx2c963f66afa6"],
         fresh=lambda: str(uuid.uuid4()), strategy=_uuid_strategy)
# wacht-backend documents organization_id as string<uint64>: decimal digits, no sign.
register("uint64", good="18446744073709551615", bad=["abc", "-1", "18446744073709551616", "12.5"],
         fresh=lambda: "1", check=lambda v: v.isascii() and v.isdigit() and int(v) <= UINT64_MAX,
         strategy=_uint64_strategy)
register("date-time", good="2024-01-15T10:30:00Z", bad=["yesterday", "2024-13-45T25:61:00Z"],
         fresh=lambda: datetime.now(timezone.utc).isoformat())
