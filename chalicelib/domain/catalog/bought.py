"""Bought rewards (Open Loyalty): the rules of a bought coupon, and the store's (or one
customer's) bought list as typed rows, which the JSON list and the CSV export
(chalicelib/domain/catalog/bought_export.py) both show.

Which rewards match is chalicelib/domain/catalog/bought_query.py. The list needs its `total`,
so it reads every match, keeping only what the asked page needs (a bounded heap); campaigns and
customers of a page come with one BatchGetItem each. Using a coupon and its delivery status are
chalicelib/domain/catalog/coupon_usage.py, the scheduled expiry coupon_expiry.py.

A coupon is valid from `active_since` until `active_to` (excluded; none: forever). It can be
used (`canBeUsed`) while it is active, unused and valid now; past `active_to` it shows
`expired` even before the expiry job has run.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from chalicelib.domain.catalog import campaigns
from chalicelib.domain.catalog.bought_query import SORT_KEYS, BoughtQuery, all_bought
from chalicelib.domain.catalog.entries import DEFAULT_PER_PAGE
from chalicelib.domain.catalog.views import CampaignView
from chalicelib.domain.paging import page_span
from chalicelib.storage.campaigns import CampaignModel
from chalicelib.storage.customers import CustomerModel
from chalicelib.storage.rewards import ACTIVE, EXPIRED, RewardModel

MAX_ID_LENGTH = 128  # longer cannot be a DynamoDB key, so it is simply not found


# -- rules -----------------------------------------------------------------------------------
def now_utc() -> datetime:
    return datetime.now(UTC)


def is_expired(reward: RewardModel, now: datetime) -> bool:
    """Expired by the job, or past `active_to` already (the job may not have run yet)."""
    if reward.status == EXPIRED:
        return True
    return reward.status == ACTIVE and reward.active_to is not None and reward.active_to <= now


def effective_status(reward: RewardModel, now: datetime) -> str:
    return EXPIRED if is_expired(reward, now) else reward.status


def can_be_used(reward: RewardModel, now: datetime) -> bool:
    return (
        effective_status(reward, now) == ACTIVE
        and not reward.used
        and (reward.active_since is None or reward.active_since <= now)
    )


# -- the rows --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Coupon:
    """A bought coupon as its buyer knows it: its id, and its code (None: the campaign hands
    out no codes)."""

    id: str
    code: str | None


@dataclass(frozen=True)
class Buyer:
    """Who bought: the customer as they are now, or the reward's snapshot if they are gone."""

    email: str
    firstname: str
    surname: str
    phone: str
    points: int

    @classmethod
    def of(cls, reward: RewardModel, customer: CustomerModel | None) -> Buyer:
        if customer is None:
            return cls(reward.email or "", reward.firstname or "", reward.surname or "", "", 0)
        return cls(
            customer.email or "",
            customer.firstname or "",
            customer.surname or "",
            customer.telephone or "",
            int(customer.points_available or 0),
        )


@dataclass(frozen=True)
class BoughtRow:
    """One bought reward (or cashback redemption), with its campaign's name and type and its
    buyer; `campaign`: the campaign's details, when a customer's list asks for them."""

    coupon: Coupon
    campaign_id: str
    customer_id: str
    purchased_at: datetime
    campaign_type: str | None  # None: the campaign was deleted
    campaign_name: str
    buyer: Buyer
    cost_in_points: int
    used: bool
    usage_date: datetime | None
    status: str  # effective: `expired` once past `active_to`
    can_be_used: bool
    transaction_id: str | None
    delivery_status: str  # "" until one is set
    active_since: datetime | None
    active_to: datetime | None
    returned_amount: int = 0  # points given back for it: none ever are
    shipping_address: dict[str, Any] = field(default_factory=dict)  # none is kept
    campaign: CampaignView | None = None  # the customer's list, with `includeDetails`


def bought_row(
    reward: RewardModel, campaign: CampaignModel | None, buyer: Buyer, now: datetime
) -> BoughtRow:
    return BoughtRow(
        coupon=Coupon(reward.reward_id, reward.coupon_code or ""),
        campaign_id=reward.campaign_id,
        customer_id=reward.customer_id,
        purchased_at=reward.created_at,
        campaign_type=campaign.reward if campaign else None,
        campaign_name=campaigns.name(campaign) if campaign else "",
        buyer=buyer,
        cost_in_points=int(reward.cost_in_points or 0),
        used=bool(reward.used),
        usage_date=reward.usage_date,
        status=effective_status(reward, now),
        can_be_used=can_be_used(reward, now),
        transaction_id=reward.transaction_id or None,
        delivery_status=reward.delivery_status or "",
        active_since=reward.active_since,
        active_to=reward.active_to,
    )


def campaigns_of(store_code: str, ids: Iterable[str]) -> dict[str, CampaignModel]:
    keys = [(store_code, campaign_id) for campaign_id in set(ids)]
    return {c.campaign_id: c for c in CampaignModel.batch_get(keys)} if keys else {}


def customers_of(store_code: str, ids: Iterable[str]) -> dict[str, CustomerModel]:
    keys = [(store_code, customer_id) for customer_id in set(ids)]
    return {c.customer_id: c for c in CustomerModel.batch_get(keys)} if keys else {}


def rows_of(
    store_code: str,
    rewards: list[RewardModel],
    found: dict[str, CampaignModel],
    now: datetime,
) -> list[BoughtRow]:
    """`rewards` as rows: their campaigns from `found`, their buyers read in one BatchGetItem."""
    buyers = customers_of(store_code, (r.customer_id for r in rewards))
    return [
        bought_row(r, found.get(r.campaign_id), Buyer.of(r, buyers.get(r.customer_id)), now)
        for r in rewards
    ]


# -- the list --------------------------------------------------------------------------------
def _blank_key(value: Any) -> tuple[bool, Any]:
    """Blanks sort after values (ASC), as in the campaign lists."""
    return value is None, value


def _order_key(sort: str | None) -> Callable[[RewardModel], Any]:
    value = SORT_KEYS[sort or "purchasedAt"]
    return lambda r: (_blank_key(value(r)), r.created_at, r.reward_id)


@dataclass(frozen=True)
class BoughtPage:
    """One page of bought rows, the campaign of each (None: deleted), and how many match."""

    rows: list[BoughtRow]
    campaigns: list[CampaignModel | None]
    total: int


@dataclass(frozen=True)
class BoughtList:
    """`GET /campaign/bought`: a page of the store's bought rewards and how many match."""

    rows: list[BoughtRow]
    total: int


def bought_page(store_code: str, wanted: BoughtQuery, customer_id: str | None = None) -> BoughtPage:
    """A page of the store's (or one customer's) bought rewards and how many match."""
    start, end = page_span(wanted.page, wanted.perPage or DEFAULT_PER_PAGE)
    total = 0

    def counted() -> Iterator[RewardModel]:
        nonlocal total
        for reward in all_bought(store_code, wanted, customer_id=customer_id):
            total += 1
            yield reward

    # Only the rows up to the end of the asked page are kept, however many match.
    pick = heapq.nlargest if wanted.direction == "DESC" else heapq.nsmallest
    shown = pick(end, counted(), key=_order_key(wanted.sort))[start:]
    found = campaigns_of(store_code, (r.campaign_id for r in shown))
    rows = rows_of(store_code, shown, found, now_utc())
    return BoughtPage(rows, [found.get(r.campaign_id) for r in shown], total)


def list_bought(store_code: str, wanted: BoughtQuery) -> BoughtList:
    """A page of the store's bought rewards and how many match."""
    page = bought_page(store_code, wanted)
    return BoughtList(page.rows, page.total)
