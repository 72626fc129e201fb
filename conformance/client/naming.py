"""Per-run unique, recognisable values for the workspaces a run creates."""

from __future__ import annotations

import itertools
import zlib

from conformance.model.tolerance import ordinary_lead


class Namer:
    """Per-run unique, recognisable values: `conformance-<run>-<n>`, so owners can find them."""

    def __init__(self, run_id: str):
        self.prefix = f"conformance-{run_id}-"
        self._counter = itertools.count(1)
        self._short = itertools.count(0)  # values too short for the tag, in the order made

    def tag(self) -> str:
        return f"{self.prefix}{next(self._counter):04d}"

    def of_length(self, length: int, filler: str = "x", *, unique: bool = False) -> str:
        """A string of exactly `length` code points, led by a unique tag when it fits. Too short
        for the tag, it is led by a letter: the same in every run, or (`unique`: the field must
        be unique, and an earlier run may hold that value) one that differs between runs."""
        tag = self.tag() + "-"
        if length <= len(tag):
            index = next(self._short)
            lead = ordinary_lead(index, self.prefix if unique else "")
            return (lead + filler * length)[:length] if length else ""
        # Cut to length: a filler of several code points (e + combining accent) must not overshoot.
        return (tag + filler * (length - len(tag)))[:length]

    def keep_class(self, drawn: str, max_length: int | None = None) -> str:
        """`drawn` made unique to this run without changing what kind of text it is, so a
        generated whitespace-only or digits-only name stays one (a server that refuses those
        must still be caught) and a rerun never collides with a name a uniqueness rule holds."""
        number = zlib.crc32(self.prefix.encode()) * 4096 + next(self._counter) % 4096
        if drawn and drawn.isspace():
            suffix = _in_base(number, " \u00a0\u2002\u2003\u3000")
        elif drawn and drawn.isdigit():
            suffix = str(number)
        else:
            suffix = "-" + self.prefix.removeprefix("conformance-") + str(number % 4096)
        if max_length is not None:
            if len(suffix) > max_length:
                return drawn
            drawn = drawn[: max_length - len(suffix)]
        return drawn + suffix


def _in_base(number: int, digits: str) -> str:
    out = ""
    while True:
        number, rest = divmod(number, len(digits))
        out = digits[rest] + out
        if not number:
            return out
