"""The suite against implementations it did not write: each written from the provider's page
alone (tests/framework_targets/README.md), served on loopback, judged as a user runs the suite.

A conformant one must come out CONFORMANT whatever reasonable choices it made where its page
is silent; FastAPI's default validation handler (422 `{"detail": [...]}` echoing the input)
must come out NOT CONFORMANT on exactly the requirements it breaks, every report whole and no
traceback, even when what it echoes holds a lone surrogate.
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
import socket
import subprocess
import threading
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from conformance.reference.serving import ServerThread

from .conftest import CountingCreates, failed_ids, run_suite

CREDENTIAL = "framework-target-credential-5d1e"
NODE_TARGETS = Path(__file__).parent / "framework_targets" / "node"
WACHT_FRONTEND_ORG = "org_456789123"
# An organization the page-alone wacht-frontend targets do not let the caller in: each of them
# refuses every organization but the caller's own. None of them models roles, so
# unpermitted_organization_id cannot be given and that requirement is not-run.
WACHT_FRONTEND_FOREIGN = "org_999000111"
WACHT_BACKEND_ORG = "123456789012345678"

# What FastAPI's default handler breaks, for a page that documents 400 for a bad body.
DEFAULT_HANDLER_BREAKS_400 = ("required", "type", "min-length", "max-length", "edge-length")


@dataclass(frozen=True)
class FrameworkTarget:
    provider: str
    module: str
    mode: str | None = None  # None: the plain http.server target
    organization: str | None = None  # the wacht targets' member organization
    breaks: frozenset = field(default_factory=frozenset)  # requirement suffixes it fails
    not_run: frozenset = field(default_factory=frozenset)  # MUST suffixes it cannot be checked on: INCOMPLETE
    foreign: str | None = None  # an organization the caller is not a member of
    node: bool = False  # tests/framework_targets/node/<provider>.js, Node.js + Express

    @property
    def params(self) -> list[str]:
        out = ["--conformance-target-param", f"organization_id={self.organization}"] if self.organization else []
        return out + (["--conformance-target-param", f"foreign_organization_id={self.foreign}"] if self.foreign else [])


def _default_handler_breaks(fields_: dict[str, tuple[str, ...]], *extra: str) -> frozenset:
    return frozenset([f"{name}.{facet}" for name, facets in fields_.items() for facet in facets] + list(extra))


TARGETS = {
    # Each conformant one refuses whitespace-only names: a careful choice the page allows, so it
    # fails only the SHOULD request.unusual-text-accepted and stays CONFORMANT.
    "anthropic-fastapi": FrameworkTarget("anthropic", "anthropic_fastapi", "conformant"),
    "anthropic-fastapi-default-handler": FrameworkTarget(
        "anthropic",
        "anthropic_fastapi",
        "default",
        breaks=_default_handler_breaks(
            {"name": DEFAULT_HANDLER_BREAKS_400},
            "error.body",  # {"detail": [...]} is not Anthropic's error object
            "robustness.malformed-body",  # broken JSON gets 422; Anthropic's errors page: 400
            # The default handler echoes the input; a lone surrogate in it cannot be encoded as
            # UTF-8, and FastAPI answers 500: a real breach, found by the hand-picked probes.
            "robustness.no-server-error",
        ),
    ),
    "orgo-fastapi": FrameworkTarget("orgo", "orgo_fastapi", "conformant"),
    "orgo-fastapi-default-handler": FrameworkTarget(
        "orgo",
        "orgo_fastapi",
        "default",
        breaks=frozenset(
            {
                "name.min-length",  # "400 — Name is empty" answered 422
                "request.unusual-text-accepted",  # a blank name refused with 422 (SHOULD)
                "robustness.no-server-error",
            }
        ),
    ),  # the echoed lone surrogate: 500
    "d3lay-http-server": FrameworkTarget("d3lay", "d3lay_plain", breaks=frozenset({"request.unusual-text-accepted"})),
    "wacht-frontend-fastapi": FrameworkTarget(
        "wacht-frontend",
        "wacht_frontend_fastapi",
        "conformant",
        WACHT_FRONTEND_ORG,
        frozenset({"request.unusual-text-accepted"}),
        frozenset({"organization_id.permission"}),
        WACHT_FRONTEND_FOREIGN,
    ),
    # Pydantic's uuid.UUID type takes the braced, dashless and upper-case spellings and stores the
    # canonical one: the edge tier, so CONFORMANT with no finding at all.
    "d3lay-fastapi": FrameworkTarget("d3lay", "d3lay_fastapi", "conformant"),
    "d3lay-fastapi-default-handler": FrameworkTarget(
        "d3lay",
        "d3lay_fastapi",
        "default",
        # 422 is one of the statuses d3lay's silent page allows; echoing a lone surrogate is a 500.
        breaks=frozenset({"robustness.no-server-error"}),
    ),
    # Node.js + Express (tests/framework_targets/node/NOTES.md): strings are counted in UTF-16
    # units, so 40 astral characters are refused: a SHOULD, named for it.
    "anthropic-express": FrameworkTarget("anthropic", "anthropic", node=True, breaks=frozenset({"name.edge-length"})),
    "orgo-express": FrameworkTarget("orgo", "orgo", node=True),
    "d3lay-express": FrameworkTarget("d3lay", "d3lay", node=True),
    "wacht-frontend-express": FrameworkTarget(
        "wacht-frontend",
        "wacht-frontend",
        organization=WACHT_FRONTEND_ORG,
        node=True,
        not_run=frozenset({"organization_id.permission"}),
        foreign=WACHT_FRONTEND_FOREIGN,
    ),
    "wacht-backend-express": FrameworkTarget(
        "wacht-backend", "wacht-backend", organization=WACHT_BACKEND_ORG, node=True
    ),
    "wacht-backend-fastapi": FrameworkTarget(
        "wacht-backend",
        "wacht_backend_fastapi",
        "conformant",
        WACHT_BACKEND_ORG,
        frozenset({"request.unusual-text-accepted"}),
    ),
}


@pytest.fixture
def framework_server():
    stops = []

    def serve(spec: FrameworkTarget) -> str:
        if spec.node:
            return _start_node(spec, stops) + ("/api" if spec.provider == "orgo" else "")
        module = importlib.import_module(f"tests.framework_targets.{spec.module}")
        if spec.mode is None:
            server = module.make_server(0, CREDENTIAL)
            # http.server writes an answer's headers and body apart: with Nagle on, each answer
            # waits out the client's delayed ACK (40 ms a request, 6 s of this run). Accepted
            # sockets inherit the option on Linux; what the target answers is unchanged.
            server.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            thread = threading.Thread(target=server.serve_forever, daemon=True)
            thread.start()
            stops.append(server.shutdown)
            root = f"http://127.0.0.1:{server.server_address[1]}"
        else:
            args = (CREDENTIAL, spec.organization) if spec.organization else (CREDENTIAL,)
            thread = ServerThread(module.create_app(*args, mode=spec.mode))
            root = thread.start()
            stops.append(thread.stop)
        return root + ("/api" if spec.provider == "orgo" else "")  # orgo's documented base has /api

    yield serve
    for stop in stops:
        stop()


def _start_node(spec: FrameworkTarget, stops: list) -> str:
    """`node <provider>.js --port 0 ...` on loopback; its first line names the port."""
    args = ["node", str(NODE_TARGETS / f"{spec.module}.js"), "--port", "0", "--credential", CREDENTIAL]
    if spec.organization:
        args += ["--organization", spec.organization]
    process = subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env={**os.environ, "NODE_ENV": "production"}
    )
    stops.append(lambda: (process.terminate(), process.wait(timeout=10)))
    line = process.stdout.readline()
    assert line.startswith("listening on "), f"the Express target did not start: {line!r}"
    return f"http://127.0.0.1:{int(line.split()[-1])}"


def _node_missing(spec: FrameworkTarget) -> str | None:
    if not spec.node:
        return None
    if shutil.which("node") is None:
        return "node is not installed: the Node.js + Express targets cannot run"
    if not (NODE_TARGETS / "node_modules" / "express").is_dir():
        return f"express is not installed: run `npm ci --prefix {NODE_TARGETS}` (.ci/run does)"
    return None


@pytest.mark.parametrize("name", TARGETS)
def test_framework_target_gets_the_verdict_it_deserves(tmp_path, framework_server, name):
    spec = TARGETS[name]
    missing = _node_missing(spec)
    if missing:
        pytest.skip(missing)
    url = framework_server(spec)
    completed, verdicts = run_suite(
        tmp_path,
        "--conformance-provider",
        spec.provider,
        "--conformance-target-url",
        url,
        *spec.params,
        env={"CONFORMANCE_CREDENTIAL": CREDENTIAL},
    )
    output = completed.stdout + completed.stderr
    assert "Traceback" not in output, output[-3000:]
    assert verdicts is not None, output[-3000:]
    expected = {f"{spec.provider}.{suffix}" for suffix in spec.breaks}
    assert failed_ids(verdicts) == expected, output[-4000:]
    levels = {r["id"]: r["level"] for r in verdicts["requirements"]}
    not_run = {r["id"] for r in verdicts["requirements"] if r["status"] == "not-run" and r["level"] == "MUST"}
    assert not_run == {f"{spec.provider}.{suffix}" for suffix in spec.not_run}, output[-3000:]
    if any(levels[rid] == "MUST" for rid in expected):
        assert (completed.returncode, verdicts["verdict"]) == (1, "NOT CONFORMANT"), output[-3000:]
    elif not_run:  # a MUST that needs a target param the target cannot give: never CONFORMANT
        assert (completed.returncode, verdicts["verdict"]) == (7, "INCOMPLETE"), output[-3000:]
    else:  # only SHOULDs broken (or nothing): the gate, at its default MUST, passes
        assert (completed.returncode, verdicts["verdict"]) == (0, "CONFORMANT"), output[-3000:]
    reports = tmp_path / "run" / "reports"
    json.loads((reports / f"{spec.provider}.json").read_text(encoding="utf-8"))
    ET.parse(reports / f"{spec.provider}.junit.xml")
    assert (reports / f"{spec.provider}.html").stat().st_size > 10_000


@pytest.mark.slow
def test_a_parallel_run_gets_the_same_verdict_and_stays_within_the_workspace_budget(tmp_path):
    """Under pytest-xdist the workers share the run's creates and its workspace budget: an
    implementation we did not write gets the serial verdict and, counted on its side, no more
    workspaces than the budget."""
    spec = TARGETS["anthropic-fastapi"]
    module = importlib.import_module(f"tests.framework_targets.{spec.module}")
    app = CountingCreates(module.create_app(CREDENTIAL, mode=spec.mode))
    server = ServerThread(app)
    try:
        completed, verdicts = run_suite(
            tmp_path,
            "--conformance-provider",
            spec.provider,
            "--conformance-target-url",
            server.start(),
            "--conformance-max-creates",
            "12",
            "-n",
            "2",
            env={"CONFORMANCE_CREDENTIAL": CREDENTIAL},
        )
    finally:
        server.stop()
    assert verdicts is not None, (completed.stdout + completed.stderr)[-3000:]
    assert failed_ids(verdicts) == {f"{spec.provider}.{suffix}" for suffix in spec.breaks}
    assert 0 < app.made <= 12 and verdicts["workspaces_created"] == app.made
    assert verdicts["create_budget"]["max_creates"] == 12
