"""The invariants the concurrency tests rely on catch each kind of breakage (in-process moto:
no processes needed to break the records by hand)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import pytest

from chalicelib.domain.access import stores
from chalicelib.domain.customers import records as customer_records
from chalicelib.domain.points import claims, ledger
from chalicelib.domain.points.ledger import EntryKind, Posting
from chalicelib.domain.rewards.grants import Grant
from chalicelib.domain.rewards.handout import acquire_one
from chalicelib.storage.campaigns import CampaignModel, CampaignUsageModel, pool_key
from chalicelib.storage.cashback import CashbackPayoutModel
from chalicelib.storage.customers import CustomerModel
from chalicelib.storage.rewards import BOUGHT, RewardModel
from tests.fixtures import invariants
from tests.fixtures.clients import RACE_STORE as STORE
from tests.fixtures.factories import make_campaign

pytestmark = pytest.mark.concurrency


@dataclass(frozen=True)
class Records:
    customer_id: str
    campaign: CampaignModel
    reward: RewardModel
    claim_reference: str  # what the ledger names the claim by: its token digest


@pytest.fixture
def records(aws: None) -> Records:
    """A customer who bought one coupon of a limited campaign and claimed one claim."""
    stores.create_store(STORE, country_code="gb")
    customer = customer_records.new_customer(STORE, "shopper@example.com")
    ledger.post(Posting(STORE, customer.customer_id, 50, EntryKind.EARN), new_customer=customer)
    campaign = make_campaign(
        STORE, ["A", "B", "C"], cost_in_points=10, unlimited=False, limit=2, limit_per_user=1
    )
    grant = Grant(customer.customer_id, points=10)
    reward = acquire_one(campaign, grant, source=BOUGHT).rewards[0]
    claim = claims.create_claims(STORE, [{"amount": 5}])[0].claim
    assert claim is not None
    claims.claim(claim.token, "shopper@example.com")
    campaign.refresh()
    return Records(customer.customer_id, campaign, reward, claims.token_key(claim.token))


def off_the_ledger(records: Records) -> None:
    CustomerModel(STORE, records.customer_id).update(
        actions=[CustomerModel.points_available.add(7)]
    )


def negative(records: Records) -> None:
    ledger.post(Posting(STORE, records.customer_id, -45, EntryKind.ADJUST))
    CustomerModel(STORE, records.customer_id).update(
        actions=[CustomerModel.points_available.set(-5)]
    )


def twin_reward(records: Records, coupon_code: str | None) -> None:
    twin = copy.copy(records.reward)
    twin.reward_id = "twin"
    twin.coupon_code = coupon_code
    twin.save()


def coupon_twice(records: Records) -> None:
    twin_reward(records, records.reward.coupon_code)


def over_the_limit(records: Records) -> None:
    records.campaign.update(actions=[CampaignModel.usage_count.set(3)])


def over_the_limit_per_user(records: Records) -> None:
    """A second reward for the customer, counted everywhere: only the limit per user is broken."""
    twin_reward(records, None)
    records.campaign.update(actions=[CampaignModel.usage_count.add(1)])
    pool = pool_key(STORE, records.campaign.campaign_id)
    CampaignUsageModel(pool, records.customer_id).update(actions=[CampaignUsageModel.used.add(1)])


def uncounted_user(records: Records) -> None:
    records.campaign.update(actions=[CampaignModel.users_count.add(-1)])


def claimed_twice(records: Records) -> None:
    ledger.post(Posting(STORE, records.customer_id, 5, EntryKind.CLAIM, records.claim_reference))


def payout_not_debited(records: Records) -> None:
    reward = records.reward
    CashbackPayoutModel(
        STORE,
        "payout",
        customer_id=records.customer_id,
        campaign_id="elsewhere",
        points=5,
        point_value=Decimal(1),
        reward_amount=Decimal(5),
        currency="GBP",
        transaction_id="none",
        created_at=reward.created_at,
        updated_at=reward.created_at,
    ).save()


def payout_refunded_unfailed(records: Records) -> None:
    payout_not_debited(records)
    for amount, kind in ((-5, EntryKind.SPEND), (5, EntryKind.REFUND)):
        ledger.post(Posting(STORE, records.customer_id, amount, kind, "payout"))


def uncounted_customer(records: Records) -> None:
    customer_records.new_customer(STORE, "saved-around-the-count@example.com").save()


BREAKAGES: dict[str, tuple[Callable[[Records], None], str]] = {
    "a balance off its ledger": (off_the_ledger, "points, the ledger"),
    "a negative balance": (negative, "negative balance"),
    "a coupon in two rewards": (coupon_twice, "is in 2 rewards"),
    "the campaign's limit": (over_the_limit, "over its limit 2"),
    "the limit per user": (over_the_limit_per_user, "used .* 2 times, over 1"),
    "a user the campaign missed": (uncounted_user, "counts 0 users; 1 used it"),
    "a token claimed twice": (claimed_twice, "credited"),
    "a payout never debited": (payout_not_debited, r"debited \[\]"),
    "a refund of a payout that did not fail": (payout_refunded_unfailed, r"refunded \[5\]"),
    "a customer the count missed": (uncounted_customer, "counts 1 customers and has 2"),
}


def test_the_records_as_the_domain_writes_them_hold(records: Records) -> None:
    books = invariants.check()
    assert books.balance(records.customer_id) == 50 - 10 + 5


@pytest.mark.parametrize("breakage", BREAKAGES.values(), ids=BREAKAGES.keys())
def test_each_breakage_is_caught(
    records: Records, breakage: tuple[Callable[[Records], None], str]
) -> None:
    corrupt, message = breakage
    corrupt(records)

    with pytest.raises(AssertionError, match=message):
        invariants.check()
