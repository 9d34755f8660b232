"""Buys racing through the whole app from several processes, against the serialized local AWS:
a campaign's limit and coupons, and a customer's limit per user, are never exceeded, no coupon
goes out twice, and every balance is the sum of its ledger."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest

from chalicelib.domain import customers, ledger
from chalicelib.domain.auth import Role
from chalicelib.domain.ledger import EntryKind, Posting
from chalicelib.storage.campaigns import CampaignModel, CampaignUsageModel, CouponModel, pool_key
from chalicelib.storage.rewards import RewardModel
from tests.concurrency import workers
from tests.concurrency.conftest import run_everywhere
from tests.concurrency.test_ledger_concurrency import assert_balance_is_its_ledger
from tests.conftest import RACE_STORE as STORE
from tests.conftest import jwt_headers, token_for
from tests.factories import make_campaign

pytestmark = pytest.mark.concurrency

PRICE = 10


def new_customer(points: int) -> str:
    customer = customers.new_customer(STORE, None)
    ledger.post(Posting(STORE, customer.customer_id, points, EntryKind.EARN), new_customer=customer)
    return customer.customer_id


def buy_task(campaign_id: str, customer_id: str) -> tuple[str, str, dict[str, str], str]:
    """The customer's own buy, with their token, as a `workers.request` task."""
    token = token_for(Role.CUSTOMER, STORE, subject=customer_id)
    return ("POST", f"/api/{STORE}/customer/campaign/{campaign_id}/buy", jwt_headers(token), "")


def outcome(result: tuple[int, str]) -> str:
    status, body = result
    return "ok" if status == 200 else json.loads(body)["code"]


def bought_codes(results: list[tuple[int, str]]) -> list[str]:
    return [
        coupon["code"]
        for status, body in results
        if status == 200
        for coupon in json.loads(body)["coupons"]
    ]


def assert_coupons_went_to_their_rewards(campaign: CampaignModel, codes: list[str]) -> None:
    pool = pool_key(STORE, campaign.campaign_id)
    taken = {c.code: c.reward_id for c in CouponModel.query(pool, consistent_read=True)}
    assert sorted(code for code, reward_id in taken.items() if reward_id) == sorted(codes)
    for code in codes:
        assert RewardModel.get(STORE, taken[code]).coupon_code == code


def test_a_hundred_customers_race_for_ten_coupons(served_aws: dict[str, str]) -> None:
    codes = [f"RACE-{n}" for n in range(10)]
    campaign = make_campaign(
        STORE, codes, cost_in_points=PRICE, unlimited=False, limit=10, limit_per_user=1
    )
    buyers = [new_customer(100) for _ in range(100)]

    results: list[Any] = run_everywhere(
        served_aws, workers.request, [buy_task(campaign.campaign_id, who) for who in buyers]
    )

    outcomes = [outcome(result) for result in results]
    counts = Counter(outcomes)
    assert counts["ok"] == 10, counts
    assert set(counts) <= {"ok", "campaign_limit_reached", "no_coupons_left"}, counts
    won = bought_codes(results)
    assert sorted(won) == sorted(codes)  # ten distinct codes, every one of the pool
    assert_coupons_went_to_their_rewards(campaign, won)
    balances = [assert_balance_is_its_ledger(who) for who in buyers]
    assert sorted(balances) == [100 - PRICE] * 10 + [100] * 90
    assert [balance == 100 - PRICE for balance in balances] == [
        result == "ok" for result in outcomes
    ]
    campaign.refresh(consistent_read=True)
    assert (campaign.usage_count, campaign.coupons_available) == (10, 0)


def test_one_customer_racing_twenty_buys_gets_their_limit_per_user(
    served_aws: dict[str, str],
) -> None:
    campaign = make_campaign(
        STORE,
        [f"SELF-{n}" for n in range(20)],
        cost_in_points=PRICE,
        unlimited=False,
        limit=100,
        limit_per_user=2,
    )
    buyer = new_customer(1000)

    results: list[Any] = run_everywhere(
        served_aws, workers.request, [buy_task(campaign.campaign_id, buyer)] * 20
    )

    counts = Counter(outcome(result) for result in results)
    assert counts == {"ok": 2, "campaign_limit_per_user_reached": 18}, counts
    won = bought_codes(results)
    assert len(set(won)) == 2
    assert_coupons_went_to_their_rewards(campaign, won)
    assert assert_balance_is_its_ledger(buyer) == 1000 - 2 * PRICE
    usage = CampaignUsageModel.get(pool_key(STORE, campaign.campaign_id), buyer)
    assert usage.used == 2
    campaign.refresh(consistent_read=True)
    assert campaign.usage_count == 2
