"""`conformance requirements P --check-quotes FILE`: does every page quote occur in the page?

A quote is compared with the saved document ignoring whitespace, punctuation and symbols
(what copying from a rendered page changes: line breaks, Markdown escapes, bullets), and
`...` joins parts that occur apart, in order. Outside facts, standards and the suite's own
principles are not quotes of the page and are not looked for in it.
"""
from __future__ import annotations

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
    found: list[tuple[str, str]] = []

    def walk(node, where: str, key: str) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                if k in (key, "x-source") and (isinstance(v, str) or (isinstance(v, dict) and "quote" in v)):
                    spec = profile.source(v)
                    if spec["kind"] == "page":
                        found.append((f"{where}/{k}", spec["quote"]))
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
