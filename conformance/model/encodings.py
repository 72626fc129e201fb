"""Request body encodings a profile names (`encodings`), registered by name, and multipart."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from conformance.registry import Registry


def encode_json(payload) -> bytes:
    # backslashreplace turns a lone surrogate into its JSON escape (\ud800), which is exactly
    # the hostile-but-valid JSON text we want to send; every other character goes as UTF-8.
    return json.dumps(payload, ensure_ascii=False).encode("utf-8", "backslashreplace")


@dataclass
class Body:
    content: bytes
    media_type: str
    form_fields: list[tuple[str, str]] | None = None  # a form, shown and replayed field by field


# The profile's `encodings` keys name these: (payload, files) -> Body.
ENCODINGS: Registry[Callable[[object, dict], Body]] = Registry("body encoding")
# Register a request body encoding, e.g. `@body_encoding("urlencoded")`.
body_encoding = ENCODINGS.decorator


@body_encoding("json")
def _json_body(payload, files: dict) -> Body:
    return Body(encode_json(payload), "application/json")


@body_encoding("multipart")
def _multipart_body(payload, files: dict) -> Body:
    fields = _form_fields(payload)
    # Encoded here, not by httpx: httpx sends a form without a file part as
    # application/x-www-form-urlencoded, which is not the documented encoding.
    media_type, content = encode_multipart(fields, files)
    return Body(content, media_type, fields)


def encode_multipart(fields: list[tuple[str, str]], files: dict) -> tuple[str, bytes]:
    """An RFC 7578 multipart/form-data body: text parts in UTF-8, then the file parts
    (`files` maps a field to (filename, bytes, content type)); returns (Content-Type, body)."""
    boundary = "conformance-" + secrets.token_hex(12)

    def disposition(name: str, filename: str | None = None) -> str:
        # Quoting as browsers do (HTML's form-data encoding): CR, LF and '"' percent-escaped.
        def q(text):
            return text.replace("\r", "%0D").replace("\n", "%0A").replace('"', "%22")

        extra = "" if filename is None else f'; filename="{q(filename)}"'
        return f'Content-Disposition: form-data; name="{q(name)}"{extra}'

    out = bytearray()
    for name, value in fields:
        out += f"--{boundary}\r\n{disposition(name)}\r\n\r\n".encode("utf-8", "backslashreplace")
        out += value.encode("utf-8", "backslashreplace") + b"\r\n"
    for name, (filename, content, media_type) in files.items():
        head = f"--{boundary}\r\n{disposition(name, filename or 'file')}\r\nContent-Type: {media_type}\r\n\r\n"
        out += head.encode("utf-8", "backslashreplace") + bytes(content) + b"\r\n"
    out += f"--{boundary}--\r\n".encode("ascii")
    return f"multipart/form-data; boundary={boundary}", bytes(out)


def _form_fields(payload) -> list[tuple[str, str]]:
    fields = []
    for key, value in (payload or {}).items():
        if value is None:
            continue
        fields.append((key, value if isinstance(value, str) else json.dumps(value)))
    return fields
