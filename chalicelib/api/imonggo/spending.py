"""Imonggo reward API: spend points by a money amount.

`POST /api/rewards.xml`, `.json`, or plain `/api/rewards` by `Accept`, with `q=spend`,
`customer_id`, `amount`, `reference` in the query string (or as form/JSON body fields). On the
shared pipeline as every Imonggo route is (chalicelib/api/imonggo/customers.py).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from pydantic import Field

from chalicelib.api.imonggo.contract import IMONGGO_ROUTE, XML
from chalicelib.api.imonggo.spending_schemas import PointsSpent
from chalicelib.api.request import ApiRequest
from chalicelib.api.routes import Routes
from chalicelib.domain.customers.records import CustomerNotFoundError
from chalicelib.domain.errors import ConflictError, MalformedRequestError
from chalicelib.domain.points import spending
from chalicelib.domain.points.ledger import InsufficientPointsError
from chalicelib.domain.points.spending import Spent
from chalicelib.domain.validation import InputModel

routes = Routes(__name__)

# A spend is refused for an unknown customer, an amount that is not whole points at the
# customer's ratio, too few points, or a balance that stayed busy (retry).
SPEND_ERRORS = (
    CustomerNotFoundError,
    spending.AmountNotConvertibleError,
    InsufficientPointsError,
    ConflictError,
)


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


def _spend(request: ApiRequest) -> Spent:
    if _parameter(request, "q") != "spend":
        raise MalformedRequestError("The q parameter must be 'spend'.", code="unsupported_query")
    order = spending.spend_order(
        _parameter(request, "customer_id"),
        _parameter(request, "amount"),
        _parameter(request, "reference"),
    )
    assert request.principal is not None  # the route requires one
    return spending.spend(request.store_code, order, actor=request.principal.actor)


@routes.route(
    "/api/rewards.xml",
    methods=["POST"],
    summary="Reward API: consume points by amount (`q=spend`), answered in XML (Imonggo)",
    query_model=SpendParameters,
    response_type=XML,
    errors=SPEND_ERRORS,
    **IMONGGO_ROUTE,
)
def spend_xml(request: ApiRequest) -> PointsSpent:
    return _spend(request)


@routes.route(
    "/api/rewards.json",
    methods=["POST"],
    summary="Reward API: consume points by amount (`q=spend`), answered in JSON (Imonggo)",
    query_model=SpendParameters,
    errors=SPEND_ERRORS,
    **IMONGGO_ROUTE,
)
def spend_json(request: ApiRequest) -> PointsSpent:
    return _spend(request)


@routes.route(
    "/api/rewards",
    methods=["POST"],
    query_model=SpendParameters,
    also_answers=(XML,),
    errors=SPEND_ERRORS,
    **IMONGGO_ROUTE,
)
def spend_by_accept(request: ApiRequest) -> PointsSpent:
    """Reward API: consume points by amount (`q=spend`), format by Accept (Imonggo)

    XML when `Accept` names an XML type before JSON (the same fields under a `<hash>` root,
    errors as `<errors><error>`), JSON otherwise.
    """
    return _spend(request)
