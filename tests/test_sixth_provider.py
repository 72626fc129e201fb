"""A sixth provider is a folder of data: its profile and schemas in a temporary directory, no
line of the package changed, certified end to end against a tiny Starlette app.

The profile is deliberately sparse: no `tagged_fields`, `echo`, `rules`, `readings`,
`envelope`, `levels` or error schema, so the optional keys are shown to be optional."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone

import pytest
from jsonschema import Draft202012Validator
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from conformance import exitcodes
from conformance.model.profile import FORMATS, load

from .conftest import SECRET, failed_ids, run_suite

PROFILE = {
    "key": "spaces",
    "title": "Spaces API: Create space",
    "document": {"file": "spaces.txt", "url": "https://example.invalid/spaces"},
    "endpoint": {"method": "POST", "path": "/v1/spaces"},
    "auth": {"in": "header", "name": "X-Api-Key", "source": "X-Api-Key header: your API key"},
    "encodings": {"json": {"source": "Body application/json"}},
    "schemas": {"request": "request.schema.json", "resource": "resource.schema.json"},
    "success": {"statuses": [201], "source": "201 Created: the space"},
    "rejections": {
        "validation": {"statuses": [400, 422], "source": "400 or 422: the body is not valid"},
        "auth": {"statuses": [401], "source": "401: the key is missing or wrong"},
    },
}
REQUEST = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["name"],
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 20, "x-source": "name: 1 to 20 characters"},
        "region": {"type": "string", "enum": ["eu", "us"], "x-source": "region: eu or us"},
    },
}
RESOURCE = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["id", "name", "created_at"],
    "properties": {
        "id": {"type": "string", "format": "uuid"},
        "name": {"type": "string"},
        "region": {"type": "string", "enum": ["eu", "us"]},
        "created_at": {"type": "string", "format": "date-time"},
    },
}


def write_provider(folder) -> str:
    """The whole of what adding the provider takes: one folder of data."""
    folder.mkdir()
    for name, document in (
        ("profile.json", PROFILE),
        ("request.schema.json", REQUEST),
        ("resource.schema.json", RESOURCE),
    ):
        (folder / name).write_text(json.dumps(document, indent=2), encoding="utf-8")
    return str(folder)


def spaces_app(credential: str, auth_status: int = 401) -> Starlette:
    """A small implementation of the Spaces page: it validates with the page's own schema."""
    validator = Draft202012Validator(REQUEST, format_checker=FORMATS)

    async def create(request: Request):
        if request.headers.get("x-api-key") != credential:
            return JSONResponse({"error": "unauthorized"}, auth_status)
        if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
            return JSONResponse({"error": "send application/json"}, 415)
        try:
            body = json.loads(await request.body())
        except ValueError:
            return JSONResponse({"error": "malformed JSON"}, 400)
        if not isinstance(body, dict) or not validator.is_valid(body):
            return JSONResponse({"error": "invalid body"}, 400)
        try:
            json.dumps(body, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: refused, as the bundled servers do
            return JSONResponse({"error": "the body is not valid Unicode"}, 400)
        space = {
            "id": str(uuid.uuid4()),
            "name": body["name"],
            "region": body.get("region", "eu"),
            "created_at": datetime.now(timezone.utc).isoformat(),
        }
        return JSONResponse(space, 201)

    return Starlette(routes=[Route("/v1/spaces", create, methods=["POST"])])


@pytest.mark.slow
def test_a_sixth_provider_is_certified_from_its_folder_alone(tmp_path, loopback_app):
    directory = write_provider(tmp_path / "spaces")
    assert load(directory).key == "spaces"

    # No reference server by the naming convention: one sentence, not a crash.
    completed, _ = run_suite(tmp_path / "no-server", "--conformance-provider", directory)
    assert completed.returncode == exitcodes.USAGE
    assert "there is no bundled reference server for 'spaces': give --conformance-target-url" in completed.stderr

    url = loopback_app(spaces_app(SECRET))
    completed, verdicts = run_suite(
        tmp_path / "conformant",
        "--conformance-provider",
        directory,
        "--conformance-target-url",
        url,
        "--conformance-examples",
        "5",
        env={"CONFORMANCE_CREDENTIAL": SECRET},
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    assert verdicts["provider"] == "spaces"
    assert "Traceback" not in completed.stdout + completed.stderr
    passed = {r["id"] for r in verdicts["requirements"] if r["status"] == "pass"}
    assert {
        "spaces.name.max-length",
        "spaces.region.enum",
        "spaces.auth.wrong-credential",
        "spaces.response.created_at",
        "spaces.robustness.no-server-error",
    } <= passed
    assert verdicts["verdict"] == "CONFORMANT"

    # The same app, but it refuses a missing or wrong key with 403 where the page says 401.
    url = loopback_app(spaces_app(SECRET, auth_status=403))
    completed, verdicts = run_suite(
        tmp_path / "broken",
        "--conformance-provider",
        directory,
        "--conformance-target-url",
        url,
        "--conformance-examples",
        "5",
        env={"CONFORMANCE_CREDENTIAL": SECRET},
    )
    assert completed.returncode == 1, completed.stdout[-3000:] + completed.stderr[-3000:]
    assert verdicts is not None, completed.stdout[-3000:] + completed.stderr[-3000:]
    assert verdicts["verdict"] == "NOT CONFORMANT"
    assert failed_ids(verdicts) == {"spaces.auth.missing-credential", "spaces.auth.wrong-credential"}
