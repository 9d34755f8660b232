"""Imonggo customer API: the customer with its points, and the store's customer list.

- `GET /api/customers/{id}.xml`, `.json`, or plain `{id}` choosing by `Accept`.
- `GET /api/customers.xml|.json?page=&per_page=&active_only=1&q=&after=`: the list, by id.

Every Imonggo route is on the shared pipeline like any other face's: authenticated there (the
store role: HTTP Basic with the API token as user, the password ignored, or a Bearer API key),
its answer shaped by its model and written by `contract.render`, its errors, the pipeline's
included, by `contract.answer_error` in the format the request asks for
(chalicelib/api/imonggo/contract.py).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from chalicelib.api.imonggo.contract import IMONGGO_ROUTE, XML, split_suffix
from chalicelib.api.imonggo.customers_schemas import ImonggoCustomer, ImonggoCustomers
from chalicelib.api.request import ApiRequest
from chalicelib.api.routes import Routes
from chalicelib.domain.customers import records
from chalicelib.domain.customers.records import CustomerNotFoundError
from chalicelib.domain.errors import InvalidInputError
from chalicelib.domain.points import spending
from chalicelib.domain.points.spending import Member
from chalicelib.domain.validation import InputModel

routes = Routes(__name__)


@routes.route(
    "/api/customers/{customer}",
    methods=["GET"],
    also_answers=(XML,),
    errors=(CustomerNotFoundError,),
    **IMONGGO_ROUTE,
)
def get_customer(request: ApiRequest, customer: str) -> ImonggoCustomer:
    """Customer API: the customer and its available points, XML or JSON (Imonggo)

    `{customer}` is the customer's integer id, with `.xml` or `.json` to choose the format
    (`/api/customers/1534.xml`); without a suffix, `Accept` chooses, JSON by default. The
    customer id the other faces show is accepted too. XML
    answers have the same fields under a `<customer>` root, errors as `<errors><error>`.
    """
    customer_id, _ = split_suffix(customer)
    return spending.find_member(request.store_code, customer_id)


class ListParameters(InputModel):
    """Documents the list's query string only: `records.customer_listing` reads it."""

    page: int = Field(1, ge=1, description="From 1; a page past the end is an empty array.")
    per_page: int = Field(100, ge=1, description="At most 100 (more is taken as 100).")
    active_only: Literal["1"] | None = Field(None, description="`1`: active customers only.")
    q: str | None = Field(None, description="Part of the name or the email, in any case.")
    after: str | None = Field(
        None, description="Only customers updated after this time (ISO 8601, UTC if no zone)."
    )


def _list(request: ApiRequest) -> list[Member]:
    return spending.list_members(request.store_code, records.customer_listing(request.query))


LIST_ERRORS = (InvalidInputError,)


@routes.route(
    "/api/customers.xml",
    methods=["GET"],
    summary="Customer API: the store's customers by id, a page at a time, in XML (Imonggo)",
    query_model=ListParameters,
    response_type=XML,
    errors=LIST_ERRORS,
    **IMONGGO_ROUTE,
)
def list_customers_xml(request: ApiRequest) -> ImonggoCustomers:
    return _list(request)


@routes.route(
    "/api/customers.json",
    methods=["GET"],
    summary="Customer API: the store's customers by id, a page at a time, in JSON (Imonggo)",
    query_model=ListParameters,
    errors=LIST_ERRORS,
    **IMONGGO_ROUTE,
)
def list_customers_json(request: ApiRequest) -> ImonggoCustomers:
    return _list(request)
