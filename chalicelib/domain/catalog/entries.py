"""The reward campaign catalog of the Open Loyalty document: write, read, list and shape.

Writing: create and full update read the campaign form (`campaign_form`), check that the
levels, segments and categories named exist in the store (one BatchGetItem each), and write
nothing unless everything holds. An update is one conditional UpdateItem of the form's fields
only, so counters moved by buyers meanwhile (`usage_count`, `coupons_available`) are never
overwritten. Coupons given with the form go through `coupons.put_codes`.

Listing: a store's catalog is its partition of the campaigns table. A list is one Query on it
(one call per DynamoDB result page, never a Scan); filters, sort and paging are applied here.
Names of levels and segments, and audience sizes, are looked up once per page of results.

Views: the staff (admins and sellers, as the document's seller examples show) see everything;
customers and the public lists see the same campaign without its coupon codes and internal
counters (`visibleForCustomersCount`, `usersWhoUsedThisCampaignCount`). Dates are shown in UTC
as `2017-10-05T10:59:00+0000`.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, ConfigDict, Field
from pydantic import ValidationError as PydanticValidationError
from pynamodb.exceptions import UpdateError

from chalicelib.domain.catalog import campaigns, coupons, targeting
from chalicelib.domain.catalog.campaign_form import (
    FORM_CONFIG,
    Blankable,
    Draft,
    Flag,
    as_list,
    bounded_text,
    form_errors,
)
from chalicelib.domain.catalog.campaign_form import read_campaign as read_form
from chalicelib.domain.catalog.campaigns import DEFAULT_LOCALE, CampaignNotFoundError, get_campaign
from chalicelib.domain.errors import InvalidInputError
from chalicelib.domain.paging import page_of
from chalicelib.domain.validation import InputModel, number_type
from chalicelib.mail import markup
from chalicelib.storage.campaigns import (
    REWARD_TYPES,
    TRANSLATION_FIELDS,
    CampaignModel,
    MediaFile,
)
from chalicelib.storage.idempotency import NO_PROGRESS, BulkProgress

TIME_FORMAT = "%Y-%m-%dT%H:%M:%S%z"
DESCRIPTIONS = tuple(name for name in TRANSLATION_FIELDS if name != "name")
DEFAULT_PER_PAGE = 10
MAX_PER_PAGE = 1000  # Open Loyalty's clients ask for pages of 1,000
MAX_ID_LENGTH = 128
REFERENCES = (
    ("levels", targeting.existing_level_ids, "No level with this id in this store."),
    ("segments", targeting.existing_segment_ids, "No segment with this id in this store."),
    ("categories", targeting.existing_category_ids, "No category with this id in this store."),
)


# -- writing ---------------------------------------------------------------------------------
def _now() -> datetime:
    return datetime.now(UTC)


def _checked(store_code: str, body: Any) -> Draft:
    """The form read, its ids checked against the store; raises the form tree if anything is
    wrong, before any write."""
    draft = read_form(body)
    for name, existing, message in REFERENCES:
        ids = draft.attributes.get(name) or []
        if ids and not draft.has_error(name):
            known = existing(store_code, ids)
            for position, value in enumerate(ids):
                if value not in known:
                    draft.add(f"{name}.{position}", message)
    draft.ensure_valid()
    return draft


def create_campaign(store_code: str, body: Any, campaign_id: str | None = None) -> str:
    """Create a campaign from the form; returns its id (a new UUID unless one is given)."""
    draft = _checked(store_code, body)
    now = _now()
    values = {name: value for name, value in draft.attributes.items() if value is not None}
    campaign = CampaignModel(
        store_code, campaign_id or str(uuid.uuid4()), created_at=now, updated_at=now, **values
    )
    campaign.save(condition=CampaignModel.campaign_id.does_not_exist())
    if draft.coupons:
        coupons.put_codes(store_code, campaign.campaign_id, draft.coupons, append=True)
    targeting.count_audience(store_code, campaign.target, campaign.segments or [])
    return campaign.campaign_id


def _campaign_key(campaign_id: str) -> str:
    """A path id that cannot be a key (too long for DynamoDB) is simply not found."""
    if not campaign_id or len(campaign_id) > MAX_ID_LENGTH:
        raise CampaignNotFoundError()
    return campaign_id


def _update(store_code: str, campaign_id: str, actions: list[Any]) -> None:
    """One UpdateItem on an existing campaign; a missing one is a 404."""
    item = CampaignModel(store_code, _campaign_key(campaign_id))
    try:
        item.update(
            actions=[*actions, CampaignModel.updated_at.set(_now())],
            condition=CampaignModel.campaign_id.exists(),
        )
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            raise CampaignNotFoundError() from error
        raise


def update_campaign(store_code: str, campaign_id: str, body: Any) -> str:
    """Replace every field of the form (the whole data, as the document warns); coupons given
    replace the unused codes of the pool."""
    draft = _checked(store_code, body)
    _update(
        store_code,
        campaign_id,
        [
            getattr(CampaignModel, name).set(value)
            if value is not None
            else getattr(CampaignModel, name).remove()
            for name, value in draft.attributes.items()
        ],
    )
    if draft.coupons is not None:
        coupons.put_codes(store_code, campaign_id, draft.coupons, append=False)
    attributes = draft.attributes
    targeting.count_audience(store_code, attributes.get("target"), attributes.get("segments") or [])
    return campaign_id


def set_active(store_code: str, campaign_id: str, active: bool) -> str:
    _update(store_code, campaign_id, [CampaignModel.active.set(active)])
    return campaign_id


class CouponsForm(InputModel):
    model_config = FORM_CONFIG

    coupons: list[Any]
    append: Flag = None


def put_coupons(
    store_code: str, campaign_id: str, body: Any, progress: BulkProgress = NO_PROGRESS
) -> dict[str, Any]:
    """Replace the pool's unused codes with `coupons`, or `append` them (resumable with a keyed
    request's `progress`, see `coupons.put_codes`)."""
    if body is not None and not isinstance(body, dict):
        raise InvalidInputError({"form": ["The request body must be an object."]})
    given = dict(body or {})
    if "coupons" in given:
        given["coupons"] = as_list(given["coupons"])
    try:
        form = CouponsForm.model_validate(given)
    except PydanticValidationError as error:
        raise InvalidInputError(form_errors(error)) from error
    change = coupons.put_codes(
        store_code, _campaign_key(campaign_id), form.coupons, bool(form.append), progress
    )
    return {
        "campaignId": campaign_id,
        "added": len(change.added),
        "duplicates": change.duplicates,
        "removed": change.removed,
        "available": change.available,
        "total": change.total,
    }


# -- the shapes ------------------------------------------------------------------------------
@dataclass(frozen=True)
class View:
    """How a campaign is shown: to whom, in which locale, descriptions as text or HTML."""

    internal: bool = True  # the staff's view (admin, seller): coupon codes and counters
    locale: str = DEFAULT_LOCALE
    html: bool = False
    with_coupons: bool = True


@dataclass
class Lookups:
    """What a page of campaigns needs from elsewhere, asked once per page: level and segment
    names, and audience sizes (campaigns with the same targeting share one count)."""

    store_code: str
    levels: dict[str, str] = field(default_factory=dict)
    segments: dict[str, str] = field(default_factory=dict)
    audiences: dict[tuple[Any, ...], int] = field(default_factory=dict)
    now: datetime = field(default_factory=lambda: _now())

    @classmethod
    def of(cls, store_code: str, shown: list[CampaignModel]) -> Lookups:
        level_ids = {value for campaign in shown for value in campaign.levels or []}
        segment_ids = {value for campaign in shown for value in campaign.segments or []}
        return cls(
            store_code,
            targeting.level_names(store_code, level_ids) if level_ids else {},
            targeting.segment_names(store_code, segment_ids) if segment_ids else {},
        )

    def visible_customers(self, campaign: CampaignModel) -> int:
        audience = (
            campaign.target,
            tuple(sorted(campaign.levels or [])),
            tuple(sorted(campaign.segments or [])),
        )
        if audience not in self.audiences:
            self.audiences[audience] = targeting.visible_customers_count(self.store_code, campaign)
        return self.audiences[audience]


def time_of(moment: datetime | None) -> str | None:
    """The Open Loyalty document's instants, in UTC: `2017-10-05T10:59:00+0000`."""
    return None if moment is None else moment.astimezone(UTC).strftime(TIME_FORMAT)


def _window(flag: str, always: bool, bounds: dict[str, datetime | None]) -> dict[str, Any]:
    shown: dict[str, Any] = {flag: bool(always)}
    shown.update({name: time_of(value) for name, value in bounds.items() if value is not None})
    return shown


def _texts(texts: dict[str, Any], view: View) -> dict[str, Any]:
    """The translatable fields that have text, descriptions rendered when HTML is asked."""
    shown = {name: texts.get(name) for name in TRANSLATION_FIELDS if texts.get(name)}
    if view.html:
        shown.update(
            {name: markup.to_inline_html(shown[name]) for name in DESCRIPTIONS if name in shown}
        )
    return shown


def _names_of(ids: Iterable[str], names: dict[str, str]) -> dict[str, str] | list[Any]:
    """`{id: name}`; empty is `[]`, as the document shows it (its server's empty array)."""
    found = {value: names[value] for value in ids if value in names}
    return found or []


def translation_id(campaign_id: str, locale: str) -> int:
    """The integer `id` Open Loyalty gives each translation row: here a 31-bit number derived
    from the campaign and the locale, so it is the same on every read without being stored."""
    digest = hashlib.sha256(f"{campaign_id}\n{locale}".encode()).digest()
    return int.from_bytes(digest[:4], "big") >> 1


def _photo(photo: MediaFile) -> dict[str, Any]:
    return {
        "photoId": photo.photo_id,
        "path": photo.path,
        "orginalName": photo.original_name,  # sic: the document's spelling
        "mimeType": photo.mime_type,
    }


def campaign_body(campaign: CampaignModel, view: View, lookups: Lookups) -> dict[str, Any]:
    """One campaign in the document's shape, for the admin or (less) for everyone else."""
    levels, segments = list(campaign.levels or []), list(campaign.segments or [])
    body: dict[str, Any] = {"levels": levels, "segments": segments}
    if view.internal and view.with_coupons:
        has_codes = bool(campaign.coupons_total)
        body["coupons"] = (
            coupons.codes_of(campaign.store_code, campaign.campaign_id) if has_codes else []
        )
    texts = _texts(campaigns.texts(campaign, view.locale), view)
    body.update(
        {
            "campaignId": campaign.campaign_id,
            "reward": campaign.reward,
            **texts,
            "active": bool(campaign.active),
            "costInPoints": int(campaign.cost_in_points or 0),
            "singleCoupon": bool(campaign.single_coupon),
            "unlimited": bool(campaign.unlimited),
        }
    )
    if campaign.limit is not None:
        body["limit"] = int(campaign.limit)
    if campaign.limit_per_user is not None:
        body["limitPerUser"] = int(campaign.limit_per_user)
    body.update(
        {
            "daysValid": int(campaign.days_valid or 0),
            "daysInactive": int(campaign.days_inactive or 0),
            "campaignActivity": _window(
                "allTimeActive",
                campaign.all_time_active,
                {"activeFrom": campaign.active_from, "activeTo": campaign.active_to},
            ),
            "campaignVisibility": _window(
                "allTimeVisible",
                campaign.all_time_visible,
                {"visibleFrom": campaign.visible_from, "visibleTo": campaign.visible_to},
            ),
            "labels": list(campaign.labels or []),
            "segmentNames": _names_of(segments, lookups.segments),
            "levelNames": _names_of(levels, lookups.levels),
        }
    )
    if not campaign.all_time_active and not campaigns.is_active(campaign, lookups.now):
        # Open Loyalty tells when a campaign that is off now would be on.
        upcoming = {
            "will_be_active_from": time_of(campaign.active_from),
            "will_be_active_to": time_of(campaign.active_to),
        }
        body.update({key: value for key, value in upcoming.items() if value is not None})
    body["usageLeft"] = campaigns.usage_left(campaign)
    if view.internal:
        body["visibleForCustomersCount"] = lookups.visible_customers(campaign)
        body["usersWhoUsedThisCampaignCount"] = int(campaign.users_count or 0)
    photos = list(campaign.photos or [])
    body.update(
        {
            "hasPhoto": bool(photos),
            "photos": [_photo(photo) for photo in photos],
            "translations": [
                {
                    **_texts(texts, view),
                    "id": translation_id(campaign.campaign_id, locale),
                    "locale": locale,
                }
                for locale, texts in (campaign.translations or {}).items()
            ],
            "categories": list(campaign.categories or []),
            "isFeatured": bool(campaign.featured),
            "public": bool(campaign.public),
        }
    )
    optional = {
        "pushNotificationText": campaign.push_notification_text,
        "pointValue": campaign.point_value,
        "cashbackProvider": campaign.cashback_provider,
        "emailSubject": campaign.email_subject,
        "emailBody": campaign.email_body,
        "rewardValue": campaign.reward_value,
        "tax": campaign.tax,
        "taxPriceValue": campaign.tax_price_value,
        "moreInformationLink": campaign.more_information_link,
        "transactionPercentageValue": campaign.transaction_percentage_value,
    }
    body.update({name: value for name, value in optional.items() if value is not None})
    return body


# -- lists -----------------------------------------------------------------------------------
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


def list_campaigns(store_code: str, query: dict[str, Any], internal: bool) -> dict[str, Any]:
    """`GET /campaign` (admin) and `GET /seller/campaign`, both the staff's view."""
    wanted = list_query(query)
    page = select_page(store_code, wanted)
    return _bodies(store_code, page, wanted.view(internal))


def _bodies(store_code: str, page: Page, view: View) -> dict[str, Any]:
    lookups = Lookups.of(store_code, page.campaigns)
    return {
        "campaigns": [campaign_body(campaign, view, lookups) for campaign in page.campaigns],
        "total": page.total,
    }


def active_campaigns(store_code: str, query: dict[str, Any]) -> dict[str, Any]:
    """`GET /campaign/active`: every campaign active now (a page only when `perPage` is
    given), as ids and names; Open Loyalty's own list is not paged."""
    wanted, now = list_query(query), _now()
    page = select_page(
        store_code, wanted, lambda campaign: campaigns.is_active(campaign, now), paged=False
    )
    shown = []
    for campaign in page.campaigns:
        name = campaigns.name(campaign, wanted.locale)
        shown.append({"id": campaign.campaign_id, **({"name": name} if name else {})})
    return {"campaigns": shown, "total": page.total}


def public_campaigns(store_code: str, query: dict[str, Any]) -> dict[str, Any]:
    """`GET /campaign/public/available`: public, active and visible now; the seller's view."""
    wanted, now = list_query(query), _now()

    def available(campaign: CampaignModel) -> bool:
        return (
            bool(campaign.public)
            and campaigns.is_active(campaign, now)
            and campaigns.is_visible(campaign, now)
        )

    return _bodies(store_code, select_page(store_code, wanted, available), wanted.view(False))


def details(
    store_code: str,
    campaign_id: str,
    query: dict[str, Any],
    internal: bool,
    allowed: Callable[[CampaignModel], None] | None = None,
) -> dict[str, Any]:
    """`GET /campaign/{campaign}` and `GET /seller/campaign/{campaign}`; `allowed` raises
    when the caller may not read this campaign (a customer: one not offered to them)."""
    view = list_query(query).view(internal)
    campaign = get_campaign(store_code, _campaign_key(campaign_id))
    if allowed is not None:
        allowed(campaign)
    return campaign_body(campaign, view, Lookups.of(store_code, [campaign]))
