"""Who a campaign is visible to: customers of its levels (Query on the level index) or members
of its segments (Query on the members' partitions), deduplicated, never a Scan; how many they
are (the kept counts of chalicelib/domain/catalog/audiences.py), and a page of them with their
purchases of the campaign."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import islice

from chalicelib.domain.access import stores
from chalicelib.domain.catalog import audiences, usage
from chalicelib.domain.catalog.campaigns import get_campaign
from chalicelib.domain.catalog.targeting.customers import Customer, customer_of, customers_by_id
from chalicelib.domain.catalog.targeting.levels import (
    level_customers_count,
    level_items,
    level_member_ids,
)
from chalicelib.domain.catalog.targeting.segments import member_ids
from chalicelib.domain.catalog.targeting.sets import unique_ids
from chalicelib.domain.customers.records import customers_count
from chalicelib.domain.paging import page_of, page_span
from chalicelib.storage.campaigns import CampaignModel
from chalicelib.storage.customers import CustomerModel
from chalicelib.storage.targeting import AudienceModel


def _targeted_ids(store_code: str, campaign: CampaignModel) -> set[str]:
    """The customers of the campaign's levels, or the members of its segments, each once."""
    if campaign.target == "level":
        ids, members = campaign.levels, level_member_ids
    else:
        ids, members = campaign.segments, member_ids
    return {
        customer_id for item in unique_ids(ids or []) for customer_id in members(store_code, item)
    }


def visible_customers_count(store_code: str, campaign: CampaignModel) -> int:
    """How many customers the campaign is offered to (the document's visibleForCustomersCount).

    Level target: the levels' kept counts (one BatchGetItem; a customer holds one level, so
    the sum has no repeats). Segment target: the kept count of the segments' audience (one
    GetItem), a customer in two counted once. Either, not counted yet (made before the counts
    were kept): a COUNT Query per level, or the members of each segment. No target: every
    customer of the store, from the store's customer count (one Query).
    """
    if campaign.target == "level":
        level_ids = unique_ids(campaign.levels or [])
        kept = audiences.levels_count(store_code, level_ids) if level_ids else 0
        if kept is not None:
            return kept
        return sum(level_customers_count(store_code, level_id) for level_id in level_ids)
    if campaign.target == "segment":
        segment_ids = unique_ids(campaign.segments or [])
        kept = audiences.segments_count(store_code, segment_ids) if segment_ids else 0
        return kept if kept is not None else len(_targeted_ids(store_code, campaign))
    return customers_count(store_code)


def count_audience(store_code: str, target: str | None, segment_ids: Iterable[str]) -> None:
    """A campaign (saved) targets these segments: their audience is counted from now on. Until
    it is (a crash before), the count is read the old way."""
    wanted = unique_ids(segment_ids)
    if target == "segment" and wanted:
        audiences.ensure_audience(
            store_code, wanted, lambda segment: member_ids(store_code, segment)
        )


def recount(store_code: str) -> tuple[int, int]:
    """Count every level of the store and every audience its campaigns' segment targets need
    (`count-audiences`: for data made before the counts were kept); (levels, audiences)."""
    levels = level_items(store_code)
    for level in levels:
        audiences.recount_level(
            level, lambda level_id=level.level_id: level_customers_count(store_code, level_id)
        )
    for campaign in CampaignModel.query(store_code):
        count_audience(store_code, campaign.target, campaign.segments or [])
    kept = list(AudienceModel.query(store_code, consistent_read=True))
    for audience in kept:
        audiences.recount_audience(audience, lambda segment: member_ids(store_code, segment))
    return len(levels), len(kept)


@dataclass(frozen=True)
class VisibleCustomer(Customer):
    """A customer a campaign is offered to, with their purchases of it (oldest first) and the
    store's currency."""

    purchases: list[usage.Purchase]
    currency: str


@dataclass(frozen=True)
class VisibleCustomers:
    customers: list[VisibleCustomer]
    total: int


def _page(
    store_code: str, campaign: CampaignModel, page: int, per_page: int
) -> tuple[list[CustomerModel], int]:
    """Targeted: the ids from the level index or the segments' members (keys only), then one
    BatchGetItem for the page. Untargeted: the store's partition, read up to the page."""
    if campaign.target in ("level", "segment"):
        ids = sorted(_targeted_ids(store_code, campaign))
        return customers_by_id(store_code, page_of(ids, page, per_page)), len(ids)
    start, end = page_span(page, per_page)
    customers = CustomerModel.query(store_code, page_size=min(end, 1000))
    return list(islice(customers, start, end)), customers_count(store_code)


def visible_customers(
    store_code: str, campaign_id: str, page: int, per_page: int
) -> VisibleCustomers:
    """One page of the customers the campaign is offered to, in customer id order, each with
    their purchases of it."""
    campaign = get_campaign(store_code, campaign_id)
    shown, total = _page(store_code, campaign, page, per_page)
    purchases = usage.purchases_of(
        store_code, campaign.campaign_id, [item.customer_id for item in shown]
    )
    currency = stores.get_store(store_code).currency
    return VisibleCustomers(
        [
            VisibleCustomer(
                **vars(customer_of(item)),
                purchases=purchases.get(item.customer_id, []),
                currency=currency,
            )
            for item in shown
        ],
        total,
    )
