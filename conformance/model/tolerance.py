"""The tolerance model: what a MUST may send, and what only a SHOULD may.

Every value a probe or the generator sends belongs to one of two tiers, defined here and
nowhere else (DESIGN.md, "The tolerance model"):

- **ordinary**: what any implementation of the page must accept and return as sent. Printable
  ASCII text without leading or trailing space, within the documented limits (every printable
  ASCII character is sent in every free-text field at least once); an identifier-like field
  holds a slug; the canonical spelling of each format (registered with the format); documented
  enum values exactly as listed.
- **edge**: everything else the schema allows: surrounding or only whitespace, non-ASCII
  letters and digits, combining marks, astral characters, direction marks and control
  characters, other spellings of a format, characters outside a slug in an identifier-like
  field, an empty string in an optional field.

MUST checks (acceptance, exact echo, limits at the boundary) are judged on ordinary values
only; the same checks with edge values are SHOULD requirements named for what they found.
A value that is plainly invalid (no UUID at all, 41 ASCII characters) must still be refused.
"""

from __future__ import annotations

import string
import unicodedata
import zlib

ORDINARY, EDGE = "ordinary", "edge"

# Space (0x20) to tilde (0x7E): the 95 printable ASCII characters.
PRINTABLE_ASCII = "".join(map(chr, range(0x20, 0x7F)))
# What an identifier-like field holds in the ordinary tier: a slug.
SLUG = string.ascii_letters + string.digits + "._-"


def text_class(schema: dict) -> str:
    """`identifier` for a field the profile marks identifier-like (`"x-text": "identifier"`),
    else `free` (names, descriptions)."""
    return "identifier" if schema.get("x-text") == "identifier" else "free"


def alphabet(schema: dict) -> str:
    """The ordinary characters of a text field."""
    return SLUG if text_class(schema) == "identifier" else PRINTABLE_ASCII


def is_ordinary_text(value, schema: dict | None = None) -> bool:
    """Printable ASCII (a slug for an identifier-like field), no leading or trailing space,
    not empty."""
    if not isinstance(value, str) or not value:
        return False
    allowed = alphabet(schema or {})
    return all(c in allowed for c in value) and value == value.strip(" ")


def ordinary_lead(index: int, seed_text: str = "") -> str:
    """One ASCII letter for a value too short to carry the run's tag: the `index`-th, the same
    in every run (the same target gets the same requests), or, given `seed_text` (a run id),
    one that differs between runs (where the field must be unique, an earlier run may hold it).
    A letter, not any printable character: a one-character value that is all digits or all
    punctuation is a corner of its own, which the valid bodies' sweep reaches."""
    offset = zlib.crc32(seed_text.encode()) if seed_text else 0
    return string.ascii_letters[(offset + index) % len(string.ascii_letters)]


def ascii_sweep(room: int, schema: dict | None = None) -> list[str]:
    """Chunks of at most `room` characters that together hold every ordinary character of the
    field at least once, none with a leading or trailing space: one valid body per chunk sends
    every printable ASCII character through the field (the space inside a chunk)."""
    chars = alphabet(schema or {})
    visible = chars.replace(" ", "")
    if room < 1:
        return []
    out = []
    if " " in chars and room >= 3:  # the space in the middle of the first chunk, never at an end
        take = min(room - 1, len(visible))
        half = take // 2
        out.append(visible[:half] + " " + visible[half:take])
        visible = visible[take:]
    return out + [visible[i : i + room] for i in range(0, len(visible), room)]


def ordinary_mixed(tag: str, limit: int | None, schema: dict | None = None) -> str:
    """An ordinary value a sloppy server would still alter: mixed case after the run's unique
    tag, cut to the limit without leaving a trailing space. (Every other printable character
    goes through the field in the valid bodies' sweep, whose echo is judged too.)"""
    if text_class(schema or {}) == "identifier":
        text = f"{tag}.MiXeD_Case-09"
    else:
        text = f"{tag} MiXeD Case"
    if limit is not None:
        text = text[:limit].rstrip(" ")
    return text


# Edge text, by what it tries. Each is valid for a plain `string` schema; a careful server may
# refuse it, trim it or normalise it: what it did is a SHOULD finding named for it.
EDGE_TEXT = {
    "surrounding-spaces": "  {tag}  ",  # trimmed?
    "non-ascii": "{tag} \u00dcn\u00ef \u05e9\u05dc\u05d5\u05dd \u0663\u0664",  # Latin-1, Hebrew, Arabic-Indic digits
    "astral": "{tag} \U0001d4b3",  # outside the Basic Multilingual Plane
    "combining-mark": "{tag} e\u0301",  # NFD: an NFC server returns U+00E9
    "no-break-space": "\u00a0{tag}",  # Go's strings.TrimSpace removes it
}
# Text a careful server may refuse outright (request.unusual-text-accepted tries these, without
# a tag: whitespace only must stay whitespace only).
UNUSUAL_TEXT = {"whitespace-only": " \u3000 ", "control-character": "a\u0007b", "direction-marks": "\u200fabc\u200e"}
# What an identifier-like field may refuse: outside a slug, though printable ASCII.
NON_SLUG_IDENTIFIER = "{tag} with spaces~"


def template(label: str) -> str:
    """The text of an unusual or edge kind, `{tag}` where the run's tag goes."""
    return EDGE_TEXT.get(label) or UNUSUAL_TEXT.get(label) or NON_SLUG_IDENTIFIER


# What a refusal of each kind of unusual or edge text shows, for the finding's title.
REFUSAL_FINDINGS = {
    "whitespace-only": "refuses whitespace-only text",
    "control-character": "refuses a control character",
    "direction-marks": "refuses direction marks",
    "surrounding-spaces": "refuses surrounding spaces",
    "non-ascii": "refuses non-ASCII letters or digits",
    "astral": "refuses astral characters",
    "combining-mark": "refuses combining marks",
    "no-break-space": "refuses a leading no-break space",
    "outside-a-slug": "is limited to a slug",
}

# Fillers for the length limits. The ordinary filler counts the same in every unit; each edge
# filler lands a server counting in another unit (or trimming, folding, normalising before
# counting) on the wrong side of the limit: a SHOULD finding named for that unit.
ORDINARY_FILLER = "x"
EDGE_FILLERS_AT_MAX = {
    "e-acute": ("\u00e9", "length counted in UTF-8 bytes"),
    "astral-emoji": ("\U0001f600", "length counted in UTF-16 units"),
    "sharp-s": ("\u00df", "text case-folded before its length is counted"),
}
EDGE_FILLERS_ABOVE_MAX = {
    "astral-emoji": ("\U0001f600", "length not counted in code points"),
    "combining-acute": ("e\u0301", "length counted in graphemes or after NFC normalisation"),
    "surrounding-spaces": (" ", "text trimmed before its length is counted"),
}


def edge_finding(sent: str, returned) -> str:
    """What a server did to an edge value it did not return as sent, in a few words."""
    if not isinstance(returned, str):
        return "not returned as text"
    if returned.strip() == sent.strip():  # str.strip() takes U+00A0 and U+3000 too, as Go's TrimSpace
        return "returned trimmed"
    for form in ("NFC", "NFKC"):
        if returned == unicodedata.normalize(form, sent) or returned == unicodedata.normalize(form, sent).strip():
            return f"returned {form}-normalised"
    if returned.lower() == sent.lower():
        return "returned with its case changed"
    if returned.encode("ascii", "ignore").decode() == returned and not sent.isascii():
        return "returned with its non-ASCII characters dropped or replaced"
    return "returned altered"
