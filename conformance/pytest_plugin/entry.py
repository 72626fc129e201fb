"""The pytest plugin entry point (`pytest11`): the suite's options, and the decision whether a
run is a conformance run at all.

It is loaded into every pytest run of the environment, so it imports only pytest and the
options table, and it changes nothing unless chosen: a conformance option on the command line
or in the ini file, or the suite's probes named as what to run (`--pyargs conformance`).
`CONFORMANCE_*` environment variables only supply values. Once chosen, the run is a
`hooks.ConformanceRun` registered with the plugin manager, which does the rest.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conformance.options import OPTIONS, Given, argument_spec, flag_name, from_environment
from conformance.settings import SettingsError, resolve

PACKAGE_DIR = Path(__file__).resolve().parents[1]  # conformance/


def pytest_addoption(parser):
    group = parser.getgroup("conformance", "workspace-conformance (inert unless one of these is given)")
    for option in OPTIONS:
        group.addoption(option.flag, **argument_spec(option))
        parser.addini(option.dest, f"{option.help} (as {option.flag})")


def lookup_in(config):
    """Command line first, then the environment, then the ini file; each value says where it
    came from, so a wrong one is named where the user set it."""

    def lookup(dest: str) -> Given | None:
        value = config.getoption(dest)
        if value not in (None, []):
            return Given(value, flag_name(dest))
        from_env = from_environment(dest)
        if from_env is not None:
            return from_env
        ini = config.getini(dest)
        return Given(ini, f"the {dest} ini key") if ini not in (None, "", []) else None

    return lookup


def _chosen(config) -> bool:
    for option in OPTIONS:
        if config.getoption(option.dest) not in (None, []) or config.getini(option.dest) not in (None, "", []):
            return True
    return _names_our_probes(config)


def _names_our_probes(config) -> bool:
    for arg in config.args:
        name = str(arg).split("::", 1)[0]
        if config.option.pyargs and (name == "conformance" or name.startswith("conformance.")):
            return True
        path = Path(config.invocation_params.dir, name)
        try:
            path = path.resolve()
        except OSError:
            continue
        if path == PACKAGE_DIR or PACKAGE_DIR in path.parents:
            return True
    return False


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    if not _chosen(config):
        return
    try:
        settings = resolve(lookup_in(config))
    except SettingsError as exc:
        raise pytest.UsageError(str(exc)) from None
    if settings is None:
        return  # the probes without a provider: refused once they are collected
    # Here, not at the top: this module is loaded in every pytest run of every project where the
    # package is installed; the hooks (and the suite behind them) only once the suite is chosen.
    from conformance.pytest_plugin.hooks import NAME, ConformanceRun  # noqa: PLC0415

    run = ConformanceRun(config, settings)
    config.pluginmanager.register(run, NAME)
    run.start()


def pytest_collection_modifyitems(config, items):
    """The suite's probes collected but the suite not chosen: one sentence, not 40 errors."""
    if config.pluginmanager.has_plugin("conformance-run"):
        return
    if any(hasattr(getattr(item, "obj", None), "conformance_cases") for item in items):
        hint = " (CONFORMANCE_* variables only supply values)" if os.environ.get("CONFORMANCE_PROVIDER") else ""
        raise pytest.UsageError(
            f"choose a provider: {flag_name('conformance_provider')} NAME "
            f"(or CONFORMANCE_PROVIDER with --pyargs conformance){hint}"
        )
