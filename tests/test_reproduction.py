"""A failure's curl line, pasted into a shell with the credential in the environment,
reproduces the recorded answer; and the line itself never carries the secret."""

import os
import subprocess

from .conftest import SECRET, run_suite


def test_curl_line_of_a_failure_reproduces_it(tmp_path, reference_server):
    url = reference_server("anthropic", "name-max-41")
    completed, verdicts = run_suite(
        tmp_path,
        "--conformance-provider",
        "anthropic",
        "--conformance-target-url",
        url,
        env={"CONFORMANCE_CREDENTIAL": SECRET},
    )
    assert completed.returncode == 1
    finding = next(f for r in verdicts["requirements"] if r["id"] == "anthropic.name.max-length" for f in r["findings"])
    evidence = finding["evidence"]
    assert SECRET not in evidence["curl"] and "$CONFORMANCE_CREDENTIAL" in evidence["curl"]
    replay = subprocess.run(
        ["bash", "-c", evidence["curl"] + " -o /dev/null -w '%{http_code}'"],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, "CONFORMANCE_CREDENTIAL": SECRET},
    )
    assert replay.stdout == str(evidence["response"]["status"]) == "200"


def test_curl_line_without_the_credential_is_refused(tmp_path, reference_server):
    """The credential really travels through the environment variable, not the line."""
    url = reference_server("anthropic", "name-max-41")
    _, verdicts = run_suite(
        tmp_path,
        "--conformance-provider",
        "anthropic",
        "--conformance-target-url",
        url,
        env={"CONFORMANCE_CREDENTIAL": SECRET},
    )
    curl = (
        verdicts["requirements"][0]["probes"]
        and next(p for p in verdicts["probes"] if p["exchanges"])["exchanges"][0]["curl"]
    )
    replay = subprocess.run(
        ["bash", "-c", curl + " -o /dev/null -w '%{http_code}'"],
        capture_output=True,
        text=True,
        timeout=30,
        env={k: v for k, v in os.environ.items() if k != "CONFORMANCE_CREDENTIAL"},
    )
    assert replay.stdout == "401"
