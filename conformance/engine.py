"""Running the probes without pytest: the selftest and the benchmarks use this, the pytest
plugin uses the same probes and the same `execute`, so both judge identically."""
from __future__ import annotations

import importlib
import pkgutil
import time

from . import __version__
from .client import Budget, Target
from .creates import plan
from .probing import REGISTRY, ProbeSpec, execute, prepare_probes
from .profile import Profile
from .settings import DEFAULT_EXAMPLES
from .verdicts import summarize


def probe_specs() -> list[ProbeSpec]:
    """Every registered probe, in workflow order (the test_NN modules, then definition order)."""
    import conformance

    for info in sorted(pkgutil.iter_modules(conformance.__path__), key=lambda m: m.name):
        if info.name.startswith("test_"):
            importlib.import_module(f"conformance.{info.name}")
    return list(REGISTRY.values())


def run_suite(profile: Profile, base_url: str, credential: str | None, params: dict, *,
              max_requests: int | None = None, examples: int = DEFAULT_EXAMPLES, seed: int = 0,
              run_id: str = "selftest", timeout: float = 10.0, max_creates: int | None = None) -> dict:
    """`max_creates`: the workspace budget (conformance.creates); None sends every case."""
    started = time.time()
    target = Target(profile, base_url, credential, params, run_id=run_id,
                    budget=Budget(max_requests), timeout=timeout, examples=examples, hypothesis_seed=seed)
    results = []
    try:
        specs = probe_specs()
        prepare_probes([spec.function for spec in specs], profile)
        pairs = [(spec, case) for spec in specs for case in spec.cases(profile)]
        target.create_plan = plan([(spec.function, case) for spec, case in pairs], profile, max_creates)
        for spec, case in pairs:
            nodeid = f"conformance/{spec.module.rsplit('.', 1)[-1]}.py::{spec.name}[{case.id}]"
            results.append(execute(spec.function, target, case, nodeid).to_dict())
    finally:
        target.close()
    unreachable = next((r["unreachable"] for r in results if r.get("unreachable")), None)
    meta = {"target": target.redactor.url(base_url), "suite_version": __version__,
            "duration_s": round(time.time() - started, 3), "requests_sent": target.budget.sent,
            "hypothesis_seed": seed}
    summary = summarize(profile, results, meta=meta, unreachable=unreachable)
    summary["created_workspaces"] = [i for r in results for i in r.get("created", [])]
    summary["workspaces_created"] = len(summary["created_workspaces"])
    summary["create_budget"] = target.create_plan.to_dict()
    return summary
