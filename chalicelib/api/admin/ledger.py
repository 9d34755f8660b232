"""Operators' view of the points ledger: why a customer's balance is what it is.

`GET /api/{storeCode}/admin/customer/{customer}/points/history?per_page=&cursor=` (admin JWT or
store API key); `{customer}` is the customer's id, email or public key. Answers
`{"data": [entry, ...], "per_page", "next_cursor", "balance": {"available", "used"}}`, newest
entry first; an unknown customer is a 404 `customer_not_found`.
"""

from __future__ import annotations

from urllib.parse import unquote

from chalicelib.api.admin.ledger_schemas import PointsHistory
from chalicelib.api.request import ApiRequest
from chalicelib.api.routes import Routes
from chalicelib.domain.access.auth import Role
from chalicelib.domain.customers.records import CustomerNotFoundError
from chalicelib.domain.errors import InvalidInputError, MalformedRequestError
from chalicelib.domain.points import accounts
from chalicelib.domain.points.accounts import HistoryQuery

routes = Routes(__name__)


@routes.route(
    "/api/{storeCode}/admin/customer/{customer}/points/history",
    roles=(Role.ADMIN, Role.STORE),
    summary="A customer's points history (the ledger), newest entry first",
    # `per_page` out of range, a cursor that is not ours, an unknown customer.
    errors=(InvalidInputError, MalformedRequestError, CustomerNotFoundError),
)
def points_history(
    request: ApiRequest, storeCode: str, customer: str, query: HistoryQuery
) -> PointsHistory:
    return accounts.customer_history(request.store_code, unquote(customer), query)
