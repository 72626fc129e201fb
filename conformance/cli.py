"""The `conformance` console script: run, serve, selftest, requirements."""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from . import exitcodes
from .profile import BUILTIN, ProfileError, load


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="conformance", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run the suite (wraps pytest); --all runs every provider")
    run.add_argument("--all", action="store_true", help="every provider, then an index page")
    run.add_argument("--provider", help="one provider (or use CONFORMANCE_PROVIDER)")
    run.add_argument("--report-dir", default=os.environ.get("CONFORMANCE_REPORT_DIR", "reports"))
    run.add_argument("pytest_args", nargs=argparse.REMAINDER, help="further pytest options, after --")

    serve = sub.add_parser("serve", help="run a reference server on loopback")
    serve.add_argument("--provider", required=True, choices=BUILTIN)
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--fault", help="inject one named fault (see --list)")
    serve.add_argument("--variant", default="default", help="a conformant variant (see --list)")
    serve.add_argument("--list", action="store_true", help="list the faults and variants, and exit")
    serve.add_argument("--db", default=":memory:", help="SQLite file for the server's state")

    st = sub.add_parser("selftest", help="the suite against every variant and fault: a kill matrix")
    st.add_argument("--provider", action="append", choices=BUILTIN, help="limit to a provider (repeatable)")
    st.add_argument("--jobs", type=int, default=None, help="worker processes (default: one per core)")
    st.add_argument("--json", dest="json_path", help="also write the outcomes as JSON here")
    st.add_argument("--max-creates", type=_whole_number, default=None,
                    help="the workspace budget of each run (default 25, as for --conformance-max-creates)")

    req = sub.add_parser("requirements", help="print a provider's requirement catalog with sources")
    req.add_argument("provider", help=f"{', '.join(BUILTIN)}, or a profile directory")
    req.add_argument("--json", action="store_true")

    api = sub.add_parser("openapi", help="print a provider's profile as an OpenAPI 3.1 document")
    api.add_argument("provider", help=f"{', '.join(BUILTIN)}, or a profile directory")
    api.add_argument("--target-param", action="append", default=[], metavar="KEY=VALUE",
                     help="pin a target param's request field (e.g. organization_id) to this value")
    api.add_argument("--output", help="write here instead of standard output")

    args = parser.parse_args(argv)
    try:
        return {"run": _run, "serve": _serve, "selftest": _selftest, "requirements": _requirements,
                "openapi": _openapi}[args.command](args)
    except ProfileError as exc:
        print(f"conformance: {exc}", file=sys.stderr)
        return exitcodes.USAGE
    except KeyboardInterrupt:
        return exitcodes.INTERRUPTED


def _whole_number(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"takes a whole number, not {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {value}")
    return value


def _openapi(args) -> int:
    from .openapi import document

    pinned = {}
    for item in args.target_param:
        key, sep, value = item.partition("=")
        if not sep or not key:
            print(f"conformance: --target-param takes KEY=VALUE, not {item!r}", file=sys.stderr)
            return exitcodes.USAGE
        pinned[key] = value
    text = json.dumps(document(load(args.provider), pinned), indent=2, ensure_ascii=False) + "\n"
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def _requirements(args) -> int:
    from .catalog import derive

    profile = load(args.provider)
    reqs = derive(profile)
    if args.json:
        print(json.dumps([r.to_dict() for r in reqs], indent=2, ensure_ascii=False))
        return 0
    print(f"{profile.title}: {len(reqs)} requirements from {profile.document['file']}")
    print(f"({profile.document['revision']})")
    for r in reqs:
        print(f"\n{r.id}  [{r.level}]\n    {r.title}\n    source: {r.source['quote']}")
        if r.source.get("reading"):
            print(f"    reading: {r.source['reading']}")
    return 0


def _serve(args) -> int:
    from .reference import provider_module
    from .reference.common import DEMO_CREDENTIAL
    from .reference.serving import provider_app

    module = provider_module(args.provider)
    if args.list:
        for name, v in module.VARIANTS.items():
            print(f"variant {name}: {v.description}")
        for name, f in module.FAULTS.items():
            print(f"fault {name}: {f.description} (caught by {', '.join(f.caught_by)})")
        return 0
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print("conformance: the reference server listens on loopback only", file=sys.stderr)
        return exitcodes.USAGE
    if args.fault and args.fault not in module.FAULTS:
        print(f"conformance: no fault {args.fault!r} for {args.provider}: see --list", file=sys.stderr)
        return exitcodes.USAGE
    if args.variant not in module.VARIANTS:
        print(f"conformance: no variant {args.variant!r} for {args.provider}: see --list", file=sys.stderr)
        return exitcodes.USAGE
    credential = os.environ.get("CONFORMANCE_CREDENTIAL") or DEMO_CREDENTIAL
    import uvicorn

    profile = load(args.provider)
    app = provider_app(args.provider, credential, args.fault, args.variant, args.db)
    where = f"http://{args.host}:{args.port}{profile.base_path}"
    told = "the credential in CONFORMANCE_CREDENTIAL" if os.environ.get("CONFORMANCE_CREDENTIAL") \
        else f"the demo credential {DEMO_CREDENTIAL!r} (set CONFORMANCE_CREDENTIAL to choose one)"
    print(f"{args.provider} reference server at {where}{profile.path}, accepting {told}"
          + (f", fault {args.fault}" if args.fault else "") + (f", variant {args.variant}" if args.variant != "default" else ""))
    params = " ".join(f"--target-param {k}={v}" for k, v in module.TARGET_PARAMS.items())
    print(f"try: pytest --pyargs conformance --provider {args.provider} --target-url {where} {params}".rstrip())
    try:
        uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    except SystemExit as exc:  # uvicorn exits 1 when the port is taken; say so plainly
        print(f"conformance: could not listen on {args.host}:{args.port}", file=sys.stderr)
        return exitcodes.USAGE if exc.code else 0
    return 0


def _selftest(args) -> int:
    from . import selftest

    started = time.perf_counter()
    budget = {} if args.max_creates is None else {"max_creates": args.max_creates}
    outcomes = selftest.run(args.provider, jobs=args.jobs, **budget)
    for line in selftest.matrix_lines(outcomes):
        print(line)
    for o in outcomes:
        if o.verdict not in ("killed", "passed"):
            print(f"!! {o.provider} {o.behaviour}: {o.verdict}; failed {o.failed or 'nothing'}"
                  + (f"; errors {o.errors[:3]}" if o.errors else ""))
    for rid in selftest.requirements_never_failed(outcomes):
        print(f"!! {rid}: no fault that declares it makes it fail")
    if args.json_path:
        Path(args.json_path).write_text(json.dumps([{**o.__dict__, "verdict": o.verdict} for o in outcomes], indent=2))
    print(f"wall time {time.perf_counter() - started:.1f} s, {sum(o.requests for o in outcomes)} requests")
    print(selftest.creates_line(outcomes))
    print(selftest.last_line(outcomes))
    return 0 if selftest.passed(outcomes) else exitcodes.NOT_CONFORMANT


def _run(args) -> int:
    extra = [a for a in args.pytest_args if a != "--"]
    if args.all:
        providers = list(BUILTIN)
    elif args.provider or os.environ.get("CONFORMANCE_PROVIDER"):
        providers = [args.provider or os.environ["CONFORMANCE_PROVIDER"]]
    else:
        print("conformance: choose --provider NAME or --all", file=sys.stderr)
        return exitcodes.USAGE
    statuses = {}
    for provider in providers:
        command = [sys.executable, "-m", "pytest", "--pyargs", "conformance", "--provider", provider,
                   "--report-dir", args.report_dir, "-q", "--no-header", "-p", "no:cacheprovider", *extra]
        completed = subprocess.run(command, capture_output=len(providers) > 1, text=True)
        statuses[provider] = completed.returncode
        if len(providers) > 1:
            _print_summary_line(provider, Path(args.report_dir), completed)
    if len(providers) > 1:
        from .index import write_index

        index = write_index(Path(args.report_dir), providers)
        print(f"index: {index}")
    return _combined(statuses.values())


def _print_summary_line(provider: str, report_dir: Path, completed) -> None:
    from .verdicts import one_line

    path = report_dir / f"{provider}.json"
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        tail = (completed.stdout + completed.stderr).strip().splitlines()[-1:] or ["no output"]
        print(f"{provider}: no verdict (exit {completed.returncode}): {tail[0]}")
        return
    print(f"{one_line(summary)}  [{summary['requests_sent']} requests, {summary['duration_s']:.1f} s] -> {report_dir / (provider + '.html')}")


def _combined(statuses) -> int:
    statuses = list(statuses)
    problems = [s for s in statuses if s not in (exitcodes.OK, exitcodes.NOT_CONFORMANT)]
    if problems:
        return max(problems)
    return exitcodes.NOT_CONFORMANT if exitcodes.NOT_CONFORMANT in statuses else exitcodes.OK


if __name__ == "__main__":
    sys.exit(main())
