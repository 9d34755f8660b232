"""Buying reward campaigns with points (Open Loyalty): what a customer may buy, and the buy.

Availability: the campaigns a customer can see now (active and inside the activity window,
visible now, targeted at the customer's level or one of their segments), each with what is
left for that customer and whether a buy would go through. One Query on the store's catalog
(one call per DynamoDB page, through `entries.select_page`), one GetItem of the customer and
one BatchGetItem of the customer's usage counters for the page's campaigns with a per-user
limit. `additionalPoints` simulates a higher balance and, as the document says, then ignores
the level and segment targeting.

Buying: the campaign, the customer and the customer's usage item of the campaign are read in
one BatchGetItem (`storage.reads.get_many`); the campaign must be active, visible now and
targeted at the customer; then `rewards.acquire` writes everything in one DynamoDB
transaction (price, coupons, counters, reward records) or nothing. Only the admin may waive
the price (`withoutPoints`); nobody bypasses visibility, targeting or limits. Cashback is
redeemed through the cashback endpoints, never bought here, and `quantity` is ignored (one)
for percentage discount codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Self

from chalicelib.domain.catalog import campaigns, entries, targeting, usage
from chalicelib.domain.catalog.bought import Coupon
from chalicelib.domain.catalog.campaign_form import Blankable, Count, Flag
from chalicelib.domain.catalog.forms import OpenLoyaltyForm
from chalicelib.domain.catalog.views import CampaignView, campaign_view
from chalicelib.domain.customers.records import CustomerNotFoundError, get_customer
from chalicelib.domain.errors import InvalidInputError, PermissionDeniedError
from chalicelib.domain.rewards.handout import MAX_QUANTITY, Grant, acquire_one, recorded_rewards
from chalicelib.domain.validation import number_type
from chalicelib.storage.campaigns import CampaignModel, CampaignUsageModel, pool_key
from chalicelib.storage.customers import CustomerModel
from chalicelib.storage.idempotency import NO_PROGRESS, BulkProgress
from chalicelib.storage.reads import Key, get_many
from chalicelib.storage.rewards import BOUGHT, RewardModel

CASHBACK = "cashback"
ONE_AT_A_TIME = "percentage_discount_code"  # the document: no `quantity` for it (nor cashback)


class CashbackNotBuyableError(InvalidInputError):
    code = "cashback_not_buyable"
    default_message = "This campaign cannot be bought manually."  # Open Loyalty's words

    def __init__(self) -> None:
        super().__init__({"campaign": [self.default_message]})


# -- availability ----------------------------------------------------------------------------
class AvailableQuery(OpenLoyaltyForm, entries.ListQuery):
    """The catalog list's query, plus the availability filters of the document."""

    hasSegment: Flag = None
    additionalPoints: Count = None


def _customer(store_code: str, customer_id: str) -> CustomerModel:
    if not targeting.is_id(customer_id):
        raise CustomerNotFoundError()
    return get_customer(store_code, customer_id)


def _buy_reads(
    store_code: str, customer_id: str, campaign_id: str
) -> tuple[CampaignModel, CustomerModel | None, set[str]]:
    """The campaign, the customer (None if not found) and, as `acquire` takes them, the
    customers with a usage item of the campaign: one consistent BatchGetItem, since the usage
    item decides the condition the buy is written under."""
    if not targeting.is_id(campaign_id):
        raise campaigns.CampaignNotFoundError()
    keys = [Key(CampaignModel, store_code, campaign_id)]
    if targeting.is_id(customer_id):
        keys += [
            Key(CustomerModel, store_code, customer_id),
            Key(CampaignUsageModel, pool_key(store_code, campaign_id), customer_id),
        ]
    campaign, *others = get_many(keys, consistent_read=True)
    if campaign is None:
        raise campaigns.CampaignNotFoundError()
    customer, used = others or (None, None)
    return campaign, customer, {customer_id} if used is not None else set()


def usage_left_for_customer(campaign: CampaignModel, used: int) -> int | None:
    """How many more this customer can get: their per-user limit, and what the campaign has
    left (rewards or coupons); None when nothing bounds it."""
    left, limit = campaigns.usage_left(campaign), usage.per_user_limit(campaign)
    if limit is None:
        return left
    own = max(0, limit - used)
    return own if left is None else min(left, own)


def can_be_bought(campaign: CampaignModel, left_for_customer: int | None, balance: int) -> bool:
    """Whether a buy of one unit would go through now (cashback is redeemed, not bought)."""
    return (
        campaign.reward != CASHBACK
        and (left_for_customer is None or left_for_customer > 0)
        and balance >= int(campaign.cost_in_points or 0)
    )


@dataclass(frozen=True)
class AvailableCampaign:
    """A campaign the customer can see now, as the catalog shows it, with what they can still
    get of it."""

    campaign: CampaignView
    usage_left_for_customer: int | None
    can_be_bought: bool


@dataclass(frozen=True)
class Available:
    """A page of the campaigns the customer can see now, and how many there are."""

    campaigns: list[AvailableCampaign]
    total: int


def available_campaigns(
    store_code: str, customer_id: str, wanted: AvailableQuery, internal: bool
) -> Available:
    """The campaigns the customer can see now, a page of them, with what they can buy."""
    customer = _customer(store_code, customer_id)
    now = datetime.now(UTC)
    simulated = wanted.additionalPoints is not None

    def available(campaign: CampaignModel) -> bool:
        return (
            campaigns.is_active(campaign, now)
            and campaigns.is_visible(campaign, now)
            and (simulated or campaigns.is_targeted(campaign, customer))
            and (wanted.hasSegment is None or (campaign.target == "segment") == wanted.hasSegment)
        )

    page = entries.select_page(store_code, wanted, available)
    # Up to 1,000 campaigns a page: BatchGetItem calls of 100 keys each.
    used = usage.uses_of(store_code, customer_id, page.campaigns)
    balance = int(customer.points_available or 0) + (wanted.additionalPoints or 0)
    view, lookups = wanted.view(internal), entries.Lookups.of(store_code, page.campaigns)
    shown = []
    for campaign in page.campaigns:
        left = usage_left_for_customer(campaign, used.get(campaign.campaign_id, 0))
        shown.append(
            AvailableCampaign(
                campaign_view(campaign, view, lookups), left, can_be_bought(campaign, left, balance)
            )
        )
    return Available(shown, page.total)


# -- buying ----------------------------------------------------------------------------------
class BuyForm(OpenLoyaltyForm):
    """`quantity` and `withoutPoints`, from the query string or the body (form or JSON), as
    the document's server reads them."""

    quantity: Annotated[number_type(int, ge=1, le=MAX_QUANTITY) | None, Blankable] = None
    withoutPoints: Flag = None

    def allowed(self, may_waive_points: bool) -> Self:
        """The form, unless it waives the price for someone who may not (the admin alone)."""
        if self.withoutPoints and not may_waive_points:
            raise InvalidInputError({"withoutPoints": ["Only an admin may buy without points."]})
        return self


def ensure_offered(campaign: CampaignModel, customer: CustomerModel, now: datetime) -> None:
    """Active, visible now and targeted at the customer, or the reason it is not."""
    campaigns.ensure_active(campaign, now)
    if not campaigns.is_visible(campaign, now):
        raise campaigns.CampaignNotVisibleError()
    if not campaigns.is_targeted(campaign, customer):
        raise campaigns.CampaignNotTargetedError()


class CampaignNotOfferedError(PermissionDeniedError):
    code = "campaign_not_offered"
    default_message = "This campaign is not visible to you."


def ensure_visible_to(store_code: str, customer_id: str, campaign: CampaignModel) -> None:
    """A customer reads a campaign only when it is offered to them (active, visible now and
    targeted at them), as Open Loyalty's VIEW rule decides: else 403."""
    try:
        ensure_offered(campaign, _customer(store_code, customer_id), datetime.now(UTC))
    except (
        campaigns.CampaignInactiveError,
        campaigns.CampaignNotVisibleError,
        campaigns.CampaignNotTargetedError,
        CustomerNotFoundError,
    ) as error:
        raise CampaignNotOfferedError() from error


def buy(
    store_code: str,
    customer_id: str,
    campaign_id: str,
    form: BuyForm,
    actor: str,
    progress: BulkProgress = NO_PROGRESS,
) -> list[RewardModel]:
    """Buy `quantity` rewards of the campaign for the customer: one transaction, or nothing.

    With a keyed request's `progress`, the transaction records the rewards, and a retry after
    a crash answers those rewards instead of buying again.
    """
    campaign, customer, users = _buy_reads(store_code, customer_id, campaign_id)
    done = progress.done([0])
    if done:
        bought = recorded_rewards(store_code, done.values())
        return [bought[reward_id] for reward_id in done[0]["rewards"]]
    now = datetime.now(UTC)
    # Whether the campaign is offered comes before any other check, as Open Loyalty's does.
    campaigns.ensure_active(campaign, now)
    if customer is None:
        raise CustomerNotFoundError()
    ensure_offered(campaign, customer, now)
    if campaign.reward == CASHBACK:
        raise CashbackNotBuyableError()
    # The document: no `quantity` for percentage discount codes; it is ignored, as OL does.
    quantity = 1 if campaign.reward == ONE_AT_A_TIME else form.quantity or 1
    price = 0 if form.withoutPoints else int(campaign.cost_in_points or 0)
    grant = Grant(customer_id, quantity=quantity, points=price, item=0 if progress.active else None)
    return acquire_one(
        campaign, grant, source=BOUGHT, actor=actor, now=now, progress=progress, users=users
    ).rewards


@dataclass(frozen=True)
class Receipt:
    """What a buy gave the customer: one coupon per unit bought."""

    coupons: list[Coupon]


def buy_coupons(
    store_code: str,
    customer_id: str,
    campaign_id: str,
    form: BuyForm,
    actor: str,
    progress: BulkProgress = NO_PROGRESS,
) -> Receipt:
    """`buy`, answered as the coupons the customer got."""
    rewards = buy(store_code, customer_id, campaign_id, form, actor, progress)
    return Receipt([Coupon(reward.reward_id, reward.coupon_code) for reward in rewards])
