"""Open Loyalty campaign catalog: campaigns, lists, state, coupons, seller views.

Every path is under `/api/{storeCode}/` as the document writes it. Admin endpoints take an
admin JWT; the seller views a seller's (or an admin's); the public list needs no login.
Bodies are the document's forms (bracket keys) or the same as JSON.
"""

from __future__ import annotations

import functools
from typing import Any
from urllib.parse import urlencode

from chalicelib.api.forms import parse_form
from chalicelib.api.openloyalty.campaigns_schemas import (
    ActiveCampaigns,
    Campaign,
    CampaignId,
    Campaigns,
    CouponsChange,
)
from chalicelib.api.openloyalty.errors import openloyalty_routes
from chalicelib.api.request import ApiRequest
from chalicelib.domain.access import stores
from chalicelib.domain.access.auth import Role
from chalicelib.domain.catalog import buying, entries, listing
from chalicelib.domain.catalog.campaign_form import CampaignForm, CampaignInput
from chalicelib.domain.catalog.campaigns import CampaignNotFoundError
from chalicelib.domain.catalog.listing import ListQuery
from chalicelib.domain.errors import InvalidInputError, NotFoundError

CAMPAIGNS = "/api/{storeCode}/campaign"
# A list's or a view's query string (page, sort, filters, locale) is checked: 400 when invalid.
QUERY_ERRORS = (InvalidInputError,)

routes = openloyalty_routes(__name__)


def nested_query(request: ApiRequest) -> dict[str, Any]:
    """The query string with bracket keys nested (`labels[0][key]`, `categoryId[]`), which the
    flat query dict would lose."""
    params = request.raw.query_params or {}
    return parse_form(urlencode([(key, value) for key in params for value in params.getlist(key)]))


def list_query(request: ApiRequest) -> ListQuery:
    """The lists' and the views' typed query (a 400 naming every bad parameter)."""
    return listing.list_query(nested_query(request))


# The form's fields are documented (`CampaignForm`); the handler gets the form read
# (`CampaignInput`), its findings raised once the ids are checked against the store.
@routes.route(
    CAMPAIGNS,
    methods=["POST"],
    summary="Create a new campaign",
    request_model=CampaignForm,
    body_key="campaign",
)
def create_campaign(request: ApiRequest, storeCode: str, body: CampaignInput) -> CampaignId:
    return entries.create_campaign(request.store_code, body.draft)


@routes.route(
    CAMPAIGNS,
    methods=["GET"],
    summary="Get a collection of campaigns",
    query_model=ListQuery,
    errors=QUERY_ERRORS,
)
def list_campaigns(request: ApiRequest, storeCode: str) -> Campaigns:
    return listing.list_campaigns(request.store_code, list_query(request), internal=True)


@routes.route(
    CAMPAIGNS + "/active",
    methods=["GET"],
    summary="Get a collection of active campaigns",
    query_model=ListQuery,
    errors=QUERY_ERRORS,
)
def active_campaigns(request: ApiRequest, storeCode: str) -> ActiveCampaigns:
    return listing.active_campaigns(request.store_code, list_query(request))


@routes.route(
    CAMPAIGNS + "/public/available",
    methods=["GET"],
    summary="Get a collection of publicly available campaigns (no login needed): public and "
    "active ones only",
    query_model=ListQuery,
    errors=(NotFoundError, *QUERY_ERRORS),
)
def public_campaigns(request: ApiRequest, storeCode: str) -> Campaigns:
    # Public: the store is the one the path names (a credential sent along is not read).
    if not stores.STORE_CODE.match(storeCode):
        raise NotFoundError(f"Store {storeCode[:64]} does not exist.")
    stores.get_store(storeCode)
    return listing.public_campaigns(storeCode, list_query(request))


@routes.route(
    CAMPAIGNS + "/{campaign}",
    methods=["GET"],
    summary="Get campaign details (the admin's view; a seller's or a customer's has less, and a "
    "customer reads only a campaign offered to them)",
    query_model=ListQuery,
    errors=(CampaignNotFoundError, buying.CampaignNotOfferedError, *QUERY_ERRORS),
)
def campaign_details(request: ApiRequest, storeCode: str, campaign: str) -> Campaign:
    principal = request.principal
    role, subject = (principal.role, principal.subject) if principal else (None, "")
    allowed = (
        functools.partial(buying.ensure_visible_to, request.store_code, subject)
        if role is Role.CUSTOMER
        else None
    )
    return listing.details(
        request.store_code, campaign, list_query(request), role is Role.ADMIN, allowed
    )


@routes.route(
    CAMPAIGNS + "/{campaign}",
    methods=["PUT"],
    summary="Update a campaign",
    request_model=CampaignForm,
    body_key="campaign",
    errors=(CampaignNotFoundError,),
)
def update_campaign(
    request: ApiRequest, storeCode: str, campaign: str, body: CampaignInput
) -> CampaignId:
    return entries.update_campaign(request.store_code, campaign, body.draft)


@routes.route(
    CAMPAIGNS + "/{campaign}/active",
    methods=["POST"],
    summary="Change a campaign's state to active",
    errors=(CampaignNotFoundError,),
)
def activate_campaign(request: ApiRequest, storeCode: str, campaign: str) -> CampaignId:
    return entries.set_active(request.store_code, campaign, active=True)


@routes.route(
    CAMPAIGNS + "/{campaign}/inactive",
    methods=["POST"],
    summary="Change a campaign's state to inactive",
    errors=(CampaignNotFoundError,),
)
def deactivate_campaign(request: ApiRequest, storeCode: str, campaign: str) -> CampaignId:
    return entries.set_active(request.store_code, campaign, active=False)


def wants_representation(request: ApiRequest) -> bool:
    """`Prefer: return=representation` (RFC 7240): the client asks for a body where the
    document answers none."""
    prefer = (request.raw.headers or {}).get("prefer") or ""
    return any(part.strip().lower() == "return=representation" for part in prefer.split(","))


@routes.route(
    CAMPAIGNS + "/{campaign}/coupons",
    methods=["POST"],
    summary="Replace or append campaign's coupons: 204 as the document answers; with "
    "`Prefer: return=representation`, 200 and what changed in the pool",
    # The answer is optional (204 without the preference): its model is declared here.
    response_model=CouponsChange,
    errors=(CampaignNotFoundError,),
)
def put_coupons(
    request: ApiRequest, storeCode: str, campaign: str, body: entries.CouponsForm
) -> entries.CouponsPut | None:
    change = entries.put_coupons(request.store_code, campaign, body, request.progress)
    return change if wants_representation(request) else None


@routes.route(
    "/api/{storeCode}/seller/campaign",
    methods=["GET"],
    summary="Get a campaign collection (seller)",
    query_model=ListQuery,
    errors=QUERY_ERRORS,
)
def seller_campaigns(request: ApiRequest, storeCode: str) -> Campaigns:
    return listing.list_campaigns(request.store_code, list_query(request), internal=True)


@routes.route(
    "/api/{storeCode}/seller/campaign/{campaign}",
    methods=["GET"],
    summary="Get campaign details (seller)",
    query_model=ListQuery,
    errors=(CampaignNotFoundError, *QUERY_ERRORS),
)
def seller_campaign_details(request: ApiRequest, storeCode: str, campaign: str) -> Campaign:
    return listing.details(request.store_code, campaign, list_query(request), internal=True)
