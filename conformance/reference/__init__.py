"""Bundled reference servers: one Starlette app per provider, conformant to its page, with
named faults (single deviations) and conformant variants (choices where the page is silent)."""
from __future__ import annotations

import importlib

MODULES = {
    "anthropic": "anthropic",
    "orgo": "orgo",
    "d3lay": "d3lay",
    "wacht-frontend": "wacht_frontend",
    "wacht-backend": "wacht_backend",
}


def provider_module(key: str):
    """The reference module of a provider: FAULTS, VARIANTS, TARGET_PARAMS and create_app()."""
    if key not in MODULES:
        raise KeyError(f"no reference server for {key!r}")
    return importlib.import_module(f"conformance.reference.{MODULES[key]}")


def available() -> list[str]:
    out = []
    for key in MODULES:
        try:
            provider_module(key)
        except ImportError:
            continue
        out.append(key)
    return out
