"""Text as it leaves the process: the leaf every writer (reports, console, curl lines, HAR)
uses to make any string a target or the generator can produce writable."""

from __future__ import annotations

import html
import json
import re

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def printable(value):
    """Text as it leaves the process, in every report, console line and curl line.

    A lone surrogate (which a target can send as the JSON escape "\\ud800", and the generated
    probes send too) cannot be written as UTF-8: it is written as its visible escape, the six
    characters `\\ud800`, so the reader still sees exactly what was sent. The same form the
    suite sends such text in (`encode_json`, multipart parts). Nothing else is changed: NUL and
    control characters are escaped by each format's own writer (JSON, XML, HTML), invalid UTF-8
    in a body was already decoded to U+FFFD (and the exchange says so). Dicts and lists are
    walked, keys too."""
    if isinstance(value, str):
        return _LONE_SURROGATE.sub(_escape_surrogate, value) if _LONE_SURROGATE.search(value) else value
    if isinstance(value, dict):
        return {printable(k): printable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [printable(v) for v in value]
    return value


def _escape_surrogate(match: re.Match) -> str:
    return f"\\u{ord(match.group()):04x}"


_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def terminal_safe(text: str) -> str:
    """`text` for a terminal, a CI log or a JUnit file: printable (see above), and every control
    character shown as an escape (\\x1b, \\r, \\u202e), so a target's ANSI sequences cannot
    clear, retitle or overwrite a terminal or a CI log; newlines and tabs stay."""
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], printable(text))


def html_text(value) -> str:
    """Any value as HTML text or an attribute value: printable, and &<>"' escaped."""
    return html.escape(str(printable(value)), quote=True)


def pretty_json(value) -> str:
    """JSON as people read it in a report: indented, non-ASCII as itself."""
    return json.dumps(value, indent=2, ensure_ascii=False)
