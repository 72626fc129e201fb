"""`conformance run`: the suite for one provider or all of them, each in a pytest of its own,
with the options checked before the first provider starts and one exit status for the lot."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from functools import partial
from pathlib import Path

from conformance import exitcodes
from conformance.model.profile import BUILTIN
from conformance.options import INTERFACE_ENV, OPTIONS, REPEATABLE, SWITCHES, Given, from_environment
from conformance.pytest_plugin.report_files import StartError, check_report_dir
from conformance.reports.index_page import write_index
from conformance.reports.summary import one_line
from conformance.settings import SettingsError, resolve
from conformance.text import printable

# `python -m pytest` would put the current directory first on sys.path, and inside a clone of
# this project its `conformance/` folder would shadow the installed package. `-c` puts '' there
# instead, which this removes before pytest (and the suite) is imported. (`-P` is 3.11+.)
PYTEST_BOOTSTRAP = (
    "import sys\n"
    "if sys.path and sys.path[0] == '':\n    del sys.path[0]\n"
    "import pytest\n"
    "sys.exit(pytest.main(sys.argv[1:]))"
)


def run_suite(args) -> int:
    extra = args.pytest_args[1:] if args.pytest_args[:1] == ["--"] else list(args.pytest_args)
    given = {option.dest: getattr(args, option.dest) for option in OPTIONS}
    run_flag = {option.dest: option.run_flag for option in OPTIONS}

    def lookup(dest: str) -> Given | None:
        value = given[dest]
        if value not in (None, []):
            return Given(value, run_flag[dest])
        return from_environment(dest)

    def lookup_for(provider: str, dest: str) -> Given | None:
        """`lookup`, with `provider` chosen as --provider chooses it."""
        return Given(provider, "--provider") if dest == "conformance_provider" else lookup(dest)

    if args.all:
        providers = list(BUILTIN)
    else:
        chosen = lookup("conformance_provider")
        if chosen is None:
            print("conformance: choose --provider NAME or --all", file=sys.stderr)
            return exitcodes.USAGE
        providers = [str(chosen.value)]

    try:  # every local problem is named before the first provider runs
        for provider in providers:
            resolved = resolve(partial(lookup_for, provider))
            if resolved is None:  # resolve() returns None only when no provider is chosen
                raise RuntimeError(f"no settings resolved for the provider {provider!r}")
            settings = resolved
        report_dir = Path(settings.report_dir)
        if not settings.dry_run:
            check_report_dir(report_dir, settings.sources.get("conformance_report_dir"))
    except (SettingsError, StartError) as exc:
        print(f"conformance: {exc}", file=sys.stderr)
        return exitcodes.USAGE
    passed = []
    for option in OPTIONS:
        value = given[option.dest]
        if option.dest == "conformance_provider" or value in (None, []):
            continue
        if option.dest in SWITCHES:
            passed.append(option.flag)
        else:
            for item in value if option.dest in REPEATABLE else [value]:
                passed += [option.flag, str(item)]
    statuses = {}
    # The pytest started here prints every hint in this command's spelling (--cleanup, not
    # --conformance-cleanup): the user typed `conformance run`.
    env = {**os.environ, INTERFACE_ENV: "run"}
    for provider in providers:
        command = [
            sys.executable,
            "-c",
            PYTEST_BOOTSTRAP,
            "--pyargs",
            "conformance",
            "--conformance-provider",
            provider,
            *passed,
            "-q",
            "--no-header",
            "-p",
            "no:cacheprovider",
            *extra,
        ]
        completed = subprocess.run(command, capture_output=len(providers) > 1, text=True, env=env)
        statuses[provider] = completed.returncode
        if len(providers) > 1:
            _print_summary_line(provider, report_dir, completed)
    if len(providers) > 1 and not settings.dry_run:
        index = write_index(report_dir, providers)
        print(f"index: {index}")
    return _combined(statuses.values())


def _print_summary_line(provider: str, report_dir: Path, completed) -> None:
    path = report_dir / f"{provider}.json"
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        tail = (completed.stdout + completed.stderr).strip().splitlines()[-1:] or ["no output"]
        print(f"{provider}: no verdict (exit {completed.returncode}): {tail[0]}")
        return
    print(
        f"{one_line(summary)}  [{summary['requests_sent']} requests, {summary['duration_s']:.1f} s] "
        f"-> {report_dir / (provider + '.html')}"
    )
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
