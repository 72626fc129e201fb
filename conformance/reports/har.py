"""--conformance-har FILE: every exchange of the run as a HAR 1.2 file, for a browser's network
panel or any HAR viewer.

Built from the recorded exchanges (already redacted as they were recorded), then the whole text
goes through the run's Redactor once more, as every report does: whatever field a secret
reached, it stops here. Bodies are the evidence the reports keep (cut at 4000 characters);
lone surrogates are written as their visible escape (`printable`), like everywhere else."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from conformance import __version__
from conformance.reports.summary import write_atomically
from conformance.text import printable

SENT_ONCE = "(sent once"  # an exchange shown again in another probe's result: not a second request


def originals(results: list[dict]) -> list[tuple[dict, int, dict]]:
    """(result, index in its exchanges, exchange) for every exchange sent, in the run's order;
    the copies of a shared create shown again under other probes are left out."""
    return [
        (r, i, e)
        for r in results
        for i, e in enumerate(r["exchanges"])
        if SENT_ONCE not in e["note"] and (e["response"] is not None or e.get("error"))
    ]


def entry_numbers(results: list[dict]) -> dict[tuple[str, int], int]:
    """(probe node id, exchange index) -> the 1-based number of its HAR entry; a copy of a
    shared create points at the entry of the request it copies."""
    numbers: dict[tuple[str, int], int] = {}
    by_request: dict[tuple, int] = {}  # (method, url, body) -> the entry of its first sending
    for n, (result, index, exchange) in enumerate(originals(results), 1):
        numbers[(result["nodeid"], index)] = n
        by_request.setdefault(_request_key(exchange), n)
    for result in results:
        for index, exchange in enumerate(result["exchanges"]):
            if (result["nodeid"], index) not in numbers and _request_key(exchange) in by_request:
                numbers[(result["nodeid"], index)] = by_request[_request_key(exchange)]
    return numbers


def _request_key(exchange: dict) -> tuple:
    request = exchange["request"]
    return request["method"], request["url"], request["body"]


def document(results: list[dict], started: float) -> dict:
    start = datetime.fromtimestamp(started, timezone.utc)
    entries, elapsed = [], 0.0
    for result, index, exchange in originals(results):
        entries.append(_entry(result, index, exchange, start + timedelta(milliseconds=elapsed)))
        elapsed += float(exchange.get("elapsed_ms") or 0)
    return {
        "log": {
            "version": "1.2",
            "creator": {"name": "workspace-conformance", "version": __version__},
            "pages": [],
            "entries": entries,
            "comment": "every request the conformance run sent; bodies cut at 4000 characters as in the reports",
        }
    }


def _entry(result: dict, index: int, exchange: dict, when: datetime) -> dict:
    request, response = exchange["request"], exchange["response"]
    wait = float(exchange.get("elapsed_ms") or 0)
    entry: dict[str, Any] = {
        "startedDateTime": when.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "time": wait,
        "request": {
            "method": request["method"],
            "url": request["url"],
            "httpVersion": "HTTP/1.1",
            "cookies": [],
            "headers": _pairs(request["headers"]),
            "queryString": _query(request["url"]),
            "headersSize": -1,
            "bodySize": len(request["body"].encode("utf-8", "surrogatepass")) if request["body"] else 0,
        },
        "response": _response(response, exchange.get("error")),
        "cache": {},
        "timings": {"send": 0, "wait": wait, "receive": 0},
        "_conformance": {
            "nodeid": result["nodeid"],
            "exchange": index,
            "requirements": list(result["requirements"]),
            "note": exchange.get("note", ""),
        },
        "comment": f"{result['nodeid']} (exchange {index + 1})",
    }
    if request["body"]:
        content_type = next((v for k, v in request["headers"].items() if k.lower() == "content-type"), "")
        entry["request"]["postData"] = {"mimeType": content_type, "text": request["body"]}
    return entry


def _response(response: dict | None, error: str | None) -> dict:
    if response is None:  # no answer: HAR's convention is status 0, with the reason beside it
        return {
            "status": 0,
            "statusText": "",
            "httpVersion": "",
            "cookies": [],
            "headers": [],
            "content": {"size": 0, "mimeType": "", "text": ""},
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": -1,
            "_error": error or "",
        }
    headers = response["headers"]
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    return {
        "status": response["status"],
        "statusText": "",
        "httpVersion": "HTTP/1.1",
        "cookies": [],
        "headers": _pairs(headers),
        "content": {
            "size": len(response["body"].encode("utf-8", "surrogatepass")),
            "mimeType": content_type,
            "text": response["body"],
            **({"comment": "cut: the answer was longer"} if response.get("truncated") else {}),
        },
        "redirectURL": next((v for k, v in headers.items() if k.lower() == "location"), ""),
        "headersSize": -1,
        "bodySize": -1,
    }


def _query(url: str) -> list[dict]:
    # Not urlsplit: a redacted password ("[redacted]@host") reads to it as a broken IPv6 address.
    query = url.partition("?")[2].partition("#")[0]
    return [{"name": k, "value": v} for k, v in parse_qsl(query, keep_blank_values=True)]


def _pairs(headers: dict) -> list[dict]:
    return [{"name": k, "value": v} for k, v in headers.items()]


def write(path: Path, results: list[dict], run, redactor) -> None:
    text = json.dumps(printable(document(results, run.started)), indent=1, ensure_ascii=False) + "\n"
    write_atomically(Path(path), redactor.text(text))
