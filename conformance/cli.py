"""The `conformance` console script: run, serve, selftest, requirements, expectations."""
from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from conformance import __version__, exitcodes
from conformance.model.profile import BUILTIN, ProfileError, load
from conformance.settings import OPTIONS, REPEATABLE, SWITCHES, Given, SettingsError, from_environment

PREFIX = "--conformance-"
# `python -m pytest` would put the current directory first on sys.path, and inside a clone of
# this project its `conformance/` folder would shadow the installed package. `-c` puts '' there
# instead, which this removes before pytest (and the suite) is imported. (`-P` is 3.11+.)
PYTEST_BOOTSTRAP = ("import sys\n"
                    "if sys.path and sys.path[0] == '':\n    del sys.path[0]\n"
                    "import pytest\n"
                    "sys.exit(pytest.main(sys.argv[1:]))")


class _Parser(argparse.ArgumentParser):
    """argparse exits 2 on a wrong argument, which is "interrupted" in the exit statuses."""

    def error(self, message):
        self.exit(exitcodes.USAGE, f"conformance: {message} (see {self.prog} --help)\n")


def _short(flag: str) -> str:
    return "--" + flag[len(PREFIX):]


def main(argv=None) -> int:
    parser = _Parser(prog="conformance", description=__doc__)
    parser.add_argument("--version", action="version", version=f"workspace-conformance {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    run = sub.add_parser("run", help="run the suite (wraps pytest); --all runs every provider")
    run.add_argument("--all", action="store_true", help="every provider, then an index page")
    for flag, dest, env, help_text in OPTIONS:  # the pytest options, without their prefix
        if dest in SWITCHES:
            run.add_argument(_short(flag), dest=dest, action="store_true", default=None, help=f"{help_text} [env {env}]")
        elif dest in REPEATABLE:
            run.add_argument(_short(flag), dest=dest, action="append", default=None, metavar="KEY=VALUE",
                             help=f"{help_text} [env {env}]")
        else:
            run.add_argument(_short(flag), dest=dest, default=None, help=f"{help_text} [env {env}]")
    run.add_argument("pytest_args", nargs=argparse.REMAINDER, help="further pytest options (after --)")

    serve = sub.add_parser("serve", help="run a reference server on loopback")
    serve.add_argument("--provider", required=True, help=", ".join(BUILTIN))
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
    req.add_argument("--check-quotes", metavar="FILE", help="verify every page quote occurs in this saved copy of "
                     "the document (or in the profile's document file inside this directory), and every "
                     "provider-notes quote in the provider notes shipped with the profiles; exit 1 if any is missing")

    exp = sub.add_parser("expectations", help="print an expectations file excusing a report's current failures")
    exp.add_argument("--from", dest="reports", action="append", required=True, metavar="REPORT",
                     help="a <provider>.json report (repeatable: one file for several providers)")

    api = sub.add_parser("openapi", help="print a provider's profile as an OpenAPI 3.1 document")
    api.add_argument("provider", help=f"{', '.join(BUILTIN)}, or a profile directory")
    api.add_argument("--target-param", action="append", default=[], metavar="KEY=VALUE",
                     help="pin a target param's request field (e.g. organization_id) to this value")
    api.add_argument("--output", help="write here instead of standard output")

    args, unknown = parser.parse_known_args(argv)
    if unknown and args.command != "run":
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    if args.command == "run":
        args.pytest_args = [*unknown, *args.pytest_args]
    try:
        return {"run": _run, "serve": _serve, "selftest": _selftest, "requirements": _requirements,
                "expectations": _expectations, "openapi": _openapi}[args.command](args)
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
    from conformance.model.openapi import document

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
    from conformance.model.catalog import derive

    profile = load(args.provider)
    reqs = derive(profile)
    if args.check_quotes:
        return _check_quotes(profile, reqs, args.check_quotes)
    if args.json:
        print(json.dumps([r.to_dict() for r in reqs], indent=2, ensure_ascii=False))
        return 0
    print(f"{profile.title}: {len(reqs)} requirements from {profile.document['file']}")
    print(f"({profile.document['revision']})")
    for r in reqs:
        tier = f", {r.tier} values" if r.tier else ""
        print(f"\n{r.id}  [{r.level}] rule {r.rule}{tier}\n    {r.title}\n    source ({r.source['kind']}): {r.source['document']}")
        if r.source.get("url") and r.source["url"] != r.source["document"]:
            print(f"    at: {r.source['url']}")
        if r.source.get("quote") and r.source["kind"] == "provider-notes":
            # Our own summary of another page of the provider's: not that page's words.
            print(f"    notes (our summary, not the provider's words): \u201c{r.source['quote']}\u201d")
        elif r.source.get("quote"):
            print(f"    quote: \u201c{r.source['quote']}\u201d")
        if r.source.get("reading"):
            print(f"    reading: {r.source['reading']}")
    return 0


def _expectations(args) -> int:
    from conformance.model.expectations import bootstrap
    from conformance.reports.summary import FORMAT

    reports = []
    for path in args.reports:
        try:
            report = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            why = exc.strerror if isinstance(exc, OSError) and exc.strerror else "it is not JSON"
            print(f"conformance: cannot read the report {path}: {why}", file=sys.stderr)
            return exitcodes.USAGE
        if not isinstance(report, dict) or report.get("format") != FORMAT:
            print(f"conformance: {path} is not a workspace-conformance JSON report ({FORMAT})", file=sys.stderr)
            return exitcodes.USAGE
        if report.get("problem"):
            # Expecting what was never checked would hide it for good.
            print(f"conformance: {path} is of an incomplete run ({report['problem']}); run again first", file=sys.stderr)
            return exitcodes.USAGE
        reports.append(report)
    sys.stdout.write(bootstrap(reports, args.reports))
    return 0


def _check_quotes(profile, reqs, given: str) -> int:
    from conformance.model.profile import notes_path
    from conformance.model.quotes import (
        document_path,
        missing_notes_quotes,
        missing_profile_quotes,
        missing_quotes,
        profile_notes_quotes,
        profile_page_quotes,
    )

    path = document_path(given, profile.document["file"])
    try:
        document = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        print(f"conformance: cannot read the document {str(path)!r}: {exc.strerror or exc}", file=sys.stderr)
        return exitcodes.USAGE
    checked = sum(1 for r in reqs if r.source.get("kind") == "page")
    missing = missing_quotes(reqs, document)
    for r in missing:
        print(f"not in {path.name}: {r.id}: \u201c{r.source['quote']}\u201d")
    others = profile_page_quotes(profile)
    missing_others = missing_profile_quotes(profile, document)
    for where, quote in missing_others:
        print(f"not in {path.name}: {where}: \u201c{quote}\u201d")
    print(f"{profile.key}: {checked - len(missing)} of {checked} requirement quotes and "
          f"{len(others) - len(missing_others)} of {len(others)} profile quotes found in {path}")
    # Provider-notes quotes are our own words, checked against the notes shipped with the
    # profiles (always: they are part of the package), never against the provider's page.
    notes = profile_notes_quotes(profile, reqs)
    missing_notes = []
    if notes:
        where_notes = notes_path(profile)
        try:
            notes_text = where_notes.read_text(encoding="utf-8")
        except OSError as exc:
            print(f"conformance: cannot read the provider notes {str(where_notes)!r}: {exc.strerror or exc}",
                  file=sys.stderr)
            return exitcodes.USAGE
        missing_notes = missing_notes_quotes(profile, notes_text, reqs)
        for where, quote, why in missing_notes:
            print(f"{why}: {where}: \u201c{quote}\u201d")
        print(f"{profile.key}: {len(notes) - len(missing_notes)} of {len(notes)} provider-notes quotes found "
              f"in {where_notes}")
    return exitcodes.NOT_CONFORMANT if missing or missing_others or missing_notes else exitcodes.OK


def _serve(args) -> int:
    if args.provider not in BUILTIN:
        print(f"conformance: no reference server for {args.provider!r}: choose one of {', '.join(BUILTIN)}",
              file=sys.stderr)
        return exitcodes.USAGE
    from conformance.reference import provider_module
    from conformance.reference.common import DEMO_CREDENTIAL
    from conformance.reference.serving import provider_app

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
    problem = _port_problem(args.host, args.port)
    if problem:
        print(f"conformance: {problem}", file=sys.stderr)
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
    print(f"try: conformance run --provider {args.provider} --target-url {where} {params}".rstrip())
    try:
        uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    except SystemExit as exc:  # uvicorn exits 1 when the port is taken; say so plainly
        print(f"conformance: could not listen on {args.host}:{args.port}", file=sys.stderr)
        return exitcodes.USAGE if exc.code else 0
    return 0


def _port_problem(host: str, port: int) -> str | None:
    if not 1 <= port <= 65535:
        return f"--port takes a port number from 1 to 65535, not {port}"
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind((host, port))
        except OSError as exc:
            return f"port {port} on {host} is taken or not allowed ({exc.strerror or exc})"
    return None


def _selftest(args) -> int:
    from conformance.reference import selftest

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
        from conformance.reports.summary import write_atomically

        write_atomically(Path(args.json_path), json.dumps([{**o.__dict__, "verdict": o.verdict} for o in outcomes], indent=2))
    print(f"wall time {time.perf_counter() - started:.1f} s, {sum(o.requests for o in outcomes)} requests")
    print(selftest.creates_line(outcomes))
    print(selftest.last_line(outcomes))
    return 0 if selftest.passed(outcomes) else exitcodes.NOT_CONFORMANT


def _run(args) -> int:
    extra = [a for a in args.pytest_args if a != "--"]
    given = {dest: getattr(args, dest) for _, dest, _, _ in OPTIONS}

    def lookup(dest: str) -> Given | None:
        value = given[dest]
        if value not in (None, []):
            return Given(value, _short(next(f for f, d, _, _ in OPTIONS if d == dest)))
        return from_environment(dest)

    if args.all:
        providers = list(BUILTIN)
    else:
        chosen = lookup("conformance_provider")
        if chosen is None:
            print("conformance: choose --provider NAME or --all", file=sys.stderr)
            return exitcodes.USAGE
        providers = [str(chosen.value)]
    from conformance.pytest_plugin.run import StartError, check_report_dir
    from conformance.settings import resolve

    try:  # every local problem is named before the first provider runs
        for provider in providers:
            settings = resolve(lambda dest: Given(provider, "--provider") if dest == "conformance_provider"
                               else lookup(dest))
        report_dir = Path(settings.report_dir)
        if not settings.dry_run:
            check_report_dir(report_dir, settings.sources.get("conformance_report_dir"))
    except (SettingsError, StartError) as exc:
        print(f"conformance: {exc}", file=sys.stderr)
        return exitcodes.USAGE
    passed = []
    for flag, dest, _, _ in OPTIONS:
        value = given[dest]
        if dest == "conformance_provider" or value in (None, []):
            continue
        if dest in SWITCHES:
            passed.append(flag)
        else:
            for item in (value if dest in REPEATABLE else [value]):
                passed += [flag, str(item)]
    statuses = {}
    for provider in providers:
        command = [sys.executable, "-c", PYTEST_BOOTSTRAP, "--pyargs", "conformance",
                   "--conformance-provider", provider, *passed, "-q", "--no-header", "-p", "no:cacheprovider", *extra]
        completed = subprocess.run(command, capture_output=len(providers) > 1, text=True)
        statuses[provider] = completed.returncode
        if len(providers) > 1:
            _print_summary_line(provider, report_dir, completed)
    if len(providers) > 1 and not settings.dry_run:
        from conformance.reports.index_page import write_index

        index = write_index(report_dir, providers)
        print(f"index: {index}")
    return _combined(statuses.values())


def _print_summary_line(provider: str, report_dir: Path, completed) -> None:
    from conformance.text import printable
    from conformance.reports.summary import one_line

    path = report_dir / f"{provider}.json"
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        tail = (completed.stdout + completed.stderr).strip().splitlines()[-1:] or ["no output"]
        print(f"{provider}: no verdict (exit {completed.returncode}): {tail[0]}")
        return
    print(f"{one_line(summary)}  [{summary['requests_sent']} requests, {summary['duration_s']:.1f} s] -> {report_dir / (provider + '.html')}")
    for error in summary.get("internal_errors", [])[:3]:  # the run's own output is not shown under --all
        print(f"  {printable(error['sentence'])}")


def _combined(statuses) -> int:
    statuses = list(statuses)
    problems = [s for s in statuses if s not in (exitcodes.OK, exitcodes.NOT_CONFORMANT)]
    if exitcodes.INTERNAL in problems:  # a bug of ours outweighs every other problem: it must be seen
        return exitcodes.INTERNAL
    if problems:
        return max(problems)
    return exitcodes.NOT_CONFORMANT if exitcodes.NOT_CONFORMANT in statuses else exitcodes.OK


if __name__ == "__main__":
    sys.exit(main())
