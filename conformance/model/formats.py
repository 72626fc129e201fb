"""String formats: one registry, so that a format a schema names is known everywhere at once.

A format registers, in one call, how a value is checked (the jsonschema format checker the
validators use), its canonical spelling (the ordinary tier of conformance.model.tolerance: what
a MUST sends), values that are no value of the format at all (which must be refused), its other
spellings (the edge tier: refused, or kept as the same value, a SHOULD), a fresh value for a
baseline body, and, where hypothesis-jsonschema has none, the Hypothesis strategy that draws
valid values. A format no one registered is still checked when jsonschema knows it
(`email`, `ipv4`, ...), but gets no hand-picked probes: its requirement then rests on the
generated probes alone.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone

import jsonschema
from hypothesis import strategies as st

from conformance.registry import Registry

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
    good: str  # the canonical spelling of a valid value, fixed (case ids and reports stay stable)
    bad: dict  # label -> a value that is no value of the format: each one hand-picked probe, MUST refuse
    fresh: Callable[[], str]  # a valid canonical value for a baseline body (unique where that matters)
    strategy: Callable | None  # () -> a Hypothesis strategy of canonical values; None: hypothesis-jsonschema's
    # The edge tier: other spellings of a valid value (an upper-case or dashless uuid, "+12" for
    # a uint64). A server may refuse them or accept them; accepted, it should keep the same
    # value, which `same_value(sent, stored)` judges (a SHOULD). `reads_edge` tells one apart, so
    # that a generated break is never one of them.
    edge: dict = field(default_factory=dict)
    reads_edge: Callable[[str], bool] | None = None
    same_value: Callable[[str, object], bool] | None = None


REGISTRY: Registry[StringFormat] = Registry("string format")


def register(
    name: str,
    *,
    good: str,
    bad,
    fresh: Callable[[], str] | None = None,
    check: Callable[[str], bool] | None = None,
    strategy: Callable | None = None,
    edge: dict | None = None,
    reads_edge: Callable[[str], bool] | None = None,
    same_value: Callable[[str, object], bool] | None = None,
) -> StringFormat:
    """Make `name` known to the validators, the hand-picked probes, the baseline bodies and the
    generated probes. `bad` (or a list of values) and the spellings map a label (the case id)
    to a value or to a function of the good value; every edge spelling must read as an edge
    spelling (`reads_edge`), so the generator never sends one as a break. `check` is needed
    only where jsonschema does not know the format; `strategy` (a function, built when
    generating) only where hypothesis-jsonschema does not."""
    if check is not None:

        def conforms(value) -> bool:
            return not isinstance(value, str) or check(value)  # a format constrains strings only

        CHECKER.checks(name, raises=())(conforms)
    if not isinstance(bad, dict):  # a plain list: labelled by position
        bad = {f"bad-{i}": value for i, value in enumerate(bad)}
    fmt = StringFormat(
        name, good, dict(bad), fresh or (lambda: good), strategy, dict(edge or {}), reads_edge, same_value
    )
    for label, spelling in fmt.bad.items():
        value = spelled(spelling, good)
        if CHECKER.conforms(value, name) or (reads_edge and reads_edge(value)):
            raise ValueError(f"format {name!r}: the bad example {label!r} is a valid value or an edge spelling")
    if not CHECKER.conforms(good, name):
        raise ValueError(f"format {name!r}: the good example fails its own check")
    for label, spelling in fmt.edge.items():
        if not (reads_edge and reads_edge(spelled(spelling, good))):
            raise ValueError(f"format {name!r}: the edge spelling {label!r} does not read as one")
    caller = sys._getframe(1).f_globals.get("__name__", "?")
    REGISTRY.add(name, fmt, f"{caller}:{name}")
    return fmt


def known(name) -> StringFormat | None:
    return REGISTRY.get(name) if isinstance(name, str) else None


def is_edge(name: str | None, value) -> bool:
    """Another spelling of a valid value of the format (never a generated break)."""
    fmt = known(name)
    return bool(fmt and fmt.reads_edge and isinstance(value, str) and fmt.reads_edge(value))


def custom_strategies() -> dict:
    """Strategies for hypothesis-jsonschema's `custom_formats`."""
    return {name: fmt.strategy() for name, fmt in REGISTRY.items() if fmt.strategy is not None}


def _uuid_strategy():
    # hypothesis-jsonschema leaves `uuid` (new in 2019-09) unconstrained; any version will do.
    return st.uuids(version=None).map(str)


def _uint64_strategy():
    return st.integers(min_value=0, max_value=UINT64_MAX).map(str)


# Values each format must refuse, tried on every run whatever the seed, and the other spellings
# of a good value a lenient parser reads as that value (the edge tier): Python's int() and
# str.isdigit() take Unicode digits, int() takes "1_000" and " 12 ", uuid.UUID() takes braces,
# upper case and a uuid without dashes, as do Pydantic, PostgreSQL, .NET and Go's uuid.
_FULLWIDTH = str.maketrans("0123456789", "\uff10\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18\uff19")
_ARABIC_INDIC = str.maketrans("0123456789", "\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669")
_GUJARATI = str.maketrans("0123456789", "\u0ae6\u0ae7\u0ae8\u0ae9\u0aea\u0aeb\u0aec\u0aed\u0aee\u0aef")


def _digits(good: str) -> str:
    return good if good.isascii() and good.isdigit() else "123"


def _as_uuid(value) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _uuid_edge(value: str) -> bool:
    """Parsed as a uuid by a lenient reader, but not the canonical lower-case dashed spelling."""
    parsed = _as_uuid(value)
    return parsed is not None and value != str(parsed)


def _uint64_number(value: str) -> int | None:
    """The number a lenient reader (Python's int()) takes `value` for: spaces, a sign, zeros,
    underscores and any script's decimal digits."""
    try:
        number = int(value)
    except (ValueError, TypeError):
        return None
    return number if 0 <= number <= UINT64_MAX else None


def _uint64_edge(value: str) -> bool:
    return _uint64_number(value) is not None and not (
        value.isascii() and value.isdigit() and (value == "0" or value[0] != "0")
    )


register(
    "uuid",
    good="3fa85f64-5717-4562-b3fc-2c963f66afa6",
    bad={
        "not-a-uuid": "not-a-uuid",
        "one-digit-short": "3fa85f64-5717-4562-b3fc-2c963f66afa",
        "x-for-dashes": "3fa85f64x5717x4562xb3fcx2c963f66afa6",
    },
    edge={
        "upper-case": str.upper,
        "without-dashes": lambda good: good.replace("-", ""),
        "in-braces": lambda good: "{" + good + "}",
    },
    reads_edge=_uuid_edge,
    same_value=lambda sent, stored: _as_uuid(stored) is not None and _as_uuid(stored) == _as_uuid(sent),
    fresh=lambda: str(uuid.uuid4()),
    strategy=_uuid_strategy,
)
# wacht-backend documents organization_id as string<uint64>: decimal digits, no sign.
register(
    "uint64",
    good="18446744073709551615",
    bad={
        "letters": "abc",
        "negative": "-1",
        "two-to-the-64": "18446744073709551616",
        "decimal": "12.5",
        "empty": "",
        "wraps-to-good": lambda good: str(int(_digits(good)) + 2**64),
    },  # a uint64 parser that wraps
    edge={
        "fullwidth-digits": lambda good: _digits(good).translate(_FULLWIDTH),
        "arabic-indic-digits": lambda good: _digits(good).translate(_ARABIC_INDIC),
        "gujarati-digits": lambda good: _digits(good).translate(_GUJARATI),
        "underscore": lambda good: _digits(good)[:1] + "_" + _digits(good)[1:],
        "spaces-around": lambda good: f" {_digits(good)} ",
        "plus-sign": lambda good: "+" + _digits(good),
        "leading-zero": lambda good: "0" + _digits(good),
    },
    reads_edge=_uint64_edge,
    same_value=lambda sent, stored: (
        isinstance(stored, str) and stored.isascii() and stored.isdigit() and _uint64_number(sent) == int(stored)
    ),
    fresh=lambda: "1",
    check=lambda v: v.isascii() and v.isdigit() and int(v) <= UINT64_MAX,
    strategy=_uint64_strategy,
)
register(
    "date-time",
    good="2024-01-15T10:30:00Z",
    bad={"yesterday": "yesterday", "out-of-range": "2024-13-45T25:61:00Z", "without-offset": "2024-01-15T10:30:00"},
    fresh=lambda: datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
)
