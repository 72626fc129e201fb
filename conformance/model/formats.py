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
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable

import jsonschema

UINT64_MAX = 2**64 - 1

# The checker every validator of the suite uses; registered checks are added to it.
CHECKER = jsonschema.FormatChecker()


def spelled(spelling, good: str) -> str:
    """A spelling is a fixed value, or a function of the good value it is spelled from (the
    target's own value for a param field such as organization_id, else the format's `good`)."""
    return spelling(good) if callable(spelling) else spelling


@dataclass(frozen=True)
class StringFormat:
    name: str
    good: str  # a valid value, fixed (case ids and reports stay stable across runs)
    bad: dict  # label -> spelling the format refuses: each is one hand-picked probe on every run
    fresh: Callable[[], str]  # a valid value for a baseline body (unique where that matters)
    strategy: Callable | None  # () -> a Hypothesis strategy; None: hypothesis-jsonschema's own
    good_spellings: dict = field(default_factory=dict)  # label -> other spellings that must be accepted
    # Spellings whose acceptance is debatable ("+12" for a uint64): refused, or accepted and
    # stored as the same value, which `same_value(sent, stored)` judges; `reads_debatable`
    # tells one apart, so that a generated break is never one of them.
    debatable: dict = field(default_factory=dict)
    reads_debatable: Callable[[str], bool] | None = None
    same_value: Callable[[str, object], bool] | None = None


REGISTRY: dict[str, StringFormat] = {}


def register(name: str, *, good: str, bad, fresh: Callable[[], str] | None = None,
             check: Callable[[str], bool] | None = None, strategy: Callable | None = None,
             good_spellings: dict | None = None, debatable: dict | None = None,
             reads_debatable: Callable[[str], bool] | None = None,
             same_value: Callable[[str, object], bool] | None = None) -> StringFormat:
    """Make `name` known to the validators, the hand-picked probes, the baseline bodies and the
    generated probes. `bad` (or a list of values) and the spellings map a label (the case id)
    to a value or to a function of the good value. `check` is needed only where jsonschema does not know the
    format; `strategy` (built lazily: Hypothesis is imported only when generating) only where
    hypothesis-jsonschema does not."""
    if check is not None:
        def conforms(value) -> bool:
            return not isinstance(value, str) or check(value)  # a format constrains strings only
        CHECKER.checks(name, raises=())(conforms)
    if not isinstance(bad, dict):  # a plain list: labelled by position
        bad = {f"bad-{i}": value for i, value in enumerate(bad)}
    fmt = StringFormat(name, good, dict(bad), fresh or (lambda: good), strategy, dict(good_spellings or {}),
                       dict(debatable or {}), reads_debatable, same_value)
    for label, spelling in fmt.bad.items():
        if CHECKER.conforms(spelled(spelling, good), name):
            raise ValueError(f"format {name!r}: the bad example {label!r} passes its own check")
    for label, spelling in [("good", good), *fmt.good_spellings.items()]:
        if not CHECKER.conforms(spelled(spelling, good), name):
            raise ValueError(f"format {name!r}: the good example {label!r} fails its own check")
    REGISTRY[name] = fmt
    return fmt


def known(name) -> StringFormat | None:
    return REGISTRY.get(name) if isinstance(name, str) else None


def is_debatable(name: str | None, value) -> bool:
    """A spelling the format's `reads_debatable` reads generously (never a generated break)."""
    fmt = known(name)
    return bool(fmt and fmt.reads_debatable and isinstance(value, str) and fmt.reads_debatable(value))


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


# Values each format must reject, tried on every run whatever the seed: constants, and
# spellings of a good value that a sloppy parser reads as that value: Python's int() and
# str.isdigit() take Unicode digits, int() takes "1_000" and " 12 ", uuid.UUID() takes braces
# and a uuid without dashes.
_FULLWIDTH = str.maketrans("0123456789", "\uff10\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18\uff19")
_ARABIC_INDIC = str.maketrans("0123456789", "\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669")
_GUJARATI = str.maketrans("0123456789", "\u0ae6\u0ae7\u0ae8\u0ae9\u0aea\u0aeb\u0aec\u0aed\u0aee\u0aef")


def _digits(good: str) -> str:
    return good if good.isascii() and good.isdigit() else "123"


def _uint64_debatable(value: str) -> bool:
    digits = value[1:] if value.startswith("+") else value
    return digits.isascii() and digits.isdigit() and (value.startswith("+") or (len(digits) > 1 and digits[0] == "0"))


register("uuid", good="3fa85f64-5717-4562-b3fc-2c963f66afa6",
         bad={"not-a-uuid": "not-a-uuid",
              "one-digit-short": "3fa85f64-5717-4562-b3fc-2c963f66afa",
              "x-for-dashes": "3fa85f64x5717x4562xb3fcx2c963f66afa6",
              "without-dashes": lambda good: good.replace("-", ""),
              "in-braces": lambda good: "{" + good + "}"},
         good_spellings={"upper-case": str.upper},
         fresh=lambda: str(uuid.uuid4()), strategy=_uuid_strategy)
# wacht-backend documents organization_id as string<uint64>: decimal digits, no sign.
register("uint64", good="18446744073709551615",
         bad={"letters": "abc",
              "negative": "-1",
              "two-to-the-64": "18446744073709551616",
              "decimal": "12.5",
              "empty": "",
              "fullwidth-123": "\uff11\uff12\uff13",
              "arabic-indic-123": "\u0661\u0662\u0663",
              "gujarati-zero": "\u0ae6",
              "underscore-1000": "1_000",
              "spaces-around-12": " 12 ",
              "fullwidth-digits": lambda good: _digits(good).translate(_FULLWIDTH),
              "arabic-indic-digits": lambda good: _digits(good).translate(_ARABIC_INDIC),
              "gujarati-digits": lambda good: _digits(good).translate(_GUJARATI),
              "underscore": lambda good: _digits(good)[:1] + "_" + _digits(good)[1:],
              "spaces-around": lambda good: f" {_digits(good)} ",
              "wraps-to-good": lambda good: str(int(_digits(good)) + 2**64)},  # a uint64 parser that wraps
         debatable={"plus-sign": lambda good: "+" + _digits(good),
                    "leading-zero": lambda good: "0" + _digits(good)},
         reads_debatable=_uint64_debatable,
         same_value=lambda a, b: isinstance(b, str) and b.isascii() and b.isdigit() and int(a.lstrip("+")) == int(b),
         fresh=lambda: "1", check=lambda v: v.isascii() and v.isdigit() and int(v) <= UINT64_MAX,
         strategy=_uint64_strategy)
register("date-time", good="2024-01-15T10:30:00Z",
         bad={"yesterday": "yesterday", "out-of-range": "2024-13-45T25:61:00Z", "without-offset": "2024-01-15T10:30:00"},
         fresh=lambda: datetime.now(timezone.utc).isoformat())
