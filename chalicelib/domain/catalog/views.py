"""How a campaign is shown: to whom, in which locale, and the value the catalog's answers map.

The staff (admins and sellers, as the document's seller examples show) see everything;
customers and the public lists see the same campaign without its coupon codes and internal
counters (`visibleForCustomersCount`, `usersWhoUsedThisCampaignCount`). Names of levels and
segments, and audience sizes, are looked up once per page of campaigns (`Lookups`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from chalicelib.domain.catalog import campaigns, coupons, targeting
from chalicelib.domain.catalog.campaigns import DEFAULT_LOCALE
from chalicelib.domain.catalog.media import Photo
from chalicelib.mail import markup
from chalicelib.storage.campaigns import TRANSLATION_FIELDS, CampaignModel

TIME_FORMAT = "%Y-%m-%dT%H:%M:%S%z"
DESCRIPTIONS = tuple(name for name in TRANSLATION_FIELDS if name != "name")


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
    now: datetime = field(default_factory=lambda: datetime.now(UTC))

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


def translation_id(campaign_id: str, locale: str) -> int:
    """The integer `id` Open Loyalty gives each translation row: here a 31-bit number derived
    from the campaign and the locale, so it is the same on every read without being stored."""
    digest = hashlib.sha256(f"{campaign_id}\n{locale}".encode()).digest()
    return int.from_bytes(digest[:4], "big") >> 1


@dataclass(frozen=True)
class Window:
    """When a campaign is active (or visible): always, or between the bounds it has."""

    always: bool
    start: datetime | None
    end: datetime | None


@dataclass(frozen=True)
class Texts:
    """The translatable fields; None where there is no text."""

    name: str | None
    shortDescription: str | None
    conditionsDescription: str | None
    usageInstruction: str | None
    brandDescription: str | None


@dataclass(frozen=True)
class Translation(Texts):
    id: int
    locale: str


@dataclass(frozen=True)
class CampaignView(Texts):
    """One campaign as a view shows it (`View`): the texts in the view's locale, and None for
    what the view leaves out or the campaign does not have."""

    campaign_id: str
    reward: str
    levels: list[str]
    segments: list[str]
    coupons: list[str] | None  # the pool's codes: the staff's view, unless left out
    active: bool
    cost_in_points: int
    single_coupon: bool
    unlimited: bool
    limit: int | None
    limit_per_user: int | None
    days_valid: int
    days_inactive: int
    activity: Window
    visibility: Window
    labels: list[dict[str, str]]
    segment_names: dict[str, str]  # of the targeted segments, by id
    level_names: dict[str, str]
    # The activity window of a campaign that is off now but has one: when it would be on.
    will_be_active_from: datetime | None
    will_be_active_to: datetime | None
    usage_left: int | None  # None: nothing bounds it
    visible_for_customers_count: int | None  # the staff's view only
    users_count: int | None  # the staff's view only
    photos: list[Photo]
    translations: list[Translation]
    categories: list[str]
    featured: bool
    public: bool
    push_notification_text: str | None
    point_value: Decimal | None
    cashback_provider: str | None
    email_subject: str | None
    email_body: str | None
    reward_value: Decimal | None
    tax: Decimal | None
    tax_price_value: Decimal | None
    more_information_link: str | None
    transaction_percentage_value: int | None

    @property
    def has_photo(self) -> bool:
        return bool(self.photos)


def _texts(texts: dict[str, Any], view: View) -> dict[str, str | None]:
    """The translatable fields (None when blank), descriptions rendered when HTML is asked."""
    shown = {name: texts.get(name) or None for name in TRANSLATION_FIELDS}
    if view.html:
        shown.update(
            {name: markup.to_inline_html(shown[name]) for name in DESCRIPTIONS if shown[name]}
        )
    return shown


def _names_of(ids: Iterable[str], names: dict[str, str]) -> dict[str, str]:
    return {value: names[value] for value in ids if value in names}


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def campaign_view(campaign: CampaignModel, view: View, lookups: Lookups) -> CampaignView:
    """One campaign as `view` shows it, for the admin or (less) for everyone else."""
    levels, segments = list(campaign.levels or []), list(campaign.segments or [])
    codes = None
    if view.internal and view.with_coupons:
        has_codes = bool(campaign.coupons_total)
        codes = coupons.codes_of(campaign.store_code, campaign.campaign_id) if has_codes else []
    # Open Loyalty tells when a campaign that is off now would be on.
    upcoming = not campaign.all_time_active and not campaigns.is_active(campaign, lookups.now)
    return CampaignView(
        **_texts(campaigns.texts(campaign, view.locale), view),
        campaign_id=campaign.campaign_id,
        reward=campaign.reward,
        levels=levels,
        segments=segments,
        coupons=codes,
        active=bool(campaign.active),
        cost_in_points=int(campaign.cost_in_points or 0),
        single_coupon=bool(campaign.single_coupon),
        unlimited=bool(campaign.unlimited),
        limit=_int(campaign.limit),
        limit_per_user=_int(campaign.limit_per_user),
        days_valid=int(campaign.days_valid or 0),
        days_inactive=int(campaign.days_inactive or 0),
        activity=Window(bool(campaign.all_time_active), campaign.active_from, campaign.active_to),
        visibility=Window(
            bool(campaign.all_time_visible), campaign.visible_from, campaign.visible_to
        ),
        labels=list(campaign.labels or []),
        segment_names=_names_of(segments, lookups.segments),
        level_names=_names_of(levels, lookups.levels),
        will_be_active_from=campaign.active_from if upcoming else None,
        will_be_active_to=campaign.active_to if upcoming else None,
        usage_left=campaigns.usage_left(campaign),
        visible_for_customers_count=lookups.visible_customers(campaign) if view.internal else None,
        users_count=int(campaign.users_count or 0) if view.internal else None,
        photos=[Photo.of(photo) for photo in campaign.photos or []],
        translations=[
            Translation(
                **_texts(texts, view),
                id=translation_id(campaign.campaign_id, locale),
                locale=locale,
            )
            for locale, texts in (campaign.translations or {}).items()
        ],
        categories=list(campaign.categories or []),
        featured=bool(campaign.featured),
        public=bool(campaign.public),
        push_notification_text=campaign.push_notification_text,
        point_value=campaign.point_value,
        cashback_provider=campaign.cashback_provider,
        email_subject=campaign.email_subject,
        email_body=campaign.email_body,
        reward_value=campaign.reward_value,
        tax=campaign.tax,
        tax_price_value=campaign.tax_price_value,
        more_information_link=campaign.more_information_link,
        transaction_percentage_value=_int(campaign.transaction_percentage_value),
    )
