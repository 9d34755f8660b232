"""The Imonggo document's wire contract, which its routes give the shared pipeline: the format a
request asks for, its records written from the answer model, and its errors.

- Format: a `.xml`/`.json` suffix (of the path, or of its `{id}` segment: API Gateway path
  parameters are whole segments, so the suffix is split off here) decides; without one,
  `Accept` does, JSON by default.
- Answers (`render`, a route's `render=`): the answer model's fields in its order, every key
  always; XML one element per line under the model's `xml.name` root (`nil="true"` for null,
  `type="decimal"` on decimals when the model says `xml_typed`), JSON a flat object with
  decimals as the document writes them (`2000.0`), exact, never through float.
- Errors (`answer_error`, a route's `answer_error=`): `<errors><error>...</error></errors>` in
  XML, `{"errors": [...]}` in JSON (`json_error_body`), for every error of the request, the
  pipeline's included (authentication, a body too large, throttling: a 503 with `Retry-After`,
  which Imonggo's clients retry on), but the Idempotency-Key's own refusals, always JSON.
"""

from __future__ import annotations

import json
import typing
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from chalice import Response

from chalicelib.api import xml
from chalicelib.api.errors import RETRY_AFTER_SECONDS, error_schema, status_of
from chalicelib.api.request import BODY_TYPES
from chalicelib.api.schemas import dump
from chalicelib.domain.access.auth import STORE_ONLY
from chalicelib.domain.customers.customer_types import CustomerTypeNotFoundError
from chalicelib.domain.customers.records import CustomerNotFoundError
from chalicelib.domain.errors import (
    IdempotencyKeyReusedError,
    InvalidInputError,
    RequestInProgressError,
    RewardsError,
    ServiceUnavailableError,
)
from chalicelib.domain.points.ledger import InsufficientPointsError

if TYPE_CHECKING:
    from chalice.app import Request
    from pydantic import BaseModel

XML = "application/xml"
XML_TYPES = (XML, "text/xml")
# The document's calls send `Content-Type: application/xml`, with no body.
CONTENT_TYPES = (*BODY_TYPES, *XML_TYPES)
# The document's words for the errors it names.
DOCUMENT_MESSAGES: tuple[tuple[type[RewardsError], str], ...] = (
    (CustomerNotFoundError, "Customer not found"),
    (InsufficientPointsError, "Insufficient points"),
    (CustomerTypeNotFoundError, "Customer type not found"),
)


class Format(StrEnum):
    XML = "xml"
    JSON = "json"


def split_suffix(segment: str) -> tuple[str, Format | None]:
    """`1534.xml` → (`1534`, XML); a segment without `.xml`/`.json` has no format."""
    name, dot, suffix = unquote(segment).rpartition(".")
    if dot and suffix.lower() in (Format.XML, Format.JSON):
        return name, Format(suffix.lower())
    return unquote(segment), None


def format_by_accept(accept: str | None) -> Format:
    """XML when `Accept` names an XML type before JSON; JSON otherwise."""
    for part in (accept or "").split(","):
        kind = part.split(";")[0].strip().lower()
        if kind in XML_TYPES:
            return Format.XML
        if kind == "application/json":
            return Format.JSON
    return Format.JSON


def format_of(request: Request) -> Format:
    """The format `request` asks for: its path's suffix, its `{id}`'s, else its `Accept`."""
    segments = [request.path.rsplit("/", 1)[-1], *(request.uri_params or {}).values()]
    for segment in segments:
        _, fmt = split_suffix(segment)
        if fmt is not None:
            return fmt
    return format_by_accept(request.headers.get("accept"))


def _headers(fmt: Format) -> dict[str, str]:
    if fmt is Format.XML:
        return {"Content-Type": "application/xml; charset=utf-8"}
    return {"Content-Type": "application/json"}


# -- answers -----------------------------------------------------------------------------------
Fields = list[tuple[str, xml.XmlValue]]


def json_text(fields: Fields) -> str:
    """A flat JSON object; decimals written as in XML (`2000.0`), exact, never through float."""

    def value_text(value: xml.XmlValue) -> str:
        if isinstance(value, Decimal):
            return xml.decimal_text(value)
        return json.dumps(value)

    return "{" + ", ".join(f"{json.dumps(name)}: {value_text(v)}" for name, v in fields) + "}"


def _xml_name(model: type[BaseModel]) -> str:
    extra = model.model_config.get("json_schema_extra")
    assert isinstance(extra, dict), f"{model.__name__} names no XML root"
    return typing.cast(str, typing.cast(dict[str, Any], extra["xml"])["name"])


def body_text(answer: BaseModel, fmt: Format) -> str:
    """`answer` as the document writes it: one record, or (a list model) an array of them."""
    data = dump(answer)
    model = type(answer)
    if isinstance(data, list):
        (item,) = typing.get_args(model.model_fields["root"].annotation)
        rows: list[Fields] = [list(row.items()) for row in data]
        if fmt is Format.JSON:
            return "[" + ", ".join(json_text(row) for row in rows) + "]"
        return xml.array(_xml_name(model), _xml_name(item), rows)
    fields = list(data.items())
    if fmt is Format.JSON:
        return json_text(fields)
    return xml.record(_xml_name(model), fields, typed=getattr(model, "xml_typed", False))


def respond(answer: BaseModel, fmt: Format) -> Response:
    return Response(body_text(answer, fmt), status_code=200, headers=_headers(fmt))


def render(request: Request, answer: BaseModel) -> Response:
    """A route's answer in the format `request` asks for (`Routes.route`'s `render`)."""
    return respond(answer, format_of(request))


# -- errors ------------------------------------------------------------------------------------
def error_messages(error: RewardsError) -> list[str]:
    """The error's messages: one per field error, else the document's word for it."""
    if isinstance(error, InvalidInputError):
        return [text for texts in error.errors.values() for text in texts]
    message = next((text for kind, text in DOCUMENT_MESSAGES if isinstance(error, kind)), None)
    return [message or error.message]


@error_schema("ImonggoError")
def json_error_body(error: RewardsError) -> dict[str, Any]:
    """`{"errors": [...]}`, with the service's `code` and `message` (and per-field `fields`)."""
    messages = error_messages(error)
    body: dict[str, Any] = {"errors": messages, "code": error.code, "message": messages[0]}
    if isinstance(error, InvalidInputError):
        body["fields"] = error.errors
    return body


def error_response(error: RewardsError, fmt: Format) -> Response:
    """The error as the document's `<errors><error>...</error></errors>`, or in JSON
    (`json_error_body`); insufficient points is a 422, busy a 503 with `Retry-After`."""
    status = 422 if isinstance(error, InsufficientPointsError) else status_of(error)
    headers = _headers(fmt)
    if status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="rewards"'
    if isinstance(error, RequestInProgressError | ServiceUnavailableError):
        headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    if fmt is Format.JSON:
        return Response(json.dumps(json_error_body(error)), status_code=status, headers=headers)
    messages = error_messages(error)
    body_text = xml.document("errors", (xml.element("error", text) for text in messages))
    return Response(body_text, status_code=status, headers=headers)


# The Idempotency-Key is the service's addition to the document: its own refusals (the key
# reused, its request still running) keep the service's JSON (`json_error_body`), whose `code`
# is what a client sending the key reads, whatever the format of the call.
KEY_ERRORS = (IdempotencyKeyReusedError, RequestInProgressError)


def answer_error(request: Request, error: RewardsError) -> Response | None:
    """Any other error of the request in the format it asks for (`Routes.route`'s
    `answer_error`); None (the route's JSON error) for the key's."""
    if isinstance(error, KEY_ERRORS):
        return None
    return error_response(error, format_of(request))


# What every customer and reward route declares (`Routes.route`'s arguments): the store's
# credential, the document's body types, its answers and its errors.
IMONGGO_ROUTE: dict[str, Any] = {
    "roles": STORE_ONLY,
    "content_types": CONTENT_TYPES,
    "render": render,
    "answer_error": answer_error,
    "render_error": json_error_body,
}
