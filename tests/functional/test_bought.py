"""`GET /campaign/bought`: the document's fields, every filter against a brute-force check over
the same rewards, sort and paging, and who may read it; always by Query, never by Scan."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest

from chalicelib.domain.access.auth import Role
from chalicelib.domain.catalog import bought_query, coupon_usage
from chalicelib.domain.customers import records
from chalicelib.domain.points import ledger
from chalicelib.domain.points.ledger import EntryKind, Posting
from chalicelib.domain.rewards.grants import Grant, Recipient
from chalicelib.domain.rewards.handout import acquire
from chalicelib.storage.customers import CustomerModel
from chalicelib.storage.rewards import BOUGHT, ISSUED, RewardModel
from tests.fixtures.aws import AwsCalls
from tests.fixtures.bought import T0, admin, buy, new_customer
from tests.fixtures.clients import OTHER_STORE, STORE, body_of, jwt_headers, token_for
from tests.fixtures.factories import make_campaign

LIST = f"/api/{STORE}/campaign/bought"


def get(client: Any, query: dict[str, Any] | None = None, **headers: str) -> Any:
    path = LIST + (f"?{urlencode(query)}" if query else "")
    return client.get(path, headers=headers or admin())


# -- the document's fields ---------------------------------------------------------------------
def test_a_bought_reward_in_the_documents_shape(client: Any) -> None:
    campaign = make_campaign(
        codes=["10"], name="Percentage discount code", reward="percentage_discount_code"
    )
    buyer = new_customer(email="max@test.pl", points=100, firstname="Max", surname="Nowacki")
    reward = buy(campaign, buyer, now=T0, cost=40)

    response = get(client)

    assert response.status_code == 200
    assert body_of(response) == {
        "boughtCampaigns": [
            {
                "canBeUsed": True,
                "rewardCampaignId": campaign.campaign_id,
                "campaignId": campaign.campaign_id,
                "customerId": buyer.customer_id,
                "purchasedAt": "2024-03-10T00:00:00+0000",
                "coupon": {"code": "10", "id": reward.reward_id},
                "campaignType": "percentage_discount_code",
                "campaignName": "Percentage discount code",
                "customerEmail": "max@test.pl",
                "customerName": "Max",
                "customerLastname": "Nowacki",
                "campaignShippingAddress": {},
                "costInPoints": 40,
                "currentPointsAmount": 60,
                "used": False,
                "status": "active",
                "transactionId": {"transactionId": reward.transaction_id},
                "returnedAmount": 0,
                "deliveryStatus": {"status": ""},
                "activeSince": "2024-03-10T00:00:00+0000",
            }
        ],
        "total": 1,
    }


def test_names_and_balance_are_the_customers_as_they_are_now(client: Any) -> None:
    campaign = make_campaign()
    buyer = new_customer(email="old@x.com", points=10, firstname="Old")
    buy(campaign, buyer, cost=3)
    CustomerModel(STORE, buyer.customer_id).update(
        actions=[CustomerModel.firstname.set("New"), CustomerModel.surname.set("Name")]
    )
    ledger.post(Posting(STORE, buyer.customer_id, 50, EntryKind.EARN))

    [row] = body_of(get(client))["boughtCampaigns"]

    assert (row["customerName"], row["customerLastname"]) == ("New", "Name")
    assert row["currentPointsAmount"] == 57


def test_a_used_coupon_shows_its_usage_and_cannot_be_used(client: Any) -> None:
    campaign = make_campaign(days_valid=30)
    buyer = new_customer()
    reward = buy(campaign, buyer)
    used_at = reward.active_since.replace(microsecond=0) + timedelta(seconds=1)
    coupon_usage.set_coupon_usage(
        STORE, buyer.customer_id, campaign.campaign_id, reward.reward_id, True, used_at
    )

    [row] = body_of(get(client))["boughtCampaigns"]

    assert (row["used"], row["canBeUsed"], row["status"]) == (True, False, "active")
    assert row["usageDate"] == used_at.strftime("%Y-%m-%dT%H:%M:%S+0000")
    assert row["activeTo"] == reward.active_to.strftime("%Y-%m-%dT%H:%M:%S+0000")


def test_rows_of_a_page_cost_one_batch_get_per_table(aws_calls: AwsCalls, client: Any) -> None:
    campaigns = [make_campaign(name=f"C{n}") for n in range(3)]
    buyers = [new_customer(email=f"b{n}@x.com") for n in range(4)]
    for n in range(12):
        buy(campaigns[n % 3], buyers[n % 4], now=T0 + timedelta(minutes=n))
    aws_calls.reset()

    response = get(client, {"perPage": 5})

    rows = body_of(response)["boughtCampaigns"]
    assert len(rows) == 5 and {row["campaignName"] for row in rows} == {"C0", "C1", "C2"}
    assert aws_calls.count("Query") == 2  # the bought rewards, the cashback payouts
    assert aws_calls.count("BatchGetItem") == 2  # the page's campaigns, its customers
    assert aws_calls.count() == 4  # nothing else: no GetItem per row, no Scan


def test_a_deleted_customer_shows_the_rewards_snapshot(client: Any) -> None:
    campaign = make_campaign()
    customer = records.new_customer(STORE, "gone@x.com")
    grant = Grant(
        customer.customer_id,
        new_customer=customer,
        recipient=Recipient(email="gone@x.com", firstname="Gone", surname="Away"),
    )
    acquire(campaign, [grant], source=BOUGHT)
    CustomerModel(STORE, customer.customer_id).delete()

    [row] = body_of(get(client))["boughtCampaigns"]

    assert (row["customerEmail"], row["customerName"], row["customerLastname"]) == (
        "gone@x.com",
        "Gone",
        "Away",
    )
    assert row["currentPointsAmount"] == 0


# -- filters, sort, paging against a brute-force check -------------------------------------------
@dataclass
class Fixture:
    rewards: list[RewardModel]  # every bought reward of DEFAULT, as stored


@pytest.fixture
def many(client: Any) -> Fixture:
    """22 bought rewards over four days: mixed validity, usage and delivery status; plus an
    issued reward and another store's bought reward, which the list never shows."""
    campaigns = [
        make_campaign(name="Now, forever"),
        make_campaign(name="Later", days_inactive=2, days_valid=5),
        make_campaign(name="Short", days_valid=1),
    ]
    buyers = [new_customer(email=f"c{n}@x.com", points=500) for n in range(3)]
    deliveries = itertools.cycle([None, "ordered", "shipped", "delivered", "canceled"])
    for n in range(22):
        campaign, buyer = campaigns[n % 3], buyers[n % 2]
        reward = buy(campaign, buyer, now=T0 + timedelta(hours=5 * n), cost=n % 4)
        if n % 3 != 1 and n % 4 == 0:  # used, at a time inside its validity
            when = reward.active_since + timedelta(hours=n)
            coupon_usage.set_coupon_usage(
                STORE, buyer.customer_id, campaign.campaign_id, reward.reward_id, True, when
            )
        status = next(deliveries)
        if status:
            coupon_usage.change_delivery_status(STORE, buyer.customer_id, reward.reward_id, status)
    acquire(campaigns[0], [Grant(buyers[2].customer_id)], source=ISSUED, now=T0)
    foreign = make_campaign(OTHER_STORE)
    buy(foreign, new_customer(OTHER_STORE), now=T0)
    stored = [r for r in RewardModel.query(STORE) if r.source == BOUGHT]  # checking only
    assert len(stored) == 22
    return Fixture(stored)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def within(value: datetime | None, low: datetime | None, high: datetime | None) -> bool:
    if low is None and high is None:
        return True
    return value is not None and (low is None or value >= low) and (high is None or value <= high)


DAY_END = timedelta(days=1) - timedelta(microseconds=1)
# (query, the rule it means) — bounds written the three ways the API accepts.
FILTERS: list[tuple[dict[str, str], Callable[[RewardModel], bool]]] = [
    ({}, lambda r: True),
    ({"used": "true"}, lambda r: r.used),
    ({"used": "false"}, lambda r: not r.used),
    (
        {"purchasedAtFrom": "2024-03-11", "purchasedAtTo": "2024-03-12"},
        lambda r: within(r.created_at, at("2024-03-11"), at("2024-03-12") + DAY_END),
    ),
    ({"purchasedAtFrom": "2024-03-11 15:00"}, lambda r: r.created_at >= at("2024-03-11 15:00")),
    (
        {"purchasedAtTo": "2024-03-11T12:00:00+02:00"},
        lambda r: r.created_at <= at("2024-03-11 10:00"),
    ),
    (
        {"usageDateFrom": "2024-03-11", "usageDateTo": "2024-03-13"},
        lambda r: within(r.usage_date, at("2024-03-11"), at("2024-03-13") + DAY_END),
    ),
    (
        {"usageDateTo": "2024-03-12"},
        lambda r: within(r.usage_date, None, at("2024-03-12") + DAY_END),
    ),
    ({"activeSinceFrom": "2024-03-12"}, lambda r: within(r.active_since, at("2024-03-12"), None)),
    (
        {"activeSinceTo": "2024-03-11 05:00"},
        lambda r: within(r.active_since, None, at("2024-03-11 05:00")),
    ),
    ({"activeToFrom": "2024-03-17"}, lambda r: within(r.active_to, at("2024-03-17"), None)),
    (
        {"activeToFrom": "2024-03-11", "activeToTo": "2024-03-16"},
        lambda r: within(r.active_to, at("2024-03-11"), at("2024-03-16") + DAY_END),
    ),
    *[
        ({"deliveryStatus": status}, lambda r, s=status: r.delivery_status == s)
        for status in bought_query.DELIVERY_STATUSES
    ],
    (
        {"used": "false", "purchasedAtFrom": "2024-03-11", "deliveryStatus": "shipped"},
        lambda r: (
            not r.used and r.created_at >= at("2024-03-11") and r.delivery_status == "shipped"
        ),
    ),
]


def test_each_filter_matches_the_brute_force_check(
    aws_calls: AwsCalls, many: Fixture, client: Any
) -> None:
    # One fixture for every case: building it takes seconds of moto.
    for query, rule in FILTERS:
        expected = sorted((r for r in many.rewards if rule(r)), key=lambda r: r.created_at)
        assert query == {} or 0 < len(expected) < len(many.rewards), "a filter that tells"
        aws_calls.reset()

        response = get(client, {**query, "perPage": 100})

        body = body_of(response)
        assert response.status_code == 200, (query, body)
        shown = [row["coupon"]["id"] for row in body["boughtCampaigns"]]
        assert shown == [r.reward_id for r in expected], query
        assert body["total"] == len(expected), query
        # The rewards; the cashback payouts too unless the filters rule them out.
        cashback_can_match = bought_query.lists_cashback(bought_query.read_query(query))
        assert (aws_calls.count("Query"), aws_calls.count("Scan")) == (
            1 + cashback_can_match,
            0,
        ), query


def _sort_value(reward: RewardModel, sort: str) -> Any:
    return {
        "purchasedAt": reward.created_at,
        "costInPoints": int(reward.cost_in_points),
        "usageDate": reward.usage_date,
        "activeSince": reward.active_since,
        "activeTo": reward.active_to,
        "deliveryStatus": reward.delivery_status,
        "campaignId": reward.campaign_id,
        "customerId": reward.customer_id,
        "used": bool(reward.used),
    }[sort]


SORTS = ["purchasedAt", "costInPoints", "usageDate", "activeSince", "activeTo"]
SORTS += ["deliveryStatus", "campaignId", "customerId", "used"]


def _expected_order(rewards: list[RewardModel], sort: str, direction: str) -> list[str]:
    def key(r: RewardModel) -> Any:
        value = _sort_value(r, sort)
        return (value is None, value), r.created_at, r.reward_id

    return [r.reward_id for r in sorted(rewards, key=key, reverse=direction == "desc")]


def test_each_sort_follows_the_brute_force_order(many: Fixture, client: Any) -> None:
    for sort, direction in itertools.product(SORTS, ["ASC", "desc"]):
        query = {"sort": sort, "direction": direction, "perPage": 100}

        rows = body_of(get(client, query))["boughtCampaigns"]

        shown = [row["coupon"]["id"] for row in rows]
        assert shown == _expected_order(many.rewards, sort, direction), query


def test_pages_cut_the_sorted_list(many: Fixture, client: Any) -> None:
    for sort, direction in [("costInPoints", "ASC"), ("usageDate", "desc")]:
        query = {"sort": sort, "direction": direction, "perPage": 5}
        pages = [body_of(get(client, {**query, "page": page})) for page in range(1, 7)]

        shown = [row["coupon"]["id"] for page in pages for row in page["boughtCampaigns"]]
        assert shown == _expected_order(many.rewards, sort, direction), query
        assert [len(page["boughtCampaigns"]) for page in pages] == [5, 5, 5, 5, 2, 0], query
        assert {page["total"] for page in pages} == {22}, query


def test_default_order_is_oldest_purchase_first_ten_a_page(many: Fixture, client: Any) -> None:
    rows = body_of(get(client))["boughtCampaigns"]

    oldest = sorted(many.rewards, key=lambda r: r.created_at)[:10]
    assert [row["coupon"]["id"] for row in rows] == [r.reward_id for r in oldest]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"used": "maybe"}, "used"),
        ({"purchasedAtFrom": "yesterday"}, "purchasedAtFrom"),
        ({"usageDateTo": "2024-13-01"}, "usageDateTo"),
        ({"deliveryStatus": "lost"}, "deliveryStatus"),
        ({"sort": "campaignName"}, "sort"),
        ({"direction": "UP"}, "direction"),
        ({"perPage": "0"}, "perPage"),
        ({"page": "x"}, "page"),
        ({"purchasedAtFrom": "2024-03-12", "purchasedAtTo": "2024-03-11"}, "purchasedAtTo"),
    ],
)
def test_bad_query_values_are_a_400_form_error(
    client: Any, query: dict[str, str], field: str
) -> None:
    response = get(client, query)

    body = body_of(response)
    assert response.status_code == 400
    assert body["code"] == "validation_failed"
    assert body["form"]["children"][field]["errors"]


# -- who may read it -----------------------------------------------------------------------------
def test_another_stores_admin_neither_reads_nor_sees_these_rewards(client: Any) -> None:
    buy(make_campaign(), new_customer())

    foreign = get(client, **admin(OTHER_STORE))
    own = client.get(f"/api/{OTHER_STORE}/campaign/bought", headers=admin(OTHER_STORE))

    assert foreign.status_code == 403
    assert body_of(own) == {"boughtCampaigns": [], "total": 0}


@pytest.mark.parametrize("role", [Role.SELLER, Role.CUSTOMER])
def test_only_an_admin_lists_bought_rewards(client: Any, role: Role) -> None:
    buy(make_campaign(), new_customer())

    response = get(client, **jwt_headers(token_for(role)))

    assert response.status_code == 403
    assert "boughtCampaigns" not in body_of(response)


def test_without_credentials_it_is_a_401(client: Any) -> None:
    assert client.get(LIST).status_code == 401
