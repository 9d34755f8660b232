"""Levels, segments and campaign categories (admin), and a customer's level and segments.

Also who a campaign is visible to (`/campaign/{campaign}/customers/visible`), from its level or
segment targeting. Forms follow the Open Loyalty document: `level[name]`, `segment[name]`,
`campaign_category[name]`, as form data with bracket keys or the same as JSON.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import unquote

from pydantic import BeforeValidator, Field

from chalicelib.api.openloyalty.errors import openloyalty_routes
from chalicelib.api.openloyalty.targeting_schemas import (
    CampaignCategories,
    CampaignCategory,
    CampaignCategoryCreated,
    CustomerLevel,
    Level,
    LevelCreated,
    Levels,
    LoyaltyCustomers,
    Segment,
    SegmentCreated,
    SegmentMembersAdded,
    Segments,
    VisibleCustomers,
)
from chalicelib.api.request import ApiRequest
from chalicelib.domain.access import stores
from chalicelib.domain.catalog import targeting, usage
from chalicelib.domain.catalog.campaigns import CampaignNotFoundError, get_campaign
from chalicelib.domain.catalog.entries import time_of
from chalicelib.domain.catalog.targeting import (
    CategoryNotFoundError,
    LevelInUseError,
    LevelNotFoundError,
    SegmentMemberNotFoundError,
    SegmentNotFoundError,
    TooManyMembersError,
)
from chalicelib.domain.customers.records import CustomerNotFoundError
from chalicelib.domain.errors import ConflictError, InvalidInputError
from chalicelib.domain.paging import page_of
from chalicelib.domain.validation import InputModel, validate
from chalicelib.storage.customers import CustomerModel
from chalicelib.storage.targeting import CategoryModel, LevelModel, SegmentModel

routes = openloyalty_routes(__name__)

DEFAULT_PER_PAGE = 10
MAX_PER_PAGE = 1000
MAX_PAGE = 100_000
STORE_PATH = "/api/{storeCode}"
LEVELS_PATH = STORE_PATH + "/level"
LEVEL_PATH = LEVELS_PATH + "/{level}"
SEGMENTS_PATH = STORE_PATH + "/segment"
SEGMENT_PATH = SEGMENTS_PATH + "/{segment}"
MEMBERS_PATH = SEGMENT_PATH + "/customers"
CATEGORIES_PATH = STORE_PATH + "/campaignCategory"
CATEGORY_PATH = CATEGORIES_PATH + "/{campaignCategory}"
CUSTOMER_PATH = STORE_PATH + "/customer/{customer}"
# `page` and `perPage` of a list are checked: 400 when out of range.
PAGING_ERRORS = (InvalidInputError,)


def _whole_number(name: str, maximum: int) -> Any:
    """A query value that is a whole number from 1 to `maximum`."""

    def check(value: Any) -> int:
        text = str(value).strip()
        if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= maximum:
            raise ValueError(f"The {name} must be a whole number from 1 to {maximum}.")
        return int(text)

    return Annotated[int, Field(ge=1, le=maximum), BeforeValidator(check)]


class ListPageQuery(InputModel):
    """A list's `page` (from 1) and `perPage`; a blank one takes its default."""

    page: _whole_number("page", MAX_PAGE) = 1
    perPage: _whole_number("perPage", MAX_PER_PAGE) = DEFAULT_PER_PAGE


def paging(request: ApiRequest) -> tuple[int, int]:
    """`page` and `perPage` of the query string."""
    given = {name: request.query.get(name, "").strip() for name in ListPageQuery.model_fields}
    query = validate(ListPageQuery, {name: value for name, value in given.items() if value})
    return query.page, query.perPage


def _paged(request: ApiRequest, name: str, items: list[Any], body: Any) -> dict[str, Any]:
    shown = page_of(items, *paging(request))
    return {name: [body(item) for item in shown], "total": len(items)}


def level_body(level: LevelModel) -> dict[str, Any]:
    return {
        "levelId": level.level_id,
        "name": level.name,
        "description": level.description,
        "active": level.active,
        "conditionValue": level.condition_value,
        "customersCount": targeting.level_customers_count(level.store_code, level.level_id),
        "createdAt": time_of(level.created_at),
        "updatedAt": time_of(level.updated_at),
    }


def segment_body(segment: SegmentModel) -> dict[str, Any]:
    return {
        "segmentId": segment.segment_id,
        "name": segment.name,
        "description": segment.description,
        "active": segment.active,
        "customersCount": int(segment.customers_count or 0),
        "createdAt": time_of(segment.created_at),
        "updatedAt": time_of(segment.updated_at),
    }


def category_body(category: CategoryModel) -> dict[str, Any]:
    return {
        "campaignCategoryId": category.category_id,
        "name": category.name,
        "active": category.active,
        "sortOrder": int(category.sort_order or 0),
    }


# The document's customer address fields, from the recipient fields we keep.
ADDRESS = (
    ("street", "address1"),
    ("address1", "address2"),
    ("address2", "address3"),
    ("city", "town"),
    ("postal", "postcode"),
)


def customer_body(customer: CustomerModel) -> dict[str, Any]:
    """The customer as the document shows it, with the fields this service keeps."""
    body: dict[str, Any] = {
        "customerId": customer.customer_id,
        "active": customer.active,
        "firstName": customer.firstname,
        "lastName": customer.surname,
        "email": customer.email,
        "phone": customer.telephone,
        "createdAt": time_of(customer.created_at),
        "updatedAt": time_of(customer.updated_at),
        "levelId": customer.level_id,
        "segments": sorted(customer.segment_ids or ()),
    }
    address = {name: getattr(customer, field) for name, field in ADDRESS}
    address["country"] = customer.country_code.upper() if customer.country_code else None
    if any(address.values()):
        body["address"] = {name: value for name, value in address.items() if value}
    return body


def _purchase(purchase: usage.Purchase) -> dict[str, Any]:
    return {
        "purchaseAt": time_of(purchase.purchased_at),
        "costInPoints": purchase.cost_in_points,
        "campaignId": {"campaignId": purchase.campaign_id},
        "used": purchase.used,
        "coupon": {"code": purchase.coupon_code},
    }


def visible_customer_body(
    customer: CustomerModel, purchases: list[usage.Purchase], currency: str
) -> dict[str, Any]:
    """The customer with every field the document lists for `customers/visible`: what this
    service does not keep (gender, birth date, card, agreements, transactions) is null, false
    or zero, always of the same type."""
    level_id = customer.level_id
    return {
        **customer_body(customer),
        "gender": None,
        "birthDate": None,
        "loyaltyCardNumber": None,
        # Levels are only ever given by an admin here (`POST .../customer/{id}/level`).
        "manuallyAssignedLevelId": {"levelId": level_id} if level_id else None,
        "agreement1": False,
        "agreement2": False,
        "agreement3": False,
        "campaignPurchases": [_purchase(purchase) for purchase in purchases],
        "transactionsCount": 0,
        "transactionsAmount": 0,
        "transactionsAmountWithoutDeliveryCosts": 0,
        "amountExcludedForLevel": 0,
        "averageTransactionAmount": 0,
        "lastTransactionDate": None,
        "currency": currency.lower(),
        "levelPercent": None,
    }


def _customers(page: targeting.CustomerPage) -> dict[str, Any]:
    return {"customers": [customer_body(c) for c in page.customers], "total": page.total}


# --- levels -----------------------------------------------------------------------------------


@routes.route(
    LEVELS_PATH,
    methods=["POST"],
    summary="Create a level",
    request_model=targeting.LevelInput,
    body_key="level",
    response_model=LevelCreated,
)
def create_level(request: ApiRequest, storeCode: str) -> dict[str, Any]:
    return {"id": targeting.create_level(request.store_code, request.body).level_id}


@routes.route(
    LEVELS_PATH,
    methods=["GET"],
    summary="Get a collection of levels",
    errors=PAGING_ERRORS,
    query_model=ListPageQuery,
    response_model=Levels,
)
def list_levels(request: ApiRequest, storeCode: str) -> dict[str, Any]:
    return _paged(request, "levels", targeting.list_levels(request.store_code), level_body)


@routes.route(
    LEVEL_PATH,
    methods=["GET"],
    summary="Get level details",
    errors=(LevelNotFoundError,),
    response_model=Level,
)
def get_level(request: ApiRequest, storeCode: str, level: str) -> dict[str, Any]:
    return level_body(targeting.get_level(request.store_code, unquote(level)))


@routes.route(
    LEVEL_PATH,
    methods=["PUT"],
    summary="Update a level",
    errors=(LevelNotFoundError,),
    request_model=targeting.LevelInput,
    body_key="level",
    response_model=Level,
)
def update_level(request: ApiRequest, storeCode: str, level: str) -> dict[str, Any]:
    return level_body(targeting.update_level(request.store_code, unquote(level), request.body))


@routes.route(
    LEVEL_PATH,
    methods=["DELETE"],
    summary="Delete a level that no customer holds",
    errors=(LevelNotFoundError, LevelInUseError),
)
def delete_level(request: ApiRequest, storeCode: str, level: str) -> None:
    targeting.delete_level(request.store_code, unquote(level))


# --- segments ---------------------------------------------------------------------------------


@routes.route(
    SEGMENTS_PATH,
    methods=["POST"],
    summary="Create a segment",
    request_model=targeting.SegmentInput,
    body_key="segment",
    response_model=SegmentCreated,
)
def create_segment(request: ApiRequest, storeCode: str) -> dict[str, Any]:
    return {"segmentId": targeting.create_segment(request.store_code, request.body).segment_id}


@routes.route(
    SEGMENTS_PATH,
    methods=["GET"],
    summary="Get a collection of segments",
    errors=PAGING_ERRORS,
    query_model=ListPageQuery,
    response_model=Segments,
)
def list_segments(request: ApiRequest, storeCode: str) -> dict[str, Any]:
    return _paged(request, "segments", targeting.list_segments(request.store_code), segment_body)


@routes.route(
    SEGMENT_PATH,
    methods=["GET"],
    summary="Get segment details",
    errors=(SegmentNotFoundError,),
    response_model=Segment,
)
def get_segment(request: ApiRequest, storeCode: str, segment: str) -> dict[str, Any]:
    return segment_body(targeting.get_segment(request.store_code, unquote(segment)))


@routes.route(
    SEGMENT_PATH,
    methods=["PUT"],
    summary="Update a segment",
    errors=(SegmentNotFoundError,),
    request_model=targeting.SegmentInput,
    body_key="segment",
    response_model=Segment,
)
def update_segment(request: ApiRequest, storeCode: str, segment: str) -> dict[str, Any]:
    changed = targeting.update_segment(request.store_code, unquote(segment), request.body)
    return segment_body(changed)


@routes.route(
    SEGMENT_PATH,
    methods=["DELETE"],
    summary="Delete a segment and its memberships",
    errors=(SegmentNotFoundError, ConflictError),
)
def delete_segment(request: ApiRequest, storeCode: str, segment: str) -> None:
    targeting.delete_segment(request.store_code, unquote(segment))


@routes.route(
    MEMBERS_PATH,
    methods=["POST"],
    summary="Add customers to a segment",
    request_model=targeting.MembersInput,
    errors=(SegmentNotFoundError, TooManyMembersError, CustomerNotFoundError, ConflictError),
    response_model=SegmentMembersAdded,
)
def add_segment_customers(request: ApiRequest, storeCode: str, segment: str) -> dict[str, Any]:
    change = targeting.add_members(
        request.store_code, unquote(segment), request.body, request.progress
    )
    return {
        "segmentId": change.segment.segment_id,
        "added": change.added,
        "alreadyMembers": change.already_members,
        "customersCount": int(change.segment.customers_count or 0),
    }


@routes.route(
    MEMBERS_PATH,
    methods=["GET"],
    summary="Get the customers of a segment",
    errors=(SegmentNotFoundError, *PAGING_ERRORS),
    query_model=ListPageQuery,
    response_model=LoyaltyCustomers,
)
def list_segment_customers(request: ApiRequest, storeCode: str, segment: str) -> dict[str, Any]:
    page, per_page = paging(request)
    return _customers(
        targeting.segment_members(request.store_code, unquote(segment), page, per_page)
    )


@routes.route(
    MEMBERS_PATH + "/{customer}",
    methods=["DELETE"],
    summary="Remove a customer from a segment",
    errors=(SegmentNotFoundError, SegmentMemberNotFoundError, CustomerNotFoundError),
)
def remove_segment_customer(
    request: ApiRequest, storeCode: str, segment: str, customer: str
) -> None:
    targeting.remove_member(request.store_code, unquote(segment), unquote(customer))


# --- campaign categories ----------------------------------------------------------------------


@routes.route(
    CATEGORIES_PATH,
    methods=["POST"],
    summary="Create a campaign category",
    request_model=targeting.CategoryInput,
    body_key="campaign_category",
    response_model=CampaignCategoryCreated,
)
def create_category(request: ApiRequest, storeCode: str) -> dict[str, Any]:
    category = targeting.create_category(request.store_code, request.body)
    return {"campaignCategoryId": category.category_id}


@routes.route(
    CATEGORIES_PATH,
    methods=["GET"],
    summary="Get a collection of campaign categories",
    errors=PAGING_ERRORS,
    query_model=ListPageQuery,
    response_model=CampaignCategories,
)
def list_categories(request: ApiRequest, storeCode: str) -> dict[str, Any]:
    categories = targeting.list_categories(request.store_code)
    return _paged(request, "categories", categories, category_body)


@routes.route(
    CATEGORY_PATH,
    methods=["GET"],
    summary="Get campaign category details",
    errors=(CategoryNotFoundError,),
    response_model=CampaignCategory,
)
def get_category(request: ApiRequest, storeCode: str, campaignCategory: str) -> dict[str, Any]:
    return category_body(targeting.get_category(request.store_code, unquote(campaignCategory)))


@routes.route(
    CATEGORY_PATH,
    methods=["PUT"],
    summary="Update a campaign category",
    errors=(CategoryNotFoundError,),
    request_model=targeting.CategoryInput,
    body_key="campaign_category",
    response_model=CampaignCategory,
)
def update_category(request: ApiRequest, storeCode: str, campaignCategory: str) -> dict[str, Any]:
    changed = targeting.update_category(request.store_code, unquote(campaignCategory), request.body)
    return category_body(changed)


@routes.route(
    CATEGORY_PATH,
    methods=["DELETE"],
    summary="Delete a campaign category",
    errors=(CategoryNotFoundError,),
)
def delete_category(request: ApiRequest, storeCode: str, campaignCategory: str) -> None:
    targeting.delete_category(request.store_code, unquote(campaignCategory))


# --- a customer's level and segments, a campaign's customers -----------------------------------


@routes.route(
    CUSTOMER_PATH + "/level",
    methods=["POST"],
    summary="Set a customer's level (an empty levelId removes it)",
    request_model=targeting.LevelChoice,
    errors=(CustomerNotFoundError,),
    response_model=CustomerLevel,
)
def set_customer_level(request: ApiRequest, storeCode: str, customer: str) -> dict[str, Any]:
    customer_id = unquote(customer)
    level_id = targeting.set_customer_level(request.store_code, customer_id, request.body)
    return {"customerId": customer_id, "levelId": level_id}


@routes.route(
    CUSTOMER_PATH + "/segments",
    methods=["GET"],
    summary="Get the segments of a customer",
    errors=(CustomerNotFoundError,),
    response_model=Segments,
)
def customer_segments(request: ApiRequest, storeCode: str, customer: str) -> dict[str, Any]:
    segments = targeting.customer_segments(request.store_code, unquote(customer))
    return {"segments": [segment_body(s) for s in segments], "total": len(segments)}


@routes.route(
    STORE_PATH + "/campaign/{campaign}/customers/visible",
    methods=["GET"],
    summary="Check campaign visibility for customers",
    errors=(CampaignNotFoundError, *PAGING_ERRORS),
    query_model=ListPageQuery,
    response_model=VisibleCustomers,
)
def visible_customers(request: ApiRequest, storeCode: str, campaign: str) -> dict[str, Any]:
    found = get_campaign(request.store_code, unquote(campaign))
    page, per_page = paging(request)
    shown = targeting.visible_customers(request.store_code, found, page, per_page)
    purchases = usage.purchases_of(
        request.store_code, found.campaign_id, [c.customer_id for c in shown.customers]
    )
    currency = stores.get_store(request.store_code).currency
    return {
        "customers": [
            visible_customer_body(c, purchases.get(c.customer_id, []), currency)
            for c in shown.customers
        ],
        "total": shown.total,
    }
