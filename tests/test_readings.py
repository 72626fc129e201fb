"""Readings: page quotes checked against the page, format corners as data."""

import pytest

from conformance.cli import main
from conformance.model import formats
from conformance.model.catalog import derive
from conformance.model.profile import FORMATS, load
from conformance.model.quotes import occurs, profile_page_quotes
from conformance.reference import wacht_backend
from conformance.reference.common import Behaviour


def test_a_quote_matches_across_line_breaks_punctuation_and_markdown_escapes():
    page = "archived\\_at: string\n\nRFC 3339 datetime string, or null if the Workspace is not archived."
    assert occurs("archived_at: string. RFC 3339 datetime string, or null if the Workspace is not archived", page)


def test_an_ellipsis_joins_parts_that_occur_apart_and_in_order():
    page = "name\nstring\nrequired\nWorkspace name.\n\nMinimum string length: 1"
    assert occurs("name ... Minimum string length: 1", page)
    assert not occurs("Minimum string length: 1 ... name string required", page)


def test_our_own_words_are_not_found_in_the_page():
    page = "Response\n\nWorkspace created\n"
    assert not occurs("Response: Workspace created (the status code is not given: 200 and 201 are both accepted)", page)
    assert not occurs("...", page)


def _page_made_of_the_quotes(key: str) -> str:
    profile = load(key)
    quotes = [r.source["quote"] for r in derive(profile) if r.source["kind"] == "page"]
    quotes += [quote for _, quote in profile_page_quotes(profile)]
    return "\n".join(q.replace("...", "\n") for q in quotes)


def test_check_quotes_passes_when_every_quote_is_in_the_document(tmp_path, capsys):
    (tmp_path / load("orgo").document["file"]).write_text(_page_made_of_the_quotes("orgo"), encoding="utf-8")
    assert main(["requirements", "orgo", "--check-quotes", str(tmp_path)]) == 0
    assert "not in" not in capsys.readouterr().out


def test_check_quotes_lists_a_missing_quote_and_exits_1(tmp_path, capsys):
    page = _page_made_of_the_quotes("orgo").replace("Must be unique within your account.", "")
    document = tmp_path / "orgo-page.txt"
    document.write_text(page, encoding="utf-8")
    assert main(["requirements", "orgo", "--check-quotes", str(document)]) == 1
    out = capsys.readouterr().out
    assert "not in orgo-page.txt: orgo.name.required" in out


def test_check_quotes_says_so_when_the_document_cannot_be_read(tmp_path, capsys):
    assert main(["requirements", "orgo", "--check-quotes", str(tmp_path / "absent.txt")]) == 4
    assert "cannot read the document" in capsys.readouterr().err


@pytest.mark.parametrize("fmt", sorted(formats.REGISTRY))
def test_every_bad_spelling_is_malformed_and_no_edge_spelling(fmt):
    for good in (formats.known(fmt).good, "999999999999999999" if fmt == "uint64" else formats.known(fmt).good):
        for label, spelling in formats.known(fmt).bad.items():
            value = formats.spelled(spelling, good)
            assert not FORMATS.conforms(value, fmt), (label, value)
            assert not formats.is_edge(fmt, value), (label, value)


@pytest.mark.parametrize("fmt", sorted(formats.REGISTRY))
def test_every_edge_spelling_means_the_good_value(fmt):
    known = formats.known(fmt)
    for label, spelling in known.edge.items():
        value = formats.spelled(spelling, known.good)
        assert value != known.good and formats.is_edge(fmt, value), label
        assert known.same_value(value, known.good), label
    assert not formats.is_edge(fmt, known.good)


def test_the_spellings_the_issue_names_are_edge_not_invalid():
    """A dashless or braced uuid (Pydantic, PostgreSQL, .NET and Go accept them) and a uint64
    with spaces around it are other spellings: refused or kept, never a MUST failure."""
    good = formats.known("uuid").good
    for value in (good.replace("-", ""), "{" + good + "}", good.upper()):
        assert formats.is_edge("uuid", value)
        assert value not in {formats.spelled(s, good) for s in formats.known("uuid").bad.values()}
    assert formats.is_edge("uint64", " 12 ") and formats.is_edge("uint64", "+12") and formats.is_edge("uint64", "012")
    assert formats.is_edge("uint64", "\uff11\uff12") and not formats.is_edge("uint64", "12")
    assert not formats.is_edge("uint64", "0") and not formats.is_edge("uint64", "-1")
    assert formats.known("uint64").same_value("+012", "12") and not formats.known("uint64").same_value("+12", "120")
    assert formats.known("uuid").same_value("{" + good.upper() + "}", good)
    assert not formats.known("uuid").same_value(good, "3fa85f64-5717-4562-b3fc-000000000000")


def test_values_that_are_no_value_of_the_format_are_still_refused():
    sent = {formats.spelled(s, "999999999999999999") for s in formats.known("uint64").bad.values()}
    assert {"abc", "-1", "18446744073709551616", "", "12.5"} <= sent
    assert "not-a-uuid" in formats.known("uuid").bad.values()


def test_the_wacht_backend_reference_rejects_every_bad_and_non_ascii_spelling():
    own = wacht_backend.TARGET_PARAMS["organization_id"]
    known = formats.known("uint64")
    edge = {label: spelling for label, spelling in known.edge.items() if label not in ("plus-sign", "leading-zero")}
    for label, spelling in {**known.bad, **edge}.items():
        assert wacht_backend._uint64_problem(formats.spelled(spelling, own), Behaviour()), label


def test_the_int_parsing_fault_reads_unicode_digits_as_the_organization():
    """The lenient reading the edge tier allows: int() and isdigit() take Unicode digits."""
    own = wacht_backend.TARGET_PARAMS["organization_id"]
    fault = Behaviour("organization-id-int-parsed")
    fullwidth = formats.spelled(formats.known("uint64").edge["fullwidth-digits"], own)
    assert wacht_backend._uint64_problem(fullwidth, fault) is None
    assert wacht_backend._organization_key(fullwidth, fault) == own


def test_a_made_up_foreign_organization_proves_nothing():
    """Without foreign_organization_id the membership rule has no fallback statuses to pass on."""
    rule = load("wacht-frontend").rules["organization_id_foreign"]
    assert "fallback_statuses" not in rule and "fallback" not in rule


def test_a_variant_may_break_only_the_shoulds_it_declares():
    from conformance.reference.selftest import Outcome

    declared = ("d3lay.x-api-version.unknown-rejected",)
    assert Outcome("d3lay", "variant/nulls", declared, failed=list(declared)).verdict == "passed"
    assert (
        Outcome("d3lay", "variant/nulls", declared, failed=[*declared, "d3lay.owner_id.format"]).verdict
        == "false positive"
    )


def test_variants_declare_only_should_breaks():
    from conformance.reference import available, provider_module

    for key in available():
        levels = {r.id: r.level for r in derive(load(key))}
        for variant in provider_module(key).VARIANTS.values():
            for suffix in variant.should_breaks:
                assert levels[f"{key}.{suffix}"] == "SHOULD", (key, variant.name, suffix)


def test_check_quotes_looks_for_provider_notes_quotes_in_the_shipped_notes_not_the_page(tmp_path, capsys):
    """The page made of the page quotes alone passes: the notes' words are not looked for in it,
    and the notes shipped with the profiles are found without the seeds directory."""
    profile = load("anthropic")
    (tmp_path / profile.document["file"]).write_text(_page_made_of_the_quotes("anthropic"), encoding="utf-8")
    assert main(["requirements", "anthropic", "--check-quotes", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "provider-notes quotes found in" in out and "provider-notes.md" in out and "not in" not in out


def test_check_quotes_lists_a_provider_notes_quote_the_notes_do_not_hold(tmp_path, capsys):
    import json
    import shutil

    copy = tmp_path / "anthropic-copy"
    shutil.copytree(load("anthropic").directory, copy)
    data = json.loads((copy / "profile.json").read_text(encoding="utf-8"))
    data["error_type"]["source"]["quote"] = "418 teapot_error"
    (copy / "profile.json").write_text(json.dumps(data), encoding="utf-8")
    (tmp_path / "page.txt").write_text(_page_made_of_the_quotes("anthropic"), encoding="utf-8")
    assert main(["requirements", str(copy), "--check-quotes", str(tmp_path / "page.txt")]) == 1
    out = capsys.readouterr().out
    assert (
        "not in provider-notes.md#anthropic-errors: profile.json#/error_type/source: \u201c418 teapot_error\u201d"
        in out
    )


def test_the_catalog_shows_a_provider_notes_quote_as_the_notes_words_not_the_page(capsys):
    assert main(["requirements", "anthropic"]) == 0
    out = capsys.readouterr().out
    assert (
        "source (provider-notes): provider notes shipped with the profiles (provider-notes.md#anthropic-errors)" in out
    )
    assert "notes (our summary, not the provider's words): \u201c400 invalid_request_error\u201d" in out
    assert (
        "quote: \u201c400 invalid_request_error\u201d" not in out
        and "platform.claude.com/docs/en/api/errors" not in out
    )
