"""The catalog's lists: the query string they share, filters, sort and paging, and the lists.

A store's catalog is its partition of the campaigns table. A list is one Query on it (one call
per DynamoDB result page, never a Scan); filters, sort and paging are applied here. Names of
levels and segments, and audience sizes, are looked up once per page of results
(`views.Lookups`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, ConfigDict, Field
from pydantic import ValidationError as PydanticValidationError

from chalicelib.domain.catalog import campaigns
from chalicelib.domain.catalog.campaign_form import (
    FORM_CONFIG,
    Blankable,
    Flag,
    as_list,
    bounded_text,
    form_errors,
)
from chalicelib.domain.catalog.campaigns import DEFAULT_LOCALE, get_campaign
from chalicelib.domain.catalog.views import CampaignView, Lookups, View, campaign_view
from chalicelib.domain.errors import InvalidInputError
from chalicelib.domain.paging import page_of
from chalicelib.domain.validation import InputModel, number_type
from chalicelib.storage.campaigns import REWARD_TYPES, CampaignModel

DEFAULT_PER_PAGE = 10
MAX_PER_PAGE = 1000  # Open Loyalty's clients ask for pages of 1,000
MAX_ID_LENGTH = 128


SortKey = Callable[[CampaignModel, str], Any]
SORT_KEYS: dict[str, SortKey] = {
    "campaignId": lambda c, _: c.campaign_id,
    "name": lambda c, locale: campaigns.name(c, locale).casefold(),
    "reward": lambda c, _: c.reward,
    "active": lambda c, _: bool(c.active),
    "isFeatured": lambda c, _: bool(c.featured),
    "costInPoints": lambda c, _: int(c.cost_in_points or 0),
    "limit": lambda c, _: c.limit,
    "limitPerUser": lambda c, _: c.limit_per_user,
    "usageLeft": lambda c, _: campaigns.usage_left(c),
    "daysValid": lambda c, _: int(c.days_valid or 0),
    "daysInactive": lambda c, _: int(c.days_inactive or 0),
    "isPublic": lambda c, _: bool(c.public),
    "public": lambda c, _: bool(c.public),
    "singleCoupon": lambda c, _: bool(c.single_coupon),
    "unlimited": lambda c, _: bool(c.unlimited),
    "hasPhoto": lambda c, _: bool(c.photos),
    "usersWhoUsedThisCampaignCount": lambda c, _: int(c.users_count or 0),
    "pointValue": lambda c, _: c.point_value,
    "allTimeActive": lambda c, _: bool(c.all_time_active),
    "allTimeVisible": lambda c, _: bool(c.all_time_visible),
    "activeFrom": lambda c, _: c.active_from,
    "activeTo": lambda c, _: c.active_to,
    "visibleFrom": lambda c, _: c.visible_from,
    "visibleTo": lambda c, _: c.visible_to,
    "createdAt": lambda c, _: c.created_at,
    "updatedAt": lambda c, _: c.updated_at,
}
Blank = Annotated[str | None, Blankable]
# A child field sorts as its own key: `campaignVisibility.visibleFrom` is `visibleFrom`.
CHILD_SORTS = ("campaignVisibility.", "campaignActivity.")


def _child_sort(value: Any) -> Any:
    """`campaignVisibility.visibleFrom` sorts as `visibleFrom`; blank is no sort."""
    if not isinstance(value, str):
        return value
    value = value.strip()
    for prefix in CHILD_SORTS:
        value = value.removeprefix(prefix)
    return value or None


def _upper(value: Any) -> Any:
    return value.strip().upper() or None if isinstance(value, str) else value


class LabelFilter(InputModel):
    model_config = FORM_CONFIG

    key: Blank = None
    value: Blank = None


class ListQuery(InputModel):
    """The query string of the lists (`labels[0][key]`, `categoryId[]` already nested)."""

    model_config = ConfigDict(**FORM_CONFIG, populate_by_name=True)

    page: Annotated[number_type(int, ge=1) | None, Blankable] = None
    perPage: Annotated[number_type(int, ge=1, le=MAX_PER_PAGE) | None, Blankable] = None
    sort: Annotated[Literal[tuple(SORT_KEYS)] | None, BeforeValidator(_child_sort)] = None
    direction: Annotated[Literal["ASC", "DESC"] | None, BeforeValidator(_upper)] = None
    labels: Annotated[list[LabelFilter], BeforeValidator(as_list)] = Field(default_factory=list)
    categoryId: Annotated[list[str], BeforeValidator(as_list)] = Field(default_factory=list)
    withoutCoupons: Flag = None
    isFeatured: Flag = None
    isPublic: Flag = None
    active: Flag = None
    campaignType: Annotated[Literal[REWARD_TYPES] | None, Blankable] = None
    name: Blank = None
    format: Blank = None
    asked_locale: Annotated[bounded_text(16) | None, Blankable, Field(alias="_locale")] = None

    @property
    def locale(self) -> str:
        return self.asked_locale or DEFAULT_LOCALE

    def view(self, internal: bool) -> View:
        return View(
            internal=internal,
            locale=self.locale,
            html=(self.format or "").lower() == "html",
            with_coupons=not self.withoutCoupons,
        )


def list_query(query: dict[str, Any]) -> ListQuery:
    try:
        return ListQuery.model_validate(query)
    except PydanticValidationError as error:
        raise InvalidInputError(form_errors(error)) from error


def _has_labels(campaign: CampaignModel, wanted: list[LabelFilter]) -> bool:
    """Every condition (a key, a value, or both) is met by one of the campaign's labels."""
    labels = campaign.labels or []
    return all(
        any(
            (condition.key is None or label.get("key") == condition.key)
            and (condition.value is None or label.get("value") == condition.value)
            for label in labels
        )
        for condition in wanted
    )


def _matches(campaign: CampaignModel, query: ListQuery) -> bool:
    if query.labels and not _has_labels(campaign, query.labels):
        return False
    if query.categoryId and not set(query.categoryId) & set(campaign.categories or []):
        return False
    flags = (
        (query.isFeatured, campaign.featured),
        (query.isPublic, campaign.public),
        (query.active, campaign.active),
    )
    if any(wanted is not None and bool(value) != wanted for wanted, value in flags):
        return False
    if query.campaignType is not None and campaign.reward != query.campaignType:
        return False
    return (
        query.name is None
        or query.name.casefold() in campaigns.name(campaign, query.locale).casefold()
    )


def _ordered(found: list[CampaignModel], query: ListQuery) -> list[CampaignModel]:
    """Oldest first by default; a sort keeps that order among equals. Blanks sort last (ASC)."""
    found.sort(key=lambda c: (c.created_at, c.campaign_id))
    if query.sort is not None:
        key = SORT_KEYS[query.sort]

        def blanks_last(campaign: CampaignModel) -> tuple[bool, Any]:
            value = key(campaign, query.locale)
            return value is None, value

        found.sort(key=blanks_last, reverse=query.direction == "DESC")
    return found


@dataclass(frozen=True)
class Page:
    campaigns: list[CampaignModel]
    total: int


def select_page(
    store_code: str,
    query: ListQuery,
    keep: Callable[[CampaignModel], bool] | None = None,
    paged: bool = True,
) -> Page:
    """One page of the store's campaigns that `keep` and the query's filters let through
    (`paged=False`: all of them unless the query asks for a page size)."""
    found = [
        campaign
        for campaign in CampaignModel.query(store_code)
        if (keep is None or keep(campaign)) and _matches(campaign, query)
    ]
    ordered = _ordered(found, query)
    if not paged and query.perPage is None:
        return Page(ordered, len(found))
    per_page = query.perPage or DEFAULT_PER_PAGE
    return Page(page_of(ordered, query.page, per_page), len(found))


def campaign_key(campaign_id: str) -> str:
    """A path id that cannot be a key (too long for DynamoDB) is simply not found."""
    if not campaign_id or len(campaign_id) > MAX_ID_LENGTH:
        raise campaigns.CampaignNotFoundError()
    return campaign_id


@dataclass(frozen=True)
class CampaignPage:
    campaigns: list[CampaignView]
    total: int


def _views(store_code: str, page: Page, view: View) -> CampaignPage:
    lookups = Lookups.of(store_code, page.campaigns)
    return CampaignPage(
        [campaign_view(campaign, view, lookups) for campaign in page.campaigns], page.total
    )


def list_campaigns(store_code: str, query: ListQuery, internal: bool) -> CampaignPage:
    """`GET /campaign` (admin) and `GET /seller/campaign`, both the staff's view."""
    return _views(store_code, select_page(store_code, query), query.view(internal))


@dataclass(frozen=True)
class ActiveCampaign:
    id: str
    name: str | None  # in the asked locale; None when it has none


@dataclass(frozen=True)
class ActiveCampaigns:
    campaigns: list[ActiveCampaign]
    total: int


def active_campaigns(store_code: str, query: ListQuery) -> ActiveCampaigns:
    """`GET /campaign/active`: every campaign active now (a page only when `perPage` is
    given), as ids and names; Open Loyalty's own list is not paged."""
    now = datetime.now(UTC)
    page = select_page(
        store_code, query, lambda campaign: campaigns.is_active(campaign, now), paged=False
    )
    return ActiveCampaigns(
        [
            ActiveCampaign(campaign.campaign_id, campaigns.name(campaign, query.locale) or None)
            for campaign in page.campaigns
        ],
        page.total,
    )


def public_campaigns(store_code: str, query: ListQuery) -> CampaignPage:
    """`GET /campaign/public/available`: public, active and visible now; the seller's view."""
    now = datetime.now(UTC)

    def available(campaign: CampaignModel) -> bool:
        return (
            bool(campaign.public)
            and campaigns.is_active(campaign, now)
            and campaigns.is_visible(campaign, now)
        )

    return _views(store_code, select_page(store_code, query, available), query.view(False))


def details(
    store_code: str,
    campaign_id: str,
    query: ListQuery,
    internal: bool,
    allowed: Callable[[CampaignModel], None] | None = None,
) -> CampaignView:
    """`GET /campaign/{campaign}` and `GET /seller/campaign/{campaign}`; `allowed` raises
    when the caller may not read this campaign (a customer: one not offered to them)."""
    campaign = get_campaign(store_code, campaign_key(campaign_id))
    if allowed is not None:
        allowed(campaign)
    return campaign_view(campaign, query.view(internal), Lookups.of(store_code, [campaign]))
