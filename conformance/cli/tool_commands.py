"""The tool subcommands beside `run`: serve (a reference server), selftest (the kill matrix),
requirements (a provider's catalog, and its quotes checked), expectations (a file excusing a
report's failures) and openapi (a profile as an OpenAPI document)."""

from __future__ import annotations

import json
import os
import socket
import sys
import time
from pathlib import Path

import uvicorn

from conformance import exitcodes
from conformance.model.catalog import derive
from conformance.model.expectations import bootstrap
from conformance.model.openapi import document
from conformance.model.profile import BUILTIN, load, notes_path
from conformance.model.quotes import (
    document_path,
    missing_notes_quotes,
    missing_profile_quotes,
    missing_quotes,
    profile_notes_quotes,
    profile_page_quotes,
)
from conformance.reference import provider_module, selftest
from conformance.reference.common import DEMO_CREDENTIAL
from conformance.reference.serving import provider_app
from conformance.reports.summary import FORMAT, write_atomically
from conformance.settings import SettingsError, parse_pairs
from conformance.text import pretty_json


def _openapi(args) -> int:
    try:
        pinned = parse_pairs(args.target_param, "--target-param")
    except SettingsError as exc:
        print(f"conformance: {exc}", file=sys.stderr)
        return exitcodes.USAGE
    text = pretty_json(document(load(args.provider), pinned)) + "\n"
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def _requirements(args) -> int:
    profile = load(args.provider)
    reqs = derive(profile)
    if args.check_quotes:
        return _check_quotes(profile, reqs, args.check_quotes)
    if args.json:
        print(pretty_json([r.to_dict() for r in reqs]))
        return 0
    print(f"{profile.title}: {len(reqs)} requirements from {profile.document['file']}")
    print(f"({profile.document['revision']})")
    for r in reqs:
        tier = f", {r.tier} values" if r.tier else ""
        print(
            f"\n{r.id}  [{r.level}] rule {r.rule}{tier}\n    {r.title}\n"
            f"    source ({r.source['kind']}): {r.source['document']}"
        )
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
            print(
                f"conformance: {path} is of an incomplete run ({report['problem']}); run again first", file=sys.stderr
            )
            return exitcodes.USAGE
        reports.append(report)
    sys.stdout.write(bootstrap(reports, args.reports))
    return 0


def _check_quotes(profile, reqs, given: str) -> int:
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
    print(
        f"{profile.key}: {checked - len(missing)} of {checked} requirement quotes and "
        f"{len(others) - len(missing_others)} of {len(others)} profile quotes found in {path}"
    )
    # Provider-notes quotes are our own words, checked against the notes shipped with the
    # profiles (always: they are part of the package), never against the provider's page.
    notes = profile_notes_quotes(profile, reqs)
    missing_notes = []
    if notes:
        where_notes = notes_path(profile)
        try:
            notes_text = where_notes.read_text(encoding="utf-8")
        except OSError as exc:
            print(
                f"conformance: cannot read the provider notes {str(where_notes)!r}: {exc.strerror or exc}",
                file=sys.stderr,
            )
            return exitcodes.USAGE
        missing_notes = missing_notes_quotes(profile, notes_text, reqs)
        for where, quote, why in missing_notes:
            print(f"{why}: {where}: \u201c{quote}\u201d")
        print(
            f"{profile.key}: {len(notes) - len(missing_notes)} of {len(notes)} provider-notes quotes found "
            f"in {where_notes}"
        )
    return exitcodes.NOT_CONFORMANT if missing or missing_others or missing_notes else exitcodes.OK


def _serve(args) -> int:
    if args.provider not in BUILTIN:
        print(
            f"conformance: no reference server for {args.provider!r}: choose one of {', '.join(BUILTIN)}",
            file=sys.stderr,
        )
        return exitcodes.USAGE

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

    profile = load(args.provider)
    app = provider_app(args.provider, credential, args.fault, args.variant, args.db)
    where = f"http://{args.host}:{args.port}{profile.base_path}"
    told = (
        "the credential in CONFORMANCE_CREDENTIAL"
        if os.environ.get("CONFORMANCE_CREDENTIAL")
        else f"the demo credential {DEMO_CREDENTIAL!r} (set CONFORMANCE_CREDENTIAL to choose one)"
    )
    print(
        f"{args.provider} reference server at {where}{profile.path}, accepting {told}"
        + (f", fault {args.fault}" if args.fault else "")
        + (f", variant {args.variant}" if args.variant != "default" else "")
    )
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
    started = time.perf_counter()
    budget = {} if args.max_creates is None else {"max_creates": args.max_creates}
    outcomes = selftest.run(args.provider, jobs=args.jobs, **budget)
    for line in selftest.matrix_lines(outcomes):
        print(line)
    for o in outcomes:
        if o.verdict not in ("killed", "passed"):
            print(
                f"!! {o.provider} {o.behaviour}: {o.verdict}; failed {o.failed or 'nothing'}"
                + (f"; errors {o.errors[:3]}" if o.errors else "")
            )
    for rid in selftest.requirements_never_failed(outcomes):
        print(f"!! {rid}: no fault that declares it makes it fail")
    if args.json_path:
        write_atomically(
            Path(args.json_path), json.dumps([{**o.__dict__, "verdict": o.verdict} for o in outcomes], indent=2)
        )
    print(f"wall time {time.perf_counter() - started:.1f} s, {sum(o.requests for o in outcomes)} requests")
    print(selftest.creates_line(outcomes))
    print(selftest.last_line(outcomes))
    return 0 if selftest.passed(outcomes) else exitcodes.NOT_CONFORMANT


# The subcommands above by name, as `conformance.cli.main` dispatches them.
TOOLS = {
    "serve": _serve,
    "selftest": _selftest,
    "requirements": _requirements,
    "expectations": _expectations,
    "openapi": _openapi,
}
