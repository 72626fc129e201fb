"""The kill matrix: the suite against every conformant variant and every named fault.

A fault is *killed* when one of the requirements it declares fails, *misattributed* when the
suite fails it only under other requirements, and a *survivor* when nothing fails. A
conformant variant with any failed requirement is a *false positive*.

Killing every fault is not enough: a probe whose own check was deleted would go unnoticed
while some other requirement the fault declares still fails. So each requirement of each
provider's catalog must itself fail, under a fault that declares it; those that never do are
listed, and the selftest does not pass while any are.
"""

from __future__ import annotations

import multiprocessing
import os
import secrets
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

from conformance.defaults import DEFAULT_MAX_CREATES
from conformance.engine.runner import share_hypothesis_cache
from conformance.model.catalog import derive
from conformance.model.profile import load
from conformance.probes import probe_specs, run_in_process
from conformance.reference import available, provider_module
from conformance.reference.serving import ServerThread, behaviour_prefix, selftest_app

SELFTEST_SEED = 20261125  # fixed: the selftest must give the same matrix on every run


@dataclass
class Outcome:
    provider: str
    behaviour: str  # "variant/<name>" or "fault/<name>"
    declared: tuple[str, ...]
    failed: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    requests: int = 0
    generated_only: bool = False
    creates: int = 0

    @property
    def is_fault(self) -> bool:
        return self.behaviour.startswith("fault/")

    @property
    def verdict(self) -> str:
        if not self.is_fault:
            # A variant declares only SHOULD breaks (checked in _one); any other failure is ours.
            unexpected = set(self.failed) - set(self.declared)
            return "false positive" if unexpected or self.errors else "passed"
        if set(self.failed) & set(self.declared):
            return "killed"
        return "misattributed" if self.failed else "survived"


def run(
    keys=None,
    *,
    jobs: int | None = None,
    examples: int | None = None,
    only_generated: bool = False,
    max_creates: int | None = DEFAULT_MAX_CREATES,
) -> list[Outcome]:
    """The reference apps serve from a thread of this process; the suite runs in `jobs` worker
    processes (one per core by default), so the clients and the server do not share one GIL."""
    keys = list(keys or available())
    credential = secrets.token_urlsafe(12)
    server = ServerThread(selftest_app(keys, credential))
    root = server.start()
    jobs_list = []
    for key in keys:
        module = provider_module(key)
        for variant in module.VARIANTS.values():
            if not only_generated:
                breaks = tuple(f"{key}.{suffix}" for suffix in variant.should_breaks)
                jobs_list.append((root, credential, examples, key, None, variant.name, breaks, False, max_creates))
        for name, fault in module.FAULTS.items():
            if only_generated and not fault.generated_only:
                continue
            jobs_list.append(
                (root, credential, examples, key, name, "default", fault.caught_by, fault.generated_only, max_creates)
            )
    workers = max(1, min(jobs or os.cpu_count() or 2, len(jobs_list)))
    try:
        # spawn, not fork: this process runs the server's event loop in a thread.
        with ProcessPoolExecutor(
            max_workers=workers, mp_context=multiprocessing.get_context("spawn"), initializer=_start_worker
        ) as pool:
            return list(pool.map(_one_job, jobs_list, chunksize=4))
    finally:
        server.stop()


def _start_worker() -> None:
    share_hypothesis_cache()
    probe_specs()


def _one_job(job) -> Outcome:
    return _one(*job)


def _one(
    root, credential, examples, key, fault, variant, declared, generated_only=False, max_creates=DEFAULT_MAX_CREATES
) -> Outcome:
    profile = load(key)
    module = provider_module(key)
    url = root + behaviour_prefix(key, fault, variant) + profile.base_path
    started = time.perf_counter()
    kwargs = {"max_creates": max_creates} if examples is None else {"examples": examples, "max_creates": max_creates}
    params = module.VARIANTS[variant].target_params(module.TARGET_PARAMS)
    summary = run_in_process(
        profile, url, credential, params, seed=SELFTEST_SEED, run_id=f"st{secrets.token_hex(2)}", **kwargs
    )
    rows = summary["requirements"]
    if not fault:
        levels = {r["id"]: r["level"] for r in rows}
        musts = [rid for rid in declared if levels.get(rid) != "SHOULD"]
        if musts:  # a variant may only show that a SHOULD can be broken
            raise ValueError(f"{key} variant {variant} declares breaking {musts}, which are not SHOULDs")
    return Outcome(
        provider=key,
        behaviour=f"fault/{fault}" if fault else f"variant/{variant}",
        declared=tuple(declared),
        failed=[r["id"] for r in rows if r["status"] == "fail"],
        errors=[
            f"{r['id']}: {p['message']}"
            for r in rows
            if r["status"] == "error"
            for p in r["probes"]
            if p["status"] == "error"
        ],
        seconds=time.perf_counter() - started,
        requests=summary["requests_sent"],
        generated_only=generated_only,
        creates=summary["workspaces_created"],
    )


def matrix_lines(outcomes: list[Outcome]) -> list[str]:
    """One block per provider: a row per behaviour, a column per requirement that ever failed
    or was declared; K = declared and failed, x = failed but not declared, . = declared, missed."""
    lines = []
    for key in dict.fromkeys(o.provider for o in outcomes):
        mine = [o for o in outcomes if o.provider == key]
        columns = sorted({r for o in mine for r in (*o.failed, *o.declared)})
        short = [c.removeprefix(key + ".") for c in columns]
        lines.append(f"== {key}: {sum(o.is_fault for o in mine)} faults, {sum(not o.is_fault for o in mine)} variants")
        for i, name in enumerate(short, 1):
            lines.append(f"   R{i:<3} {name}")
        width = max(len(o.behaviour) for o in mine)
        header = " " * (width + 2) + " ".join(f"{i:>3}" for i in range(1, len(columns) + 1))
        lines.append(header)
        for o in mine:
            cells = []
            for c in columns:
                if c in o.failed:
                    cells.append("  K" if c in o.declared else "  x")
                else:
                    cells.append("  ." if c in o.declared else "   ")
            lines.append(f"{o.behaviour:<{width}}  " + " ".join(cells) + f"   {o.verdict}")
    return lines


def requirements_never_failed(outcomes: list[Outcome]) -> list[str]:
    """Catalog requirements of the providers run that fail, as a finding of their own, under
    no fault declaring them."""
    proven = {rid for o in outcomes if o.is_fault for rid in set(o.failed) & set(o.declared)}
    catalog = [r.id for key in dict.fromkeys(o.provider for o in outcomes) for r in derive(load(key))]
    return [rid for rid in catalog if rid not in proven]


def tally(outcomes: list[Outcome]) -> dict:
    faults = [o for o in outcomes if o.is_fault]
    return {
        "killed": sum(o.verdict == "killed" for o in faults),
        "faults": len(faults),
        "misattributed": sum(o.verdict == "misattributed" for o in faults),
        "survivors": sum(o.verdict == "survived" for o in faults),
        "false_positives": sum(o.verdict == "false positive" for o in outcomes),
        "never_failed": len(requirements_never_failed(outcomes)),
    }


def last_line(outcomes: list[Outcome]) -> str:
    t = tally(outcomes)
    return (
        f"selftest: killed {t['killed']}/{t['faults']} ({100 * t['killed'] / max(1, t['faults']):.1f}%), "
        f"misattributed {t['misattributed']}, false positives {t['false_positives']}, "
        f"requirements never failed {t['never_failed']}"
    )


def creates_line(outcomes: list[Outcome]) -> str:
    """Workspaces each conformant variant was asked to create: what a live target would keep."""
    variants = [o for o in outcomes if not o.is_fault]
    per: dict[str, list[int]] = {}
    for o in variants:
        per.setdefault(o.provider, []).append(o.creates)
    return "workspaces created per conformant variant: " + ", ".join(
        f"{key} {max(counts)}" for key, counts in per.items()
    )


def passed(outcomes: list[Outcome]) -> bool:
    t = tally(outcomes)
    return t["killed"] == t["faults"] and t["false_positives"] == 0 and t["never_failed"] == 0
