"""The scheduled expiry of bought coupons: due ones expire once, by Query on the sparse index,
never by Scan; a second run changes nothing."""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3

from chalicelib.domain.catalog import coupon_expiry, coupon_usage
from chalicelib.domain.rewards.grants import Grant
from chalicelib.domain.rewards.handout import acquire
from chalicelib.storage.rewards import ACTIVE, BOUGHT, CANCELLED, EXPIRED, ISSUED, RewardModel
from tests.fixtures.aws import AwsCalls
from tests.fixtures.bought import admin, buy, new_customer
from tests.fixtures.clients import STORE, body_of
from tests.fixtures.factories import make_campaign

NOW = datetime.now(UTC).replace(microsecond=0)


def snapshot() -> dict[str, RewardModel]:
    return {r.reward_id: r for r in RewardModel.query(STORE)}  # checking only, not counted


def test_only_due_bought_coupons_expire_and_a_second_run_changes_nothing(
    aws_calls: AwsCalls, store: str
) -> None:
    short = make_campaign(days_valid=1)
    forever = make_campaign()
    later = make_campaign(days_valid=30)
    buyer = new_customer()
    due = {buy(short, buyer, now=NOW - timedelta(days=2, minutes=n)).reward_id for n in range(5)}
    used = buy(short, buyer, now=NOW - timedelta(days=3))
    coupon_usage.set_coupon_usage(
        STORE, buyer.customer_id, short.campaign_id, used.reward_id, True, used.created_at
    )
    due.add(used.reward_id)  # a used coupon past its validity expires too
    keep = {
        buy(short, buyer, now=NOW - timedelta(hours=12)).reward_id,  # valid until tomorrow
        buy(forever, buyer, now=NOW - timedelta(days=400)).reward_id,  # never expires
        buy(later, buyer, now=NOW - timedelta(days=2)).reward_id,
    }
    cancelled = buy(short, buyer, now=NOW - timedelta(days=2))
    RewardModel(STORE, cancelled.reward_id).update(actions=[RewardModel.status.set(CANCELLED)])
    [issued] = acquire(
        short, [Grant(buyer.customer_id)], source=ISSUED, now=NOW - timedelta(days=2)
    )
    keep |= {cancelled.reward_id, issued.rewards[0].reward_id}
    before = snapshot()

    aws_calls.reset()
    first = coupon_expiry.expire_due_coupons(NOW)
    first_calls = Counter(operation for _, operation in aws_calls.operations)
    aws_calls.reset()
    second = coupon_expiry.expire_due_coupons(NOW + timedelta(minutes=5))
    second_calls = Counter(operation for _, operation in aws_calls.operations)

    assert (first.expired, first.skipped) == (6, 0)
    assert (second.expired, second.skipped) == (0, 0)
    # Each expiry with its coupon.expired event: one transaction.
    assert first_calls == {"Query": 1, "TransactWriteItems": 6}
    assert second_calls == {"Query": 1}
    after = snapshot()
    for reward_id in due:
        reward = after[reward_id]
        assert (reward.status, reward.expired_at, reward.pending_active_to) == (EXPIRED, NOW, None)
        assert reward.active_to == before[reward_id].active_to
    for reward_id in keep:
        assert after[reward_id].attribute_values == before[reward_id].attribute_values
    assert after[used.reward_id].used is True


def test_hundreds_of_due_coupons_are_paged(aws_calls: AwsCalls, store: str) -> None:
    campaign = make_campaign(days_valid=1)
    buyers = [new_customer() for _ in range(5)]
    grants = [Grant(buyer.customer_id, quantity=25) for buyer in buyers]
    for day in (2, 3):  # 250 coupons, bought in two calls of five grants of 25
        acquire(campaign, grants, source=BOUGHT, now=NOW - timedelta(days=day))
    aws_calls.reset()

    run = coupon_expiry.expire_due_coupons(NOW)

    assert (run.expired, run.skipped) == (250, 0)
    assert aws_calls.count("Query") == 3 and aws_calls.count("Scan") == 0  # 100, 100, 50
    assert {r.status for r in RewardModel.query(STORE)} == {EXPIRED}


def test_a_coupon_is_due_from_its_active_to(store: str) -> None:
    campaign = make_campaign(days_valid=1)
    reward = buy(campaign, new_customer(), now=NOW)
    end = reward.active_to

    assert coupon_expiry.expire_due_coupons(end - timedelta(seconds=1)).expired == 0
    assert coupon_expiry.expire_due_coupons(end).expired == 1
    assert RewardModel.get(STORE, reward.reward_id).status == EXPIRED


def test_a_coupon_cancelled_after_it_was_read_is_not_expired(store: str) -> None:
    reward = buy(make_campaign(days_valid=1), new_customer(), now=NOW - timedelta(days=2))
    stale = RewardModel.get(STORE, reward.reward_id)
    RewardModel(STORE, reward.reward_id).update(actions=[RewardModel.status.set(CANCELLED)])

    assert coupon_expiry.expire_coupon(stale, NOW) is False
    assert RewardModel.get(STORE, reward.reward_id).status == CANCELLED


def test_an_expired_coupon_shows_expired_and_cannot_be_used(client: Any) -> None:
    campaign = make_campaign(days_valid=1)
    buyer = new_customer()
    reward = buy(campaign, buyer, now=NOW - timedelta(days=2))
    coupon_expiry.expire_due_coupons(NOW)

    [row] = body_of(client.get(f"/api/{STORE}/campaign/bought", headers=admin()))["boughtCampaigns"]
    response = client.post(
        f"/api/{STORE}/admin/customer/{buyer.customer_id}/campaign/{campaign.campaign_id}"
        f"/coupon/{reward.reward_id}",
        body='{"used": 1}',
        headers=admin(),
    )

    assert (row["status"], row["canBeUsed"]) == ("expired", False)
    assert response.status_code == 409 and body_of(response)["code"] == "coupon_expired"


def test_the_job_is_a_scheduled_lambda_the_local_worker_runs(store: str) -> None:
    from app import app
    from local.worker import Worker

    reward = buy(make_campaign(days_valid=1), new_customer(), now=NOW - timedelta(days=2))
    assert RewardModel.get(STORE, reward.reward_id).status == ACTIVE
    assert "expire_coupons" in app.handler_map
    clock = [time.time()]
    worker = Worker(
        app=app, sqs=boto3.client("sqs", region_name="us-east-1"), clock=lambda: clock[0]
    )
    [schedule] = [s for s in worker.schedules if s.name == "expire_coupons"]
    assert schedule.expression == "rate(60 minutes)"

    clock[0] += 60 * 60
    worker.run_once()

    assert RewardModel.get(STORE, reward.reward_id).status == EXPIRED
