"""The project's shared test fixtures, for every test below this folder (pytest loads the
rootdir's conftest.py first): reference servers and hostile targets on loopback, and the
helpers that read a run's verdicts (tests/conftest.py runs the suite as a user runs it).

Only fixtures and helpers live here, nothing that changes how pytest runs: the conformance
suite itself, run from this folder, is not affected by it."""

from __future__ import annotations

from pathlib import Path

import pytest

SECRET = "sk-conformance-SECRET-7f3a9c-do-not-leak"


CHECKOUT = Path(__file__).resolve().parent
TOOL_CACHES = {"__pycache__", ".pytest_cache", ".hypothesis", ".git", "mutants"}


def _checkout_files() -> dict[str, int]:
    found = {}
    for path in CHECKOUT.rglob("*"):
        parts = path.relative_to(CHECKOUT).parts
        if TOOL_CACHES & set(parts) or parts[0].endswith(".egg-info") or not path.is_file():
            continue
        found["/".join(parts)] = path.stat().st_mtime_ns
    return found


@pytest.fixture
def loopback_app():
    """Serve ASGI apps in this process, each on a free loopback port: start(app) -> its URL."""
    from conformance.reference.serving import ServerThread

    started = []

    def start(app) -> str:
        server = ServerThread(app)
        started.append(server)
        return server.start()

    yield start
    for server in started:
        server.stop()


class CountingCreates:
    """ASGI wrapper counting the workspaces an app made, on the target's side: the creates
    (POST) it answered with a 2xx status."""

    def __init__(self, app):
        self.app, self.made = app, 0

    async def __call__(self, scope, receive, send):
        async def counted(message):
            if (
                message["type"] == "http.response.start"
                and scope["method"] == "POST"
                and 200 <= message["status"] < 300
            ):
                self.made += 1
            await send(message)

        await self.app(scope, receive, counted if scope["type"] == "http" else send)


@pytest.fixture
def reference_server(loopback_app):
    """Start reference servers in this process: serve(key, fault=None, variant='default') -> base URL."""
    from conformance.reference.serving import base_url, provider_app

    def serve(key: str, fault: str | None = None, variant: str = "default", credential: str = SECRET) -> str:
        return base_url(loopback_app(provider_app(key, credential, fault, variant)), key)

    return serve


@pytest.fixture
def raw_server():
    """Start hostile targets (tests/hostile.py): start(handler, host, read_first) -> RawServer."""
    from tests import hostile

    servers = []

    def start(handler, host="127.0.0.1", read_first=True):
        server = hostile.RawServer(handler, host, read_first)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


def failed_ids(verdicts: dict) -> set[str]:
    return {r["id"] for r in verdicts["requirements"] if r["status"] == "fail"}


def statuses(verdicts: dict) -> dict[str, str]:
    return {r["id"]: r["status"] for r in verdicts["requirements"]}
