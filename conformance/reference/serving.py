"""Running reference apps on loopback: in a thread for the embedded default, mounted side by
side (one path prefix per variant and fault) for the selftest."""

from __future__ import annotations

import asyncio
import threading
import time

import uvicorn
from starlette.applications import Starlette
from starlette.routing import Mount

from conformance.model.profile import load
from conformance.reference import provider_module
from conformance.reference.common import Behaviour

LOOPBACK = "127.0.0.1"


class ServerThread:
    """A uvicorn server on a free loopback port, in a daemon thread of this process."""

    def __init__(self, app, host: str = LOOPBACK, port: int = 0):
        self.config = uvicorn.Config(
            app, host=host, port=port, log_level="error", access_log=False, lifespan="off", timeout_graceful_shutdown=1
        )
        self.server = uvicorn.Server(self.config)
        self.thread = threading.Thread(target=self._run, name="conformance-reference", daemon=True)

    def _run(self) -> None:
        asyncio.run(self.server.serve())

    def start(self, timeout: float = 10.0) -> str:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the reference server did not start on {self.config.host}:{self.config.port}")
            time.sleep(0.005)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://{self.config.host}:{port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=5)


def provider_app(key: str, credential: str, fault: str | None = None, variant: str = "default", db: str = ":memory:"):
    """One provider's app, mounted under its documented base path (orgo's /api)."""
    module = provider_module(key)
    app = module.create_app(Behaviour(fault, variant), credential=credential, db=db)
    base = load(key).base_path
    return Starlette(routes=[Mount(base, app=app)]) if base else app


def base_url(server_url: str, key: str) -> str:
    return server_url + load(key).base_path


def behaviour_prefix(key: str, fault: str | None, variant: str) -> str:
    return f"/{key}/" + (f"fault/{fault}" if fault else f"variant/{variant}")


def selftest_app(keys, credential: str) -> Starlette:
    """Every provider's variants and faults, each with its own state, under its own prefix."""
    routes = []
    for key in keys:
        module = provider_module(key)
        for variant in module.VARIANTS:
            routes.append(Mount(behaviour_prefix(key, None, variant), app=provider_app(key, credential, None, variant)))
        for fault in module.FAULTS:
            routes.append(Mount(behaviour_prefix(key, fault, "default"), app=provider_app(key, credential, fault)))
    return Starlette(routes=routes)
