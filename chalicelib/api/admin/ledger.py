"""Operators' view of the points ledger: why a customer's balance is what it is.

`GET /api/{storeCode}/admin/customer/{customer}/points/history?per_page=&cursor=` (admin JWT or
store API key); `{customer}` is the customer's id, email or public key. Answers
`{"data": [entry, ...], "per_page", "next_cursor", "balance": {"available", "used"}}`, newest
entry first; an unknown customer is a 404 `customer_not_found`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from chalicelib.api.admin.ledger_schemas import PointsHistory
from chalicelib.api.request import ApiRequest
from chalicelib.api.routes import Routes
from chalicelib.domain.access.auth import Role
from chalicelib.domain.customers.records import CustomerNotFoundError
from chalicelib.domain.errors import InvalidInputError, MalformedRequestError
from chalicelib.domain.points import accounts
from chalicelib.storage.ledger import LedgerEntryModel

routes = Routes(__name__)


def entry_body(entry: LedgerEntryModel) -> dict[str, Any]:
    return {
        "id": entry.entry_id,
        "kind": entry.kind,
        "amount": int(entry.amount),
        "reference": entry.reference,
        "reason": entry.reason,
        "actor": entry.actor,
        "createdAt": entry.created_at.isoformat(),
    }


@routes.route(
    "/api/{storeCode}/admin/customer/{customer}/points/history",
    roles=(Role.ADMIN, Role.STORE),
    summary="A customer's points history (the ledger), newest entry first",
    query_model=accounts.HistoryQuery,
    response_model=PointsHistory,
    # `per_page` out of range, a cursor that is not ours, an unknown customer.
    errors=(InvalidInputError, MalformedRequestError, CustomerNotFoundError),
)
def points_history(request: ApiRequest, storeCode: str, customer: str) -> dict[str, Any]:
    history = accounts.customer_history(request.store_code, unquote(customer), request.query)
    return {
        "data": [entry_body(entry) for entry in history.page.entries],
        "per_page": history.per_page,
        "next_cursor": history.page.next_cursor,
        "balance": {
            "available": history.balance.available,
            "used": history.balance.used,
            "pending": history.balance.pending,
            "expired": history.balance.expired,
        },
    }
