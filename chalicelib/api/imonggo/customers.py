"""Imonggo reward API: the customer with its points, spending by amount, and customer types.

- `GET /api/customers/{id}.xml`, `.json`, or plain `{id}` choosing by `Accept`; API Gateway
  path parameters are whole segments, so the suffix is split off here.
- `GET /api/customers.xml|.json?page=&per_page=&active_only=1&q=&after=`: the list, by id.
- `GET /api/customer_types/{id}.xml|.json`: a customer type as Imonggo shows one.
- `POST /api/rewards.xml`, `.json`, or plain `/api/rewards` by `Accept`, with `q=spend`,
  `customer_id`, `amount`, `reference` in the query string (or as form/JSON body fields).
- Customer types (admin): `/api/{storeCode}/customerType[/{customerType}]`, and
  `/api/{storeCode}/customerType/{customerType}/customers/{customer}` to give a customer a type.

The document answers errors in the format asked for (`<errors><error>...</error></errors>` in
XML, `{"errors": [...]}` in JSON), which the shared pipeline (JSON errors) cannot give; so the
customer and reward routes are declared without roles and authenticate in `_answer` with the
same `authenticate` (store role), rendering their errors themselves, DynamoDB throttling
included (a 503 with `Retry-After`). Their credential is HTTP Basic (API token as user, the
password ignored) or a Bearer API key. A `.xml`/`.json` suffix alone decides the format.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from enum import StrEnum
from typing import Any, Literal
from urllib.parse import unquote

from chalice import Response
from pydantic import Field

from chalicelib.api import xml
from chalicelib.api.errors import RETRY_AFTER_SECONDS, error_schema, status_of, unavailable
from chalicelib.api.imonggo.customers_schemas import (
    CustomerTypeInfo,
    CustomerTypeList,
    CustomerTypeMembership,
    ImonggoCustomer,
    ImonggoCustomers,
    ImonggoCustomerType,
    PointsSpent,
)
from chalicelib.api.request import BODY_TYPES, ApiRequest, check_body_size
from chalicelib.api.routes import Routes
from chalicelib.api.security import authenticate
from chalicelib.domain.access.auth import STORE_ONLY, STORE_OR_ADMIN
from chalicelib.domain.customers import customer_types, records
from chalicelib.domain.customers.customer_types import CustomerType
from chalicelib.domain.customers.records import CustomerNotFoundError
from chalicelib.domain.errors import (
    ConflictError,
    InvalidInputError,
    MalformedRequestError,
    RequestInProgressError,
    RewardsError,
    ServiceUnavailableError,
)
from chalicelib.domain.points import spending
from chalicelib.domain.points.ledger import InsufficientPointsError
from chalicelib.domain.points.spending import Member, Spent
from chalicelib.domain.validation import InputModel
from chalicelib.storage.customers import CustomerModel
from chalicelib.timefmt import UTC_SECONDS

routes = Routes(__name__)

XML = "application/xml"
XML_TYPES = (XML, "text/xml")
# The document's calls send `Content-Type: application/xml`, with no body.
CONTENT_TYPES = (*BODY_TYPES, *XML_TYPES)
STORE_ROLES = STORE_ONLY
TYPE_ADMIN_ROLES = STORE_OR_ADMIN
UTC_FORMAT = UTC_SECONDS
# The document's words for the errors it names.
DOCUMENT_MESSAGES: tuple[tuple[type[RewardsError], str], ...] = (
    (CustomerNotFoundError, "Customer not found"),
    (InsufficientPointsError, "Insufficient points"),
    (customer_types.CustomerTypeNotFoundError, "Customer type not found"),
)

# A spend is refused for an unknown customer, an amount that is not whole points at the
# customer's ratio, too few points, or a balance that stayed busy (retry).
SPEND_ERRORS = (
    CustomerNotFoundError,
    spending.AmountNotConvertibleError,
    InsufficientPointsError,
    ConflictError,
)
TYPE_NOT_FOUND = (customer_types.CustomerTypeNotFoundError,)
MEMBER_ERRORS = (*TYPE_NOT_FOUND, CustomerNotFoundError)

Fields = list[tuple[str, xml.XmlValue]]


class Format(StrEnum):
    XML = "xml"
    JSON = "json"


def format_by_accept(request: ApiRequest) -> Format:
    """XML when `Accept` names an XML type before JSON; JSON otherwise."""
    for part in (request.raw.headers.get("accept") or "").split(","):
        kind = part.split(";")[0].strip().lower()
        if kind in XML_TYPES:
            return Format.XML
        if kind == "application/json":
            return Format.JSON
    return Format.JSON


def split_suffix(segment: str) -> tuple[str, Format | None]:
    """`1534.xml` → (`1534`, XML); a segment without `.xml`/`.json` has no format."""
    name, dot, suffix = unquote(segment).rpartition(".")
    if dot and suffix.lower() in (Format.XML, Format.JSON):
        return name, Format(suffix.lower())
    return unquote(segment), None


# --- bodies -----------------------------------------------------------------------------------


def _utc(value: Any) -> str | None:
    return value.strftime(UTC_FORMAT) if value is not None else None


def customer_fields(member: Member) -> Fields:
    """The document's customer, field by field, in its order: every key always, an empty or
    unkept value as null (`nil="true"` in XML), as Rails-era clients expect."""
    customer: CustomerModel = member.customer
    customer_type: CustomerType | None = member.customer_type
    names = [part for part in (customer.firstname, customer.surname) if part]

    def text(value: str | None) -> str | None:
        return value or None

    return [
        ("alternate_code", None),
        ("available_points", Decimal(int(customer.points_available or 0))),
        ("birthday", None),
        ("city", text(customer.town)),
        ("code", text(customer.public_key)),
        ("company_name", text(customer.company)),
        ("country", text((customer.country_code or "").upper())),
        ("customer_type_id", int(customer_type.type_id) if customer_type else None),
        ("email", text(customer.email)),
        ("fax", None),
        ("first_name", text(customer.firstname)),
        ("id", int(customer.imonggo_id)),
        ("last_name", text(customer.surname)),
        ("mobile", None),
        ("name", text(" ".join(names))),
        ("remark", None),
        ("state", None),
        ("status", None),
        ("street", text(customer.address1)),
        ("tax_exempt", False),
        ("telephone", text(customer.telephone)),
        ("tin", None),
        ("zipcode", text(customer.postcode)),
        ("customer_type_name", customer_type.name if customer_type else None),
        (
            "discount_text",
            f"{xml.decimal_text(customer_type.discount if customer_type else 0)}%",
        ),
        ("point_to_amount_ratio", member.point_to_amount_ratio),
        ("birthdate", None),
        ("utc_created_at", _utc(customer.created_at)),
        ("utc_updated_at", _utc(customer.updated_at)),
    ]


def spent_fields(spent: Spent) -> Fields:
    return [
        ("points-spent", Decimal(spent.points_spent)),
        ("amount-spent", spent.amount_spent),
        ("points-available", Decimal(spent.points_available)),
    ]


def json_text(fields: Fields) -> str:
    """A flat JSON object; decimals written as in XML (`2000.0`), exact, never through float."""

    def value_text(value: xml.XmlValue) -> str:
        if isinstance(value, Decimal):
            return xml.decimal_text(value)
        return json.dumps(value)

    return "{" + ", ".join(f"{json.dumps(name)}: {value_text(v)}" for name, v in fields) + "}"


def record_response(root: str, fields: Fields, fmt: Format, typed: bool = False) -> Response:
    """The record as the document's XML (`type="decimal"` on decimals when `typed`) or JSON."""
    if fmt is Format.JSON:
        return Response(json_text(fields), status_code=200, headers=_headers(fmt))
    return Response(xml.record(root, fields, typed), status_code=200, headers=_headers(fmt))


def _headers(fmt: Format) -> dict[str, str]:
    if fmt is Format.XML:
        return {"Content-Type": "application/xml; charset=utf-8"}
    return {"Content-Type": "application/json"}


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
    (`json_error_body`); insufficient points is a 422, busy a 503 with `Retry-After`
    (Imonggo's clients retry on 503)."""
    status = 422 if isinstance(error, InsufficientPointsError) else status_of(error)
    messages = error_messages(error)
    headers = _headers(fmt)
    if status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="rewards"'
    if isinstance(error, RequestInProgressError | ServiceUnavailableError):
        headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    if fmt is Format.JSON:
        return Response(json.dumps(json_error_body(error)), status_code=status, headers=headers)
    body_text = xml.document("errors", (xml.element("error", text) for text in messages))
    return Response(body_text, status_code=status, headers=headers)


def _answer(request: ApiRequest, fmt: Format, produce: Callable[[], Response]) -> Response:
    """Check the body's size, authenticate, run, and render any error in `fmt`."""
    try:
        check_body_size(request.raw)
        # Authenticated already when an Idempotency-Key came with it (`api.routes`).
        request.principal = request.principal or authenticate(request, STORE_ROLES)
        return produce()
    except RewardsError as error:
        return error_response(error, fmt)
    except Exception as error:
        # DynamoDB still throttling once the retries are spent: the 503 in `fmt`, not JSON.
        busy = unavailable(error)
        if busy is None:
            raise
        return error_response(busy, fmt)


# --- customers ------------------------------------------------------------------------------


@routes.route(
    "/api/customers/{customer}",
    methods=["GET"],
    content_types=CONTENT_TYPES,
    response_model=ImonggoCustomer,
    also_answers=(XML,),
    errors=(CustomerNotFoundError,),
    handler_roles=STORE_ROLES,
    render_error=json_error_body,
)
def get_customer(request: ApiRequest, customer: str) -> Response:
    """Customer API: the customer and its available points, XML or JSON (Imonggo)

    `{customer}` is the customer's integer id, with `.xml` or `.json` to choose the format
    (`/api/customers/1534.xml`); without a suffix, `Accept` chooses, JSON by default. The
    customer id the other faces show is accepted too. XML
    answers have the same fields under a `<customer>` root, errors as `<errors><error>`.
    """
    customer_id, fmt = split_suffix(customer)
    fmt = fmt or format_by_accept(request)
    return _answer(
        request,
        fmt,
        lambda: record_response(
            "customer", customer_fields(spending.find_member(request.store_code, customer_id)), fmt
        ),
    )


class ListParameters(InputModel):
    """Documents the list's query string only: `records.customer_listing` reads it."""

    page: int = Field(1, ge=1, description="From 1; a page past the end is an empty array.")
    per_page: int = Field(100, ge=1, description="At most 100 (more is taken as 100).")
    active_only: Literal["1"] | None = Field(None, description="`1`: active customers only.")
    q: str | None = Field(None, description="Part of the name or the email, in any case.")
    after: str | None = Field(
        None, description="Only customers updated after this time (ISO 8601, UTC if no zone)."
    )


def _list(request: ApiRequest, fmt: Format) -> Response:
    def produce() -> Response:
        listing = records.customer_listing(request.query)
        page = records.list_imonggo_customers(request.store_code, listing)
        rows = [customer_fields(spending.member_of(customer)) for customer in page]
        if fmt is Format.JSON:
            body = "[" + ", ".join(json_text(fields) for fields in rows) + "]"
        else:
            body = xml.array("customers", "customer", rows)
        return Response(body, status_code=200, headers=_headers(fmt))

    return _answer(request, fmt, produce)


LIST_ERRORS = (InvalidInputError,)


@routes.route(
    "/api/customers.xml",
    methods=["GET"],
    content_types=CONTENT_TYPES,
    summary="Customer API: the store's customers by id, a page at a time, in XML (Imonggo)",
    query_model=ListParameters,
    response_model=ImonggoCustomers,
    response_type=XML,
    errors=LIST_ERRORS,
    handler_roles=STORE_ROLES,
    render_error=json_error_body,
)
def list_customers_xml(request: ApiRequest) -> Response:
    return _list(request, Format.XML)


@routes.route(
    "/api/customers.json",
    methods=["GET"],
    content_types=CONTENT_TYPES,
    summary="Customer API: the store's customers by id, a page at a time, in JSON (Imonggo)",
    query_model=ListParameters,
    response_model=ImonggoCustomers,
    errors=LIST_ERRORS,
    handler_roles=STORE_ROLES,
    render_error=json_error_body,
)
def list_customers_json(request: ApiRequest) -> Response:
    return _list(request, Format.JSON)


def customer_type_fields(customer_type: CustomerType) -> Fields:
    return [
        ("id", int(customer_type.type_id)),
        ("name", customer_type.name),
        ("discount_text", f"{xml.decimal_text(customer_type.discount)}%"),
        ("point_to_amount_ratio", customer_type.point_to_amount_ratio),
        ("status", None),
        ("utc_created_at", _utc(customer_type.created_at)),
        ("utc_updated_at", None),
    ]


@routes.route(
    "/api/customer_types/{customerType}",
    methods=["GET"],
    content_types=CONTENT_TYPES,
    response_model=ImonggoCustomerType,
    also_answers=(XML,),
    errors=TYPE_NOT_FOUND,
    handler_roles=STORE_ROLES,
    render_error=json_error_body,
)
def read_customer_type(request: ApiRequest, customerType: str) -> Response:
    """Customer type API: a customer type by its id, XML or JSON (Imonggo)

    `/api/customer_types/8.xml` or `.json`; without a suffix, `Accept` chooses. An id the store
    has no type for is a 404.
    """
    type_id, fmt = split_suffix(customerType)
    fmt = fmt or format_by_accept(request)

    def produce() -> Response:
        # Ids only: a type's name is the admin API's business (names are never all digits).
        if not (type_id.isascii() and type_id.isdigit()):
            raise customer_types.CustomerTypeNotFoundError()
        # The store's types in one fresh Query, as the admin read does (no stale ratio).
        customer_type = customer_types.get_customer_type(request.store_code, type_id)
        return record_response("customer_type", customer_type_fields(customer_type), fmt)

    return _answer(request, fmt, produce)


# --- rewards --------------------------------------------------------------------------------


# Documents the spend's parameters only: `spending.spend_order` checks them, with the messages
# the other faces use.
class SpendParameters(InputModel):
    """The spend, in the query string as the document sends it; form or JSON body fields of the
    same names are read too."""

    q: Literal["spend"]
    customer_id: str = Field(
        description="The customer's integer id (`1534`); the id the other faces show works too."
    )
    amount: Decimal = Field(
        description=(
            "The money to spend, up to the cent (`10`, `10.05`); the points are `amount` times "
            "the customer's point-to-amount ratio and must come out whole."
        )
    )
    reference: str | None = Field(
        None, description="e.g. the invoice number; stored with the spend, not unique."
    )


def _parameter(request: ApiRequest, name: str) -> Any:
    """A query parameter, else the body field of that name (form or JSON)."""
    if name in request.query:
        return request.query[name]
    body = request.body
    return body.get(name) if isinstance(body, dict) else None


def _spend(request: ApiRequest, fmt: Format) -> Response:
    def produce() -> Response:
        if _parameter(request, "q") != "spend":
            raise MalformedRequestError(
                "The q parameter must be 'spend'.", code="unsupported_query"
            )
        order = spending.spend_order(
            _parameter(request, "customer_id"),
            _parameter(request, "amount"),
            _parameter(request, "reference"),
        )
        assert request.principal is not None
        spent = spending.spend(request.store_code, order, actor=request.principal.actor)
        return record_response("hash", spent_fields(spent), fmt, typed=True)

    return _answer(request, fmt, produce)


@routes.route(
    "/api/rewards.xml",
    methods=["POST"],
    content_types=CONTENT_TYPES,
    summary="Reward API: consume points by amount (`q=spend`), answered in XML (Imonggo)",
    query_model=SpendParameters,
    response_model=PointsSpent,
    response_type=XML,
    errors=SPEND_ERRORS,
    handler_roles=STORE_ROLES,
    render_error=json_error_body,
)
def spend_xml(request: ApiRequest) -> Response:
    return _spend(request, Format.XML)


@routes.route(
    "/api/rewards.json",
    methods=["POST"],
    content_types=CONTENT_TYPES,
    summary="Reward API: consume points by amount (`q=spend`), answered in JSON (Imonggo)",
    query_model=SpendParameters,
    response_model=PointsSpent,
    errors=SPEND_ERRORS,
    handler_roles=STORE_ROLES,
    render_error=json_error_body,
)
def spend_json(request: ApiRequest) -> Response:
    return _spend(request, Format.JSON)


@routes.route(
    "/api/rewards",
    methods=["POST"],
    content_types=CONTENT_TYPES,
    query_model=SpendParameters,
    response_model=PointsSpent,
    also_answers=(XML,),
    errors=SPEND_ERRORS,
    handler_roles=STORE_ROLES,
    render_error=json_error_body,
)
def spend_by_accept(request: ApiRequest) -> Response:
    """Reward API: consume points by amount (`q=spend`), format by Accept (Imonggo)

    XML when `Accept` names an XML type before JSON (the same fields under a `<hash>` root,
    errors as `<errors><error>`), JSON otherwise.
    """
    return _spend(request, format_by_accept(request))


# --- customer types (admin) -----------------------------------------------------------------


def customer_type_body(customer_type: CustomerType) -> dict[str, Any]:
    return {
        "customerTypeId": customer_type.type_id,
        "name": customer_type.name,
        "pointToAmountRatio": customer_type.point_to_amount_ratio,
        "discount": customer_type.discount,
        "createdAt": _utc(customer_type.created_at),
    }


TYPES_PATH = "/api/{storeCode}/customerType"
TYPE_PATH = TYPES_PATH + "/{customerType}"
MEMBER_PATH = TYPE_PATH + "/customers/{customer}"


@routes.route(
    TYPES_PATH,
    methods=["POST"],
    roles=TYPE_ADMIN_ROLES,
    status=201,
    summary="Create a customer type: its points-to-amount ratio and discount",
    request_model=customer_types.CustomerTypeInput,
    response_model=CustomerTypeInfo,
)
def create_customer_type(request: ApiRequest, storeCode: str) -> dict[str, Any]:
    return customer_type_body(customer_types.create_customer_type(request.store_code, request.body))


@routes.route(
    TYPES_PATH,
    methods=["GET"],
    roles=TYPE_ADMIN_ROLES,
    summary="List the store's customer types",
    response_model=CustomerTypeList,
)
def list_customer_types(request: ApiRequest, storeCode: str) -> dict[str, Any]:
    items = customer_types.list_customer_types(request.store_code)
    return {"items": [customer_type_body(item) for item in items], "total": len(items)}


@routes.route(
    TYPE_PATH,
    methods=["GET"],
    roles=TYPE_ADMIN_ROLES,
    summary="A customer type, by id or name",
    response_model=CustomerTypeInfo,
    errors=TYPE_NOT_FOUND,
)
def get_customer_type(request: ApiRequest, storeCode: str, customerType: str) -> dict[str, Any]:
    found = customer_types.get_customer_type(request.store_code, unquote(customerType))
    return customer_type_body(found)


@routes.route(
    TYPE_PATH,
    methods=["PUT"],
    roles=TYPE_ADMIN_ROLES,
    summary="Update a customer type: only the fields given change",
    request_model=customer_types.CustomerTypeChanges,
    response_model=CustomerTypeInfo,
    errors=(*TYPE_NOT_FOUND, ConflictError),  # changed meanwhile: read it and retry
)
def update_customer_type(request: ApiRequest, storeCode: str, customerType: str) -> dict[str, Any]:
    changed = customer_types.update_customer_type(
        request.store_code, unquote(customerType), request.body
    )
    return customer_type_body(changed)


@routes.route(
    TYPE_PATH,
    methods=["DELETE"],
    roles=TYPE_ADMIN_ROLES,
    summary="Delete a customer type",
    errors=TYPE_NOT_FOUND,
)
def delete_customer_type(request: ApiRequest, storeCode: str, customerType: str) -> None:
    customer_types.delete_customer_type(request.store_code, unquote(customerType))


@routes.route(
    MEMBER_PATH,
    methods=["PUT"],
    roles=TYPE_ADMIN_ROLES,
    summary="Give a customer (id, email or public key) this customer type",
    response_model=CustomerTypeMembership,
    errors=MEMBER_ERRORS,
)
def assign_customer_type(
    request: ApiRequest,
    storeCode: str,
    customerType: str,
    customer: str,
) -> dict[str, Any]:
    found, customer_type = customer_types.assign_customer_type(
        request.store_code, unquote(customerType), unquote(customer)
    )
    return {
        "customerId": found.customer_id,
        "customerTypeId": customer_type.type_id,
        "customerTypeName": customer_type.name,
    }


@routes.route(
    MEMBER_PATH,
    methods=["DELETE"],
    roles=TYPE_ADMIN_ROLES,
    summary="Take this customer type away from a customer",
    errors=(*MEMBER_ERRORS, ConflictError),  # changed meanwhile: read it and retry
)
def remove_customer_type(
    request: ApiRequest,
    storeCode: str,
    customerType: str,
    customer: str,
) -> None:
    customer_types.remove_customer_type(
        request.store_code, unquote(customerType), unquote(customer)
    )
