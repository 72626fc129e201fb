"""The `conformance` console script: run, serve, selftest, requirements, expectations."""

from __future__ import annotations

import argparse
import sys

from conformance import __version__, exitcodes
from conformance.cli.run_command import run_suite
from conformance.cli.tool_commands import TOOLS
from conformance.model.profile import BUILTIN, ProfileError
from conformance.options import OPTIONS, argument_spec, did_you_mean


class _Parser(argparse.ArgumentParser):
    """argparse exits 2 on a wrong argument, which is "interrupted" in the exit statuses."""

    def error(self, message):
        self.exit(exitcodes.USAGE, f"conformance: {message} (see {self.prog} --help)\n")


def main(argv=None) -> int:
    parser = _Parser(prog="conformance", description=__doc__)
    parser.add_argument("--version", action="version", version=f"workspace-conformance {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    run = sub.add_parser("run", help="run the suite (wraps pytest); --all runs every provider")
    run.add_argument("--all", action="store_true", help="every provider, then an index page")
    for option in OPTIONS:  # the pytest options, without their prefix; the prefixed spelling works too
        run.add_argument(option.run_flag, **argument_spec(option))
        run.add_argument(option.flag, **{**argument_spec(option), "help": argparse.SUPPRESS})
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
    st.add_argument(
        "--max-creates",
        type=_whole_number,
        default=None,
        help="the workspace budget of each run (default 25, as for --conformance-max-creates)",
    )

    req = sub.add_parser("requirements", help="print a provider's requirement catalog with sources")
    req.add_argument("provider", help=f"{', '.join(BUILTIN)}, or a profile directory")
    req.add_argument("--json", action="store_true")
    req.add_argument(
        "--check-quotes",
        metavar="FILE",
        help="verify every page quote occurs in this saved copy of "
        "the document (or in the profile's document file inside this directory), and every "
        "provider-notes quote in the provider notes shipped with the profiles; exit 1 if any is missing",
    )

    exp = sub.add_parser("expectations", help="print an expectations file excusing a report's current failures")
    exp.add_argument(
        "--from",
        dest="reports",
        action="append",
        required=True,
        metavar="REPORT",
        help="a <provider>.json report (repeatable: one file for several providers)",
    )

    api = sub.add_parser("openapi", help="print a provider's profile as an OpenAPI 3.1 document")
    api.add_argument("provider", help=f"{', '.join(BUILTIN)}, or a profile directory")
    api.add_argument(
        "--target-param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="pin a target param's request field (e.g. organization_id) to this value",
    )
    api.add_argument("--output", help="write here instead of standard output")

    args, unknown = parser.parse_known_args(argv)
    if args.command == "run":
        problem = _unknown_run_arguments(run, unknown, args.pytest_args)
        if problem:
            print(f"conformance: {problem}", file=sys.stderr)
            return exitcodes.USAGE
    elif unknown:
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    try:
        return {"run": run_suite, **TOOLS}[args.command](args)
    except ProfileError as exc:
        print(f"conformance: {exc}", file=sys.stderr)
        return exitcodes.USAGE
    except KeyboardInterrupt:
        return exitcodes.INTERRUPTED


def _unknown_run_arguments(run: argparse.ArgumentParser, unknown: list[str], rest: list[str]) -> str | None:
    """`conformance run` owns its options: a typo gets one sentence with the option meant, not
    pytest's four lines; pytest's own options go after `--`."""
    known = [flag for action in run._actions for flag in action.option_strings if action.help is not argparse.SUPPRESS]
    for item in unknown:
        name = item.split("=", 1)[0]
        if name.startswith("-"):
            hint = did_you_mean(name, known)
            return (
                f"unknown option {name}: {hint}"
                if hint
                else f"unknown option {name} (see conformance run --help; pytest's own options go after --)"
            )
    if unknown or (rest and rest[0] != "--"):
        stray = (unknown or rest)[0]
        return f"unexpected argument {stray!r}: pytest's own options and arguments go after --"
    return None


def _whole_number(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"takes a whole number, not {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {value}")
    return value
