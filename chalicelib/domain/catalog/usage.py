"""A customer's uses of a campaign: the usage item, and the campaign's count of its users.

The usage item (`CampaignUsageModel`, one per customer and campaign) counts what the customer
got from the campaign, under `limitPerUser`. The campaign keeps how many customers have one
(`users_count`, shown as `usersWhoUsedThisCampaignCount`), so a campaign list reads one number
instead of counting usage items, however many customers a campaign has.

The count is raised by the transaction that creates the item. Which one that is comes from a
read before it (`users_of`) and is held by the write's condition: a first use writes under
`attribute_not_exists`, a later one under `attribute_exists`. When another request created
the item in between, the condition refuses and `misjudged` says so: the caller learns that the
customer is a user now and writes again. A refund lowers `used` but keeps the item, so a
customer who used a campaign stays counted.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from pynamodb.transactions import TransactWrite

from chalicelib.storage.campaigns import CampaignModel, CampaignUsageModel, pool_key
from chalicelib.storage.errors import FailedItem
from chalicelib.storage.rewards import BOUGHT, RewardModel, customer_key


def per_user_limit(campaign: CampaignModel) -> int | None:
    """How many rewards one customer may get from the campaign; None when nothing limits it
    (no `limitPerUser`, or an unlimited campaign)."""
    if campaign.unlimited or campaign.limit_per_user is None:
        return None
    return int(campaign.limit_per_user)


def uses_of(
    store_code: str, customer_id: str, campaigns: Iterable[CampaignModel]
) -> dict[str, int]:
    """The customer's uses of those campaigns that limit them (campaign id -> uses; a campaign
    never used is left out): one BatchGetItem per 100 campaigns."""
    pools = {
        pool_key(store_code, campaign.campaign_id): campaign.campaign_id
        for campaign in campaigns
        if per_user_limit(campaign) is not None
    }
    if not pools:
        return {}
    found = CampaignUsageModel.batch_get([(pool, customer_id) for pool in pools])
    return {pools[usage.pool]: int(usage.used or 0) for usage in found}


def users_of(pool: str, customer_ids: Iterable[str]) -> set[str]:
    """Which of these customers have a usage item in the pool: consistent reads, 100 a call."""
    keys = [(pool, customer_id) for customer_id in dict.fromkeys(customer_ids)]
    if not keys:
        return set()
    found = CampaignUsageModel.batch_get(
        keys, consistent_read=True, attributes_to_get=["pool", "customer_id"]
    )
    return {usage.customer_id for usage in found}


@dataclass(frozen=True)
class Purchase:
    """One reward a customer bought from a campaign."""

    campaign_id: str
    purchased_at: datetime
    cost_in_points: int
    used: bool
    coupon_code: str | None


def purchases_of(
    store_code: str, campaign_id: str, customer_ids: Iterable[str]
) -> dict[str, list[Purchase]]:
    """Each of these customers' purchases of the campaign, oldest first (a customer who bought
    nothing is left out). Who bought anything comes from the usage items (one BatchGetItem per
    100 customers); then one Query per buyer on the customer index, so a page of customers
    bounds the reads, whatever the campaign's or the store's size."""
    buyers = users_of(pool_key(store_code, campaign_id), customer_ids)
    bought = (RewardModel.campaign_id == campaign_id) & (RewardModel.source == BOUGHT)
    purchases: dict[str, list[Purchase]] = {}
    for customer_id in sorted(buyers):
        rewards = RewardModel.by_customer.query(
            customer_key(store_code, customer_id), filter_condition=bought
        )
        found = [
            Purchase(
                campaign_id,
                reward.created_at,
                int(reward.cost_in_points or 0),
                bool(reward.used),
                reward.coupon_code,
            )
            for reward in rewards
        ]
        if found:
            purchases[customer_id] = found
    return purchases


def add_use(
    transaction: TransactWrite,
    pool: str,
    customer_id: str,
    quantity: int,
    now: datetime,
    *,
    first: bool,
    limit_per_user: int | None,
) -> None:
    """Count `quantity` more uses, under the customer's limit; `first` when the customer has
    no usage item yet (the campaign's `users_count` is then raised in the same transaction)."""
    item = CampaignUsageModel(pool, customer_id)
    if first:
        # A first use within the limit is the caller's check: quantity <= limitPerUser.
        condition = CampaignUsageModel.customer_id.does_not_exist()
    else:
        condition = CampaignUsageModel.customer_id.exists()
        if limit_per_user is not None:
            condition &= CampaignUsageModel.used <= limit_per_user - quantity
    transaction.update(
        item,
        actions=[CampaignUsageModel.used.add(quantity), CampaignUsageModel.updated_at.set(now)],
        condition=condition,
        return_values="ALL_OLD",
    )


def misjudged(failure: FailedItem, first: bool) -> bool:
    """Whether a refused `add_use` was written as the wrong kind of use (the item appeared, or
    went, meanwhile) rather than over the customer's limit."""
    return (failure.old_item is not None) == first
