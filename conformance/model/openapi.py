"""A provider's profile as an OpenAPI 3.1 document: the create operation, its security scheme
(from the profile's auth placement), the request and response schemas, and every documented
error status. Useful on its own (a contract other tools read), and the fair input when the
suite is compared with an OpenAPI-driven tester.

OpenAPI 3.1 schemas are JSON Schema 2020-12, so the profile's schemas go in as they are, with
three changes: our `x-` annotations are dropped (`x-source` becomes the description), a file
part becomes a binary string, and the envelope's resource member points at the resource.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from conformance.model.profile import Profile

COMPONENT = {
    "request": "CreateWorkspaceRequest",
    "resource": "Workspace",
    "envelope": "CreateWorkspaceResponse",
    "error": "Error",
}


def _text(source) -> str:
    """A page quote as text: a plain string, or an outside fact's quote with its reading. A
    provider-notes quote says it is our summary, not the provider's words."""
    if isinstance(source, dict) and source.get("kind") == "provider-notes":
        parts = [source.get("quote", ""), source.get("reading", "")]
        return (
            " ".join(filter(None, parts))
            + f" (our summary, not the provider's words: {source.get('document') or 'provider notes'})"
        )
    if isinstance(source, dict):
        parts = [source.get("quote", ""), source.get("reading", "")]
        where = source.get("document") or source.get("url")
        return " ".join(filter(None, parts)) + (f" ({where})" if where else "")
    return str(source or "")


def _schema(schema: dict) -> dict:
    """A profile schema made an OpenAPI component."""

    def clean(node):
        if isinstance(node, list):
            return [clean(n) for n in node]
        if not isinstance(node, dict):
            return node
        out = {}
        for key, value in node.items():
            if key in ("$schema", "$id") or key.startswith("x-"):
                continue
            out[key] = value if key in ("enum", "const", "default", "examples") else clean(value)
        if node.get("x-source") and "description" not in out:
            out["description"] = _text(node["x-source"])
        if node.get("x-file"):
            out = {
                "type": "string",
                "format": "binary",
                **({"description": out["description"]} if "description" in out else {}),
                **({"contentMediaType": node["contentMediaType"]} if "contentMediaType" in node else {}),
            }
        return out

    return clean(copy.deepcopy(schema))


def _point_at_resource(envelope: dict, pointer: str) -> dict:
    """The envelope's member at `pointer` (e.g. /data/workspace) becomes a $ref to the resource."""
    parts = [p for p in pointer.split("/") if p]
    node = envelope
    for part in parts[:-1]:
        node = node.setdefault("properties", {}).setdefault(part, {"type": "object"})
    if parts:
        node.setdefault("properties", {})[parts[-1]] = {"$ref": f"#/components/schemas/{COMPONENT['resource']}"}
    return envelope


def _security(auth: dict) -> dict:
    if auth["in"] == "header" and auth["name"].lower() == "authorization" and auth.get("scheme"):
        scheme = {"type": "http", "scheme": auth["scheme"].lower()}
    else:
        scheme = {"type": "apiKey", "in": auth["in"], "name": auth["name"]}
    return {**scheme, "description": _text(auth.get("source"))}


def _servers(profile: Profile) -> list[dict]:
    base = profile.data["endpoint"].get("documented_base", "")
    variables = {name: {"default": "8000" if name == "port" else "localhost"} for name in re.findall(r"{(\w+)}", base)}
    return [{"url": base, **({"variables": variables} if variables else {})}] if base else []


def document(profile: Profile, pinned: dict[str, str] | None = None) -> dict:
    """`pinned`: target params (e.g. organization_id) whose request field is fixed to the given
    value, so a tool that generates bodies uses an organization the caller belongs to."""
    schemas = {}
    request = _schema(profile.request_schema)
    for name, param in profile.param_fields.items():
        if pinned and param in pinned and name in request.get("properties", {}):
            request["properties"][name] = {**request["properties"][name], "const": pinned[param]}
    schemas[COMPONENT["request"]] = request
    schemas[COMPONENT["resource"]] = _schema(profile.resource_schema)
    if "envelope" in profile.schemas:
        schemas[COMPONENT["envelope"]] = _point_at_resource(_schema(profile.schemas["envelope"]), profile.resource_at)
        success_schema = {"$ref": f"#/components/schemas/{COMPONENT['envelope']}"}
    else:
        success_schema = {"$ref": f"#/components/schemas/{COMPONENT['resource']}"}
    if "error" in profile.schemas:
        schemas[COMPONENT["error"]] = _schema(profile.schemas["error"])

    media = {"json": "application/json", "multipart": "multipart/form-data"}
    body = {
        "required": True,
        "content": {
            media[e]: {"schema": {"$ref": f"#/components/schemas/{COMPONENT['request']}"}}
            for e in profile.encodings
            if e in media
        },
    }
    responses: dict[str, dict[str, Any]] = {}  # status -> OpenAPI response object (JSON)
    for status in profile.success_statuses:
        responses[str(status)] = {
            "description": _text(profile.data["success"].get("source")) or "created",
            "content": {"application/json": {"schema": success_schema}},
        }
    for situation, rejection in profile.data.get("rejections", {}).items():
        for status in rejection["statuses"]:
            entry = responses.setdefault(str(status), {"description": ""})
            entry["description"] = "; ".join(
                filter(None, [entry["description"], f"{situation}: {_text(rejection.get('source'))}"])
            )
            if "error" in profile.schemas:
                entry["content"] = {
                    "application/json": {"schema": {"$ref": f"#/components/schemas/{COMPONENT['error']}"}}
                }
    parameters = [
        {
            "name": rule["header"],
            "in": "header",
            "required": False,
            "schema": {"type": "string", "enum": rule["enum"], "default": rule.get("default")},
            "description": _text(rule.get("source")),
        }
        for rule in profile.rules.values()
        if rule.get("kind") == "header"
    ]
    operation = {
        "operationId": "createWorkspace",
        "summary": profile.title,
        "security": [{"credential": []}],
        "requestBody": body,
        "responses": responses,
    }
    if parameters:
        operation["parameters"] = parameters
    return {
        "openapi": "3.1.0",
        "info": {
            "title": profile.title,
            "version": profile.document.get("revision", "unversioned"),
            "description": f"Exported by workspace-conformance from the profile of {profile.key} "
            f"({profile.document.get('file', '')}).",
        },
        "servers": _servers(profile),
        "paths": {profile.path: {profile.method.lower(): operation}},
        "components": {"schemas": schemas, "securitySchemes": {"credential": _security(profile.auth)}},
    }
