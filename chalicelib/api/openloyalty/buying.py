"""Open Loyalty buying: campaigns available to a customer, and buying one with points.

- `GET /api/{storeCode}/admin/customer/{customer}/campaign/available` (admin),
  `GET /api/{storeCode}/seller/customer/{customer}/campaign/available` (seller or admin) and
  `GET /api/{storeCode}/customer/campaign/available` (the logged-in customer).
- `POST /api/{storeCode}/admin/customer/{customer}/campaign/{campaign}/buy` (admin;
  `withoutPoints`, `quantity`), `POST /api/{storeCode}/seller/customer/{customer}/campaign/
  {campaign}/buy` (seller or admin; `quantity`) and `POST /api/{storeCode}/customer/campaign/
  {campaign}/buy` (the logged-in customer, for themself) → `{"coupons": [{"code", "id"}]}`.

The customer endpoints only ever use the token's subject: a customer cannot name another.
"""

from __future__ import annotations

from typing import Any

from chalicelib.api.openloyalty.buying_schemas import AvailableCampaigns, BoughtCoupons
from chalicelib.api.openloyalty.campaigns import nested_query
from chalicelib.api.openloyalty.errors import Refusal, openloyalty_routes
from chalicelib.api.request import ApiRequest
from chalicelib.domain.access.auth import Role
from chalicelib.domain.catalog import buying
from chalicelib.domain.catalog.campaigns import (
    CampaignInactiveError,
    CampaignNotFoundError,
    CampaignNotTargetedError,
    CampaignNotVisibleError,
)
from chalicelib.domain.catalog.forms import NOT_AN_OBJECT
from chalicelib.domain.customers.records import CustomerNotFoundError
from chalicelib.domain.errors import ConflictError, InvalidInputError, RewardsError
from chalicelib.domain.points.ledger import InsufficientPointsError
from chalicelib.domain.rewards.handout import (
    LimitPerUserReachedError,
    LimitReachedError,
    NoCouponsLeftError,
)

ADMIN_PATH = "/api/{storeCode}/admin/customer/{customer}/campaign"
SELLER_PATH = "/api/{storeCode}/seller/customer/{customer}/campaign"
CUSTOMER_PATH = "/api/{storeCode}/customer/campaign"
# The query string (page, sort, filters, additionalPoints) is checked: 400 when invalid.
AVAILABLE_ERRORS = (CustomerNotFoundError, InvalidInputError)
# Why a buy is refused; a busy campaign (ConflictError) is worth a retry.
BUY_ERRORS = (
    CampaignNotFoundError,  # also inactive; for a seller or customer: not offered to them
    CustomerNotFoundError,
    Refusal,  # 400 {"error": "Not enough points"}: Open Loyalty's words, the code beside
    ConflictError,
)

routes = openloyalty_routes(__name__)


def _available(request: ApiRequest, customer_id: str, internal: bool) -> buying.Available:
    # Its filters nest (`labels[0][key]`): read from the query string as the catalog's lists.
    wanted = buying.AvailableQuery.read(nested_query(request))
    return buying.available_campaigns(request.store_code, customer_id, wanted, internal)


# Open Loyalty's words for each refusal of a buy (its own integration tests expect them).
OPEN_LOYALTY_WORDS: tuple[tuple[type[RewardsError], str], ...] = (
    (NoCouponsLeftError, "No coupons left"),
    (InsufficientPointsError, "Not enough points"),
    (LimitReachedError, "Limit exceeded"),
    (LimitPerUserReachedError, "Limit per customer exceeded"),
    (buying.CashbackNotBuyableError, "This campaign cannot be bought manually."),
)
NOT_OFFERED = (CampaignNotVisibleError, CampaignNotTargetedError)


def _buy_form(request: ApiRequest) -> dict[str, Any]:
    """The buy's fields: the body's (form or JSON), and the query string's over them, as the
    document's server reads them."""
    body = request.body
    if body is not None and not isinstance(body, dict):
        raise InvalidInputError(NOT_AN_OBJECT)
    return {**(body or {}), **request.query}


def _buy(request: ApiRequest, customer_id: str, campaign_id: str) -> buying.Receipt:
    principal = request.principal
    form = buying.BuyForm.read(_buy_form(request)).allowed(principal.role is Role.ADMIN)
    try:
        return buying.buy_coupons(
            request.store_code, customer_id, campaign_id, form, principal.actor, request.progress
        )
    except CampaignInactiveError as error:
        raise CampaignNotFoundError(code=error.code) from error
    except NOT_OFFERED as error:
        # A seller or a customer does not learn of a campaign not offered to the customer.
        if principal.role is not Role.ADMIN:
            raise CampaignNotFoundError(code=error.code) from error
        raise Refusal("Not allowed", error) from error
    except RewardsError as error:
        for refused, words in OPEN_LOYALTY_WORDS:
            if isinstance(error, refused):
                raise Refusal(words, error) from error
        raise


@routes.route(
    ADMIN_PATH + "/available",
    methods=["GET"],
    summary="Get available campaigns for a customer",
    query_model=buying.AvailableQuery,
    errors=AVAILABLE_ERRORS,
)
def admin_available(request: ApiRequest, storeCode: str, customer: str) -> AvailableCampaigns:
    return _available(request, customer, internal=True)


@routes.route(
    SELLER_PATH + "/available",
    methods=["GET"],
    summary="Get available campaigns for a customer (seller)",
    query_model=buying.AvailableQuery,
    errors=AVAILABLE_ERRORS,
)
def seller_available(request: ApiRequest, storeCode: str, customer: str) -> AvailableCampaigns:
    return _available(request, customer, internal=True)


@routes.route(
    CUSTOMER_PATH + "/available",
    methods=["GET"],
    summary="Get all campaigns available for a logged-in customer",
    query_model=buying.AvailableQuery,
    errors=AVAILABLE_ERRORS,
)
def customer_available(request: ApiRequest, storeCode: str) -> AvailableCampaigns:
    return _available(request, request.principal.subject, internal=False)


@routes.route(
    ADMIN_PATH + "/{campaign}/buy",
    methods=["POST"],
    summary="Buy reward campaign for a specific customer (admin)",
    request_model=buying.BuyForm,
    query_model=buying.BuyForm,
    errors=BUY_ERRORS,
)
def admin_buy(request: ApiRequest, storeCode: str, customer: str, campaign: str) -> BoughtCoupons:
    return _buy(request, customer, campaign)


@routes.route(
    SELLER_PATH + "/{campaign}/buy",
    methods=["POST"],
    summary="Buy a reward campaign for a specific customer (seller)",
    request_model=buying.BuyForm,
    query_model=buying.BuyForm,
    errors=BUY_ERRORS,
)
def seller_buy(request: ApiRequest, storeCode: str, customer: str, campaign: str) -> BoughtCoupons:
    return _buy(request, customer, campaign)


@routes.route(
    CUSTOMER_PATH + "/{campaign}/buy",
    methods=["POST"],
    summary="Buy a reward campaign for the logged-in customer",
    request_model=buying.BuyForm,
    query_model=buying.BuyForm,
    errors=BUY_ERRORS,
)
def customer_buy(request: ApiRequest, storeCode: str, campaign: str) -> BoughtCoupons:
    return _buy(request, request.principal.subject, campaign)
