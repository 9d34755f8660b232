"""The parsed request a handler receives: principal, route parameters, query and body.

Bodies are JSON or urlencoded forms (bracket keys become nested objects); anything else, or a
body that does not parse, is a 4xx before the handler runs. A "form" that starts with `{` or
`[` is read as JSON: that is `curl -d '{...}'`, which labels JSON with the form type, while
no form starts so (a form key cannot begin with a bracket, and a browser or form encoder
percent-encodes both characters). So is a body over Lambda's payload
limit, or JSON that only Python reads (`NaN`, `Infinity`, numbers beyond a float, nesting
deeper than any request of the service needs). JSON numbers with a fraction or an exponent are
read exactly, as `JsonNumber` (a Decimal that keeps its text), never as floats.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

from chalice.app import Request

from chalicelib.api.forms import parse_form
from chalicelib.domain.access.auth import Principal
from chalicelib.domain.errors import (
    InvalidInputError,
    MalformedRequestError,
    PayloadTooLargeError,
    UnsupportedMediaTypeError,
)
from chalicelib.domain.validation import JsonNumber
from chalicelib.storage.idempotency import NO_PROGRESS, BulkProgress

JSON_TYPES = ("application/json",)
FORM_TYPES = ("application/x-www-form-urlencoded",)
BODY_TYPES = JSON_TYPES + FORM_TYPES
# Lambda's limit for a synchronous invocation (API Gateway's own is 10 MB): a bigger body never
# reaches a deployed handler, so none is read here either, whatever serves the app.
MAX_BODY_BYTES = 6 * 1024 * 1024
# Far deeper than any request body of the service; deep enough nesting would otherwise exhaust
# the interpreter's recursion (parsing, validating or echoing it) and answer a 500.
MAX_JSON_DEPTH = 32
_UNSET = object()


def media_type(request: Request) -> str:
    return (request.headers.get("content-type") or "").split(";")[0].strip().lower()


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise MalformedRequestError("The request body is not valid UTF-8.") from error


def check_body_size(request: Request) -> None:
    """Refuse a body over `MAX_BODY_BYTES` (413) before anything reads it."""
    if len(request.raw_body or b"") > MAX_BODY_BYTES:
        raise PayloadTooLargeError(
            f"A request body may be at most {MAX_BODY_BYTES // (1024 * 1024)} MB."
        )


def _malformed_json(message: str) -> MalformedRequestError:
    return MalformedRequestError(
        f"The request body is not valid JSON: {message}", code="malformed_json"
    )


def _no_constant(name: str) -> Any:
    raise _malformed_json(f"{name} is not a JSON value.")


def _exact_number(text: str) -> JsonNumber:
    # Beyond a float's range is out of every client's range too (and of DynamoDB's numbers).
    if not math.isfinite(float(text)):
        raise _malformed_json(f"the number {text[:40]} is out of range.")
    return JsonNumber(text)


def _check_depth(value: Any) -> None:
    """Iteratively, so that the check itself cannot recurse too deep."""
    level = [value]
    for _ in range(MAX_JSON_DEPTH):
        level = [
            child
            for node in level
            if isinstance(node, dict | list)
            for child in (node.values() if isinstance(node, dict) else node)
        ]
        if not level:
            return
    if any(isinstance(node, dict | list) for node in level):
        raise _malformed_json(f"it is nested deeper than {MAX_JSON_DEPTH} levels.")


def parse_json(text: str) -> Any:
    """Strict JSON (RFC 8259): no `NaN`/`Infinity`, finite numbers, bounded nesting."""
    try:
        value = json.loads(text, parse_constant=_no_constant, parse_float=_exact_number)
    except json.JSONDecodeError as error:
        raise _malformed_json(f"{error.msg} at position {error.pos}.") from error
    except ValueError as error:  # an integer past Python's digit limit
        raise _malformed_json("a number has too many digits.") from error
    except RecursionError as error:  # the parser's own limit, before ours could look
        raise _malformed_json(f"it is nested deeper than {MAX_JSON_DEPTH} levels.") from error
    _check_depth(value)
    return value


def parse_body(request: Request) -> Any:
    """The body as JSON value or form dict; None when there is no body (its size was checked
    by the request pipeline, `routes.Routes`, before the handler ran)."""
    raw = request.raw_body or b""
    if not raw.strip():
        return None
    kind = media_type(request)
    if kind in JSON_TYPES or kind.endswith("+json") or not kind:
        return parse_json(_decode(raw))
    if kind in FORM_TYPES:
        text = _decode(raw)
        if text.lstrip().startswith(("{", "[")):
            return parse_json(text)
        return parse_form(text)
    raise UnsupportedMediaTypeError(f"Unsupported content type: {kind}.")


@dataclass
class ApiRequest:
    """What a handler gets: the raw Chalice request plus what the pipeline made of it."""

    raw: Request
    params: dict[str, str]
    principal: Principal | None = None
    # Where a bulk call records its items (`storage.idempotency`); set with an Idempotency-Key.
    progress: BulkProgress = NO_PROGRESS
    _body: Any = field(default=_UNSET, repr=False)

    @property
    def body(self) -> Any:
        if self._body is _UNSET:
            self._body = parse_body(self.raw)
        return self._body

    def spoofed_method(self, allowed: tuple[str, ...]) -> str | None:
        """The method a POST stands for: its `_method` field (JSON or form), with which clients
        that can only POST send PUT or DELETE (Laravel's method spoofing); None without one.
        A value not in `allowed` is a 422 on the field."""
        body = self.body
        spoofed = body.get("_method") if isinstance(body, dict) else None
        if spoofed is None:
            return None
        method = spoofed.strip().upper() if isinstance(spoofed, str) else ""
        if method not in allowed:
            raise InvalidInputError(
                {"_method": [f"The method must be one of: {', '.join(allowed)}."]}
            )
        return method

    @property
    def query(self) -> dict[str, str]:
        return dict(self.raw.query_params or {})

    def query_list(self, name: str) -> list[str]:
        params = self.raw.query_params
        return list(params.getlist(name)) if params else []

    @property
    def store_code(self) -> str:
        """The store of the credential: the one tenant this request may touch."""
        if self.principal is None:
            raise RuntimeError("route declared no authentication")
        return self.principal.store_code
