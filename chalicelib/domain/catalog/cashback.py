"""Cashback (Open Loyalty): points exchanged for money through a cashback campaign.

Which campaign: the one named by `cashbackId` (a cashback campaign of the store, active and
visible now, targeted at the customer), or, when none is named, the best of those the
customer may use now: every rule above, usage left under `limit`, and the customer under
`limitPerUser` (one Query on the store's campaigns, one BatchGetItem of the customer's usage
counters). Best is the highest `pointValue`; ties go to the oldest campaign.

The money: `rewardAmount = pointsAmount * pointValue`, in Decimal, to the cent, rounded down
(the customer never gets more than the points are worth); points worth less than a cent are
refused. Simulating reads and writes nothing.

Redeeming is one DynamoDB transaction: the points debit with its ledger entry (`spend`,
referencing the payout), the payout record, and one use of the campaign, counted like a buy
(`usage_count` under `limit`, the customer's counter under `limitPerUser`, the campaign still
active). Any condition failing writes nothing and names the reason. The payout is then handed
to the campaign's provider (`payout_providers`) and its status becomes what the provider says
(`requested` for PayTM) with one conditional UpdateItem.

A provider's callback, once its signature checks (or it carries the store admin's token, as
the document's example does), moves the payout forward: each status is reached only from the
statuses before it, under a condition, so the same callback twice changes nothing. A failed
payout gives the points back (a `refund` entry) and the campaign use, in the same transaction
as the status change: once, whatever the number of failure callbacks.

This module reads the forms, chooses the campaign and quotes; the writes are
chalicelib/domain/catalog/cashback_payouts.py, the callback cashback_settlement.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_DOWN, Decimal
from typing import Annotated, Any

from pydantic import AfterValidator

from chalicelib.domain.catalog import cashback_payouts, usage
from chalicelib.domain.catalog.campaign_form import BLANK, MAX_POINTS, Blankable, Id
from chalicelib.domain.catalog.campaigns import (
    CampaignInactiveError,
    CampaignNotFoundError,
    CampaignNotTargetedError,
    CampaignNotVisibleError,
    get_campaign,
    is_active,
    is_targeted,
    is_visible,
    usage_left,
)
from chalicelib.domain.catalog.cashback_payouts import CashbackNotFoundError
from chalicelib.domain.catalog.forms import OpenLoyaltyForm
from chalicelib.domain.catalog.payout_providers import provider_named
from chalicelib.domain.customers.records import get_customer
from chalicelib.domain.errors import InvalidInputError, NotFoundError, PermissionDeniedError
from chalicelib.domain.validation import number_type
from chalicelib.storage.campaigns import CampaignModel
from chalicelib.storage.customers import CustomerModel

CASHBACK = "cashback"
CENT = Decimal("0.01")


class NoCashbackAvailableError(NotFoundError):
    code = "cashback_not_available"
    default_message = "No cashback campaign is available to this customer now."


class RewardTooSmallError(InvalidInputError):
    code = "cashback_reward_too_small"

    def __init__(self, points: int) -> None:
        super().__init__(
            {
                "pointsAmount": [
                    f"This value is too small: {points} points are worth less than 0.01."
                ]
            }
        )


# -- the forms -------------------------------------------------------------------------------
def _required(value: Any) -> Any:
    if value is None:  # sent blank
        raise ValueError(BLANK)
    return value


OptionalId = Annotated[Id | None, Blankable]
RequiredId = Annotated[Id | None, Blankable, AfterValidator(_required)]
Points = Annotated[
    number_type(int, ge=1, le=MAX_POINTS) | None, Blankable, AfterValidator(_required)
]


class CashbackForm(OpenLoyaltyForm):
    """The admin's form: whose points (`customerId`), how many, and optionally which cashback
    campaign (else the best one)."""

    customerId: RequiredId
    pointsAmount: Points
    cashbackId: OptionalId = None


class OwnCashbackForm(OpenLoyaltyForm):
    """A customer's own form: the document requires `cashbackId`; `customerId`, if given, must
    be their own."""

    customerId: OptionalId = None
    pointsAmount: Points
    cashbackId: RequiredId


@dataclass(frozen=True)
class Order:
    customer_id: str
    points: int
    cashback_id: str | None = None

    @classmethod
    def of(cls, form: CashbackForm | OwnCashbackForm, customer_id: str | None = None) -> Order:
        """The form's order; `customer_id`: the logged-in customer's own (403 for another's)."""
        if customer_id is not None and form.customerId not in (None, customer_id):
            raise PermissionDeniedError("A customer redeems only their own points.")
        return cls(customer_id or form.customerId or "", form.pointsAmount, form.cashbackId)


# -- the quote -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Quote:
    """What `points` of a customer bring through a cashback campaign."""

    customer_id: str
    cashback_id: str  # the campaign
    points: int
    point_value: Decimal  # money per point
    reward_amount: Decimal


@dataclass(frozen=True)
class Choice:
    """A quote and what it was read from, which redeeming it writes against."""

    customer: CustomerModel
    campaign: CampaignModel
    quote: Quote


def reward_amount(points: int, point_value: Decimal) -> Decimal:
    """What `points` are worth, to the cent, rounded down; refused below one cent."""
    amount = (Decimal(points) * point_value).quantize(CENT, rounding=ROUND_DOWN)
    if amount <= 0:
        raise RewardTooSmallError(points)
    return amount


def _cashback_campaign(store_code: str, campaign_id: str) -> CampaignModel:
    try:
        campaign = get_campaign(store_code, campaign_id)
    except CampaignNotFoundError as error:
        raise CashbackNotFoundError() from error
    if campaign.reward != CASHBACK or campaign.point_value is None:
        raise CashbackNotFoundError()
    return campaign


def _ensure_usable(campaign: CampaignModel, customer: CustomerModel, now: datetime) -> None:
    if not is_active(campaign, now):
        raise CampaignInactiveError()
    if not is_visible(campaign, now):
        raise CampaignNotVisibleError()
    if not is_targeted(campaign, customer):
        raise CampaignNotTargetedError()


def _best_campaign(store_code: str, customer: CustomerModel, now: datetime) -> CampaignModel:
    """The usable cashback campaign with the highest point value (see the module docstring)."""
    usable = [
        campaign
        for campaign in CampaignModel.query(
            store_code, filter_condition=CampaignModel.reward == CASHBACK
        )
        if campaign.point_value is not None
        and is_active(campaign, now)
        and is_visible(campaign, now)
        and is_targeted(campaign, customer)
        and usage_left(campaign) != 0
    ]
    used = usage.uses_of(store_code, customer.customer_id, usable)
    usable = [
        campaign
        for campaign in usable
        if (limit := usage.per_user_limit(campaign)) is None
        or used.get(campaign.campaign_id, 0) < limit
    ]
    if not usable:
        raise NoCashbackAvailableError()
    return min(usable, key=lambda c: (-c.point_value, c.created_at, c.campaign_id))


def choose(store_code: str, order: Order, now: datetime | None = None) -> Choice:
    """The campaign and the money `order.points` would bring; reads only."""
    now = now or datetime.now(UTC)
    customer = get_customer(store_code, order.customer_id)
    if order.cashback_id is None:
        campaign = _best_campaign(store_code, customer, now)
    else:
        campaign = _cashback_campaign(store_code, order.cashback_id)
        _ensure_usable(campaign, customer, now)
    point_value = Decimal(campaign.point_value)
    amount = reward_amount(order.points, point_value)
    found = Quote(customer.customer_id, campaign.campaign_id, order.points, point_value, amount)
    return Choice(customer, campaign, found)


def quote(store_code: str, order: Order) -> Quote:
    """Simulate: what `order.points` would bring, and through which campaign."""
    return choose(store_code, order).quote


# -- redeeming -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Redemption(Quote):
    """The points taken and the payout recorded, where it stands now."""

    payout_id: str
    status: str


def redeem(
    store_code: str, order: Order, actor: str | None = None, now: datetime | None = None
) -> Redemption:
    """Debit the points and record the payout (one transaction), then hand it to its provider."""
    now = now or datetime.now(UTC)
    found = choose(store_code, order, now)
    payout = cashback_payouts.record(store_code, found, actor, now)
    provider = provider_named(payout.provider)
    if provider is not None:
        cashback_payouts.advance(payout, provider.request_payout(payout, found.customer), now)
    return Redemption(**vars(found.quote), payout_id=payout.payout_id, status=payout.status)
