"""The suite as a user runs it: `pytest --pyargs conformance --provider P` from an empty
directory, against the embedded reference server and against one started with
`conformance serve`, and against servers that each break one requirement."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import pytest

from conformance.model.catalog import derive
from conformance.model.profile import load
from conformance.reference import available, provider_module
from conformance.reference.common import DEMO_CREDENTIAL

from .conftest import failed_ids, run_suite, statuses

PROVIDERS = available()


def _params(key):
    out = []
    for name, value in provider_module(key).TARGET_PARAMS.items():
        out += ["--conformance-target-param", f"{name}={value}"]
    return out


@pytest.fixture(scope="module")
def embedded(tmp_path_factory):
    """The suite against each provider's embedded reference server, run once per provider for
    the tests of this module that read it."""
    runs = {}

    def run(key: str):
        if key not in runs:
            runs[key] = run_suite(tmp_path_factory.mktemp(key), "--conformance-provider", key)
        return runs[key]

    return run


@pytest.mark.parametrize("key", PROVIDERS)
def test_embedded_reference_server_is_conformant(embedded, key):
    completed, verdicts = embedded(key)
    assert completed.returncode == 0, completed.stdout[-3000:]
    assert verdicts["verdict"] == "CONFORMANT"
    assert verdicts["embedded_reference_server"] is True
    assert set(statuses(verdicts).values()) == {"pass"}
    assert f"{key}: CONFORMANT" in completed.stdout


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def served():
    """`conformance serve` in its own process, as a user would start it."""
    processes = []

    def start(key: str, *extra: str) -> str:
        port = _free_port()
        process = subprocess.Popen(
            [sys.executable, "-m", "conformance", "serve", "--provider", key, "--port", str(port), *extra],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        processes.append(process)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                assert process.poll() is None, process.stdout.read()
                time.sleep(0.05)
        from conformance.model.profile import load

        return f"http://127.0.0.1:{port}{load(key).base_path}"

    yield start
    for process in processes:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.parametrize("key", PROVIDERS)
def test_separately_served_reference_gives_the_same_verdicts(tmp_path, served, embedded, key):
    url = served(key)
    inside, inside_verdicts = embedded(key)
    remote, remote_verdicts = run_suite(
        tmp_path,
        "--conformance-provider",
        key,
        "--conformance-target-url",
        url,
        *_params(key),
        env={"CONFORMANCE_CREDENTIAL": DEMO_CREDENTIAL},
    )
    assert remote.returncode == inside.returncode == 0, remote.stdout[-3000:]
    assert statuses(remote_verdicts) == statuses(inside_verdicts)


KINDS = {
    "limit": (".max-length", ".min-length", ".enum", ".format"),
    "required field": (".required",),
    "auth": (".auth.",),
    "response field": (".response.",),
    "error shape": (".error.body", ".envelope.status"),
}


def _fault_of_kind(key: str, kind: str):
    for name, fault in provider_module(key).FAULTS.items():
        if fault.generated_only or any("no-server-error" in rid for rid in fault.caught_by):
            continue  # a 5xx blocks a limit's check (no-server-error takes the blame)
        for rid in fault.caught_by:
            if any(marker in rid for marker in KINDS[kind]) and "no-server-error" not in rid:
                return name, rid
    return None, None


def _documented_kinds(key: str) -> list[str]:
    """The kinds of requirement the provider's page gives (orgo's page documents no error body,
    so it has no error-shape requirement to break)."""
    ids = [r.id for r in derive(load(key))]
    return [kind for kind, markers in KINDS.items() if any(m in rid for rid in ids for m in markers)]


def _one_kind_each():
    """(provider, kind): one run per provider, the kinds dealt out so that each is met once.
    Every fault of every kind is killed, in process, by the kill matrix (test_selftest.py); what
    this adds is the user's path: the exit status, the console naming the requirement, and
    --conformance-fail-on should."""
    dealt, met = [], set()
    for key in PROVIDERS:
        documented = _documented_kinds(key)
        kind = next((k for k in KINDS if k in documented and k not in met), documented[0])
        met.add(kind)
        dealt.append((key, kind))
    assert met == set(KINDS), met
    return dealt


@pytest.mark.parametrize(("key", "kind"), _one_kind_each())
def test_a_server_breaking_one_requirement_fails_naming_it(tmp_path, reference_server, key, kind):
    fault, requirement = _fault_of_kind(key, kind)
    assert fault, f"{key} has no fault of kind {kind}"
    url = reference_server(key, fault)
    # --fail-on should: a kind's requirement is a SHOULD on some pages (wacht-frontend's required
    # fields), and the gate must fail on whichever is dealt (a SHOULD alone: test_usage.py).
    completed, verdicts = run_suite(
        tmp_path,
        "--conformance-provider",
        key,
        "--conformance-target-url",
        url,
        *_params(key),
        "--conformance-fail-on",
        "should",
        env={"CONFORMANCE_CREDENTIAL": "sk-conformance-SECRET-7f3a9c-do-not-leak"},
    )
    assert completed.returncode == 1, completed.stdout[-3000:]
    assert verdicts["verdict"] == "NOT CONFORMANT"
    # The requirement of the kind this fault was chosen for fails, as a finding of its own,
    # and the console names it.
    assert requirement in failed_ids(verdicts), (requirement, failed_ids(verdicts))
    assert f"[{requirement}]" in completed.stdout
