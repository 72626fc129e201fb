"""Hypothesis strategies from a provider's request schema: valid bodies, and bodies broken in
exactly one place, each labelled with the requirement id the break violates.

Valid bodies carry ordinary values only (conformance.model.tolerance): printable ASCII text
without surrounding space, a slug in an identifier-like field, the canonical spelling of each
format, documented enum values; their explicit bodies send every printable ASCII character
through every free-text field. Edge text is the hand-picked SHOULD probes' business. A break
that a MUST judges is plainly invalid (too long in ASCII, no value of the format at all);
where the break itself cannot be told from an edge value (text of any kind that is no uuid),
the text is drawn from every corner of Unicode. The mutations are ours, because a schema
cannot say "this one keyword, and only it, is broken".
"""

from __future__ import annotations

import string

from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from conformance.engine.mutations import LONE_SURROGATE, NULL_OPTIONAL, mutations
from conformance.model import formats, tolerance
from conformance.model.profile import FORMATS, Profile
from conformance.model.request_requirements import is_free_text, request_properties

# The alphabets of the breaks' text (`text_values`): NUL is left out (a lone surrogate is a
# break of its own, judged only for "never a 5xx").
# Each alphabet is deferred: building a `characters` strategy reads Hypothesis's character
# tables, which the plugin must not do while pytest loads it (its fixtures import this module).
# Each alphabet is one `characters` strategy, never a `one_of`: Hypothesis draws a text over
# one character set as a single choice, but over a union character by character, five times
# slower. Ordinary letters and digits are mixed in so a corner also shows up inside plain text.
_PLAIN = string.ascii_letters + string.digits
_ANY = st.deferred(lambda: st.characters(codec="utf-8", exclude_characters="\x00"))
_WHITESPACE = st.sampled_from(" \u00a0\u2003\u3000")  # not tab: a control character, tried on its own
_DIGITS = st.deferred(lambda: st.characters(categories=["Nd"]))
_HEBREW_AND_ARABIC = "".join(map(chr, range(0x5D0, 0x700)))
_MARKS_AND_RTL = st.deferred(
    lambda: st.characters(categories=["Mn", "Me"], include_characters=_PLAIN + _HEBREW_AND_ARABIC)
)
_DIRECTION_MARKS = st.sampled_from("\u200e\u200f\u202e")  # left-to-right, right-to-left, right-to-left override
_ASTRAL = st.deferred(lambda: st.characters(min_codepoint=0x10000, codec="utf-8", include_characters=_PLAIN))
_CONTROL = st.deferred(lambda: st.characters(categories=["Cc"], exclude_characters="\x00"))

_WRONG_TYPES = {
    # Containers, booleans and floats: the hand-picked probe only sends an integer.
    "string": st.one_of(
        st.integers(),
        st.floats(allow_nan=False, allow_infinity=False),
        st.booleans(),
        st.lists(st.text(max_size=3), max_size=2),
        st.dictionaries(st.text(max_size=3), st.text(max_size=3), max_size=2),
    ),
}


def text_values(min_size: int = 0, max_size: int | None = None):
    """Strings of min_size..max_size code points, biased toward the corners of Unicode: for the
    breaks whose value is invalid whatever text it holds (no uuid at all, a lone surrogate), so
    its text may be anything. Valid bodies carry `ordinary_text` only."""
    cap = 24 if max_size is None else max_size
    low = min(min_size, cap)
    anything = _ANY

    def of(alphabet, at_least=low):
        return st.text(alphabet, min_size=at_least, max_size=cap)

    def around(one):
        """Any text with one character of `one` inside, which the length cap never cuts off."""
        return (
            st.tuples(st.text(anything, max_size=cap - 1), one, st.text(anything, max_size=cap - 1))
            .map(lambda p: p[0] + p[1] + p[2][: cap - 1 - len(p[0])])
            .filter(lambda s: len(s) >= low)
        )

    branches = [
        of(anything),
        of(_WHITESPACE, max(low, 1)),
        of(_DIGITS, max(low, 1)),
        of(_MARKS_AND_RTL),
        of(_ASTRAL),
    ]
    if cap >= 1:
        # One rare character in other text: drawn from a set of its own, or it would hardly
        # ever be drawn (Hypothesis favours the first characters of a set).
        branches += [around(_CONTROL), around(_DIRECTION_MARKS)]
    return st.one_of(branches)


# Where the page gives no maximum, ordinary text stays this short: a limit the page does not
# state is the target's choice (a slug of 1-64, a varchar), and the run's tag needs room too.
ORDINARY_UNBOUNDED = 40
# Room kept for the run's tag that `prepared` appends to a tagged field (Namer.keep_class).
TAG_ROOM = 16


def ordinary_text(schema: dict, min_size: int = 1, max_size: int | None = None):
    """Ordinary text for `schema`: printable ASCII (a slug for an identifier-like field), no
    leading or trailing space, at least one character (an empty optional string is edge)."""
    top = max_size if max_size is not None else schema.get("maxLength", ORDINARY_UNBOUNDED)
    low = max(1, min_size)
    alphabet = st.sampled_from(tolerance.alphabet(schema))
    return (
        st.text(alphabet, min_size=low, max_size=max(low, top))
        .map(lambda v: v.strip(" "))
        .filter(lambda v: low <= len(v))
    )


def _field_strategy(schema: dict, required: bool):
    if schema.get("x-generate") == "example":  # free text a target may check more strictly (a URL)
        return st.just(schema["examples"][0])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if is_free_text(schema):
        return ordinary_text(schema, schema.get("minLength", 1), min(schema.get("maxLength", 24), 24))
    return from_schema(_strip_annotations(schema), custom_formats=formats.custom_strategies())


def _strip_annotations(node):
    if isinstance(node, dict):
        return {
            k: _strip_annotations(v)
            for k, v in node.items()
            if not k.startswith("x-") and k not in ("examples", "title", "$id", "default")
        }
    if isinstance(node, list):
        return [_strip_annotations(v) for v in node]
    return node


_CACHE: dict = {}


def _cached(profile: Profile, key, build):
    """Strategies are built once per profile directory: building them is not free."""
    slot = (profile.directory, key)
    if slot not in _CACHE:
        _CACHE[slot] = build()
    return _CACHE[slot]


def _valid(profile: Profile):
    schema = profile.request_schema
    required = set(schema.get("required", []))
    # File parts travel beside the form, not in it; an unknown field is not a valid body's business.
    props = {n: s for n, s in request_properties(profile).items() if not s.get("x-file")}
    strategies = {n: _field_strategy(s, n in required) for n, s in props.items()}
    return st.fixed_dictionaries(
        {n: v for n, v in strategies.items() if n in required},
        optional={n: v for n, v in strategies.items() if n not in required},
    )


def _plain_body(profile: Profile) -> dict:
    """Every documented field with an ordinary valid value (the probe fixes params and names)."""
    plain = {}
    for name, schema in request_properties(profile).items():
        if schema.get("x-file"):
            continue
        if "enum" in schema:
            plain[name] = schema["enum"][0]
        elif fmt := formats.known(schema.get("format")):
            plain[name] = fmt.good
        elif "examples" in schema:
            plain[name] = schema["examples"][0]
        else:
            plain[name] = "corner"
    return plain


def corner_bodies(profile: Profile) -> list[dict]:
    """Explicit valid bodies, sent every run whatever the seed: every documented field present,
    and together they send every ordinary character (every printable ASCII character; a slug's
    in an identifier) through every free-text field, none with surrounding space. One body
    carries a chunk of each field at once: each valid body is a workspace left on the target."""
    plain = _plain_body(profile)
    sweeps = {}
    for name, schema in request_properties(profile).items():
        if not is_free_text(schema) or name in profile.param_fields:  # a param field gets the target's value
            continue
        room = schema.get("maxLength", ORDINARY_UNBOUNDED) - (TAG_ROOM if name in profile.tagged_fields else 0)
        room = max(room, schema.get("minLength", 1))
        chunks = [c for c in tolerance.ascii_sweep(room, schema) if len(c) >= schema.get("minLength", 1)]
        if chunks:
            sweeps[name] = chunks
    count = max((len(chunks) for chunks in sweeps.values()), default=0)
    return [{**plain, **{name: chunks[i] for name, chunks in sweeps.items() if i < len(chunks)}} for i in range(count)]


# The wrong types a lenient parser turns into text ("True", "[]"): tried on every string field
# whatever the seed; the hand-picked probe sends only an integer.
WRONG_TYPE_CORNERS = [True, 1.5, ["corner"], {"corner": "corner"}]


def corner_breaks(profile: Profile, field: str) -> list[tuple]:
    """Explicit broken bodies for `field`, in the shape `invalid_bodies` draws."""
    plain = _plain_body(profile)
    return [
        ({**plain, field: value}, field, "wrong-type", requirement)
        for kind, requirement in mutations(profile, field)
        if kind == "wrong-type"
        for value in WRONG_TYPE_CORNERS
    ]


def valid_bodies(profile: Profile):
    """Bodies the request schema allows (the probe then fixes param and unique fields)."""
    return _cached(profile, ("valid",), lambda: _valid(profile))


def _broken_value(profile: Profile, field: str, kind: str):
    schema = request_properties(profile)[field]
    if kind in ("null", NULL_OPTIONAL):
        return st.none()
    if kind == "wrong-type":
        return _WRONG_TYPES[schema["type"]]
    if kind == "too-long":  # ordinary text: a limit at the boundary is a MUST on ordinary values only
        top = schema["maxLength"]
        return ordinary_text(schema, top + 1, top + 8)
    if kind == "too-short":
        return st.text(st.sampled_from(tolerance.alphabet(schema).replace(" ", "")), max_size=schema["minLength"] - 1)
    if kind == "off-enum":  # printable ASCII that is no documented value (a trimmed one is edge)
        return ordinary_text(schema, 1, 12).filter(lambda v: v not in schema["enum"])
    if kind == "bad-format":
        # No value of the format at all: another spelling of a valid one ("+12", a dashless
        # uuid) is the edge tier's probe, and so is an empty optional string (read as absent).
        optional = field not in profile.request_schema.get("required", [])
        return text_values(0, 40).filter(
            lambda v: (
                not FORMATS.conforms(v, schema["format"])
                and not formats.is_edge(schema["format"], v)
                and not (optional and v == "")
            )
        )
    if kind == LONE_SURROGATE:
        return st.tuples(
            text_values(0, 6), st.sampled_from(["\ud800", "\udbff", "\udc00", "\udfff"]), text_values(0, 6)
        ).map("".join)
    raise ValueError(kind)


def invalid_bodies(profile: Profile, field: str | None = None):
    """(body, field, kind, requirement id): a valid body broken in one way, in `field` if
    given, else in any field that can be broken."""
    return _cached(profile, ("invalid", field), lambda: _invalid(profile, field))


def _invalid(profile: Profile, field: str | None):
    fields = [field] if field else [f for f in request_properties(profile) if mutations(profile, f)]
    # Every strategy is built here, once: a strategy built inside a draw is validated afresh
    # on every example, and that cost more than the request it fed.
    pick_field = st.sampled_from(fields)
    pick_break = {
        name: st.sampled_from(
            [
                (kind, requirement, None if kind == "drop" else _broken_value(profile, name, kind))
                for kind, requirement in mutations(profile, name)
            ]
        )
        for name in fields
    }

    @st.composite
    def broken(draw):
        body = dict(draw(valid_bodies(profile)))
        name = draw(pick_field)
        kind, requirement, value = draw(pick_break[name])
        if value is None:
            body.pop(name, None)
        else:
            body[name] = draw(value)
        return body, name, kind, requirement

    return broken()
