"""How fast a verdict comes, and what the suite itself costs.

For each provider, against its reference server already running in another process (a
recording wrapper notes every request it receives and when):

  wall      a full `pytest --pyargs conformance` run, process start to exit
  start-up  process start to the first request the server receives
  overhead  ((wall - start-up) / requests) / (bare httpx per-request time), where the bare
            time comes from replaying the identical recorded requests in a loop
  floor     an estimate of the least overhead the run could have: pytest costing only its time
            per empty test, Hypothesis only its time per drawn body, ours nothing (`floor_ratio`)

Then `conformance run --all` (reference servers included) and `conformance selftest`, and the
floors the libraries set whatever this suite does: pytest's cost per test (with the HTML and
JUnit reports on) and Hypothesis's cost per generated example of a provider's body strategy.
Several runs each; medians printed, everything written as JSON with --json.

  latency   the same run against a server that waits --latency-ms (default 20) before each
            answer: wall time against requests x latency + start-up

    python benchmarks/run.py [--repeat 3] [--provider P ...] [--latency-ms 20] [--no-selftest] [--floor-runs 3]
                             [--json out.json]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CREDENTIAL = "bench-credential-not-a-secret"


# -- the recording server (this file re-run with --serve) ------------------------------------
class Recorder:
    """ASGI wrapper: read the whole body, log the request with its arrival time, pass it on."""

    def __init__(self, app, log_path: str, latency: float = 0.0):
        self.app, self.log = app, open(log_path, "a", buffering=1, encoding="utf-8")
        self.latency = latency  # seconds added before each answer: a network between suite and target

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        arrived = time.time()
        chunks, more = [], True
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        if self.latency:
            await asyncio.sleep(self.latency)
        self.log.write(
            json.dumps(
                {
                    "t": arrived,
                    "method": scope["method"],
                    "path": scope["path"],
                    "query": scope["query_string"].decode("latin-1"),
                    "headers": [[k.decode("latin-1"), v.decode("latin-1")] for k, v in scope["headers"]],
                    "body": base64.b64encode(body).decode(),
                }
            )
            + "\n"
        )
        sent = False

        async def replay():
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def serve(key: str, port: int, log_path: str, latency: float = 0.0) -> None:
    import uvicorn

    from conformance.reference.serving import provider_app

    uvicorn.run(
        Recorder(provider_app(key, CREDENTIAL), log_path, latency),
        host="127.0.0.1",
        port=port,
        log_level="error",
        access_log=False,
        lifespan="off",
    )


# -- measuring --------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"the recording server did not start on port {port}")


def _records(log_path: Path) -> list[dict]:
    if not log_path.exists():
        return []
    return [json.loads(line) for line in log_path.read_text(encoding="utf-8").splitlines() if line]


def _env() -> dict:
    # As on a user's machine, pytest may cache its assertion-rewritten modules (the suite's, and
    # those of Hypothesis, whose pytest plugin marks its whole distribution for rewriting): with
    # PYTHONDONTWRITEBYTECODE set, as on some CI images, each run recompiles them (about 1.5 s).
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONFORMANCE_") and k != "PYTHONDONTWRITEBYTECODE"}
    env["CONFORMANCE_CREDENTIAL"] = CREDENTIAL
    return env


def one_run(key: str, workdir: Path, latency: float = 0.0) -> dict:
    from conformance.reference import provider_module
    from conformance.reference.serving import base_url

    port = _free_port()
    log_path = workdir / f"{key}.requests.jsonl"
    log_path.unlink(missing_ok=True)
    server = subprocess.Popen([sys.executable, __file__, "--serve", key, str(port), str(log_path), str(latency)])
    try:
        _wait_for(port)
        url = base_url(f"http://127.0.0.1:{port}", key)
        params = [
            a
            for name, value in provider_module(key).TARGET_PARAMS.items()
            for a in ("--conformance-target-param", f"{name}={value}")
        ]
        command = [
            sys.executable,
            "-m",
            "pytest",
            "--pyargs",
            "conformance",
            "-p",
            "no:cacheprovider",
            "-q",
            "--conformance-provider",
            key,
            "--conformance-target-url",
            url,
            "--conformance-report-dir",
            str(workdir / "reports"),
            *params,
        ]
        started = time.time()
        completed = subprocess.run(command, cwd=workdir, env=_env(), capture_output=True, text=True, timeout=300)
        wall = time.time() - started
        records = _records(log_path)
        if completed.returncode != 0 or not records:
            raise RuntimeError(f"{key}: the run exited {completed.returncode}:\n{completed.stdout[-1500:]}")
        startup = records[0]["t"] - started
        bare = replay(f"http://127.0.0.1:{port}", records) if not latency else latency
    finally:
        server.terminate()
        server.wait(timeout=10)
    per_request = (wall - startup) / len(records)
    report = json.loads((workdir / "reports" / f"{key}.json").read_text(encoding="utf-8"))
    probes = report["probes"]
    generated = sum(len(p["exchanges"]) for p in probes if p["probe"].startswith("test_generated_"))
    return {
        "wall_s": wall,
        "startup_s": startup,
        "requests": len(records),
        "suite_per_request_ms": per_request * 1000,
        "bare_per_request_ms": bare * 1000,
        "overhead_ratio": per_request / bare,
        "tests": len(probes),
        "drawn_requests": max(0, generated - explicit_examples(key)),
        "creates": report["workspaces_created"],
    }


def explicit_examples(key: str) -> int:
    """The generated probes' fixed corner bodies: sent every run, never drawn by Hypothesis."""
    from conformance.engine.mutations import generated_invalid
    from conformance.engine.strategies import corner_bodies, corner_breaks
    from conformance.model.profile import load

    profile = load(key)
    return len(corner_bodies(profile)) + sum(len(corner_breaks(profile, c.field)) for c in generated_invalid(profile))


def floor_ratio(m: dict, pytest_s: float, hypothesis_s: float) -> float:
    """An estimate of the least overhead this run could have: pytest costing only its time per
    empty test, Hypothesis only the time to draw a valid body for each drawn request, and
    everything of ours nothing. Each term is counted low (a broken body costs more to draw than
    a valid one; pytest's end of session and the shrinking phase are left out), so the real
    floor is higher, not lower."""
    network = m["requests"] * m["bare_per_request_ms"] / 1000
    return (network + m["tests"] * pytest_s + m["drawn_requests"] * hypothesis_s) / network


def replay(root: str, records: list[dict]) -> float:
    """Per-request seconds of a bare httpx client sending the identical requests in a loop."""
    import httpx

    skip = {"host", "content-length", "connection", "accept-encoding"}
    with httpx.Client(timeout=30) as client:
        started = time.perf_counter()
        for r in records:
            headers = [(k, v) for k, v in r["headers"] if k.lower() not in skip]
            url = root + r["path"] + (f"?{r['query']}" if r["query"] else "")
            client.request(r["method"], url, headers=headers, content=base64.b64decode(r["body"]))
        return (time.perf_counter() - started) / len(records)


def timed(command: list[str], workdir: Path, timeout: float = 900) -> float:
    started = time.time()
    completed = subprocess.run(command, cwd=workdir, env=_env(), capture_output=True, text=True, timeout=timeout)
    if completed.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited {completed.returncode}:\n{completed.stdout[-1500:]}")
    return time.time() - started


def pytest_per_test(workdir: Path, tests: int = 400, runs: int = 3) -> float:
    """Seconds pytest itself spends running one test (empty tests, the same reports as a
    conformance run), collection left out: a conformance run collects before its first request.
    The median of `runs` timings of each command."""

    def running(n: int) -> float:
        folder = workdir / f"floor{n}"
        folder.mkdir(exist_ok=True)
        (folder / "test_empty.py").write_text("".join(f"def test_{i}():\n    pass\n" for i in range(n)))
        command = [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-q",
            "test_empty.py",
            "--html",
            "r.html",
            "--junitxml",
            "r.xml",
        ]
        return statistics.median(timed(command, folder) for _ in range(runs)) - statistics.median(
            timed([*command, "--collect-only"], folder) for _ in range(runs)
        )

    return max(0.0, (running(tests + 1) - running(1)) / tests)


def hypothesis_per_example(key: str, examples: int = 300) -> float:
    """Seconds Hypothesis spends drawing one valid body of `key` for a test that does nothing."""
    from hypothesis import HealthCheck, Phase, given, seed, settings

    from conformance.engine.strategies import valid_bodies
    from conformance.model.profile import load

    drawn = []

    @seed(0)
    @settings(
        max_examples=examples,
        database=None,
        deadline=None,
        phases=(Phase.generate,),
        suppress_health_check=list(HealthCheck),
    )
    @given(valid_bodies(load(key)))
    def nothing(body):
        drawn.append(body)

    started = time.perf_counter()
    nothing()
    return (time.perf_counter() - started) / len(drawn)


def _at_least_one(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not at least 1")
    return value


def median_of(runs: list[dict]) -> dict:
    return {k: round(statistics.median(r[k] for r in runs), 3) for k in runs[0]}


def main(argv=None) -> int:
    from conformance.model.profile import BUILTIN  # the bundled providers, found in schemas/

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--provider", action="append", choices=BUILTIN)
    parser.add_argument("--no-selftest", action="store_true")
    parser.add_argument("--no-run-all", action="store_true", help="skip the `conformance run --all` timing")
    parser.add_argument(
        "--floor-runs",
        type=_at_least_one,
        default=3,
        help="timings of each pytest floor command, of which the median is taken (default 3)",
    )
    parser.add_argument("--json", help="write the results here too")
    parser.add_argument(
        "--latency-ms",
        type=float,
        default=20.0,
        help="the latency run: milliseconds added before each answer (default 20; 0 skips it)",
    )
    parser.add_argument("--serve", nargs="+", metavar="PROVIDER PORT LOG [LATENCY]", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.serve[0], int(args.serve[1]), args.serve[2], float(args.serve[3]) if len(args.serve) > 3 else 0.0)
        return 0
    results = {
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()},
        "repeat": args.repeat,
        "providers": {},
    }
    with tempfile.TemporaryDirectory(prefix="conformance-bench-") as tmp:
        workdir = Path(tmp)
        keys = args.provider or list(BUILTIN)
        pytest_s = pytest_per_test(workdir, runs=args.floor_runs)
        hypothesis_s = {key: hypothesis_per_example(key) for key in keys}
        results["floors"] = {
            "pytest_per_test_ms": round(pytest_s * 1000, 3),
            "hypothesis_per_valid_body_ms": {k: round(v * 1000, 3) for k, v in hypothesis_s.items()},
        }
        print(f"load average at start: {'/'.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
        results["load_average"] = os.getloadavg()
        print(
            f"floors: pytest {pytest_s * 1000:.2f} ms per test (HTML and JUnit reports on); Hypothesis per "
            "valid body drawn: " + ", ".join(f"{k} {v * 1000:.2f} ms" for k, v in hypothesis_s.items())
        )
        print(
            f"{'provider':<16}{'wall s':>8}{'start-up s':>12}{'requests':>10}{'suite ms/req':>14}"
            f"{'bare ms/req':>13}{'overhead':>10}{'floor':>8}{'over floor':>12}{'creates':>9}"
        )
        for key in keys:
            m = median_of([one_run(key, workdir) for _ in range(args.repeat)])
            m["floor_ratio"] = round(floor_ratio(m, pytest_s, hypothesis_s[key]), 3)
            m["over_floor"] = round(m["overhead_ratio"] / m["floor_ratio"], 3)  # the goal: at most 1.3
            results["providers"][key] = m
            print(
                f"{key:<16}{m['wall_s']:>8.2f}{m['startup_s']:>12.2f}{m['requests']:>10.0f}"
                f"{m['suite_per_request_ms']:>14.2f}{m['bare_per_request_ms']:>13.2f}{m['overhead_ratio']:>9.2f}x"
                f"{m['floor_ratio']:>7.2f}x{m['over_floor']:>11.2f}x{m['creates']:>9.0f}"
            )
        if args.latency_ms > 0:
            latency = args.latency_ms / 1000
            results["latency"] = {"latency_ms": args.latency_ms, "providers": {}}
            print(f"with {args.latency_ms:g} ms added before each answer (the bound: requests x latency + start-up):")
            print(f"{'provider':<16}{'wall s':>8}{'start-up s':>12}{'requests':>10}{'bound s':>9}{'wall/bound':>12}")
            for key in keys:
                m = median_of([one_run(key, workdir, latency) for _ in range(args.repeat)])
                bound = m["requests"] * latency + m["startup_s"]
                row = {
                    "wall_s": m["wall_s"],
                    "startup_s": m["startup_s"],
                    "requests": m["requests"],
                    "bound_s": round(bound, 3),
                    "ratio": round(m["wall_s"] / bound, 3),
                }  # the goal: at most 1.1
                results["latency"]["providers"][key] = row
                print(
                    f"{key:<16}{row['wall_s']:>8.2f}{row['startup_s']:>12.2f}{row['requests']:>10.0f}"
                    f"{row['bound_s']:>9.2f}{row['ratio']:>11.2f}x"
                )
        if not args.no_run_all:
            every = [
                timed(
                    [sys.executable, "-m", "conformance", "run", "--all", "--report-dir", str(workdir / "all")], workdir
                )
                for _ in range(args.repeat)
            ]
            results["run_all_s"] = round(statistics.median(every), 3)
            print(f"conformance run --all (5 providers, reference servers included): {results['run_all_s']:.2f} s")
        if not args.no_selftest:
            results["selftest_s"] = round(timed([sys.executable, "-m", "conformance", "selftest"], workdir), 3)
            print(f"conformance selftest (every variant and fault of every provider): {results['selftest_s']:.2f} s")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
        print(f"json: {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
