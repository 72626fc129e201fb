"""HTTP statuses as the profiles write them: a number, or a class such as "4XX"."""

from __future__ import annotations


def status_allowed(status: int | None, allowed) -> bool:
    if status is None:
        return False
    for spec in allowed:
        if isinstance(spec, int) and status == spec:
            return True
        if isinstance(spec, str) and spec.endswith("XX") and str(status)[0] == spec[0]:
            return True
    return False


def statuses_text(allowed) -> str:
    return " or ".join(map(str, allowed))
