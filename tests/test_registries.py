"""The mechanisms a new provider may need are one registered function each: a string format,
an auth placement, a body encoding. Each test registers one and sees it used everywhere."""

from __future__ import annotations

import json
import shutil

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.client.counters import Budget
from conformance.client.target import Target
from conformance.engine import cases, mutations
from conformance.engine import strategies as generation
from conformance.model import formats
from conformance.model.auth import AUTH_PLACEMENTS, auth_placement
from conformance.model.encodings import ENCODINGS, Body, body_encoding
from conformance.model.profile import FORMATS, ProfileError, load


@pytest.fixture
def registered():
    """Registries restored after the test, so a test's format or placement does not leak."""
    registries = [formats.REGISTRY, AUTH_PLACEMENTS, ENCODINGS]
    saved = [registry.snapshot() for registry in registries]
    checkers = dict(FORMATS.checkers)
    yield
    for registry, snapshot in zip(registries, saved):
        registry.restore(snapshot)
    FORMATS.checkers.clear()
    FORMATS.checkers.update(checkers)


def _profile_with(tmp_path, edit_profile=None, edit_request=None):
    folder = tmp_path / "anthropic-edited"
    shutil.copytree(load("anthropic").directory, folder)
    for name, edit in (("profile.json", edit_profile), ("request.schema.json", edit_request)):
        if edit:
            document = json.loads((folder / name).read_text())
            edit(document)
            (folder / name).write_text(json.dumps(document))
    return load(str(folder))


def _target(profile, handler) -> Target:
    return Target(
        profile,
        "http://target.invalid",
        "s3cret",
        {},
        run_id="t",
        budget=Budget(None),
        transport=httpx.MockTransport(handler),
    )


def test_a_registered_format_is_checked_probed_and_generated(tmp_path, registered):
    formats.register(
        "hex-colour",
        good="#a0b1c2",
        bad=["red", "#12345g"],
        check=lambda v: len(v) == 7 and v[0] == "#" and all(c in "0123456789abcdef" for c in v[1:]),
        strategy=lambda: st.from_regex(r"\A#[0-9a-f]{6}\Z"),
    )

    def add_colour(request):
        request["properties"]["colour"] = {"type": "string", "format": "hex-colour"}

    profile = _profile_with(tmp_path, edit_request=add_colour)

    assert FORMATS.conforms("#a0b1c2", "hex-colour") and not FORMATS.conforms("red", "hex-colour")
    assert [(c["format"], c["spelling"]) for c in cases.good_formats(profile)] == [("hex-colour", None)]
    assert [formats.spelled(c["spelling"], "#a0b1c2") for c in cases.bad_formats(profile)] == ["red", "#12345g"]
    assert ("bad-format", "anthropic.colour.format") in mutations.mutations(profile, "colour")

    @settings(max_examples=10, database=None)
    @given(generation.valid_bodies(profile))
    def drawn(body):
        assert "colour" not in body or FORMATS.conforms(body["colour"], "hex-colour")

    drawn()


def test_a_format_whose_examples_contradict_its_check_is_refused(registered):
    with pytest.raises(ValueError, match="bad example"):
        formats.register("digits", good="12", bad=["34"], check=str.isdigit)


def test_a_registered_auth_placement_is_used(tmp_path, registered):
    @auth_placement("query")
    def in_query(credentials, name, value):
        credentials.params[name] = value

    def query_auth(profile):
        profile["auth"] = {"in": "query", "name": "key", "source": "?key=<your key>"}

    profile = _profile_with(tmp_path, edit_profile=query_auth)
    seen = []
    target = _target(profile, lambda request: seen.append(request) or httpx.Response(201, json={}))
    exchange = target.create({"name": "x"})
    assert seen[0].url.params["key"] == "s3cret"
    assert "s3cret" not in exchange.url and "s3cret" not in exchange.curl


def test_a_registered_body_encoding_is_used(tmp_path, registered):
    @body_encoding("urlencoded")
    def urlencoded(payload, files):
        from urllib.parse import urlencode

        return Body(urlencode(payload).encode(), "application/x-www-form-urlencoded")

    def form_only(profile):
        profile["encodings"] = {"urlencoded": {"source": "application/x-www-form-urlencoded"}}

    profile = _profile_with(tmp_path, edit_profile=form_only)
    seen = []
    target = _target(profile, lambda request: seen.append(request) or httpx.Response(201, json={}))
    target.create({"name": "a b"})
    assert seen[0].headers["content-type"] == "application/x-www-form-urlencoded"
    assert seen[0].content == b"name=a+b"


def test_an_unregistered_auth_placement_is_one_clear_sentence_at_load(tmp_path):
    def nowhere(profile):
        profile["auth"]["in"] = "carrier-pigeon"

    with pytest.raises(
        ProfileError,
        match="auth.in 'carrier-pigeon' is not a known placement "
        r"\(header, cookie; a new one is registered with @auth_placement\)",
    ):
        _profile_with(tmp_path, edit_profile=nowhere)


def test_a_second_definition_under_a_taken_name_is_refused(registered):
    """Registries refuse duplicates: another function under a name already registered is an
    error naming both places (module:qualname), never a silent overwrite."""
    from conformance.registry import DuplicateRegistration

    with pytest.raises(
        DuplicateRegistration,
        match=r"auth placement 'header' is registered twice: by "
        r"conformance\.model\.auth:_in_header and by tests\.test_registries:",
    ):

        @auth_placement("header")
        def another_header(credentials, name, value):
            credentials.headers[name] = value

    with pytest.raises(DuplicateRegistration, match="string format 'uuid' is registered twice"):
        formats.register("uuid", good="3fa85f64-5717-4562-b3fc-2c963f66afa6", bad=["x"])


def test_probes_of_the_same_name_in_two_modules_are_both_kept(monkeypatch):
    from conformance.engine import runner
    from conformance.registry import Registry

    monkeypatch.setattr(runner, "REGISTRY", Registry("probe"))

    def make(module):
        def test_same(target, case):
            pass

        test_same.__module__ = module
        return runner.probe(cases.single("request.valid-accepted"), creates=lambda p, c: ())(test_same)

    first, second = make("my.probes_a"), make("my.probes_b")
    names = [f"my.probes_{m}:{first.__qualname__}" for m in "ab"]
    assert list(runner.REGISTRY) == names
    assert runner.REGISTRY[names[0]].function is first and runner.REGISTRY[names[1]].function is second
