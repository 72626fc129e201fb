"""Answers the suite did not foresee are judged, not swallowed: deep JSON, HTML where JSON was
documented, a resource missing the members other checks need. Run as a user runs the suite."""

from __future__ import annotations

import json

from . import hostile
from .conftest import SECRET, run_suite, statuses


def _suite(tmp_path, server):
    completed, verdicts = run_suite(
        tmp_path,
        "--conformance-provider",
        "anthropic",
        "--conformance-target-url",
        server.url,
        "--conformance-request-timeout",
        "2",
        "--conformance-examples",
        "3",
        env={"CONFORMANCE_CREDENTIAL": SECRET},
    )
    output = completed.stdout + completed.stderr
    assert "Traceback" not in output and "RecursionError" not in output, output[-3000:]
    assert verdicts is not None, output[-3000:]
    return completed, verdicts


def test_every_create_refused_with_deeply_nested_json_fails_success_status(tmp_path):
    deep = ("[" * 900 + "]" * 900).encode()
    server = hostile.RawServer(hostile.answer("400 Bad Request", deep))
    try:
        completed, verdicts = _suite(tmp_path, server)
    finally:
        server.close()
    outcome = statuses(verdicts)
    assert (completed.returncode, verdicts["verdict"]) == (1, "NOT CONFORMANT")
    assert outcome["anthropic.response.success-status"] == "fail"
    assert outcome["anthropic.error.body"] == "fail"
    # Nothing that needed a created workspace is credited with a pass.
    assert outcome["anthropic.response.created-at-recent"] == "blocked"
    assert {outcome[f"anthropic.response.{m}"] for m in ("id", "name", "created_at")} == {"blocked"}
    evidence = next(f for r in verdicts["requirements"] if r["id"] == "anthropic.error.body" for f in r["findings"])
    assert "deep" in evidence["observed"]


def test_a_resource_sent_as_html_fails_content_type(tmp_path):
    resource = {
        "id": "wrkspc_1",
        "type": "workspace",
        "name": "x",
        "display_color": "#6C5BB9",
        "archived_at": None,
        "created_at": "2024-01-01T00:00:00Z",
    }
    page = f"<html><body><script>alert(1)</script>{json.dumps(resource)}</body></html>".encode()
    server = hostile.RawServer(hostile.answer("200 OK", page, content_type="text/html"))
    try:
        completed, verdicts = _suite(tmp_path, server)
    finally:
        server.close()
    outcome = statuses(verdicts)
    assert completed.returncode == 1
    assert outcome["anthropic.response.content-type"] == "fail"
    assert outcome["anthropic.response.created-at-recent"] != "pass"


def test_a_resource_without_created_at_blocks_the_recency_check(tmp_path):
    resource = {"id": "wrkspc_1", "type": "workspace", "name": "x", "display_color": "#6C5BB9", "archived_at": None}
    server = hostile.RawServer(hostile.answer("200 OK", json.dumps(resource).encode()))
    try:
        completed, verdicts = _suite(tmp_path, server)
    finally:
        server.close()
    outcome = statuses(verdicts)
    assert outcome["anthropic.response.created_at"] == "fail"
    assert outcome["anthropic.response.created-at-recent"] == "blocked"
    row = next(r for r in verdicts["requirements"] if r["id"] == "anthropic.response.created-at-recent")
    assert row["blocked_by"] == ["anthropic.response.created_at"]
    assert "blocked" in completed.stdout
