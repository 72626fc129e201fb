"""The same answer every run: by default the generated payloads derive from a seed fixed per
suite version and provider, so one target gets the same probes with the same outcomes every
run (a CI gate never flips on its own); `--conformance-hypothesis-seed random` explores."""

from __future__ import annotations

import json

import pytest

from conformance.settings import default_seed

from .conftest import SECRET, run_suite


def _outcomes(verdicts: dict) -> dict:
    return {p["nodeid"]: p["status"] for p in verdicts["probes"]}


@pytest.mark.slow
def test_five_default_runs_give_identical_outcomes_and_one_seed(tmp_path, reference_server):
    """A target with a fault only some generated bodies reach (it refuses names holding `~` or
    a backquote: ordinary printable ASCII) is caught the same way on every default run."""
    url = reference_server("anthropic", fault="tilde-or-backquote-name-rejected")
    runs = []
    for n in range(5):
        completed, verdicts = run_suite(
            tmp_path / str(n),
            "--conformance-provider",
            "anthropic",
            "--conformance-target-url",
            url,
            env={"CONFORMANCE_CREDENTIAL": SECRET},
            fresh=True,  # each its own interpreter, with its own hash seed, as in CI
        )
        assert verdicts is not None, (completed.stdout + completed.stderr)[-3000:]
        runs.append(verdicts)
    assert {v["hypothesis_seed"] for v in runs} == {default_seed("anthropic")}
    first = _outcomes(runs[0])
    differ = {
        k: [_outcomes(v).get(k) for v in runs]
        for v in runs[1:]
        for k in first.keys() | _outcomes(v).keys()
        if _outcomes(v).get(k) != first.get(k)
    }
    assert not differ, differ
    assert {v["verdict"] for v in runs} == {"NOT CONFORMANT"}, [
        (v["problem"], [r["id"] for r in v["requirements"] if r["status"] not in ("pass", "fail")]) for v in runs
    ]
    failed = {r["id"] for r in runs[0]["requirements"] if r["status"] == "fail"}
    assert "anthropic.request.valid-accepted" in failed


def test_random_asks_for_a_fresh_seed_and_prints_it(tmp_path, reference_server):
    url = reference_server("anthropic")
    seeds = set()
    for n in range(2):
        completed, verdicts = run_suite(
            tmp_path / str(n),
            "--conformance-provider",
            "anthropic",
            "--conformance-target-url",
            url,
            "--conformance-hypothesis-seed",
            "random",
            "--conformance-examples",
            "2",
            env={"CONFORMANCE_CREDENTIAL": SECRET},
        )
        assert verdicts is not None, (completed.stdout + completed.stderr)[-3000:]
        seeds.add(verdicts["hypothesis_seed"])
        html = (tmp_path / str(n) / "run" / "reports" / "anthropic.html").read_text(encoding="utf-8")
        assert str(verdicts["hypothesis_seed"]) in html
    assert len(seeds) == 2 and default_seed("anthropic") not in seeds


def test_the_default_seed_differs_between_providers_and_is_stable():
    assert default_seed("anthropic") == default_seed("anthropic")
    assert default_seed("anthropic") != default_seed("orgo")
    json.dumps(default_seed("d3lay"))
