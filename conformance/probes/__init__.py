"""The product's probes: one module per workflow of the pages (test_01_create ... test_07_generated),
one check per function, each registered with the cases it runs with (conformance.engine.runner).
pytest collects them as tests; `run_in_process` runs them without pytest."""

from __future__ import annotations

import importlib
import pkgutil
import time

from conformance import __version__
from conformance.client.counters import Budget
from conformance.client.target import Target
from conformance.defaults import DEFAULT_EXAMPLES, DEFAULT_REQUEST_TIMEOUT
from conformance.engine import runner
from conformance.engine.creates import plan
from conformance.engine.runner import ProbeSpec, execute, prepare_probes, run_wide_results
from conformance.model.profile import Profile
from conformance.reports.summary import summarize


def probe_specs() -> list[ProbeSpec]:
    """Every registered probe, in workflow order (the test_NN modules, then definition order)."""
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("test_"):
            importlib.import_module(f"{__name__}.{info.name}")
    return list(runner.REGISTRY.values())  # read at call time: a test may stand in its own registry


def run_in_process(
    profile: Profile,
    base_url: str,
    credential: str | None,
    params: dict,
    *,
    max_requests: int | None = None,
    examples: int = DEFAULT_EXAMPLES,
    seed: int = 0,
    run_id: str = "selftest",
    timeout: float = DEFAULT_REQUEST_TIMEOUT,
    max_creates: int | None = None,
) -> dict:
    """The whole suite against `base_url` in this process, in registry order, without pytest
    (the selftest and the benchmarks run it so): the summary every report reads.
    `max_creates`: the workspace budget (conformance.engine.creates); None sends every case."""
    started = time.time()
    target = Target(
        profile,
        base_url,
        credential,
        params,
        run_id=run_id,
        budget=Budget(max_requests),
        timeout=timeout,
        examples=examples,
        hypothesis_seed=seed,
    )
    results = []
    try:
        specs = probe_specs()
        prepare_probes([spec.function for spec in specs], profile)
        pairs = [(spec, case) for spec in specs for case in spec.cases(profile)]
        create_plan = plan([(spec.function, case) for spec, case in pairs], profile, max_creates)
        target.create_plan = create_plan
        for spec, case in pairs:
            nodeid = f"conformance/probes/{spec.module.rsplit('.', 1)[-1]}.py::{spec.name}[{case.id}]"
            results.append(execute(spec.function, target, case, nodeid).to_dict())
    finally:
        target.close()
    results += run_wide_results(profile, results)
    unreachable = next((r["unreachable"] for r in results if r.get("unreachable")), None)
    meta = {
        "target": target.redactor.url(base_url),
        "suite_version": __version__,
        "duration_s": round(time.time() - started, 3),
        "requests_sent": target.budget.sent,
        "hypothesis_seed": seed,
    }
    summary = summarize(profile, results, meta=meta, unreachable=unreachable)
    summary["created_workspaces"] = [i for r in results for i in r.get("created", [])]
    summary["workspaces_created"] = len(summary["created_workspaces"])
    summary["create_budget"] = create_plan.to_dict()
    return summary
