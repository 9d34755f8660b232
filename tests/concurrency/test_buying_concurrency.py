"""Buys racing through the whole app from several processes, against the serialized local AWS:
a campaign's limit and coupons, and a customer's limit per user and points, are never
exceeded, no coupon goes out twice, and every balance is the sum of its ledger."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from typing import Any

import pytest

from chalicelib.domain.access.auth import Role
from chalicelib.domain.customers import records
from chalicelib.domain.points import ledger
from chalicelib.domain.points.ledger import EntryKind, Posting
from tests.concurrency.conftest import Task, outcome, run_everywhere
from tests.fixtures import invariants, workers
from tests.fixtures.clients import RACE_STORE as STORE
from tests.fixtures.clients import jwt_headers, token_for
from tests.fixtures.factories import make_campaign

pytestmark = pytest.mark.concurrency

PRICE = 10


def new_customer(points: int) -> str:
    customer = records.new_customer(STORE, None)
    ledger.post(Posting(STORE, customer.customer_id, points, EntryKind.EARN), new_customer=customer)
    return customer.customer_id


def buy_task(campaign_id: str, customer_id: str, quantity: int = 1) -> Task:
    """The customer's own buy, with their token; more than one at a time, the admin's buy."""
    if quantity == 1:
        token = token_for(Role.CUSTOMER, STORE, subject=customer_id)
        return ("POST", f"/api/{STORE}/customer/campaign/{campaign_id}/buy", jwt_headers(token), "")
    path = f"/api/{STORE}/admin/customer/{customer_id}/campaign/{campaign_id}/buy"
    headers = jwt_headers(token_for(Role.ADMIN, STORE))
    return ("POST", path, headers, json.dumps({"quantity": quantity}))


def bought_codes(results: list[tuple[int, str]]) -> list[str]:
    """The coupon codes the buys answered (a campaign without a pool gives none)."""
    return [
        coupon["code"]
        for status, body in results
        if status == 200
        for coupon in json.loads(body)["coupons"]
        if coupon["code"] is not None
    ]


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
    assert sorted(bought_codes(results)) == sorted(codes)  # ten distinct codes, all of the pool
    books = invariants.check()
    assert [books.balance(who) for who in buyers] == [
        100 - PRICE if result == "ok" else 100 for result in outcomes
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
    assert len(set(bought_codes(results))) == 2
    books = invariants.check()
    assert books.balance(buyer) == 1000 - 2 * PRICE
    campaign.refresh(consistent_read=True)
    assert (campaign.usage_count, campaign.coupons_available) == (2, 18)


@dataclass(frozen=True)
class Race:
    """Buyers with `points` each, `buys` requests each of `quantity`, against one campaign."""

    limit: int | None  # None: unlimited
    codes: int  # 0: no coupon pool
    buyers: int
    points: int
    won: int  # buys that go through
    refusal: str  # why the others do not
    buys: int = 1
    quantity: int = 1


RACES = {
    "the limit, below the pool": Race(6, 15, 30, 100, won=6, refusal="campaign_limit_reached"),
    "the pool, below the limit": Race(20, 5, 15, 100, won=5, refusal="no_coupons_left"),
    "a limit without a pool": Race(5, 0, 15, 100, won=5, refusal="campaign_limit_reached"),
    # Pairs under an odd limit: the last unit cannot be bought as a pair.
    "the limit, two at a time": Race(
        7, 20, 12, 100, won=3, refusal="campaign_limit_reached", quantity=2
    ),
    "one buyer's points": Race(None, 30, 1, 35, won=3, refusal="insufficient_points", buys=20),
}


@pytest.mark.parametrize("race", RACES.values(), ids=RACES.keys())
def test_buys_stop_at_what_runs_out_first(served_aws: dict[str, str], race: Race) -> None:
    codes = [f"POOL-{n}" for n in range(race.codes)]
    campaign = make_campaign(
        STORE, codes, cost_in_points=PRICE, unlimited=race.limit is None, limit=race.limit
    )
    buyers = [new_customer(race.points) for _ in range(race.buyers)]
    tasks = [
        (buyer, buy_task(campaign.campaign_id, buyer, race.quantity))
        for _ in range(race.buys)
        for buyer in buyers
    ]

    results: list[Any] = run_everywhere(served_aws, workers.request, [t for _, t in tasks])

    outcomes = [outcome(result) for result in results]
    assert Counter(outcomes) == {"ok": race.won, race.refusal: len(tasks) - race.won}
    bought = bought_codes(results)
    assert len(bought) == len(set(bought)) == (race.won * race.quantity if codes else 0)
    books = invariants.check()
    paid = Counter(buyer for (buyer, _), won in zip(tasks, outcomes, strict=True) if won == "ok")
    for buyer in buyers:
        assert books.balance(buyer) == race.points - paid[buyer] * race.quantity * PRICE
    campaign.refresh(consistent_read=True)
    assert campaign.usage_count == race.won * race.quantity
    assert campaign.coupons_available == max(race.codes - len(bought), 0)
