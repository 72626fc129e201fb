"""The benchmark runs as the README says and records what it claims to measure. It asserts no
speed: the numbers are for people and tracking, not a gate that fails on a busy machine."""
import json
import subprocess
import sys
from pathlib import Path

BENCHMARK = Path(__file__).resolve().parent.parent / "benchmarks" / "run.py"


def test_benchmark_measures_a_provider_and_writes_its_json(tmp_path):
    out = tmp_path / "bench.json"
    completed = subprocess.run(
        [sys.executable, str(BENCHMARK), "--repeat", "1", "--provider", "anthropic", "--no-selftest",
         "--json", str(out)], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-2000:]
    results = json.loads(out.read_text())
    m = results["providers"]["anthropic"]
    # The recording server saw the run's requests, the first one after the process started.
    assert m["requests"] >= 30
    assert 0 < m["startup_s"] < m["wall_s"]
    assert m["bare_per_request_ms"] > 0 and m["overhead_ratio"] > 0
    assert 0 < m["generated_requests"] < m["requests"] and m["tests"] >= 20
    assert m["floor_ratio"] > 1
    assert results["floors"]["pytest_per_test_ms"] > 0
    assert results["floors"]["hypothesis_per_valid_body_ms"]["anthropic"] > 0
    assert results["run_all_s"] > 0
    assert "anthropic" in completed.stdout and "overhead" in completed.stdout
