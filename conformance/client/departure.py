"""A target that answered earlier requests and then stops accepting connections has gone away:
the request it went away after is a finding (robustness.no-server-error, with its curl line),
and whatever comes next is not sent."""

from __future__ import annotations

import copy
import socket
import time
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from conformance.client.transcript import Exchange
from conformance.model.catalog import rid
from conformance.model.outcome import ConformanceFailure, Finding, TargetWentAway

if TYPE_CHECKING:  # annotation only: the target calls this module
    from conformance.client.target import Target


def judge_departure(target: Target, exchange: Exchange, dropped: bool) -> None:
    """A target that answered earlier requests and now refuses connections has gone away:
    after `exchange`, which it hung up on (`dropped`), or after the last request it answered.
    That request fails robustness.no-server-error, with its curl line; whatever comes next
    is not sent (TargetWentAway). A connection dropped while the target still listens is not
    this (an idle keep-alive connection it closed, say): returns, and the caller goes on."""
    if dropped and still_listening(target.base_url, target.timeout):
        return
    killer = exchange if dropped else target.last_answered
    if killer is None:  # only called once the target answered, which sets last_answered
        raise RuntimeError("the target went away before it answered: no request to name")
    if killer is not exchange:  # answered earlier, perhaps in another probe: shown again here
        killer = copy.copy(killer)
        killer.note = (
            (killer.note + "; ") if killer.note else ""
        ) + "the last request the target answered before it went away (sent once, earlier; shown again here)"
        target.transcript.append(killer)
    what = f" ({killer.note.split(';')[0]})" if killer.note else ""
    reason = target.redactor.text(
        f"the target went away after {killer.method} {killer.url}{what}: it had "
        f"answered {target.answered} requests, then stopped accepting connections; "
        "the rest of the run was not checked"
    )
    if not dropped and target.went_away.directory:
        time.sleep(1.0)  # under xdist, the worker whose request was hung up on names it first
    earlier = target.went_away.claim(reason)
    target.breaker.reason, target.breaker.went_away = earlier or reason, True
    if earlier:
        raise TargetWentAway(earlier)
    index = next(i for i, e in enumerate(target.transcript) if e is killer)
    observed = (
        "the target closed the connection without answering this request, and then stopped accepting connections"
        if dropped
        else f"the target answered this request, and then stopped accepting connections ({exchange.error})"
    )
    raise ConformanceFailure(
        [
            Finding(
                rid(target.profile, "robustness.no-server-error"),
                "no request takes the target down",
                "an answer, and the target still up after it",
                target.redactor.text(f"{observed}; replay: {killer.curl}"),
                index,
            )
        ]
    )


def still_listening(base_url: str, timeout: float) -> bool:
    """Whether the target's port still takes connections, asked a few times over half a second
    (a process that exits closes its port a moment after the connection it hung up on)."""
    parts = urlsplit(base_url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    for attempt in range(5):
        try:
            socket.create_connection((parts.hostname, port), timeout=min(1.0, timeout)).close()
        except ConnectionRefusedError:
            return False
        except OSError:
            return True  # unknown (a timeout, a routing problem): no claim is made
        if attempt < 4:
            time.sleep(0.1)
    return True
