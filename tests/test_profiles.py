"""The profiles as data: well formed, complete, and wired to probes and sources."""
import pytest

from conformance.model.catalog import derive
from conformance.model.profile import BUILTIN, FORMATS, SOURCE_KINDS, ProfileError, load
from conformance.probes import cases, runner
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
        if kind in ("provider-doc", "standard"):
            assert req.source["url"].startswith("https://"), req.id


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
    for spec in runner.probe_specs():
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


@pytest.mark.parametrize("fmt, good, bad", [
    ("date-time", "2024-10-30T23:58:27.427722Z", "2024-10-30 23:58:27"),
    ("uuid", "3fa85f64-5717-4562-b3fc-2c963f66afa6", "3fa85f64-5717-4562-b3fc-2c963f66afa"),
    ("uint64", "18446744073709551615", "18446744073709551616"),
])
def test_format_checking_is_really_on(fmt, good, bad):
    assert FORMATS.conforms(good, fmt)
    assert not FORMATS.conforms(bad, fmt)
