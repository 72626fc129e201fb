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
def test_every_bad_spelling_is_malformed_for_the_format_checker(fmt):
    for good in (formats.known(fmt).good, "999999999999999999" if fmt == "uint64" else formats.known(fmt).good):
        for label, spelling in formats.known(fmt).bad.items():
            value = formats.spelled(spelling, good)
            assert not FORMATS.conforms(value, fmt), (label, value)
            assert not formats.is_debatable(fmt, value), (label, value)


def test_the_numeric_corners_the_issue_names_are_sent_every_run():
    sent = {formats.spelled(s, "999999999999999999") for s in formats.known("uint64").bad.values()}
    assert {"\uff11\uff12\uff13", "\u0661\u0662\u0663", "\u0ae6", "1_000", " 12 ", "-1",
            "18446744073709551616", ""} <= sent


def test_an_upper_case_uuid_is_a_good_spelling_and_plus_or_zero_are_debatable():
    upper = formats.spelled(formats.known("uuid").good_spellings["upper-case"], formats.known("uuid").good)
    assert FORMATS.conforms(upper, "uuid") and upper != formats.known("uuid").good
    assert formats.is_debatable("uint64", "+12") and formats.is_debatable("uint64", "012")
    assert not formats.is_debatable("uint64", "12") and not formats.is_debatable("uint64", "0")
    assert formats.known("uint64").same_value("+012", "12") and not formats.known("uint64").same_value("+12", "120")


def test_the_wacht_backend_reference_rejects_every_numeric_corner_of_its_own_organization():
    own = wacht_backend.TARGET_PARAMS["organization_id"]
    for label, spelling in formats.known("uint64").bad.items():
        assert wacht_backend._uint64_problem(formats.spelled(spelling, own), Behaviour()), label


def test_the_int_parsing_fault_reads_unicode_digits_as_the_organization():
    """The trap the corners are there for: int() and isdigit() take Unicode digits."""
    own = wacht_backend.TARGET_PARAMS["organization_id"]
    fault = Behaviour("organization-id-int-parsed")
    fullwidth = formats.spelled(formats.known("uint64").bad["fullwidth-digits"], own)
    assert wacht_backend._uint64_problem(fullwidth, fault) is None
    assert wacht_backend._organization_key(fullwidth, fault) == own


def test_wacht_frontend_accepts_400_for_a_made_up_foreign_organization():
    rule = load("wacht-frontend").rules["organization_id_foreign"]
    assert 400 in rule["fallback_statuses"] and 400 not in load("wacht-frontend").rejection(rule["id"])["statuses"]


def test_a_variant_may_break_only_the_shoulds_it_declares():
    from conformance.reference.selftest import Outcome

    declared = ("d3lay.x-api-version.unknown-rejected",)
    assert Outcome("d3lay", "variant/nulls", declared, failed=list(declared)).verdict == "passed"
    assert Outcome("d3lay", "variant/nulls", declared,
                   failed=[*declared, "d3lay.owner_id.format"]).verdict == "false positive"


def test_variants_declare_only_should_breaks():
    from conformance.reference import available, provider_module

    for key in available():
        levels = {r.id: r.level for r in derive(load(key))}
        for variant in provider_module(key).VARIANTS.values():
            for suffix in variant.should_breaks:
                assert levels[f"{key}.{suffix}"] == "SHOULD", (key, variant.name, suffix)
