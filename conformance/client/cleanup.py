"""--cleanup: remove the workspaces a run created, by the provider's documented means
(Anthropic's archive endpoint). What could not be removed is reported, never hidden.

An id comes from the target's answer, so it is not trusted: only an id of the documented shape
(the profile's `id_pattern`) is sent, and only as one percent-encoded path segment of the
documented path. `../../admin/delete-organization?confirm=yes&x=` is listed, not requested.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from conformance.model.outcome import ProbeError


def remove_all(target, ids: list[str]) -> dict:
    spec = target.profile.data["cleanup"]
    shape = re.compile(spec["id_pattern"]) if spec.get("id_pattern") else None
    removed, not_removed = [], []
    for workspace_id in dict.fromkeys(ids):
        if shape is None or not shape.fullmatch(workspace_id):
            why = (
                "the profile documents no id shape to check it against"
                if shape is None
                else f"not the documented id shape {spec['id_pattern']} ({spec.get('id_pattern_source', '')}),"
                " so no request was sent for it"
            )
            not_removed.append({"id": workspace_id, "why": why})
            continue
        path = spec["path"].replace("{id}", quote(workspace_id, safe=""))
        try:
            exchange = target.call(spec["method"], path, note=f"cleanup of {workspace_id}")
        except ProbeError as problem:
            not_removed.append({"id": workspace_id, "why": str(problem)})
            continue
        if exchange.status is not None and 200 <= exchange.status < 300:
            removed.append(workspace_id)
        else:
            not_removed.append({"id": workspace_id, "why": f"HTTP {exchange.status}"})
    return {
        "method": f"{spec['method']} {spec['path']}",
        "source": target.profile.source(spec["source"]),
        "removed": removed,
        "not_removed": not_removed,
    }
