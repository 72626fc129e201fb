"""The benchmark runs as the README says and records what it claims to measure. It asserts no
speed: the numbers are for people and tracking, not a gate that fails on a busy machine."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conformance.defaults import DEFAULT_MAX_CREATES

BENCHMARK = Path(__file__).resolve().parent.parent / "benchmarks" / "run.py"


@pytest.mark.slow
def test_benchmark_measures_a_provider_and_writes_its_json(tmp_path):
    out = tmp_path / "bench.json"
    completed = subprocess.run(
        [
            sys.executable,
            str(BENCHMARK),
            "--repeat",
            "1",
            "--provider",
            "anthropic",
            "--no-selftest",
            "--no-run-all",
            "--latency-ms",
            "5",
            "--floor-runs",
            "1",
            "--json",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-2000:]
    results = json.loads(out.read_text())
    m = results["providers"]["anthropic"]
    # The recording server saw the run's requests, the first one after the process started.
    assert m["requests"] >= 30
    assert 0 < m["startup_s"] < m["wall_s"]
    # The run's own report was read: its probes, and requests Hypothesis drew beyond the corners.
    assert m["tests"] >= 20 and 0 < m["drawn_requests"] < m["requests"]
    # The floor counts every term low, so the measured run can never come in under it.
    assert 1 < m["floor_ratio"] <= m["overhead_ratio"]
    assert m["over_floor"] == round(m["overhead_ratio"] / m["floor_ratio"], 3) and "over floor" in completed.stdout
    assert "run_all_s" not in results and "selftest_s" not in results
    # The latency run: a serial run cannot beat the latency it waits for, so its ratio is at least 1.
    slow = results["latency"]["providers"]["anthropic"]
    assert results["latency"]["latency_ms"] == 5 and slow["requests"] >= 30
    assert slow["bound_s"] == round(slow["requests"] * 0.005 + slow["startup_s"], 3) and slow["ratio"] >= 1
    assert "anthropic" in completed.stdout and "floor" in completed.stdout
    # Workspaces the run left on the target: counted from its report, within the default budget.
    assert 0 < m["creates"] <= DEFAULT_MAX_CREATES and "creates" in completed.stdout
