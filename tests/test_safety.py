"""A careful guest: no secret in any artifact, serial and parallel runs agree, cleanup and
dry runs do what they say."""

import pytest

from conformance import exitcodes

from .conftest import SECRET, run_suite, statuses


def _every_byte(tmp_path):
    return [p for p in (tmp_path / "run").rglob("*") if p.is_file()]


@pytest.mark.parametrize("how", ["environment", "command line"])
def test_secret_appears_in_no_artifact_even_with_failures(tmp_path, reference_server, how):
    url = reference_server("anthropic", "error-plain-text")  # failures, with bodies in the report
    args = ["--conformance-provider", "anthropic", "--conformance-target-url", url, "-rA", "-v"]
    env = {}
    if how == "environment":
        env["CONFORMANCE_CREDENTIAL"] = SECRET
    else:
        args += ["--conformance-credential", SECRET]
    completed, verdicts = run_suite(tmp_path, *args, env=env)
    assert completed.returncode == exitcodes.NOT_CONFORMANT
    assert verdicts["verdict"] == "NOT CONFORMANT"
    files = _every_byte(tmp_path)
    assert len(files) >= 3
    for path in files:
        assert SECRET.encode() not in path.read_bytes(), path
    assert SECRET not in completed.stdout + completed.stderr
    assert "$CONFORMANCE_CREDENTIAL" in (tmp_path / "run" / "reports" / "anthropic.json").read_text()


@pytest.mark.slow
def test_parallel_run_gives_the_same_verdicts_as_a_serial_one(tmp_path, reference_server):
    """With room in the workspace budget. (This fault accepts what it must refuse and so spends
    the budget sooner than planned; once it is spent, which cases are left not-run depends on
    the order they ran in, which differs between workers: see test_creates.py for the budget
    under xdist.)"""
    url = reference_server("anthropic", "name-max-41")
    room = ("--conformance-max-creates", "100")
    serial, serial_verdicts = run_suite(
        tmp_path / "serial",
        "--conformance-provider",
        "anthropic",
        "--conformance-target-url",
        url,
        *room,
        env={"CONFORMANCE_CREDENTIAL": SECRET},
    )
    parallel, parallel_verdicts = run_suite(
        tmp_path / "parallel",
        "--conformance-provider",
        "anthropic",
        "--conformance-target-url",
        url,
        *room,
        "-n",
        "2",
        env={"CONFORMANCE_CREDENTIAL": SECRET},
    )
    assert serial.returncode == parallel.returncode == exitcodes.NOT_CONFORMANT
    assert statuses(serial_verdicts) == statuses(parallel_verdicts)


@pytest.fixture(scope="module")
def parallel_embedded_cleanup(tmp_path_factory):
    """One run for the two tests below that only read it: the embedded reference server under
    pytest-xdist, with --conformance-cleanup (a serial cleanup is test_hostile_targets.py's)."""
    return run_suite(
        tmp_path_factory.mktemp("parallel"), "--conformance-provider", "anthropic", "-n", "2", "--conformance-cleanup"
    )


@pytest.mark.slow  # reads the run under pytest-xdist above
def test_parallel_run_starts_one_reference_server(parallel_embedded_cleanup):
    _, verdicts = parallel_embedded_cleanup
    urls = {e["request"]["url"] for p in verdicts["probes"] for e in p["exchanges"]}
    assert len({u.split("/v1/")[0] for u in urls}) == 1


@pytest.mark.slow  # reads the run under pytest-xdist above
def test_cleanup_archives_every_created_workspace(parallel_embedded_cleanup):
    completed, verdicts = parallel_embedded_cleanup
    cleanup = verdicts["cleanup"]
    assert cleanup["removed"] and not cleanup["not_removed"]
    assert sorted(cleanup["removed"]) == sorted(set(verdicts["created_workspaces"]))
    assert f"cleanup: removed {len(cleanup['removed'])} of {len(cleanup['removed'])}" in completed.stdout


def test_cleanup_is_refused_where_no_removal_is_documented(tmp_path):
    completed, _ = run_suite(tmp_path, "--conformance-provider", "orgo", "--conformance-cleanup")
    assert completed.returncode == exitcodes.USAGE
    assert "documents no way to remove a workspace" in completed.stderr


def test_dry_run_sends_nothing(tmp_path, raw_server_counting):
    server = raw_server_counting
    completed, verdicts = run_suite(
        tmp_path,
        "--conformance-provider",
        "anthropic",
        "--conformance-target-url",
        server.url,
        "--conformance-dry-run",
        env={"CONFORMANCE_CREDENTIAL": SECRET},
    )
    assert completed.returncode == 0
    assert server.connections == 0
    assert "dry run: nothing was sent" in completed.stdout
    assert completed.stdout.count("POST " + server.url + "/v1/organizations/workspaces") >= 20
    assert SECRET not in completed.stdout
    assert verdicts is None and not (tmp_path / "run" / "reports").exists()  # a dry run writes no report


@pytest.fixture
def raw_server_counting():
    from . import hostile

    server = hostile.RawServer(hostile.answer("200 OK", b"{}"))
    yield server
    server.close()
