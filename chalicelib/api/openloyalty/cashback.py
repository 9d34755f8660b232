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

from chalicelib.api.openloyalty import access
from chalicelib.api.openloyalty.cashback_schemas import (
    CashbackQuote,
    CashbackRedemption,
    CashbackSettlement,
)
from chalicelib.api.openloyalty.errors import openloyalty_routes
from chalicelib.api.request import ApiRequest, media_type
from chalicelib.api.security import authenticate
from chalicelib.domain.catalog import cashback, cashback_settlement
from chalicelib.domain.catalog.campaigns import (
    CampaignInactiveError,
    CampaignNotTargetedError,
    CampaignNotVisibleError,
)
from chalicelib.domain.catalog.cashback import CashbackForm, Order, OwnCashbackForm
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


@routes.route(
    ADMIN_CASHBACK + "/simulate",
    methods=["POST"],
    summary="Simulate cashback: what a customer's points would bring (Open Loyalty)",
    errors=QUOTE_ERRORS,
)
def simulate(request: ApiRequest, storeCode: str, body: CashbackForm) -> CashbackQuote:
    return cashback.quote(request.store_code, Order.of(body))


@routes.route(
    ADMIN_CASHBACK + "/redeem",
    methods=["POST"],
    summary="Redeem cashback (admin): a customer's points for money (Open Loyalty)",
    errors=(*QUOTE_ERRORS, *REDEEM_ERRORS),
)
def redeem_for_customer(
    request: ApiRequest, storeCode: str, body: CashbackForm
) -> CashbackRedemption:
    actor = request.principal.actor if request.principal else None
    return cashback.redeem(request.store_code, Order.of(body), actor)


@routes.route(
    "/api/{storeCode}/customer/campaign/cashback/redeem",
    methods=["POST"],
    summary="Redeem cashback (customer): one's own points for money (Open Loyalty)",
    errors=(
        CustomerNotFoundError,
        *UNUSABLE,
        cashback.RewardTooSmallError,
        *REDEEM_ERRORS,
    ),
)
def redeem_own(request: ApiRequest, storeCode: str, body: OwnCashbackForm) -> CashbackRedemption:
    principal = request.principal
    assert principal is not None
    order = Order.of(body, customer_id=principal.subject)
    return cashback.redeem(request.store_code, order, principal.actor)


@routes.route(
    "/api/{storeCode}/campaign/cashback/callback/{provider}",
    methods=["POST"],
    summary="Cashback provider callback: a payout's status from its provider (Open Loyalty)",
    errors=(
        cashback_settlement.ProviderNotFoundError,
        # neither the provider's signature nor an admin
        cashback_settlement.CallbackNotAuthenticError,
        PermissionDeniedError,  # a token that is not this store's admin's
        cashback_settlement.PayoutNotFoundError,
    ),
)
def provider_callback(request: ApiRequest, storeCode: str, provider: str) -> CashbackSettlement:
    raw = request.raw
    headers = {name.lower(): value for name, value in raw.headers.items()}
    # The document's example carries an admin token; providers sign instead.
    trusted = "authorization" in headers
    if trusted:
        request.principal = authenticate(request, access.ADMIN)
    callback = Callback(raw.raw_body or b"", media_type(raw), headers)
    return cashback_settlement.settle(storeCode, provider, callback, trusted=trusted)
