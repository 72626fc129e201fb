"""Reading an answer's body within bounds: at most RESPONSE_LIMIT bytes after decoding, at most
MAX_CODINGS content codings stacked. httpx decodes without a bound (`Content-Encoding: gzip,
gzip`, 3.4 kB on the wire, took 4 GB), so the body is read raw and decoded here, each coding
fed a chunk at a time and stopped as soon as its output passes the cap."""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass

import httpx

from conformance.client.transcript import Exchange, Redactor

RESPONSE_LIMIT = 1 << 20  # bytes kept of any answer, after decoding; a 50 MB body is cut, not buffered
RAW_LIMIT = 2 * RESPONSE_LIMIT  # bytes read off the wire for a coded body
MAX_CODINGS = 2  # `gzip, gzip` is legal, if odd; deeper stacks are only ever an attack
ACCEPT_ENCODING = "gzip, deflate"  # what the request offers: exactly what can be decoded here


@dataclass
class Body:
    data: bytes
    truncated: bool = False
    problem: str | None = None  # the body is not encoded as its Content-Encoding declares


class _Overflow(Exception):
    pass


class _Inflater:
    """One zlib content coding, its output capped at RESPONSE_LIMIT + 1 bytes in all."""

    def __init__(self, coding: str):
        self.coding = coding
        self.produced = 0
        self.first = True
        self.engine = zlib.decompressobj(16 + zlib.MAX_WBITS if coding == "gzip" else zlib.MAX_WBITS)

    def feed(self, data: bytes) -> bytes:
        if not data:
            return b""
        try:
            out = self.engine.decompress(data, RESPONSE_LIMIT + 1 - self.produced)
        except zlib.error:
            if not (self.first and self.coding == "deflate"):
                raise
            # "deflate" is often sent without its zlib wrapper (RFC 9110 §8.4.1.2 notes the
            # confusion): retry the first chunk as raw deflate, as browsers and httpx do.
            self.engine = zlib.decompressobj(-zlib.MAX_WBITS)
            out = self.engine.decompress(data, RESPONSE_LIMIT + 1 - self.produced)
        self.first = False
        self.produced += len(out)
        if self.produced > RESPONSE_LIMIT:
            raise _Overflow
        return out

    @property
    def complete(self) -> bool:
        return self.engine.eof


def read_body(response: httpx.Response) -> Body:
    codings = [c.strip().lower() for c in response.headers.get_list("content-encoding", split_commas=True)]
    codings = [c for c in codings if c and c != "identity"]
    if len(codings) > MAX_CODINGS:
        return _raw(
            response,
            f"{len(codings)} content codings are stacked ({', '.join(codings)}); "
            f"more than {MAX_CODINGS} are refused as a decompression attack",
        )
    unknown = [c for c in codings if c not in ("gzip", "deflate")]
    if unknown:
        return _raw(
            response,
            f"the body is coded {', '.join(unknown)}, which the request did not accept "
            f"(Accept-Encoding: {ACCEPT_ENCODING})",
        )
    stages = [_Inflater(c) for c in reversed(codings)]  # listed in the order applied: undo from the last
    out, wire = bytearray(), 0
    for chunk in _wire(response):
        wire += len(chunk)
        data = chunk
        try:
            for stage in stages:
                data = stage.feed(data)
        except _Overflow:
            return Body(bytes(out[:RESPONSE_LIMIT]), truncated=True)
        except zlib.error as exc:
            return Body(
                chunk[:RESPONSE_LIMIT],
                problem=f"the body is declared {stage.coding} but is not {stage.coding} data ({exc})",
            )
        out += data
        if len(out) > RESPONSE_LIMIT or wire > RAW_LIMIT:
            return Body(bytes(out[:RESPONSE_LIMIT]), truncated=True)
    for stage in stages:
        if wire and not stage.complete:  # an empty body (a 204) has nothing to decode
            return Body(
                bytes(out), problem=f"the body declared {stage.coding} ends before its {stage.coding} stream does"
            )
    return Body(bytes(out))


def _wire(response: httpx.Response):
    """The body's bytes as they came. An in-process transport (httpx.MockTransport, in the
    project's fast tests) hands over a response it has read already: its content, as given."""
    if response.is_stream_consumed:
        yield response.content
        return
    yield from response.iter_raw()


def _raw(response: httpx.Response, problem: str) -> Body:
    out = bytearray()
    for chunk in _wire(response):
        out += chunk
        if len(out) > RESPONSE_LIMIT:
            break
    return Body(bytes(out[:RESPONSE_LIMIT]), truncated=len(out) > RESPONSE_LIMIT, problem=problem)


JSON_DEPTH_LIMIT = 64  # no documented answer nests deeper than a few levels


def nesting_exceeds(text: str, limit: int) -> bool:
    """Whether JSON text opens more than `limit` arrays or objects inside one another
    (brackets inside strings do not count). Linear, and free for ordinary bodies."""
    if text.count("[") + text.count("{") <= limit:
        return False
    depth, in_string, escaped = 0, False, False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return True
        elif char in "]}":
            depth -= 1
    return False


def record_answer(exchange: Exchange, response: httpx.Response, received: Body, redactor: Redactor) -> None:
    """Fill `exchange` from the answer read within bounds: status, headers, text and JSON, each
    redacted; a body that cannot be used as JSON says why (`json_error`)."""
    exchange.status = response.status_code
    exchange.response_headers = redactor.headers(response.headers.items(), response=True)
    exchange.response_truncated = truncated = received.truncated
    body = received.data
    if received.problem:
        exchange.encoding_problem = redactor.text(received.problem)
        exchange.json_error = f"the body could not be decoded: {exchange.encoding_problem}"
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        text = body.decode("utf-8", "replace")
        exchange.json_error = exchange.json_error or f"the body is not valid UTF-8 ({exc.reason} at byte {exc.start})"
    exchange.response_text = redactor.text(text)
    if exchange.json_error is None:
        if truncated:
            exchange.json_error = f"the body is larger than {RESPONSE_LIMIT} bytes and was cut"
        elif nesting_exceeds(text, JSON_DEPTH_LIMIT):
            # Parsing it would recurse past Python's limit in the parser, the redactor and
            # the schema validator: the answer is judged as one that is not usable JSON.
            exchange.json_error = f"the body nests JSON more than {JSON_DEPTH_LIMIT} levels deep"
        else:
            try:
                parsed = json.loads(text)
            except ValueError as exc:
                exchange.json_error = f"the body is not JSON ({exc})"
            else:
                exchange.json = redact_json(redactor, parsed)


def redact_json(redactor: Redactor, value):
    """A parsed JSON document with the secret removed from every key and string in it."""
    if not redactor.secret:
        return value
    if isinstance(value, str):
        return redactor.text(value)
    if isinstance(value, list):
        return [redact_json(redactor, v) for v in value]
    if isinstance(value, dict):
        return {redactor.text(k): redact_json(redactor, v) for k, v in value.items()}
    return value
