"""The user contract's settings: each option's value, from the command line, the environment or
the ini file, resolved and validated once, with one clear sentence for anything wrong. The
options themselves (flags, variables, help) are the table in conformance.options."""

from __future__ import annotations

import difflib
import os
import shlex
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from conformance import __version__
from conformance.defaults import DEFAULT_EXAMPLES, DEFAULT_MAX_CREATES, DEFAULT_MAX_WAIT, DEFAULT_REQUEST_TIMEOUT
from conformance.options import INTERFACE_ENV, OPTIONS, Given, did_you_mean, flag_name

if TYPE_CHECKING:  # the pytest11 entry module imports this one: nothing heavy at import time
    from conformance.model.profile import Profile

_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off", "")


def default_seed(provider_key: str) -> int:
    """The seed a run uses unless told otherwise: fixed per suite version and provider, so the
    same target gets the same generated payloads, and the same outcomes, on every run."""
    return zlib.crc32(f"workspace-conformance {__version__} {provider_key}".encode())


def _random_seed(given: Given | None) -> bool:
    return given is not None and str(given.value).strip().lower() == "random"


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
    timeout: float = DEFAULT_REQUEST_TIMEOUT
    max_concurrency: int = 4
    dry_run: bool = False
    cleanup: bool = False
    seed: int | None = None  # None: the fixed default (default_seed), unless seed_random
    seed_random: bool = False
    sources: dict[str, str] = field(default_factory=dict)  # dest -> where its value came from
    expectations: dict | None = None  # requirement id -> Expectation, this provider's only
    expectations_file: str | None = None
    baseline: dict | None = None
    markdown: list[str] = field(default_factory=list)  # files the Markdown summary is appended to
    max_creates: int = DEFAULT_MAX_CREATES
    max_wait: float = DEFAULT_MAX_WAIT
    har: str | None = None  # the HAR file every exchange is written to
    warnings: list[str] = field(default_factory=list)  # sentences shown before the first request

    @property
    def embedded(self) -> bool:
        return self.target_url is None


def _whole_number(given: Given | None, default, minimum: int):
    if given is None:
        return default
    try:
        value = int(str(given.value).strip())
    except ValueError:
        raise SettingsError(f"{given.where} takes a whole number, not {given.value!r}") from None
    if value < minimum:
        raise SettingsError(f"{given.where} must be at least {minimum}, not {value}")
    return value


def _seconds(given: Given | None, default: float, maximum: float) -> float:
    if given is None:
        return default
    try:
        value = float(str(given.value).strip())
    except ValueError:
        raise SettingsError(f"{given.where} takes a number of seconds, not {given.value!r}") from None
    if not 0 <= value <= maximum:  # also refuses nan
        raise SettingsError(f"{given.where} must be at least 0 and at most {maximum:g} seconds, not {given.value}")
    return value


def _switch(given: Given | None) -> bool:
    if given is None:
        return False
    if isinstance(given.value, bool):
        return given.value
    text = str(given.value).strip().lower()
    if text not in _TRUE + _FALSE:
        raise SettingsError(f"{given.where} takes 1 or 0 (true or false), not {given.value!r}")
    return text in _TRUE


def _items(given: Given | None) -> list[str]:
    if given is None:
        return []
    if isinstance(given.value, (list, tuple)):
        return list(given.value)
    try:
        return shlex.split(str(given.value))
    except ValueError as exc:
        raise SettingsError(f"{given.where} could not be read: {exc}") from None


def parse_pairs(items, where: str) -> dict[str, str]:
    """KEY=VALUE items (target params, openapi's pinned fields): one parser for every place."""
    parsed = {}
    for item in items:
        key, sep, value = str(item).partition("=")
        if not sep or not key.strip():
            raise SettingsError(f"{where} takes KEY=VALUE, not {item!r}")
        parsed[key.strip()] = value
    return parsed


def _load_profile(provider: Given):
    # Here, not at the top: the pytest11 entry module imports this one in every pytest run, and
    # the profiles bring jsonschema; only a run that chose the suite pays for them.
    from conformance.model.profile import BUILTIN, ProfileError, load  # noqa: PLC0415

    try:
        return load(str(provider.value))
    except ProfileError as exc:
        name = str(provider.value)
        hint = did_you_mean(name, BUILTIN) if "/" not in name and not os.path.exists(name) else ""
        if hint:
            raise SettingsError(
                f"{provider.where}: no provider {name!r}; {hint} (one of {', '.join(BUILTIN)}, or a profile directory)"
            ) from None
        raise SettingsError(str(exc)) from None


def _check_environment_names(environ) -> None:
    """A CONFORMANCE_* variable that is a near miss of an option's (CONFORMANCE_TARGETURL) is
    refused: silently ignored, it would certify the bundled reference server instead of the
    endpoint meant, and a CI gate would go green. Other CONFORMANCE_* names are left alone."""
    known = {o.env.removeprefix("CONFORMANCE_"): o.env for o in OPTIONS}
    for name in sorted(environ):
        suffix = name.removeprefix("CONFORMANCE_")
        if name == suffix or suffix in known or name == INTERFACE_ENV:
            continue
        close = difflib.get_close_matches(suffix, list(known), n=1, cutoff=0.8)
        if close:
            raise SettingsError(
                f"the environment variable {name} is not one of the suite's: did you mean {known[close[0]]}?"
            )


def resolve(lookup: Callable[[str], Given | None]) -> Settings | None:
    """`lookup(dest)` returns the value of an option and where it came from (None when unset).
    Returns None when no provider is chosen; raises SettingsError with one sentence."""
    given = {o.dest: lookup(o.dest) for o in OPTIONS}
    provider = given["conformance_provider"]
    if provider is None:
        return None
    _check_environment_names(os.environ)
    profile = _load_profile(provider)  # jsonschema comes with it: only once a provider is chosen
    target = given["conformance_target_url"]
    url: str | None = None
    if target is not None:
        url = str(target.value)
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            from conformance.client.transcript import Redactor  # noqa: PLC0415 (inert until chosen, as above)

            shown = Redactor(None).url(url) if "@" in url else url
            raise SettingsError(f"{target.where} must be an http:// or https:// URL with a host, not {shown!r}")
    fail_on_given = given["conformance_fail_on"]
    fail_on = "must"
    if fail_on_given is not None:
        fail_on = str(fail_on_given.value).lower()
        if fail_on not in ("must", "should"):
            raise SettingsError(f"{fail_on_given.where} takes must or should, not {fail_on!r}")
    params_given = given["conformance_target_params"]
    params_where = params_given.where if params_given else ""  # no params given: none parsed
    parsed = parse_pairs(_items(params_given), params_where)
    named_by = profile.auth.get("name_param")
    if named_by in parsed and not _is_token(parsed[named_by]):
        what = "cookie" if profile.auth["in"] == "cookie" else "header"
        raise SettingsError(
            f"{params_where}: {named_by}={parsed[named_by]!r} is not a {what} name "
            "(letters, digits and !#$%&'*+-.^_`|~ only)"
        )
    timeout_given = given["conformance_request_timeout"]
    timeout = DEFAULT_REQUEST_TIMEOUT
    if timeout_given is not None:
        try:
            timeout = float(str(timeout_given.value))
        except ValueError:
            raise SettingsError(
                f"{timeout_given.where} takes a number of seconds, not {timeout_given.value!r}"
            ) from None
        if not 0 < timeout <= 600:
            raise SettingsError(
                f"{timeout_given.where} must be more than 0 and at most 600 seconds, not {timeout_given.value}"
            )
    credential = given["conformance_credential"]
    report_dir = given["conformance_report_dir"]
    auth = {**profile.auth, "name": parsed.get(named_by) or profile.auth["name"]} if named_by else profile.auth
    credential_problem = unsendable_credential(
        str(credential.value) if credential else None, auth, credential.where if credential else ""
    )
    if credential_problem:
        raise SettingsError(credential_problem)
    settings = Settings(
        profile=profile,
        target_url=url,
        credential=str(credential.value) if credential else None,
        params=parsed,
        report_dir=str(report_dir.value) if report_dir else "reports",
        fail_on=fail_on,
        max_requests=_whole_number(given["conformance_max_requests"], None, 1),
        examples=_whole_number(given["conformance_examples"], DEFAULT_EXAMPLES, 0),
        timeout=timeout,
        max_concurrency=_whole_number(given["conformance_max_concurrency"], 4, 1),
        dry_run=_switch(given["conformance_dry_run"]),
        cleanup=_switch(given["conformance_cleanup"]),
        seed=None
        if _random_seed(given["conformance_hypothesis_seed"])
        else _whole_number(given["conformance_hypothesis_seed"], None, 0),
        seed_random=_random_seed(given["conformance_hypothesis_seed"]),
        sources={dest: g.where for dest, g in given.items() if g is not None},
        max_creates=_whole_number(given["conformance_max_creates"], DEFAULT_MAX_CREATES, 0),
        max_wait=_seconds(given["conformance_max_wait"], DEFAULT_MAX_WAIT, 3600),
        har=str(given["conformance_har"].value) if given["conformance_har"] else None,
    )
    cleanup_given = given["conformance_cleanup"]  # settings.cleanup is set only when given
    if cleanup_given is not None and settings.cleanup and "cleanup" not in profile.data:
        raise SettingsError(f"{cleanup_given.where}: the {profile.key} page documents no way to remove a workspace")
    _ci_gate(settings, given)
    if url is not None:
        missing = [p for p, spec in profile.target_params.items() if spec.get("required") and p not in parsed]
        if missing:
            spec = profile.target_params[missing[0]]
            raise SettingsError(
                f"{profile.key} needs {flag_name('conformance_target_params')} {missing[0]}=<{spec['description']}>"
            )
    return settings


# RFC 9110 token: what a header's name and a cookie's name are made of.
_TOKEN = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def _is_token(text: str) -> bool:
    return bool(text) and set(text) <= _TOKEN


# RFC 6265 cookie-octet: visible ASCII except the quote, comma, semicolon and backslash.
_COOKIE_OCTETS = frozenset(chr(c) for c in range(0x21, 0x7F)) - set('",;\\')


def unsendable_credential(credential: str | None, auth: dict, given_as: str = "") -> str | None:
    """One sentence on why the credential cannot be sent where the provider's auth goes, or None.
    The sentence says where and what, never the credential itself (it would be in CI logs)."""
    if not credential:
        return None
    where = f"the credential ({given_as or '--conformance-credential or CONFORMANCE_CREDENTIAL'})"
    placement = f"the {auth['name']} {'cookie' if auth['in'] == 'cookie' else 'header'}"
    for position, character in enumerate(credential, 1):
        at = f"character {position} of {len(credential)}"
        if character in "\r\n":
            trailing = not credential[position:].strip("\r\n")
            return (
                f"{where} contains a line break at {at}"
                + (" (pasted with a trailing newline?)" if trailing else "")
                + f": it cannot be sent in {placement}; remove it"
            )
        if ord(character) < 0x20 or ord(character) == 0x7F:
            return f"{where} contains a control character at {at}: it cannot be sent in {placement}"
        if not character.isascii():
            return (
                f"{where} contains a non-ASCII character at {at}: "
                f"{placement} carries ASCII only; is it the right key, copied whole?"
            )
        if auth["in"] == "cookie" and character not in _COOKIE_OCTETS:
            return (
                f"{where} contains at {at} a character {placement} cannot carry (a space, quote, "
                "comma, semicolon or backslash: RFC 6265 cookie-octet)"
            )
    if credential != credential.strip():
        return f"{where} begins or ends with white space, which HTTP strips from {placement}; remove it"
    return None


def _ci_gate(settings: Settings, given: dict) -> None:
    """Expectations and baseline are read and checked now, before the first request is sent."""
    # Inert until chosen (see _load_profile): an unrelated pytest run never reaches this.
    from conformance.model import expectations  # noqa: PLC0415
    from conformance.model.catalog import derive  # noqa: PLC0415
    from conformance.model.profile import BUILTIN  # noqa: PLC0415
    from conformance.reports import baseline  # noqa: PLC0415

    path = str(given["conformance_expectations"].value) if given["conformance_expectations"] else None
    if path:
        try:
            found = expectations.load(path)
            known = [r.id for r in derive(settings.profile)]
            settings.expectations = expectations.for_provider(found, settings.profile.key, known, BUILTIN)
        except expectations.ExpectationsError as exc:
            raise SettingsError(str(exc)) from None
        settings.expectations_file = path
        _placeholder_reasons(settings, given)
    if given["conformance_baseline"]:
        try:
            settings.baseline = baseline.load(str(given["conformance_baseline"].value), settings.profile.key)
        except baseline.BaselineError as exc:
            raise SettingsError(str(exc)) from None
    markdown = str(given["conformance_markdown"].value) if given["conformance_markdown"] else None
    settings.markdown = [p for p in (markdown, os.environ.get("GITHUB_STEP_SUMMARY")) if p]


def _placeholder_reasons(settings: Settings, given: dict) -> None:
    """An expectation whose reason was never written (the `TODO` that `conformance expectations
    --from` leaves) excuses a failure nobody has looked at: a warning, or under
    --conformance-strict-expectations a usage error."""
    unwritten = sorted(
        rid
        for rid, e in (settings.expectations or {}).items()
        if not e.reason.strip() or e.reason.strip().upper().startswith("TODO")
    )
    if not unwritten:
        return
    where = given["conformance_expectations"].where
    sentence = (
        f"the expectations file {settings.expectations_file} ({where}) gives no reason for "
        f"{len(unwritten)} expected failure{'' if len(unwritten) == 1 else 's'} "
        f"({', '.join(unwritten[:3])}{', …' if len(unwritten) > 3 else ''}): write why each deviation is "
        "accepted in place of the TODO"
    )
    if _switch(given["conformance_strict_expectations"]):
        raise SettingsError(f"{sentence} ({given['conformance_strict_expectations'].where})")
    settings.warnings.append(sentence)
