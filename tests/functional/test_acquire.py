"""`handout.acquire`: the one function behind issuing and buying, against moto."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pynamodb.transactions import TransactWrite

from chalicelib.domain.catalog import coupons
from chalicelib.domain.catalog.campaigns import CampaignInactiveError
from chalicelib.domain.customers import records
from chalicelib.domain.points.ledger import InsufficientPointsError
from chalicelib.domain.rewards import handout
from chalicelib.domain.rewards.grants import Grant, Recipient
from chalicelib.domain.rewards.handout import acquire
from chalicelib.domain.rewards.links import reward_token
from chalicelib.storage.base import connection
from chalicelib.storage.campaigns import CampaignModel, CampaignUsageModel, CouponModel, pool_key
from chalicelib.storage.customers import CustomerModel
from chalicelib.storage.ledger import LedgerEntryModel, account_key
from chalicelib.storage.rewards import BOUGHT, ISSUED, RewardModel
from tests.fixtures.aws import hooked_clients
from tests.fixtures.clients import STORE
from tests.fixtures.factories import customer_with_points, make_campaign


def _new(email: str, **fields: Any) -> Grant:
    customer = records.new_customer(STORE, email, **fields)
    return Grant(customer.customer_id, new_customer=customer, recipient=Recipient(email=email))


def _taken(campaign: CampaignModel) -> list[CouponModel]:
    pool = pool_key(STORE, campaign.campaign_id)
    return [c for c in CouponModel.query(pool) if c.reward_id]


def test_each_grant_gets_its_own_code_and_the_counters_follow(store: str) -> None:
    campaign = make_campaign(codes=["A1", "A2", "A3"])
    outcomes = acquire(campaign, [_new("a@x.com"), _new("b@x.com")], source=ISSUED)

    codes = [o.rewards[0].coupon_code for o in outcomes]
    assert sorted(codes) == ["A1", "A2"]
    assert {c.code: c.reward_id for c in _taken(campaign)} == {
        o.rewards[0].coupon_code: o.rewards[0].reward_id for o in outcomes
    }
    campaign.refresh()
    assert (campaign.usage_count, campaign.coupons_available) == (2, 1)
    saved = RewardModel.get(STORE, outcomes[0].rewards[0].reward_id)
    assert saved.source == ISSUED and saved.email == "a@x.com" and len(reward_token(saved)) == 32
    # The recipients became customers, found by email like any other.
    assert records.find_by_email(STORE, "b@x.com").customer_id == outcomes[1].grant.customer_id


def test_pool_runs_out_part_way_through_a_bulk_request(store: str) -> None:
    campaign = make_campaign(codes=[f"C{n}" for n in range(5)])
    outcomes = acquire(campaign, [_new(f"r{n}@x.com") for n in range(8)], source=ISSUED)

    assert [o.error is None for o in outcomes] == [True] * 5 + [False] * 3
    assert {o.error.code for o in outcomes[5:]} == {"no_coupons_left"}
    assert len({o.rewards[0].coupon_code for o in outcomes[:5]}) == 5
    # Recipients who got nothing were not written either.
    assert records.find_by_email(STORE, "r7@x.com") is None


def test_global_limit_gives_the_first_grants_what_is_left(store: str) -> None:
    campaign = make_campaign(unlimited=False, limit=3, limit_per_user=5, usage_count=1)
    outcomes = acquire(campaign, [_new(f"l{n}@x.com") for n in range(4)], source=ISSUED)

    assert [o.error.code if o.error else "ok" for o in outcomes] == [
        "ok",
        "ok",
        "campaign_limit_reached",
        "campaign_limit_reached",
    ]
    campaign.refresh()
    assert campaign.usage_count == 3


def test_limit_per_user_counts_across_calls_and_quantity(store: str) -> None:
    campaign = make_campaign(unlimited=False, limit=100, limit_per_user=3)
    customer_id = customer_with_points()
    first = acquire(campaign, [Grant(customer_id, quantity=2)], source=BOUGHT)[0]
    second = acquire(campaign, [Grant(customer_id, quantity=2)], source=BOUGHT)[0]
    too_many = acquire(campaign, [Grant(customer_id, quantity=4)], source=BOUGHT)[0]

    assert len(first.rewards) == 2
    assert second.error is not None and second.error.code == "campaign_limit_per_user_reached"
    assert too_many.error is not None and too_many.error.code == "campaign_limit_per_user_reached"
    usage = CampaignUsageModel.get(pool_key(STORE, campaign.campaign_id), customer_id)
    assert usage.used == 2


def test_buying_debits_points_with_a_ledger_entry_in_the_same_transaction(store: str) -> None:
    campaign = make_campaign(codes=["B1", "B2", "B3"], cost_in_points=30)
    customer_id = customer_with_points(points=100)
    outcome = acquire(campaign, [Grant(customer_id, quantity=3, points=30)], source=BOUGHT)[0]

    assert [r.coupon_code for r in outcome.rewards] == ["B1", "B2", "B3"]
    customer = CustomerModel.get(STORE, customer_id)
    assert (customer.points_available, customer.points_used) == (10, 90)
    entries = list(LedgerEntryModel.query(account_key(STORE, customer_id)))
    debit = [e for e in entries if e.kind == "buy"]
    assert [int(e.amount) for e in debit] == [-90]
    assert {r.transaction_id for r in outcome.rewards} == {debit[0].entry_id}


def test_not_enough_points_rolls_everything_back(store: str) -> None:
    campaign = make_campaign(codes=["N1", "N2"], cost_in_points=60)
    customer_id = customer_with_points(points=100)
    outcome = acquire(campaign, [Grant(customer_id, quantity=2, points=60)], source=BOUGHT)[0]

    assert isinstance(outcome.error, InsufficientPointsError)
    assert outcome.error.available == 100 and outcome.error.requested == 120
    assert _taken(campaign) == []
    campaign.refresh()
    assert campaign.usage_count == 0
    assert list(RewardModel.by_customer.query(f"{STORE}#{customer_id}")) == []


def test_an_inactive_or_out_of_window_campaign_gives_nothing(store: str) -> None:
    from datetime import UTC, datetime, timedelta

    inactive = make_campaign(active=False)
    ended = make_campaign(all_time_active=False, active_to=datetime.now(UTC) - timedelta(days=1))
    for campaign in (inactive, ended):
        with pytest.raises(CampaignInactiveError):
            acquire(campaign, [_new("z@x.com")], source=ISSUED)
    assert records.find_by_email(STORE, "z@x.com") is None


def test_a_campaign_switched_off_meanwhile_is_refused_by_its_condition(store: str) -> None:
    campaign = make_campaign()
    CampaignModel(STORE, campaign.campaign_id).update(actions=[CampaignModel.active.set(False)])
    outcome = acquire(campaign, [_new("late@x.com")], source=ISSUED)[0]  # stale copy: active

    assert outcome.error is not None and outcome.error.code == "campaign_inactive"


def test_recipient_who_became_a_customer_meanwhile_gets_the_reward_on_that_record(
    store: str,
) -> None:
    campaign = make_campaign()
    grant = _new("race@x.com")  # resolved as new...
    existing = records.new_customer(STORE, "race@x.com")  # ...but created before the write
    existing.save()
    records.email_guard(existing).save()

    outcome = acquire(campaign, [grant], source=ISSUED)[0]

    assert outcome.error is None
    assert outcome.rewards[0].customer_id == existing.customer_id


def test_the_same_customer_twice_in_one_call_is_written_in_separate_transactions(
    store: str,
) -> None:
    campaign = make_campaign(unlimited=False, limit=10, limit_per_user=1)
    customer_id = customer_with_points()
    outcomes = acquire(campaign, [Grant(customer_id), Grant(customer_id)], source=ISSUED)

    assert outcomes[0].error is None
    assert outcomes[1].error is not None
    assert outcomes[1].error.code == "campaign_limit_per_user_reached"


def test_single_coupon_campaign_gives_everyone_the_same_code(store: str) -> None:
    campaign = make_campaign(single_coupon=True)
    coupons.put_codes(STORE, campaign.campaign_id, ["SAME"], append=False)
    campaign.refresh()
    outcomes = acquire(campaign, [_new("s1@x.com"), _new("s2@x.com")], source=ISSUED)

    assert [o.rewards[0].coupon_code for o in outcomes] == ["SAME", "SAME"]
    assert _taken(campaign) == []


def test_validity_follows_days_inactive_and_days_valid(store: str) -> None:
    campaign = make_campaign(days_inactive=2, days_valid=10)
    reward = acquire(campaign, [_new("v@x.com")], source=ISSUED)[0].rewards[0]

    assert (reward.active_since - reward.created_at).days == 2
    assert (reward.active_to - reward.active_since).days == 10
    forever = make_campaign(days_valid=0)
    assert acquire(forever, [_new("w@x.com")], source=ISSUED)[0].rewards[0].active_to is None


def test_bulk_grants_are_packed_into_full_transactions(aws_calls: Any, store: str) -> None:
    count = 300
    campaign = make_campaign(codes=[f"K{n:04}" for n in range(count)])
    grants = [_new(f"bulk{n}@x.com") for n in range(count)]
    aws_calls.reset()

    outcomes = acquire(campaign, grants, source=ISSUED)

    assert all(o.error is None for o in outcomes)
    assert len({o.rewards[0].coupon_code for o in outcomes}) == count
    # reward, coupon, usage, 2 new, the event
    per_transaction = (handout.MAX_TRANSACTION_ITEMS - 1) // 6
    assert aws_calls.count("TransactWriteItems") == -(-count // per_transaction)
    assert aws_calls.count("Scan") == 0


@pytest.fixture
def transaction_sizes() -> Iterator[list[int]]:
    """The number of actions of every TransactWriteItems call (ask for it before `store`)."""
    sizes: list[int] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        sizes.append(len(params["TransactItems"]))

    with hooked_clients(record, "before-parameter-build.dynamodb.TransactWriteItems"):
        yield sizes


def _mixed_grants(count: int, pooled: bool) -> list[Grant]:
    """A new customer (record, email and public-key guards) then existing customers, in
    blocks that make every batch after the first carry 99 items of grants: with the campaign
    item and the customer count, 101 if the packing forgot either."""
    block = 32 if pooled else 48  # existing customers need 3 items pooled, 2 unpooled
    made = [records.new_customer(STORE, None) for _ in range(count - count // block - 1)]
    for start in range(0, len(made), 50):
        with TransactWrite(connection=connection()) as transaction:
            records.add_new_customers(transaction, made[start : start + 50])
    existing = iter(made)
    return [
        _new(f"many{n}@x.com", public_key=f"pk-{n}")
        if n % block == 0
        else Grant(next(existing).customer_id)
        for n in range(count)
    ]


@pytest.mark.parametrize("count", [101, 201])
@pytest.mark.parametrize("pooled", [True, False])
def test_no_transaction_carries_more_than_100_actions(
    transaction_sizes: list[int], store: str, count: int, pooled: bool
) -> None:
    campaign = make_campaign(codes=[f"K{n:04}" for n in range(count)] if pooled else None)
    grants = _mixed_grants(count, pooled)
    transaction_sizes.clear()

    outcomes = acquire(campaign, grants, source=ISSUED)

    assert [o.error for o in outcomes] == [None] * count
    issued = {o.rewards[0].reward_id for o in outcomes}
    assert len(issued) == count
    pool = pool_key(STORE, campaign.campaign_id)
    assert {r.reward_id for r in RewardModel.by_campaign.query(pool)} == issued
    assert len(transaction_sizes) >= 2
    assert max(transaction_sizes) <= handout.MAX_TRANSACTION_ITEMS
