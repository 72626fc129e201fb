"""Side by side with Schemathesis: the same reference servers, the same faults, the same contract.

Schemathesis gets the provider's profile exported as OpenAPI 3.1 (`conformance openapi P`,
target params pinned as the suite is given them) and the credential as a header. Both tools
run against every conformant variant and every named fault of every reference server, all
mounted side by side in one loopback server (`selftest_app`). Per provider it prints, for
both: faults killed (any failure reported against the fault), conformant variants failed
(any failure against a variant that follows the page), requests sent and wall time.

Schemathesis's checks, minus those that fire on a spec's silence or cannot apply to a
document with one operation:
  run:      not_a_server_error, content_type_conformance, response_headers_conformance,
            response_schema_conformance, negative_data_rejection, positive_data_acceptance,
            missing_required_header, ignored_auth
  left out: status_code_conformance, unsupported_method, allow_header_conformance (each fails
            a status, method or header the page never mentions: the page's silence), and
            use_after_free, ensure_resource_availability, object_level_authorization (they
            need read/delete operations or a second user, which a create-only page lacks)

    pip install -e '.[bench]'
    python benchmarks/compare.py [--provider P ...] [--examples 10] [--jobs 2] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import secrets
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

CHECKS_RUN = [
    "not_a_server_error",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "positive_data_acceptance",
    "missing_required_header",
    "ignored_auth",
]
CHECKS_LEFT_OUT = [
    "status_code_conformance",
    "unsupported_method",
    "allow_header_conformance",
    "use_after_free",
    "ensure_resource_availability",
    "object_level_authorization",
]
SEED = 20261126


def auth_headers(profile, credential: str) -> dict:
    """The credential where the profile's auth scheme puts it, as a plain header."""
    auth = profile.auth
    value = f"{auth['scheme']} {credential}" if auth.get("scheme") else credential
    if auth["in"] == "cookie":
        return {"Cookie": f"{auth['name']}={value}"}
    return {auth["name"]: value}


def schemathesis_run(profile, url: str, credential: str, params: dict, examples: int) -> dict:
    import schemathesis
    from schemathesis.engine import events, from_schema

    from conformance.model.openapi import document

    schema = schemathesis.openapi.from_dict(document(profile, params))
    schema.config.update(base_url=url, headers=auth_headers(profile, credential), request_timeout=10)
    schema.config.checks.update(included_check_names=CHECKS_RUN)
    # The credential is ours to supply (a real one, as for the suite), not a parameter to fuzz.
    schema.config.generation.update(max_examples=examples, deterministic=True, with_security_parameters=False)
    failed, requests, problems = set(), 0, []
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            requests += len(event.recorder.interactions)
            for results in event.recorder.checks.values():
                failed.update(r.name for r in results if r.status.name == "FAILURE")
        elif isinstance(event, (events.FatalError, events.NonFatalError)):
            problems.append(type(event).__name__)
    return {"failed": sorted(failed), "requests": requests, "problems": problems}


def suite_run(profile, url: str, credential: str, params: dict, allowed=()) -> dict:
    """`allowed`: the SHOULDs a conformant variant breaks on purpose (its `should_breaks`)."""
    from conformance.probes import run_in_process

    summary = run_in_process(profile, url, credential, params, seed=SEED, run_id=f"cmp{secrets.token_hex(2)}")
    return {
        "failed": [
            r["id"] for r in summary["requirements"] if r["status"] in ("fail", "error") and r["id"] not in allowed
        ],
        "requests": summary["requests_sent"],
        "creates": summary["workspaces_created"],
    }


def one_job(job) -> dict:
    root, credential, examples, key, fault, variant = job
    from conformance.model.profile import load
    from conformance.reference import provider_module
    from conformance.reference.serving import behaviour_prefix

    profile = load(key)
    module = provider_module(key)
    chosen = module.VARIANTS[variant]
    params = chosen.target_params(module.TARGET_PARAMS)
    allowed = () if fault else tuple(f"{key}.{suffix}" for suffix in chosen.should_breaks)
    url = root + behaviour_prefix(key, fault, variant) + profile.base_path
    out = {"provider": key, "behaviour": f"fault/{fault}" if fault else f"variant/{variant}"}
    for tool, run in (
        ("suite", lambda: suite_run(profile, url, credential, params, allowed)),
        ("schemathesis", lambda: schemathesis_run(profile, url, credential, params, examples)),
    ):
        started = time.perf_counter()
        out[tool] = run()
        out[tool]["seconds"] = time.perf_counter() - started
    return out


def _warm(*_):
    """Imports paid once per worker, not in the first job's wall time."""
    import schemathesis  # noqa: F401
    from schemathesis.engine import from_schema  # noqa: F401

    from conformance.probes import probe_specs

    probe_specs()


def tally(rows: list[dict], tool: str) -> dict:
    faults = [r for r in rows if r["behaviour"].startswith("fault/")]
    variants = [r for r in rows if r["behaviour"].startswith("variant/")]
    return {
        "faults": len(faults),
        "killed": sum(bool(r[tool]["failed"]) for r in faults),
        "variants": len(variants),
        "variants_failed": sum(bool(r[tool]["failed"]) for r in variants),
        "requests": sum(r[tool]["requests"] for r in rows),
        "seconds": round(sum(r[tool]["seconds"] for r in rows), 1),
    }


def print_table(rows: list[dict]) -> None:
    print(f"Schemathesis checks run: {', '.join(CHECKS_RUN)}")
    print(f"left out: {', '.join(CHECKS_LEFT_OUT)}")
    print(f"{'provider':<16}{'tool':<14}{'killed':>10}{'variants failed':>17}{'requests':>10}{'seconds':>9}")
    totals = {}
    for key in dict.fromkeys(r["provider"] for r in rows):
        mine = [r for r in rows if r["provider"] == key]
        for tool in ("suite", "schemathesis"):
            t = tally(mine, tool)
            totals.setdefault(tool, []).append(t)
            print(
                f"{key:<16}{tool:<14}{t['killed']:>5}/{t['faults']:<4}{t['variants_failed']:>11}/{t['variants']:<5}"
                f"{t['requests']:>10}{t['seconds']:>9.1f}"
            )
    for tool, ts in totals.items():
        print(
            f"{'all':<16}{tool:<14}{sum(t['killed'] for t in ts):>5}/{sum(t['faults'] for t in ts):<4}"
            f"{sum(t['variants_failed'] for t in ts):>11}/{sum(t['variants'] for t in ts):<5}"
            f"{sum(t['requests'] for t in ts):>10}{sum(t['seconds'] for t in ts):>9.1f}"
        )
    only = [
        (r["provider"], r["behaviour"])
        for r in rows
        if r["behaviour"].startswith("fault/") and bool(r["schemathesis"]["failed"]) and not r["suite"]["failed"]
    ]
    if only:
        print("faults only Schemathesis killed: " + ", ".join(f"{k} {b}" for k, b in only))
    false = [
        (r["provider"], r["behaviour"], r["schemathesis"]["failed"])
        for r in rows
        if r["behaviour"].startswith("variant/") and r["schemathesis"]["failed"]
    ]
    for key, behaviour, failed in false:
        print(f"Schemathesis failed conformant {key} {behaviour}: {', '.join(failed)}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--provider", action="append")
    parser.add_argument("--examples", type=int, default=10, help="Schemathesis max examples per phase (default 10)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--json", help="write every row here too")
    parser.add_argument("--table", metavar="ROWS", help="only print the table of a --json file (or its .partial)")
    args = parser.parse_args(argv)
    if args.table:
        text = Path(args.table).read_text(encoding="utf-8")
        print_table(
            json.loads(text)["rows"]
            if args.table.endswith(".json")
            else [json.loads(line) for line in text.splitlines() if line]
        )
        return 0

    from conformance.reference import available, provider_module
    from conformance.reference.serving import ServerThread, selftest_app

    keys = args.provider or list(available())
    credential = secrets.token_urlsafe(12)
    server = ServerThread(selftest_app(keys, credential))
    root = server.start()
    jobs = [
        job
        for key in keys
        for job in [(root, credential, args.examples, key, None, variant) for variant in provider_module(key).VARIANTS]
        + [(root, credential, args.examples, key, fault, "default") for fault in provider_module(key).FAULTS]
    ]
    load = os.getloadavg()
    started = time.perf_counter()
    try:
        with ProcessPoolExecutor(
            max_workers=args.jobs, mp_context=multiprocessing.get_context("spawn"), initializer=_warm
        ) as pool:
            rows = []
            for row in pool.map(one_job, jobs):
                rows.append(row)  # kept as they come: an interrupted comparison still reports
                if args.json:
                    with open(args.json + ".partial", "a", encoding="utf-8") as partial:
                        partial.write(json.dumps(row) + "\n")
    finally:
        server.stop()
    wall = time.perf_counter() - started
    print(
        f"examples {args.examples}, {args.jobs} worker processes, load average at start "
        f"{load[0]:.1f}/{load[1]:.1f}/{load[2]:.1f} on {os.cpu_count()} cores; wall {wall:.0f} s"
    )
    print_table(rows)
    if args.json:
        Path(args.json).write_text(
            json.dumps({"rows": rows, "load": load, "wall_s": wall, "examples": args.examples}, indent=2) + "\n"
        )
        print(f"json: {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
