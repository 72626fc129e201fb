"""Bundled reference servers: one Starlette app per provider, conformant to its page, with
named faults (single deviations) and conformant variants (choices where the page is silent).

Found by convention: the provider `wacht-backend` (its folder `schemas/wacht-backend/`) has
its server in `conformance/reference/wacht_backend.py`, a module with FAULTS, VARIANTS,
TARGET_PARAMS and create_app(). No list to keep: a new module is found by its name."""

from __future__ import annotations

import importlib

from conformance.model.profile import BUILTIN


def module_name(key: str) -> str:
    """The module that holds `key`'s reference server: the key with '-' as '_'."""
    return key.replace("-", "_")


def provider_module(key: str):
    """The reference module of a provider: FAULTS, VARIANTS, TARGET_PARAMS and create_app()."""
    name = module_name(key)
    if not name.isidentifier() or name in ("common", "serving"):
        raise KeyError(f"no reference server for {key!r}")
    qualified = f"{__name__}.{name}"
    try:
        return importlib.import_module(qualified)
    except ModuleNotFoundError as exc:
        if exc.name != qualified:
            raise  # the module exists but needs something that is not installed
        raise KeyError(f"no reference server for {key!r}") from None


def available() -> list[str]:
    """The bundled providers that have a reference server."""
    out = []
    for key in BUILTIN:
        try:
            provider_module(key)
        except (KeyError, ImportError):
            continue
        out.append(key)
    return out
