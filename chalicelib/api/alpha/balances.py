"""Alpha balances: `/balances/{ref}` and `/balances/batches/{ref}` (ID, email or public key),
also under `/api/v1/`, with the recipients' credentials and error shapes."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from chalicelib.api.alpha.balances_schemas import Balance, Batches
from chalicelib.api.alpha.recipients import NOT_FOUND, STORE_ROLES, TIME_FORMAT, render_error
from chalicelib.api.request import ApiRequest
from chalicelib.api.routes import Routes
from chalicelib.domain.errors import ConflictError, InvalidInputError
from chalicelib.domain.points import balances
from chalicelib.domain.points.balances import AlphaBalance
from chalicelib.domain.points.batches import BatchNotFoundError, BatchView, TooManyBatchesError
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


def balance_body(balance: AlphaBalance) -> dict[str, Any]:
    return {
        "balance": balance.balance,
        "redeemed": balance.redeemed,
        "pending": balance.pending,
        "expired": balance.expired,
    }


def batch_body(batch: BatchView) -> dict[str, Any]:
    return {
        "batch_id": batch.batch_id,
        "balance": batch.balance,
        "redeemed": batch.redeemed,
        "expired": batch.expired,
        "expiry": batch.expires_on,
        "pending_until": batch.pending_until,
        "history": [
            {
                "time": event.time.strftime(TIME_FORMAT),
                "message": event.message,
                "balance_change": int(event.balance_change),
            }
            for event in batch.history
        ],
    }


@routes.route(
    "/balances/{ref}",
    methods=["GET"],
    roles=STORE_ROLES,
    summary="A recipient's balance and redeemed points, by ID, email or public key (Alpha)",
    response_model=Balance,
    errors=NOT_FOUND,
)
def get_balance(request: ApiRequest, ref: str) -> dict[str, Any]:
    return balance_body(balances.balance_of(request.store_code, unquote(ref)))


@routes.route(
    "/balances/batches/{ref}",
    methods=["GET"],
    roles=STORE_ROLES,
    summary="A recipient's point batches, soonest expiry first (Alpha)",
    response_model=Batches,
    errors=NOT_FOUND,
)
def get_batches(request: ApiRequest, ref: str) -> list[dict[str, Any]]:
    return [batch_body(batch) for batch in balances.batches_of(request.store_code, unquote(ref))]


@routes.route(
    "/balances/{ref}",
    methods=["PUT"],
    roles=STORE_ROLES,
    summary='Change a balance: "+N" adds, "-N" takes, "N" sets; optional batch_id, expiry, '
    "message (Alpha)",
    request_model=balances.BalanceChange,
    response_model=Balance,
    errors=CHANGE_ERRORS,
)
def put_balance(request: ApiRequest, ref: str) -> dict[str, Any]:
    actor = request.principal.actor if request.principal else None
    changed = balances.change_balance(request.store_code, unquote(ref), request.body, actor)
    return balance_body(changed)


@routes.route(
    "/balances/{ref}",
    methods=["POST"],
    roles=STORE_ROLES,
    summary="Change a balance with a POST that says `_method=PUT` (Alpha)",
    request_model=balances.BalanceChange,
    response_model=Balance,
    errors=CHANGE_ERRORS,
)
def post_balance(request: ApiRequest, ref: str) -> dict[str, Any]:
    """For clients that can only POST: the body's `_method` must say PUT."""
    if request.spoofed_method(("PUT",)) is None:
        raise InvalidInputError({"_method": ["The method field is required."]})
    return put_balance(request, ref)
