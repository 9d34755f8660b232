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
from chalicelib.domain.catalog import buying, entries
from chalicelib.domain.catalog.campaign_form import CampaignForm
from chalicelib.domain.catalog.campaigns import CampaignNotFoundError
from chalicelib.domain.errors import InvalidInputError, NotFoundError

CAMPAIGNS = "/api/{storeCode}/campaign"
# A list's or a view's query string (page, sort, filters, locale) is checked: 400 when invalid.
QUERY_ERRORS = (InvalidInputError,)

routes = openloyalty_routes(__name__)


def nested_query(request: ApiRequest) -> dict[str, Any]:
    """The query string with bracket keys nested (`labels[0][key]`, `categoryId[]`)."""
    params = request.raw.query_params or {}
    return parse_form(urlencode([(key, value) for key in params for value in params.getlist(key)]))


@routes.route(
    CAMPAIGNS,
    methods=["POST"],
    summary="Create a new campaign",
    request_model=CampaignForm,
    body_key="campaign",
    response_model=CampaignId,
)
def create_campaign(request: ApiRequest, storeCode: str) -> dict[str, Any]:
    return {"campaignId": entries.create_campaign(request.store_code, request.body)}


@routes.route(
    CAMPAIGNS,
    methods=["GET"],
    summary="Get a collection of campaigns",
    query_model=entries.ListQuery,
    response_model=Campaigns,
    errors=QUERY_ERRORS,
)
def list_campaigns(request: ApiRequest, storeCode: str) -> dict[str, Any]:
    return entries.list_campaigns(request.store_code, nested_query(request), internal=True)


@routes.route(
    CAMPAIGNS + "/active",
    methods=["GET"],
    summary="Get a collection of active campaigns",
    query_model=entries.ListQuery,
    response_model=ActiveCampaigns,
    errors=QUERY_ERRORS,
)
def active_campaigns(request: ApiRequest, storeCode: str) -> dict[str, Any]:
    return entries.active_campaigns(request.store_code, nested_query(request))


@routes.route(
    CAMPAIGNS + "/public/available",
    methods=["GET"],
    summary="Get a collection of publicly available campaigns (no login needed): public and "
    "active ones only",
    query_model=entries.ListQuery,
    response_model=Campaigns,
    errors=(NotFoundError, *QUERY_ERRORS),
)
def public_campaigns(request: ApiRequest, storeCode: str) -> dict[str, Any]:
    # Public: the store is the one the path names (a credential sent along is not read).
    if not stores.STORE_CODE.match(storeCode):
        raise NotFoundError(f"Store {storeCode[:64]} does not exist.")
    stores.get_store(storeCode)
    return entries.public_campaigns(storeCode, nested_query(request))


@routes.route(
    CAMPAIGNS + "/{campaign}",
    methods=["GET"],
    summary="Get campaign details (the admin's view; a seller's or a customer's has less, and a "
    "customer reads only a campaign offered to them)",
    query_model=entries.ListQuery,
    response_model=Campaign,
    errors=(CampaignNotFoundError, buying.CampaignNotOfferedError, *QUERY_ERRORS),
)
def campaign_details(request: ApiRequest, storeCode: str, campaign: str) -> dict[str, Any]:
    principal = request.principal
    role, subject = (principal.role, principal.subject) if principal else (None, "")
    allowed = (
        functools.partial(buying.ensure_visible_to, request.store_code, subject)
        if role is Role.CUSTOMER
        else None
    )
    return entries.details(
        request.store_code, campaign, nested_query(request), role is Role.ADMIN, allowed
    )


@routes.route(
    CAMPAIGNS + "/{campaign}",
    methods=["PUT"],
    summary="Update a campaign",
    request_model=CampaignForm,
    body_key="campaign",
    response_model=CampaignId,
    errors=(CampaignNotFoundError,),
)
def update_campaign(request: ApiRequest, storeCode: str, campaign: str) -> dict[str, Any]:
    return {"campaignId": entries.update_campaign(request.store_code, campaign, request.body)}


@routes.route(
    CAMPAIGNS + "/{campaign}/active",
    methods=["POST"],
    summary="Change a campaign's state to active",
    response_model=CampaignId,
    errors=(CampaignNotFoundError,),
)
def activate_campaign(request: ApiRequest, storeCode: str, campaign: str) -> dict[str, str]:
    return {"campaignId": entries.set_active(request.store_code, campaign, active=True)}


@routes.route(
    CAMPAIGNS + "/{campaign}/inactive",
    methods=["POST"],
    summary="Change a campaign's state to inactive",
    response_model=CampaignId,
    errors=(CampaignNotFoundError,),
)
def deactivate_campaign(request: ApiRequest, storeCode: str, campaign: str) -> dict[str, str]:
    return {"campaignId": entries.set_active(request.store_code, campaign, active=False)}


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
    request_model=entries.CouponsForm,
    response_model=CouponsChange,
    errors=(CampaignNotFoundError,),
)
def put_coupons(request: ApiRequest, storeCode: str, campaign: str) -> dict[str, Any] | None:
    change = entries.put_coupons(request.store_code, campaign, request.body, request.progress)
    return change if wants_representation(request) else None


@routes.route(
    "/api/{storeCode}/seller/campaign",
    methods=["GET"],
    summary="Get a campaign collection (seller)",
    query_model=entries.ListQuery,
    response_model=Campaigns,
    errors=QUERY_ERRORS,
)
def seller_campaigns(request: ApiRequest, storeCode: str) -> dict[str, Any]:
    return entries.list_campaigns(request.store_code, nested_query(request), internal=True)


@routes.route(
    "/api/{storeCode}/seller/campaign/{campaign}",
    methods=["GET"],
    summary="Get campaign details (seller)",
    query_model=entries.ListQuery,
    response_model=Campaign,
    errors=(CampaignNotFoundError, *QUERY_ERRORS),
)
def seller_campaign_details(request: ApiRequest, storeCode: str, campaign: str) -> dict[str, Any]:
    return entries.details(request.store_code, campaign, nested_query(request), internal=True)
