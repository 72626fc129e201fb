"""The options of the user contract, as one table: each option's pytest flag, ini key,
environment variable, `conformance run` spelling and help, and how a value given for one is
found and named.

The pytest11 entry module imports this one in every pytest run of every project where the
package is installed: it stays a leaf of the standard library."""

from __future__ import annotations

import difflib
import os
from typing import NamedTuple


class Option(NamedTuple):
    """One row of the user contract: the pytest flag, its ini key (also its dest), its
    environment variable, what its value is called (the metavar) and its help."""

    flag: str
    dest: str
    env: str
    metavar: str | None  # None: a switch, which takes no value on the command line
    help: str

    @property
    def run_flag(self) -> str:
        """The same option as `conformance run` spells it: without the `--conformance` prefix."""
        return "--" + self.flag[len(PREFIX) :]


PREFIX = "--conformance-"
# Every option is also an ini key (its dest) and an environment variable; `conformance run` takes
# each without the `--conformance` prefix. This one table drives the pytest options and the CLI.
OPTIONS = [
    Option(
        "--conformance-provider",
        "conformance_provider",
        "CONFORMANCE_PROVIDER",
        "NAME",
        "provider to certify: a bundled provider's name (anthropic, orgo, ...) or a profile directory",
    ),
    Option(
        "--conformance-target-url",
        "conformance_target_url",
        "CONFORMANCE_TARGET_URL",
        "URL",
        "base URL of the endpoint under test, or the endpoint's full URL; omitted: the bundled "
        "reference server on loopback",
    ),
    Option(
        "--conformance-credential",
        "conformance_credential",
        "CONFORMANCE_CREDENTIAL",
        "SECRET",
        "secret placed where the provider's auth scheme says (prefer the environment variable)",
    ),
    Option(
        "--conformance-target-param",
        "conformance_target_params",
        "CONFORMANCE_TARGET_PARAMS",
        "KEY=VALUE",
        "provider input such as organization_id (repeatable; the variable and ini key take "
        "several, separated by spaces)",
    ),
    Option(
        "--conformance-report-dir",
        "conformance_report_dir",
        "CONFORMANCE_REPORT_DIR",
        "DIR",
        "where <provider>.html, .json and .junit.xml are written (default reports/)",
    ),
    Option(
        "--conformance-fail-on",
        "conformance_fail_on",
        "CONFORMANCE_FAIL_ON",
        "must|should",
        "requirement levels whose failure makes the exit status non-zero: must (default) or should",
    ),
    Option(
        "--conformance-max-requests",
        "conformance_max_requests",
        "CONFORMANCE_MAX_REQUESTS",
        "N",
        "hard budget of requests sent to the target",
    ),
    Option(
        "--conformance-examples",
        "conformance_examples",
        "CONFORMANCE_EXAMPLES",
        "N",
        "Hypothesis examples per generated probe (default 20; 0 turns generation off)",
    ),
    Option(
        "--conformance-request-timeout",
        "conformance_request_timeout",
        "CONFORMANCE_REQUEST_TIMEOUT",
        "SECONDS",
        "seconds each request may take as a whole, connect to last body byte (default 10)",
    ),
    Option(
        "--conformance-max-concurrency",
        "conformance_max_concurrency",
        "CONFORMANCE_MAX_CONCURRENCY",
        "N",
        "requests in flight at once, across pytest-xdist workers (default 4)",
    ),
    Option(
        "--conformance-max-creates",
        "conformance_max_creates",
        "CONFORMANCE_MAX_CREATES",
        "N",
        "workspaces the run may ask the target to create (default 32; 0: rejection probes only); "
        "the cases that check the most requirements are chosen first, the rest are not run",
    ),
    Option(
        "--conformance-dry-run",
        "conformance_dry_run",
        "CONFORMANCE_DRY_RUN",
        None,
        "list every request the run would begin with, send none, write no report",
    ),
    Option(
        "--conformance-cleanup",
        "conformance_cleanup",
        "CONFORMANCE_CLEANUP",
        None,
        "remove the workspaces the run created, where the provider documents how",
    ),
    Option(
        "--conformance-hypothesis-seed",
        "conformance_hypothesis_seed",
        "CONFORMANCE_HYPOTHESIS_SEED",
        "N|random",
        "seed of the generated payloads (default: fixed per suite version and provider, so a target gets the "
        "same requests and outcomes every run); 'random' explores with a fresh seed, printed in every report",
    ),
    Option(
        "--conformance-expectations",
        "conformance_expectations",
        "CONFORMANCE_EXPECTATIONS",
        "FILE",
        "TOML file of known deviations (requirement id: outcome, reason, until): the gate passes on them",
    ),
    Option(
        "--conformance-strict-expectations",
        "conformance_strict_expectations",
        "CONFORMANCE_STRICT_EXPECTATIONS",
        None,
        "an expectation whose reason is still a TODO placeholder is a usage error, not a warning",
    ),
    Option(
        "--conformance-baseline",
        "conformance_baseline",
        "CONFORMANCE_BASELINE",
        "FILE",
        "an earlier <provider>.json (or its directory): report newly failing, newly passing and changed outcomes",
    ),
    Option(
        "--conformance-markdown",
        "conformance_markdown",
        "CONFORMANCE_MARKDOWN",
        "FILE",
        "append a Markdown summary of the run to this file (GITHUB_STEP_SUMMARY gets one when set)",
    ),
    Option(
        "--conformance-max-wait",
        "conformance_max_wait",
        "CONFORMANCE_MAX_WAIT",
        "SECONDS",
        "seconds the whole run may spend honouring Retry-After and retry waits (default 30); once spent, "
        "nothing more is sent and the run is INCOMPLETE",
    ),
    Option(
        "--conformance-har",
        "conformance_har",
        "CONFORMANCE_HAR",
        "FILE",
        "also write every exchange of the run to FILE as HAR 1.2 (secrets redacted), for a browser's "
        "network panel or a HAR viewer",
    ),
]
SWITCHES = {o.dest for o in OPTIONS if o.metavar is None}  # on the command line they take no value
REPEATABLE = {"conformance_target_params"}


class Given(NamedTuple):
    """A raw option value and where it came from, for error messages that say where to look."""

    value: object
    where: str


def argument_spec(option) -> dict:
    """How one row of the OPTIONS table is an argument, for pytest's parser and the CLI's alike:
    a switch takes no value, a repeatable option appends, the metavar names the value."""
    spec = {"dest": option.dest, "default": None, "help": f"{option.help} [env {option.env}]"}
    if option.dest in SWITCHES:
        return {**spec, "action": "store_true"}
    if option.dest in REPEATABLE:
        return {**spec, "action": "append", "metavar": option.metavar}
    return {**spec, "metavar": option.metavar}


# Set by `conformance run` for the pytest it starts, so that every hint the run prints names
# the options as the user typed them (`--cleanup`), not as pytest spells them.
INTERFACE_ENV = "CONFORMANCE_INTERFACE"


def option(dest: str) -> Option:
    return next(o for o in OPTIONS if o.dest == dest)


def under_run() -> bool:
    return os.environ.get(INTERFACE_ENV) == "run"


def flag_name(dest: str) -> str:
    """The option as the user in front of this run spells it: `--cleanup` under `conformance
    run`, `--conformance-cleanup` under pytest."""
    found = option(dest)
    return found.run_flag if under_run() else found.flag


def spelled(text: str) -> str:
    """A hint written with pytest's spelling (`--conformance-examples 0`), in the spelling of the
    interface in use."""
    return text.replace(PREFIX, "--") if under_run() else text


def env_name(dest: str) -> str:
    return option(dest).env


def from_environment(dest: str) -> Given | None:
    env = env_name(dest)
    raw = os.environ.get(env)
    return Given(raw, f"the {env} environment variable") if raw not in (None, "") else None


def did_you_mean(given: str, choices) -> str:
    """\" did you mean X?\" for a near miss, or nothing."""
    close = difflib.get_close_matches(given, list(choices), n=1, cutoff=0.6)
    return f"did you mean {close[0]}?" if close else ""
