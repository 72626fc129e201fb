"""The profiles as data: well formed, complete, and wired to probes and sources."""

import json
import re

import pytest

from conformance.engine import cases
from conformance.model.catalog import derive
from conformance.model.profile import BUILTIN, FORMATS, SOURCE_KINDS, ProfileError, load
from conformance.probes import probe_specs
from conformance.reference import available

PROVIDERS = available()


def test_every_builtin_provider_has_a_profile_and_a_reference_server():
    assert PROVIDERS == list(BUILTIN)


@pytest.mark.parametrize("key", PROVIDERS)
def test_profile_names_its_document_revision(key):
    document = load(key).document
    assert document["file"].endswith(".txt") and document["revision"]


@pytest.mark.parametrize("key", PROVIDERS)
def test_requirement_ids_are_unique_and_prefixed(key):
    ids = [r.id for r in derive(load(key))]
    assert len(ids) == len(set(ids))
    assert all(i.startswith(key + ".") for i in ids)


@pytest.mark.parametrize("key", PROVIDERS)
def test_every_requirement_has_a_level_and_a_quoted_source(key):
    for req in derive(load(key)):
        assert req.level in ("MUST", "SHOULD"), req.id
        kind = req.source["kind"]
        assert kind in SOURCE_KINDS, req.id
        if kind == "suite":  # a principle of ours: stated as a reading, quoting no one
            assert req.source["reading"].strip() and not req.source["quote"], req.id
        else:
            assert req.source["quote"].strip() and req.source["document"], req.id
        if kind == "standard":
            assert req.source["url"].startswith("https://"), req.id
        assert kind != "provider-doc", req.id  # outside facts are cited from the provider notes


@pytest.mark.parametrize("key", PROVIDERS)
def test_no_server_error_cites_the_http_standard_not_the_page(key):
    source = {r.id: r for r in derive(load(key))}[f"{key}.robustness.no-server-error"].source
    assert source["kind"] == "standard" and "RFC 9110" in source["document"]
    assert "client seems to have erred" in source["quote"]


@pytest.mark.parametrize("key", PROVIDERS)
def test_page_quotes_carry_no_reading_in_parentheses(key):
    """Our own words go in `reading`: a page quote never explains itself ("(the status code is
    not given: ...)", "outside fact: ...")."""
    for req in derive(load(key)):
        if req.source["kind"] == "page":
            assert "outside fact" not in req.source["quote"] and "(the " not in req.source["quote"], req.id


@pytest.mark.parametrize("key", PROVIDERS)
def test_every_case_names_a_catalogued_requirement(key):
    profile = load(key)
    ids = {r.id for r in derive(profile)}
    for spec in probe_specs():
        for case in spec.cases(profile):
            assert case.requirement in ids, (spec.name, case.id)


def test_anthropic_limits_follow_the_seed_page():
    name = load("anthropic").request_schema["properties"]["name"]
    assert (name["minLength"], name["maxLength"]) == (1, 40)


def test_a_revised_profile_directory_is_used_without_code_changes(tmp_path):
    import json
    import shutil

    revised = tmp_path / "anthropic-255"
    shutil.copytree(load("anthropic").directory, revised)
    request = json.loads((revised / "request.schema.json").read_text())
    request["properties"]["name"]["maxLength"] = 255
    (revised / "request.schema.json").write_text(json.dumps(request))
    profile = load(str(revised))
    at_max = [c for c in cases.at_max_length(profile)]
    assert {c["length"] for c in at_max} == {255}


def test_unknown_provider_is_a_clear_error():
    with pytest.raises(ProfileError, match="unknown provider 'nope'"):
        load("nope")


@pytest.mark.parametrize(
    "fmt, good, bad",
    [
        ("date-time", "2024-10-30T23:58:27.427722Z", "2024-10-30 23:58:27"),
        ("uuid", "3fa85f64-5717-4562-b3fc-2c963f66afa6", "3fa85f64-5717-4562-b3fc-2c963f66afa"),
        ("uint64", "18446744073709551615", "18446744073709551616"),
    ],
)
def test_format_checking_is_really_on(fmt, good, bad):
    assert FORMATS.conforms(good, fmt)
    assert not FORMATS.conforms(bad, fmt)


def _notes_sources(profile):
    """Every provider-notes source a profile holds: its requirements' and each source in its files."""
    from conformance.model.quotes import _profile_sources

    return [(r.id, r.source) for r in derive(profile) if r.source["kind"] == "provider-notes"] + [
        (where, spec) for where, spec in _profile_sources(profile) if spec["kind"] == "provider-notes"
    ]


@pytest.mark.parametrize("key", PROVIDERS)
def test_every_provider_notes_quote_occurs_in_the_notes_shipped_with_the_profiles(key):
    from conformance.model.profile import notes_path
    from conformance.model.quotes import cited_section, missing_notes_quotes, notes_sections, occurs

    profile = load(key)
    notes = notes_path(profile).read_text(encoding="utf-8")
    assert notes_path(profile).name == "provider-notes.md" and "seeds" not in str(notes_path(profile))
    sections = notes_sections(notes)
    for where, source in _notes_sources(profile):
        section = cited_section(source)
        assert section in sections, where
        assert occurs(source["quote"], sections[section]), (where, source["quote"])
    assert missing_notes_quotes(profile, notes, derive(profile)) == []


@pytest.mark.parametrize("key", PROVIDERS)
def test_no_bundled_profile_cites_a_url_for_a_provider_notes_fact_or_a_provider_doc(key):
    from pathlib import Path

    from conformance.model.quotes import _profile_sources

    profile = load(key)
    for where, source in _notes_sources(profile):
        assert "url" not in source and "://" not in source["document"], where
        assert "provider-notes.md#" in source["document"] and "summarising " in source["document"], where
    assert all(spec["kind"] != "provider-doc" for _, spec in _profile_sources(profile))
    for file in Path(profile.directory).glob("*.json"):
        assert '"provider-doc"' not in file.read_text(encoding="utf-8"), file.name


def test_the_provider_notes_say_they_are_our_summary_and_name_each_page_they_summarise():
    from conformance.model.profile import notes_path
    from conformance.model.quotes import notes_sections

    notes = notes_path().read_text(encoding="utf-8")
    assert "our own summary" in notes.split("<a id=")[0]
    sections = notes_sections(notes)
    assert {"anthropic-errors", "anthropic-archive", "wacht-frontend-api", "wacht-frontend-session-cookie"} <= set(
        sections
    )
    assert all("Summarises: " in text for text in sections.values())
    for key in PROVIDERS:  # a reading that names a section of the notes names one that exists
        for anchor in re.findall(r"provider-notes\.md#([A-Za-z0-9_-]+)", json.dumps(load(key).data)):
            assert anchor in sections, (key, anchor)


def test_a_provider_notes_source_claiming_a_url_or_no_section_is_refused():
    profile = load("anthropic")
    good = {
        "kind": "provider-notes",
        "quote": "401 authentication_error",
        "document": "provider notes shipped with the profiles (provider-notes.md#anthropic-errors), "
        "summarising Anthropic's Errors page",
    }
    assert profile.source(good)["kind"] == "provider-notes" and "url" not in profile.source(good)
    with pytest.raises(ProfileError):
        profile.source({**good, "url": "https://platform.claude.com/docs/en/api/errors"})
    with pytest.raises(ProfileError):
        profile.source({**good, "document": "Anthropic API reference: Errors"})


def test_a_user_profile_may_still_cite_a_provider_doc():
    source = load("anthropic").source(
        {
            "kind": "provider-doc",
            "document": "Errors",
            "url": "https://example.com/errors",
            "quote": "400 invalid_request_error",
        }
    )
    assert source["kind"] == "provider-doc" and source["url"] == "https://example.com/errors"
