"""Levels, segments and campaign categories (admin), and a customer's level and segments.

Also who a campaign is visible to (`/campaign/{campaign}/customers/visible`), from its level or
segment targeting. Forms follow the Open Loyalty document: `level[name]`, `segment[name]`,
`campaign_category[name]`, as form data with bracket keys or the same as JSON; each arrives
as its typed model (chalicelib/domain/catalog/targeting/), and each handler returns the
domain's value, which targeting_schemas.py maps to the document's keys.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import unquote

from pydantic import BeforeValidator, Field, model_validator

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
from chalicelib.domain.catalog import targeting
from chalicelib.domain.catalog.campaigns import CampaignNotFoundError
from chalicelib.domain.catalog.targeting import (
    CategoryInput,
    CategoryNotFoundError,
    LevelChoice,
    LevelInput,
    LevelInUseError,
    LevelNotFoundError,
    MembersInput,
    SegmentInput,
    SegmentMemberNotFoundError,
    SegmentNotFoundError,
    TooManyMembersError,
)
from chalicelib.domain.customers.records import CustomerNotFoundError
from chalicelib.domain.errors import ConflictError, InvalidInputError
from chalicelib.domain.validation import InputModel

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

    @model_validator(mode="before")
    @classmethod
    def _blank_is_default(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        given = {name: str(data.get(name, "")).strip() for name in cls.model_fields}
        return {name: value for name, value in given.items() if value}


# --- levels -----------------------------------------------------------------------------------


@routes.route(LEVELS_PATH, methods=["POST"], summary="Create a level", body_key="level")
def create_level(request: ApiRequest, storeCode: str, body: LevelInput) -> LevelCreated:
    return targeting.create_level(request.store_code, body)


@routes.route(
    LEVELS_PATH, methods=["GET"], summary="Get a collection of levels", errors=PAGING_ERRORS
)
def list_levels(request: ApiRequest, storeCode: str, query: ListPageQuery) -> Levels:
    return targeting.list_levels(request.store_code, query.page, query.perPage)


@routes.route(
    LEVEL_PATH, methods=["GET"], summary="Get level details", errors=(LevelNotFoundError,)
)
def get_level(request: ApiRequest, storeCode: str, level: str) -> Level:
    return targeting.get_level(request.store_code, unquote(level))


@routes.route(
    LEVEL_PATH,
    methods=["PUT"],
    summary="Update a level",
    errors=(LevelNotFoundError,),
    body_key="level",
)
def update_level(request: ApiRequest, storeCode: str, level: str, body: LevelInput) -> Level:
    return targeting.update_level(request.store_code, unquote(level), body)


@routes.route(
    LEVEL_PATH,
    methods=["DELETE"],
    summary="Delete a level that no customer holds",
    errors=(LevelNotFoundError, LevelInUseError),
)
def delete_level(request: ApiRequest, storeCode: str, level: str) -> None:
    targeting.delete_level(request.store_code, unquote(level))


# --- segments ---------------------------------------------------------------------------------


@routes.route(SEGMENTS_PATH, methods=["POST"], summary="Create a segment", body_key="segment")
def create_segment(request: ApiRequest, storeCode: str, body: SegmentInput) -> SegmentCreated:
    return targeting.create_segment(request.store_code, body)


@routes.route(
    SEGMENTS_PATH, methods=["GET"], summary="Get a collection of segments", errors=PAGING_ERRORS
)
def list_segments(request: ApiRequest, storeCode: str, query: ListPageQuery) -> Segments:
    return targeting.list_segments(request.store_code, query.page, query.perPage)


@routes.route(
    SEGMENT_PATH, methods=["GET"], summary="Get segment details", errors=(SegmentNotFoundError,)
)
def get_segment(request: ApiRequest, storeCode: str, segment: str) -> Segment:
    return targeting.get_segment(request.store_code, unquote(segment))


@routes.route(
    SEGMENT_PATH,
    methods=["PUT"],
    summary="Update a segment",
    errors=(SegmentNotFoundError,),
    body_key="segment",
)
def update_segment(
    request: ApiRequest, storeCode: str, segment: str, body: SegmentInput
) -> Segment:
    return targeting.update_segment(request.store_code, unquote(segment), body)


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
    errors=(SegmentNotFoundError, TooManyMembersError, CustomerNotFoundError, ConflictError),
)
def add_segment_customers(
    request: ApiRequest, storeCode: str, segment: str, body: MembersInput
) -> SegmentMembersAdded:
    return targeting.add_members(request.store_code, unquote(segment), body, request.progress)


@routes.route(
    MEMBERS_PATH,
    methods=["GET"],
    summary="Get the customers of a segment",
    errors=(SegmentNotFoundError, *PAGING_ERRORS),
)
def list_segment_customers(
    request: ApiRequest, storeCode: str, segment: str, query: ListPageQuery
) -> LoyaltyCustomers:
    return targeting.segment_members(
        request.store_code, unquote(segment), query.page, query.perPage
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
    body_key="campaign_category",
)
def create_category(
    request: ApiRequest, storeCode: str, body: CategoryInput
) -> CampaignCategoryCreated:
    return targeting.create_category(request.store_code, body)


@routes.route(
    CATEGORIES_PATH,
    methods=["GET"],
    summary="Get a collection of campaign categories",
    errors=PAGING_ERRORS,
)
def list_categories(
    request: ApiRequest, storeCode: str, query: ListPageQuery
) -> CampaignCategories:
    return targeting.list_categories(request.store_code, query.page, query.perPage)


@routes.route(
    CATEGORY_PATH,
    methods=["GET"],
    summary="Get campaign category details",
    errors=(CategoryNotFoundError,),
)
def get_category(request: ApiRequest, storeCode: str, campaignCategory: str) -> CampaignCategory:
    return targeting.get_category(request.store_code, unquote(campaignCategory))


@routes.route(
    CATEGORY_PATH,
    methods=["PUT"],
    summary="Update a campaign category",
    errors=(CategoryNotFoundError,),
    body_key="campaign_category",
)
def update_category(
    request: ApiRequest, storeCode: str, campaignCategory: str, body: CategoryInput
) -> CampaignCategory:
    return targeting.update_category(request.store_code, unquote(campaignCategory), body)


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
    errors=(CustomerNotFoundError,),
)
def set_customer_level(
    request: ApiRequest, storeCode: str, customer: str, body: LevelChoice
) -> CustomerLevel:
    return targeting.set_customer_level(request.store_code, unquote(customer), body)


@routes.route(
    CUSTOMER_PATH + "/segments",
    methods=["GET"],
    summary="Get the segments of a customer",
    errors=(CustomerNotFoundError,),
)
def customer_segments(request: ApiRequest, storeCode: str, customer: str) -> Segments:
    return targeting.customer_segments(request.store_code, unquote(customer))


@routes.route(
    STORE_PATH + "/campaign/{campaign}/customers/visible",
    methods=["GET"],
    summary="Check campaign visibility for customers",
    errors=(CampaignNotFoundError, *PAGING_ERRORS),
)
def visible_customers(
    request: ApiRequest, storeCode: str, campaign: str, query: ListPageQuery
) -> VisibleCustomers:
    return targeting.visible_customers(
        request.store_code, unquote(campaign), query.page, query.perPage
    )
