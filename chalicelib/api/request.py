"""The parsed request a handler receives: principal, route parameters, query and body.

Bodies are JSON or urlencoded forms (bracket keys become nested objects); anything else, or a
body that does not parse, is a 4xx before the handler runs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from chalice.app import Request

from chalicelib.api.forms import parse_form
from chalicelib.domain.auth import Principal
from chalicelib.domain.errors import MalformedRequestError, UnsupportedMediaTypeError

JSON_TYPES = ("application/json",)
FORM_TYPES = ("application/x-www-form-urlencoded",)
BODY_TYPES = JSON_TYPES + FORM_TYPES
_UNSET = object()


def media_type(request: Request) -> str:
    return (request.headers.get("content-type") or "").split(";")[0].strip().lower()


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise MalformedRequestError("The request body is not valid UTF-8.") from error


def parse_body(request: Request) -> Any:
    """The body as JSON value or form dict; None when there is no body."""
    raw = request.raw_body or b""
    if not raw.strip():
        return None
    kind = media_type(request)
    if kind in JSON_TYPES or kind.endswith("+json") or not kind:
        try:
            return json.loads(_decode(raw))
        except json.JSONDecodeError as error:
            raise MalformedRequestError(
                f"The request body is not valid JSON: {error.msg} at position {error.pos}.",
                code="malformed_json",
            ) from error
    if kind in FORM_TYPES:
        return parse_form(_decode(raw))
    raise UnsupportedMediaTypeError(f"Unsupported content type: {kind}.")


@dataclass
class ApiRequest:
    """What a handler gets: the raw Chalice request plus what the pipeline made of it."""

    raw: Request
    params: dict[str, str]
    principal: Principal | None = None
    _body: Any = field(default=_UNSET, repr=False)

    @property
    def body(self) -> Any:
        if self._body is _UNSET:
            self._body = parse_body(self.raw)
        return self._body

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
