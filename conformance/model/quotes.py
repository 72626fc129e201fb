"""`conformance requirements P --check-quotes FILE`: does every page quote occur in the page?

A quote is compared with the saved document ignoring whitespace, punctuation and symbols
(what copying from a rendered page changes: line breaks, Markdown escapes, bullets), and
`...` joins parts that occur apart, in order. Standards and the suite's own principles are not
quotes of the page and are not looked for in it. A `provider-notes` source quotes the provider
notes shipped with the profiles (schemas/provider-notes.md, our own summary of outside facts),
never the page: its quote is looked for, by the same rule, in the section of the notes it names,
always, whichever document was given.
"""

from __future__ import annotations

import re
from pathlib import Path

ELLIPSIS = "..."


def letters_and_digits(text: str) -> str:
    return "".join(c for c in text if c.isalnum())


def occurs(quote: str, document: str) -> bool:
    """Every `...`-separated part of `quote` occurs in `document`, in order (both normalised)."""
    haystack = letters_and_digits(document)
    parts = [letters_and_digits(p) for p in quote.replace("\u2026", ELLIPSIS).split(ELLIPSIS)]
    parts = [p for p in parts if p]
    if not parts:
        return False  # a quote of nothing but punctuation says nothing the page could confirm
    at = 0
    for part in parts:
        found = haystack.find(part, at)
        if found < 0:
            return False
        at = found + len(part)
    return True


def document_path(given: str, file_name: str) -> Path:
    """FILE itself, or, given a directory (such as the seeds), the profile's document in it."""
    path = Path(given)
    return path / file_name if path.is_dir() else path


def missing_quotes(requirements, document: str) -> list:
    """The requirements whose page quote the document does not contain."""
    return [r for r in requirements if r.source.get("kind") == "page" and not occurs(r.source["quote"], document)]


def profile_page_quotes(profile) -> list[tuple[str, str]]:
    """(where, quote) of every page quote the profile holds besides its requirements' (an
    endpoint's, a rejection's, a transient status's): each `source` in profile.json and each
    `x-source` in its schemas."""
    return [(where, spec["quote"]) for where, spec in _profile_sources(profile) if spec["kind"] == "page"]


def _profile_sources(profile) -> list[tuple[str, dict]]:
    """(where, source) of each `source` in profile.json and each `x-source` in its schemas."""
    found: list[tuple[str, dict]] = []

    def walk(node, where: str, key: str) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                if k in (key, "x-source") and (isinstance(v, str) or (isinstance(v, dict) and "quote" in v)):
                    found.append((f"{where}/{k}", profile.source(v)))
                else:
                    walk(v, f"{where}/{k}", key)
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{where}/{i}", key)

    walk(profile.data, "profile.json#", "source")
    for name, schema in profile.schemas.items():
        walk(schema, f"{profile.data['schemas'][name]}#", "x-source")
    return found


def missing_profile_quotes(profile, document: str) -> list[tuple[str, str]]:
    return [(where, quote) for where, quote in profile_page_quotes(profile) if not occurs(quote, document)]


# -- the provider notes ---------------------------------------------------------------
_ANCHOR = re.compile(r'<a id="([^"]+)"></a>')
_CITED = re.compile(r"provider-notes\.md#([A-Za-z0-9_-]+)")


def notes_sections(text: str) -> dict[str, str]:
    """Each section of the provider notes by its anchor (`<a id="..."></a>`), up to the next."""
    marks = list(_ANCHOR.finditer(text))
    return {
        m.group(1): text[m.end() : (marks[i + 1].start() if i + 1 < len(marks) else len(text))]
        for i, m in enumerate(marks)
    }


def cited_section(source: dict) -> str | None:
    """The anchor a provider-notes source names in its `document` (provider-notes.md#anchor)."""
    found = _CITED.search(source.get("document", ""))
    return found.group(1) if found else None


def profile_notes_quotes(profile, requirements=()) -> list[tuple[str, str, str | None]]:
    """(where, quote, section) of every provider-notes quote: the requirements' (by id) and
    each `source` in profile.json and `x-source` in its schemas."""
    found = [
        (r.id, r.source["quote"], cited_section(r.source))
        for r in requirements
        if r.source.get("kind") == "provider-notes"
    ]
    for where, spec in _profile_sources(profile):
        if spec["kind"] == "provider-notes":
            found.append((where, spec["quote"], cited_section(spec)))
    return found


def missing_notes_quotes(profile, notes: str, requirements=()) -> list[tuple[str, str, str]]:
    """(where, quote, why) of each provider-notes quote not in the section of the notes it names."""
    sections = notes_sections(notes)
    missing = []
    for where, quote, section in profile_notes_quotes(profile, requirements):
        if section is None or section not in sections:
            missing.append(
                (
                    where,
                    quote,
                    f"no section provider-notes.md#{section}"
                    if section
                    else "names no section (provider-notes.md#...)",
                )
            )
        elif not occurs(quote, sections[section]):
            missing.append((where, quote, f"not in provider-notes.md#{section}"))
    return missing
