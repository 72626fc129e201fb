"""reports/<provider>.svg: a small static badge (provider, verdict, MUST score) that an
implementation's README can show from its CI artifacts. No script, no external font or image."""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape

from conformance.model.outcome import PASS
from conformance.model.requirement import MUST
from conformance.reports.summary import write_atomically

_COLOUR = {"CONFORMANT": "#2e7d32", "NOT CONFORMANT": "#c62828", "INCOMPLETE": "#a66a00"}
_CHAR_WIDTH = 6.6  # about right for 11px Verdana/DejaVu Sans; the badge need not be exact
_PAD = 6


def _width(label: str) -> int:
    return int(len(label) * _CHAR_WIDTH) + 2 * _PAD


def svg(summary: dict) -> str:
    must = summary["summary"][MUST]
    provider = summary["provider"].encode("utf-8", "replace").decode("utf-8")
    left = "".join(c if c.isprintable() else " " for c in provider)[:40]
    right = f"{summary['verdict']} · MUST {must[PASS]}/{must['total']}"
    lw, rw = _width(left), _width(right)
    colour = _COLOUR.get(summary["verdict"], "#555")
    title = escape(f"workspace-conformance: {left}: {right}", {'"': "&quot;"})
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{lw + rw}" height="20" role="img" aria-label="{title}">'
        f"<title>{title}</title>"
        f'<rect width="{lw}" height="20" fill="#555"/><rect x="{lw}" width="{rw}" height="20" fill="{colour}"/>'
        '<g fill="#fff" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11">'
        f'<text x="{_PAD}" y="14">{escape(left)}</text><text x="{lw + _PAD}" y="14">{escape(right)}</text>'
        "</g></svg>\n"
    )


def write(path: Path, summary: dict) -> None:
    write_atomically(path, svg(summary))
