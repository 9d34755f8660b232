"""Open Loyalty cashback: simulate, redeem, and the payout provider's callback.

- `POST /api/{storeCode}/admin/campaign/cashback/simulate` and `.../admin/campaign/cashback/redeem`
  (admin JWT): `customerId`, `pointsAmount`, optional `cashbackId`.
- `POST /api/{storeCode}/customer/campaign/cashback/redeem` (the customer's JWT): `pointsAmount`,
  `cashbackId`; the points are the logged-in customer's own.
- `POST /api/{storeCode}/campaign/cashback/callback/{provider}`: the provider's message, in the
  body (JSON or form) or in a `Content` header as the document sends it; authenticated by the
  provider's signature, or by the store admin's JWT as in the document's example.

Bodies are the document's forms or the same as JSON; the rules are in `domain.catalog.cashback`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from chalicelib.api.openloyalty import access
from chalicelib.api.openloyalty.cashback_schemas import (
    CashbackQuote,
    CashbackRedemption,
    CashbackSettlement,
)
from chalicelib.api.openloyalty.errors import openloyalty_routes
from chalicelib.api.request import ApiRequest, media_type
from chalicelib.api.security import authenticate
from chalicelib.domain.catalog import cashback
from chalicelib.domain.catalog.campaigns import (
    CampaignInactiveError,
    CampaignNotTargetedError,
    CampaignNotVisibleError,
)
from chalicelib.domain.catalog.payout_providers import Callback
from chalicelib.domain.customers.records import CustomerNotFoundError
from chalicelib.domain.errors import ConflictError, PermissionDeniedError
from chalicelib.domain.points.ledger import InsufficientPointsError
from chalicelib.domain.rewards.handout import LimitPerUserReachedError, LimitReachedError

ADMIN_CASHBACK = "/api/{storeCode}/admin/campaign/cashback"

# Why a named cashback campaign cannot be used by this customer now.
UNUSABLE = (
    cashback.CashbackNotFoundError,
    CampaignInactiveError,
    CampaignNotVisibleError,
    CampaignNotTargetedError,
)
# Why redeeming a quote is refused when writing it; ConflictError: the balance stayed busy.
REDEEM_ERRORS = (
    InsufficientPointsError,
    LimitReachedError,
    LimitPerUserReachedError,
    ConflictError,
)
QUOTE_ERRORS = (
    CustomerNotFoundError,
    cashback.NoCashbackAvailableError,  # no `cashbackId`, and no campaign fits
    *UNUSABLE,
    cashback.RewardTooSmallError,
)

routes = openloyalty_routes(__name__)


def quote_body(quote: cashback.Quote) -> dict[str, Any]:
    return {
        "customerId": quote.customer.customer_id,
        "pointsAmount": quote.points,
        "pointValue": quote.point_value,
        "rewardAmount": quote.reward_amount,
        "cashbackId": quote.campaign.campaign_id,
    }


def redemption_body(redemption: cashback.Redemption) -> dict[str, Any]:
    payout = redemption.payout
    return {**quote_body(redemption.quote), "payoutId": payout.payout_id, "status": payout.status}


def settlement_body(settled: cashback.Settlement) -> dict[str, Any]:
    payout, status = settled.payout, settled.message.status
    return {
        "couponId": payout.payout_id,
        "id": settled.message.order_id,
        "customerId": payout.customer_id,
        "code": status.code,
        "message": status.message,
        "provider": settled.provider.name,
        "failed": settled.failed,
        "status": payout.status,
    }


@routes.route(
    ADMIN_CASHBACK + "/simulate",
    methods=["POST"],
    summary="Simulate cashback: what a customer's points would bring (Open Loyalty)",
    request_model=cashback.CashbackForm,
    errors=QUOTE_ERRORS,
    response_model=CashbackQuote,
)
def simulate(request: ApiRequest, storeCode: str) -> dict[str, Any]:
    quote = cashback.quote(request.store_code, cashback.read_order(request.body))
    # The document's simulate writes the point value as a decimal string ("3.00"); its redeem
    # answers a number.
    return {**quote_body(quote), "pointValue": money_text(quote.point_value)}


def money_text(value: Decimal) -> str:
    """`3` → "3.00", `0.125` → "0.125": two decimals at least, none of the value's lost."""
    exponent = value.normalize().as_tuple().exponent
    places = max(2, -exponent if isinstance(exponent, int) else 2)
    return f"{value:.{places}f}"


@routes.route(
    ADMIN_CASHBACK + "/redeem",
    methods=["POST"],
    summary="Redeem cashback (admin): a customer's points for money (Open Loyalty)",
    request_model=cashback.CashbackForm,
    errors=(*QUOTE_ERRORS, *REDEEM_ERRORS),
    response_model=CashbackRedemption,
)
def redeem_for_customer(request: ApiRequest, storeCode: str) -> dict[str, Any]:
    order = cashback.read_order(request.body)
    actor = request.principal.actor if request.principal else None
    return redemption_body(cashback.redeem(request.store_code, order, actor))


@routes.route(
    "/api/{storeCode}/customer/campaign/cashback/redeem",
    methods=["POST"],
    summary="Redeem cashback (customer): one's own points for money (Open Loyalty)",
    request_model=cashback.CashbackForm,
    errors=(
        CustomerNotFoundError,
        *UNUSABLE,
        cashback.RewardTooSmallError,
        *REDEEM_ERRORS,
    ),
    response_model=CashbackRedemption,
)
def redeem_own(request: ApiRequest, storeCode: str) -> dict[str, Any]:
    principal = request.principal
    assert principal is not None
    order = cashback.read_order(request.body, customer_id=principal.subject)
    return redemption_body(cashback.redeem(request.store_code, order, principal.actor))


@routes.route(
    "/api/{storeCode}/campaign/cashback/callback/{provider}",
    methods=["POST"],
    summary="Cashback provider callback: a payout's status from its provider (Open Loyalty)",
    errors=(
        cashback.ProviderNotFoundError,
        cashback.CallbackNotAuthenticError,  # neither the provider's signature nor an admin
        PermissionDeniedError,  # a token that is not this store's admin's
        cashback.PayoutNotFoundError,
    ),
    response_model=CashbackSettlement,
)
def provider_callback(request: ApiRequest, storeCode: str, provider: str) -> dict[str, Any]:
    raw = request.raw
    headers = {name.lower(): value for name, value in raw.headers.items()}
    # The document's example carries an admin token; providers sign instead.
    trusted = "authorization" in headers
    if trusted:
        request.principal = authenticate(request, access.ADMIN)
    callback = Callback(raw.raw_body or b"", media_type(raw), headers)
    return settlement_body(cashback.settle(storeCode, provider, callback, trusted=trusted))
