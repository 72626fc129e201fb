"""The reading rules and the tolerance model (DESIGN.md): every level follows the rule its
requirement rests on, MUST checks send ordinary values only, and the valid bodies send every
printable ASCII character through every free-text field."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings

from conformance.engine import cases
from conformance.engine.strategies import corner_bodies, invalid_bodies, valid_bodies
from conformance.model import formats, tolerance
from conformance.model.catalog import derive
from conformance.model.profile import BUILTIN, builtin_directory, load
from conformance.model.request_requirements import unusual_text_fields
from conformance.model.requirement import READING_RULES, SHOULD


@pytest.mark.parametrize("key", BUILTIN)
def test_every_level_follows_its_reading_rule_and_tier(key):
    data = json.loads((builtin_directory() / key / "profile.json").read_text(encoding="utf-8"))
    assert "levels" not in data, "a bundled profile states its levels through reading rules, not by hand"
    for req in derive(load(key)):
        assert req.rule in READING_RULES, req.id
        expected = SHOULD if req.tier == tolerance.EDGE else READING_RULES[req.rule][0]
        assert req.level == expected, (req.id, req.rule, req.tier, req.level)


@pytest.mark.parametrize("key", BUILTIN)
def test_the_valid_bodies_send_every_ordinary_character_through_every_free_text_field(key):
    profile = load(key)
    bodies = corner_bodies(profile)
    for name in unusual_text_fields(profile):
        if name in profile.param_fields:
            continue
        schema = profile.request_schema["properties"][name]
        sent = "".join(body[name] for body in bodies)
        assert set(tolerance.alphabet(schema)) <= set(sent), (name, set(tolerance.alphabet(schema)) - set(sent))
        for body in bodies:
            assert tolerance.is_ordinary_text(body[name], schema), (name, body[name])


@pytest.mark.parametrize("key", BUILTIN)
def test_the_must_cases_send_ordinary_values_only(key):
    profile = load(key)
    for case in cases.at_max_length(profile) + cases.above_max_length(profile) + cases.at_min_length(profile):
        assert case["filler"] == tolerance.ORDINARY_FILLER, case.id
    for case in cases.good_formats(profile):
        assert case["spelling"] is None  # the format's canonical value
    for case in cases.bad_formats(profile):
        value = formats.spelled(case["spelling"], formats.known(case["format"]).good)
        assert not formats.is_edge(case["format"], value), case.id
    edge_ids = {
        c.requirement
        for c in cases.edge_at_max_length(profile)
        + cases.edge_above_max_length(profile)
        + cases.edge_formats(profile)
        + cases.edge_echo_fields(profile)
        + cases.unusual_text(profile)
    }
    levels = {r.id: r.level for r in derive(profile)}
    assert all(levels[rid] == SHOULD for rid in edge_ids)


@pytest.mark.parametrize("key", BUILTIN)
def test_generated_valid_bodies_are_ordinary(key):
    profile = load(key)
    props = profile.request_schema["properties"]

    @settings(max_examples=60, database=None, deadline=None, suppress_health_check=list(HealthCheck))
    @given(valid_bodies(profile))
    def check(body):
        for name, value in body.items():
            schema = props[name]
            if name in unusual_text_fields(profile):
                assert tolerance.is_ordinary_text(value, schema), (name, value)
            fmt = formats.known(schema.get("format"))
            if fmt:
                assert not formats.is_edge(schema["format"], value), (name, value)

    check()


@pytest.mark.parametrize("key", BUILTIN)
def test_generated_breaks_judged_by_a_must_are_plainly_invalid(key):
    """A too-long value is ordinary text past the limit (a trimming server cannot bring it back
    under); a bad format is no spelling of a valid value; an optional field is never sent empty."""
    profile = load(key)
    props = profile.request_schema["properties"]
    required = set(profile.request_schema.get("required", []))

    @settings(max_examples=80, database=None, deadline=None, suppress_health_check=list(HealthCheck))
    @given(invalid_bodies(profile))
    def check(drawn):
        body, name, kind, _ = drawn
        value = body.get(name)
        if kind == "too-long":
            assert tolerance.is_ordinary_text(value, props[name]) and len(value) > props[name]["maxLength"]
        if kind == "off-enum":
            assert tolerance.is_ordinary_text(value, props[name]) and value not in props[name]["enum"]
        if kind == "bad-format":
            assert not formats.is_edge(props[name]["format"], value), value
            assert name in required or value != "", value

    check()


def test_edge_findings_name_what_the_server_did():
    assert tolerance.edge_finding("  a b  ", "a b") == "returned trimmed"
    assert tolerance.edge_finding("\u00a0tag", "tag") == "returned trimmed"
    assert tolerance.edge_finding("tag e\u0301", "tag \u00e9") == "returned NFC-normalised"
    assert tolerance.edge_finding("Tag", "tag") == "returned with its case changed"
    assert tolerance.edge_finding("tag", 12) == "not returned as text"


def test_the_sweep_keeps_spaces_inside_and_fits_the_room():
    for room in (3, 10, 24, 40, 95, 200):
        chunks = tolerance.ascii_sweep(room)
        assert set("".join(chunks)) == set(tolerance.PRINTABLE_ASCII)
        assert all(len(c) <= room and c == c.strip(" ") for c in chunks)
    assert set("".join(tolerance.ascii_sweep(24, {"x-text": "identifier"}))) == set(tolerance.SLUG)
