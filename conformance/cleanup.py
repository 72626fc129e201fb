"""--cleanup: remove the workspaces a run created, by the provider's documented means
(Anthropic's archive endpoint). What could not be removed is reported, never hidden."""
from __future__ import annotations

from .verdict import ProbeError


def remove_all(target, ids: list[str]) -> dict:
    spec = target.profile.data["cleanup"]
    removed, not_removed = [], []
    for workspace_id in dict.fromkeys(ids):
        path = spec["path"].replace("{id}", workspace_id)
        try:
            exchange = target.call(spec["method"], path, note=f"cleanup of {workspace_id}")
        except ProbeError as problem:
            not_removed.append({"id": workspace_id, "why": str(problem)})
            continue
        if exchange.status is not None and 200 <= exchange.status < 300:
            removed.append(workspace_id)
        else:
            not_removed.append({"id": workspace_id, "why": f"HTTP {exchange.status}"})
    return {"method": f"{spec['method']} {spec['path']}", "source": spec["source"],
            "removed": removed, "not_removed": not_removed}
