"""Alpha balances: `/balances/{ref}` and `/balances/batches/{ref}` (ID, email or public key),
also under `/api/v1/`, with the recipients' credentials and error shapes."""

from __future__ import annotations

from urllib.parse import unquote

from chalicelib.api.alpha.balances_schemas import Balance, Batches
from chalicelib.api.alpha.recipients import NOT_FOUND, render_error
from chalicelib.api.request import ApiRequest
from chalicelib.api.routes import Routes
from chalicelib.domain.access.auth import STORE_OR_ADMIN
from chalicelib.domain.errors import ConflictError, InvalidInputError
from chalicelib.domain.points import balances
from chalicelib.domain.points.balances import BalanceChange
from chalicelib.domain.points.batches import BatchNotFoundError, TooManyBatchesError
from chalicelib.domain.points.ledger import InsufficientPointsError

routes = Routes(__name__, render_error, also_under=("/api/v1",))

CHANGE_ERRORS = (
    *NOT_FOUND,
    BatchNotFoundError,
    InsufficientPointsError,
    TooManyBatchesError,
    ConflictError,
    InvalidInputError,
)


@routes.route(
    "/balances/{ref}",
    methods=["GET"],
    roles=STORE_OR_ADMIN,
    summary="A recipient's balance and redeemed points, by ID, email or public key (Alpha)",
    errors=NOT_FOUND,
)
def get_balance(request: ApiRequest, ref: str) -> Balance:
    return balances.balance_of(request.store_code, unquote(ref))


@routes.route(
    "/balances/batches/{ref}",
    methods=["GET"],
    roles=STORE_OR_ADMIN,
    summary="A recipient's point batches, soonest expiry first (Alpha)",
    errors=NOT_FOUND,
)
def get_batches(request: ApiRequest, ref: str) -> Batches:
    return balances.batches_of(request.store_code, unquote(ref))


@routes.route(
    "/balances/{ref}",
    methods=["PUT"],
    roles=STORE_OR_ADMIN,
    summary='Change a balance: "+N" adds, "-N" takes, "N" sets; optional batch_id, expiry, '
    "message (Alpha)",
    errors=CHANGE_ERRORS,
)
def put_balance(request: ApiRequest, ref: str, body: BalanceChange) -> Balance:
    actor = request.principal.actor if request.principal else None
    return balances.change_balance(request.store_code, unquote(ref), body, actor)


@routes.route(
    "/balances/{ref}",
    methods=["POST"],
    roles=STORE_OR_ADMIN,
    summary="Change a balance with a POST that says `_method=PUT` (Alpha)",
    errors=CHANGE_ERRORS,
)
def post_balance(request: ApiRequest, ref: str, body: BalanceChange) -> Balance:
    """For clients that can only POST: the body's `_method` must say PUT."""
    if request.spoofed_method(("PUT",)) is None:
        raise InvalidInputError({"_method": ["The method field is required."]})
    return put_balance(request, ref, body)
