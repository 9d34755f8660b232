"""Coggins points: balance lookup by email and instant balance edits, keyed by `{csapikey}`.

`GET /api/v1/points/{csapikey}/email/{email}/Full` answers `{"AvailablePoints", "UsedPoints"}`;
an unknown email is a 404 `{"message", "code": "customer_not_found"}`.

`POST /api/v1/points/{csapikey}/INSTANT` takes a JSON array of `{"amount": int, "email": str}`
(valid JSON: the document's example has a trailing comma, which is a 400 here; an item may also
name a `customerType`, set on the customer, whose unknown value is that item's
`unknown_customer_type` error) and answers 200 with an array in the same order, one object per
item:

    {"email": "a@x.com", "amount": -100, "applied": true, "AvailablePoints": 300, "UsedPoints": 0}
    {"email": "a@x.com", "amount": -900, "applied": false, "AvailablePoints": 300,
     "UsedPoints": 0, "error": {"message": "...", "code": "insufficient_points",
     "available": 300, "requested": 900}}
    {"email": "nobody", "amount": 0, "applied": false,
     "error": {"message": "...", "code": "validation_failed", "errors": {"amount": [...]}}}

`AvailablePoints` / `UsedPoints` are present whenever the email names a customer of the store
and give the balance after the item (see `domain.points.accounts` for how it is tracked); `error`
has
the service's error shape plus, for `insufficient_points`, `available` and `requested`. The
`Idempotency-Key` header, when sent, is the reference of every ledger entry written.
"""

from __future__ import annotations

from urllib.parse import unquote

from chalicelib.api.coggins.points_schemas import Balance, InstantResults
from chalicelib.api.idempotency import HEADER as IDEMPOTENCY_HEADER
from chalicelib.api.request import ApiRequest
from chalicelib.api.routes import Routes
from chalicelib.domain.access.auth import STORE_ONLY
from chalicelib.domain.customers.records import CustomerNotFoundError
from chalicelib.domain.errors import TooManyItemsError
from chalicelib.domain.points import accounts

routes = Routes(__name__)


@routes.route(
    "/api/v1/points/{csapikey}/email/{email}/Full",
    roles=STORE_ONLY,
    summary="Point lookup: available and used points of a user by email (Coggins)",
    errors=(CustomerNotFoundError,),
)
def lookup(request: ApiRequest, csapikey: str, email: str) -> Balance:
    return accounts.lookup_balance(request.store_code, unquote(email))


@routes.route(
    "/api/v1/points/{csapikey}/INSTANT",
    methods=["POST"],
    roles=STORE_ONLY,
    summary="Edit user point balance, instantly: an array of amounts by email (Coggins)",
    request_model=accounts.InstantEdits,
    # Each item's own refusal (insufficient points, unknown customer) is in its 200 result.
    errors=(TooManyItemsError,),
)
def instant(request: ApiRequest, csapikey: str) -> InstantResults:
    assert request.principal is not None  # the route requires one
    outcomes = accounts.instant_edit(
        request.store_code,
        request.body,
        request.principal.actor,
        request.raw.headers.get(IDEMPOTENCY_HEADER),
        request.progress,
    )
    return outcomes
