"""The user contract's options: each from the command line, the environment or the ini file,
validated once, with one clear sentence for anything wrong."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from .creates import DEFAULT_MAX_CREATES
from .profile import BUILTIN, Profile, ProfileError, load

# flag, ini/dest name, environment variable, help
OPTIONS = [
    ("--provider", "conformance_provider", "CONFORMANCE_PROVIDER",
     f"provider to certify: {', '.join(BUILTIN)}, or the path of a profile directory"),
    ("--target-url", "conformance_target_url", "CONFORMANCE_TARGET_URL",
     "base URL of the endpoint under test; omitted: the bundled reference server on loopback"),
    ("--credential", "conformance_credential", "CONFORMANCE_CREDENTIAL",
     "secret placed where the provider's auth scheme says (prefer the environment variable)"),
    ("--report-dir", "conformance_report_dir", "CONFORMANCE_REPORT_DIR",
     "where <provider>.html, .json and .junit.xml are written (default reports/)"),
    ("--fail-on", "conformance_fail_on", "CONFORMANCE_FAIL_ON",
     "requirement levels whose failure makes the exit status non-zero: must (default) or should"),
    ("--max-requests", "conformance_max_requests", "CONFORMANCE_MAX_REQUESTS",
     "hard budget of requests sent to the target"),
    ("--examples", "conformance_examples", "CONFORMANCE_EXAMPLES",
     "Hypothesis examples per generated probe (default 20)"),
    ("--request-timeout", "conformance_request_timeout", "CONFORMANCE_REQUEST_TIMEOUT",
     "seconds to wait for each answer (default 10)"),
    ("--max-concurrency", "conformance_max_concurrency", "CONFORMANCE_MAX_CONCURRENCY",
     "requests in flight at once, across pytest-xdist workers (default 4)"),
    ("--conformance-max-creates", "conformance_max_creates", "CONFORMANCE_MAX_CREATES",
     "workspaces the run may ask the target to create (default 25; 0: rejection probes only); "
     "the cases that check the most requirements are chosen first, the rest are not run"),
]
DEFAULT_EXAMPLES = 20


class SettingsError(ValueError):
    pass


@dataclass
class Settings:
    profile: Profile
    target_url: str | None
    credential: str | None
    params: dict[str, str] = field(default_factory=dict)
    report_dir: str = "reports"
    fail_on: str = "must"
    max_requests: int | None = None
    examples: int = DEFAULT_EXAMPLES
    timeout: float = 10.0
    max_concurrency: int = 4
    dry_run: bool = False
    cleanup: bool = False
    max_creates: int = DEFAULT_MAX_CREATES

    @property
    def embedded(self) -> bool:
        return self.target_url is None


def _positive_int(name: str, raw: str | None, default):
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} takes a whole number, not {raw!r}") from None
    if value < 1:
        raise SettingsError(f"{name} must be at least 1, not {value}")
    return value


def _whole_number(name: str, raw: str | None, default: int) -> int:
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} takes a whole number, not {raw!r}") from None
    if value < 0:
        raise SettingsError(f"{name} must be 0 or more, not {value}")
    return value


def resolve(get, params: list[str], *, dry_run: bool = False, cleanup: bool = False) -> Settings | None:
    """`get(dest, env)` returns the raw value of an option; None when no provider is chosen."""
    raw = {dest: get(dest, env) for _, dest, env, _ in OPTIONS}
    provider = raw["conformance_provider"]
    if not provider:
        return None
    try:
        profile = load(provider)
    except ProfileError as exc:
        raise SettingsError(str(exc)) from None
    url = raw["conformance_target_url"] or None
    if url is not None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SettingsError(f"--target-url must be an http:// or https:// URL with a host, not {url!r}")
    fail_on = (raw["conformance_fail_on"] or "must").lower()
    if fail_on not in ("must", "should"):
        raise SettingsError(f"--fail-on takes must or should, not {fail_on!r}")
    parsed = {}
    for item in params or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise SettingsError(f"--target-param takes KEY=VALUE, not {item!r}")
        parsed[key.strip()] = value
    try:
        timeout = float(raw["conformance_request_timeout"] or 10)
    except ValueError:
        raise SettingsError("--request-timeout takes a number of seconds") from None
    if not 0 < timeout <= 600:
        raise SettingsError(f"--request-timeout must be between 0 and 600 seconds, not {timeout}")
    settings = Settings(
        profile=profile,
        target_url=url,
        credential=raw["conformance_credential"] or None,
        params=parsed,
        report_dir=raw["conformance_report_dir"] or "reports",
        fail_on=fail_on,
        max_requests=_positive_int("--max-requests", raw["conformance_max_requests"], None),
        examples=_positive_int("--examples", raw["conformance_examples"], DEFAULT_EXAMPLES),
        timeout=timeout,
        max_concurrency=_positive_int("--max-concurrency", raw["conformance_max_concurrency"], 4),
        dry_run=dry_run,
        cleanup=cleanup,
        max_creates=_whole_number("--conformance-max-creates", raw["conformance_max_creates"], DEFAULT_MAX_CREATES),
    )
    if cleanup and "cleanup" not in profile.data:
        raise SettingsError(f"--cleanup: the {profile.key} page documents no way to remove a workspace")
    if url is not None:
        missing = [p for p, spec in profile.target_params.items() if spec.get("required") and p not in parsed]
        if missing:
            spec = profile.target_params[missing[0]]
            raise SettingsError(f"{profile.key} needs --target-param {missing[0]}=<{spec['description']}>")
    return settings


def from_environment(name: str) -> str | None:
    return os.environ.get(name) or None
