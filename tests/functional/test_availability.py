"""Campaigns available to a customer (admin, seller, the customer themself) through the app:
what they can see, what is left for them, whether they can buy it, filters, paging, calls."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.domain.access.auth import Role
from chalicelib.domain.catalog import targeting
from tests.fixtures.aws import hooked_clients
from tests.fixtures.buying import admin_buy, customer_with, headers
from tests.fixtures.campaigns import TableCalls
from tests.fixtures.clients import OTHER_STORE, STORE, body_of
from tests.fixtures.factories import make_campaign

NOW = datetime.now(UTC)


def available(
    client: Any, customer_id: str, query: str = "", face: str = "admin", role: Role = Role.ADMIN
) -> Any:
    path = f"/api/{STORE}/{face}/customer/{customer_id}/campaign/available"
    response = client.get(path + (f"?{query}" if query else ""), headers=headers(role))
    assert response.status_code == 200, response.body
    return body_of(response)


def ids(body: dict[str, Any]) -> list[str]:
    return [campaign["campaignId"] for campaign in body["campaigns"]]


def by_id(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {campaign["campaignId"]: campaign for campaign in body["campaigns"]}


@pytest.fixture
def table_calls() -> Iterator[TableCalls]:
    calls = TableCalls()
    with hooked_clients(calls.record):
        yield calls


def test_only_what_the_customer_can_see_now_is_listed(client: Any) -> None:
    gold = targeting.create_level(STORE, targeting.LevelInput.of(name="Gold")).level_id
    vip = targeting.create_segment(STORE, targeting.SegmentInput.of(name="VIP")).segment_id
    customer_id = customer_with(points=50, level_id=gold, segment_ids={vip})
    shown = [
        make_campaign(name="everyone"),
        make_campaign(name="gold", target="level", levels=[gold, "silver"]),
        make_campaign(name="vip", target="segment", segments=["other", vip]),
        make_campaign(
            name="in windows",
            all_time_active=False,
            active_from=NOW - timedelta(days=1),
            active_to=NOW + timedelta(days=1),
            all_time_visible=False,
            visible_from=NOW - timedelta(days=1),
            visible_to=NOW + timedelta(days=1),
        ),
    ]
    make_campaign(name="switched off", active=False)
    make_campaign(name="over", all_time_active=False, active_to=NOW - timedelta(days=1))
    make_campaign(name="not yet visible", all_time_visible=False, visible_from=NOW + timedelta(1))
    make_campaign(name="silver", target="level", levels=["silver"])
    make_campaign(name="other segment", target="segment", segments=["other"])

    body = available(client, customer_id)

    assert ids(body) == [campaign.campaign_id for campaign in shown]
    assert body["total"] == 4
    gold_body = by_id(body)[shown[1].campaign_id]
    assert gold_body["levelNames"] == {gold: "Gold"}
    assert by_id(body)[shown[2].campaign_id]["segmentNames"] == {vip: "VIP"}


def test_usage_left_for_the_customer_and_whether_they_can_buy(client: Any) -> None:
    customer_id = customer_with(points=50)
    limited = make_campaign(
        codes=[f"L{n}" for n in range(10)], unlimited=False, limit=5, limit_per_user=3
    )
    unbounded = make_campaign(cost_in_points=50)
    too_dear = make_campaign(cost_in_points=51)
    no_codes_left = make_campaign(codes=["X1"])
    sold_out = make_campaign(unlimited=False, limit=2, limit_per_user=2, usage_count=2)
    cashback = make_campaign(reward="cashback", point_value=1)
    admin_buy(client, customer_id, limited.campaign_id, "quantity=2")
    admin_buy(client, customer_with(), limited.campaign_id, "quantity=2")
    admin_buy(client, customer_with(), no_codes_left.campaign_id)

    shown = by_id(available(client, customer_id))

    def facts(campaign: Any) -> tuple[Any, Any, bool]:
        found = shown[campaign.campaign_id]
        return found["usageLeft"], found["usageLeftForCustomer"], found["canBeBoughtByCustomer"]

    # Limit 5 with 4 used leaves 1, less than this customer's own 3 - 2.
    assert facts(limited) == (1, 1, True)
    assert facts(unbounded) == (None, None, True)
    assert facts(too_dear) == (None, None, False)
    assert facts(no_codes_left) == (0, 0, False)
    assert facts(sold_out) == (0, 0, False)
    assert facts(cashback) == (None, None, False)  # redeemed through cashback, not bought
    keys = list(shown[limited.campaign_id])
    position = keys.index("usageLeft")
    assert keys[position : position + 3] == [
        "usageLeft",
        "usageLeftForCustomer",
        "canBeBoughtByCustomer",
    ]

    admin_buy(client, customer_id, limited.campaign_id)
    assert facts_after(client, customer_id, limited.campaign_id) == (0, 0, False)


def facts_after(client: Any, customer_id: str, campaign_id: str) -> tuple[Any, Any, bool]:
    found = by_id(available(client, customer_id))[campaign_id]
    return found["usageLeft"], found["usageLeftForCustomer"], found["canBeBoughtByCustomer"]


def test_the_per_customer_limit_is_the_customers_own(client: Any) -> None:
    campaign = make_campaign(unlimited=False, limit=100, limit_per_user=2)
    buyer, other = customer_with(), customer_with()
    admin_buy(client, buyer, campaign.campaign_id, "quantity=2")

    assert facts_after(client, buyer, campaign.campaign_id) == (98, 0, False)
    assert facts_after(client, other, campaign.campaign_id) == (98, 2, True)


def test_additional_points_simulate_a_balance_and_ignore_targeting(client: Any) -> None:
    customer_id = customer_with(points=30, level_id="bronze")
    dear = make_campaign(cost_in_points=100)
    gold_only = make_campaign(target="level", levels=["gold"], cost_in_points=10)

    plain = by_id(available(client, customer_id))
    simulated = by_id(available(client, customer_id, "additionalPoints=70"))

    assert list(plain) == [dear.campaign_id]
    assert plain[dear.campaign_id]["canBeBoughtByCustomer"] is False
    assert list(simulated) == [dear.campaign_id, gold_only.campaign_id]
    assert simulated[dear.campaign_id]["canBeBoughtByCustomer"] is True
    assert (
        by_id(available(client, customer_id, "additionalPoints=69"))[dear.campaign_id][
            "canBeBoughtByCustomer"
        ]
        is False
    )


def test_filters_paging_and_sort(client: Any) -> None:
    customer_id = customer_with(segment_ids={"s1"})
    plain = make_campaign(cost_in_points=30, categories=["food"])
    featured = make_campaign(cost_in_points=10, featured=True, categories=["toys"])
    segmented = make_campaign(
        cost_in_points=20,
        target="segment",
        segments=["s1"],
        all_time_visible=False,
        visible_from=NOW - timedelta(days=2),
        categories=["food", "toys"],
    )
    later = make_campaign(
        cost_in_points=40, all_time_visible=False, visible_from=NOW - timedelta(days=1)
    )

    def listed(query: str) -> list[str]:
        return ids(available(client, customer_id, query))

    assert listed("isFeatured=1") == [featured.campaign_id]
    assert listed("isFeatured=0") == [plain.campaign_id, segmented.campaign_id, later.campaign_id]
    assert listed("hasSegment=1") == [segmented.campaign_id]
    assert listed("hasSegment=0") == [plain.campaign_id, featured.campaign_id, later.campaign_id]
    assert listed("categoryId[]=toys") == [featured.campaign_id, segmented.campaign_id]
    assert listed("categoryId[]=food&categoryId[]=nothing") == [
        plain.campaign_id,
        segmented.campaign_id,
    ]
    by_cost = [later, plain, segmented, featured]
    assert listed("sort=costInPoints&direction=DESC") == [c.campaign_id for c in by_cost]
    assert listed("sort=campaignVisibility.visibleFrom") == [
        segmented.campaign_id,
        later.campaign_id,
        plain.campaign_id,
        featured.campaign_id,
    ]
    page = available(client, customer_id, "sort=costInPoints&perPage=3&page=2")
    assert (ids(page), page["total"]) == ([later.campaign_id], 4)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("perPage=0", "perPage"),
        ("page=x", "page"),
        ("hasSegment=maybe", "hasSegment"),
        ("additionalPoints=-1", "additionalPoints"),
        ("sort=nothing", "sort"),
        ("direction=UP", "direction"),
    ],
)
def test_a_bad_query_is_a_form_error(client: Any, query: str, field: str) -> None:
    customer_id = customer_with()
    path = f"/api/{STORE}/admin/customer/{customer_id}/campaign/available?{query}"

    response = client.get(path, headers=headers(Role.ADMIN))

    assert response.status_code == 400
    assert body_of(response)["form"]["children"][field]["errors"]


def test_the_staff_see_codes_and_counters_the_customer_does_not(client: Any) -> None:
    customer_id = customer_with()
    make_campaign(codes=["SECRET"])

    admin_view = available(client, customer_id)["campaigns"][0]
    seller_view = available(client, customer_id, face="seller", role=Role.SELLER)["campaigns"][0]
    mine = client.get(
        f"/api/{STORE}/customer/campaign/available",
        headers=headers(Role.CUSTOMER, subject=customer_id),
    )
    customer_view = body_of(mine)["campaigns"][0]

    for view in (admin_view, seller_view):  # the document's seller example shows them too
        assert view["coupons"] == ["SECRET"]
        assert view["usersWhoUsedThisCampaignCount"] == 0
        assert isinstance(view["visibleForCustomersCount"], int)
    assert seller_view == admin_view
    assert "coupons" not in customer_view
    assert "usersWhoUsedThisCampaignCount" not in customer_view
    assert "visibleForCustomersCount" not in customer_view
    for view in (admin_view, seller_view, customer_view):
        assert view["canBeBoughtByCustomer"] is True


def test_the_customer_sees_their_own_availability(client: Any) -> None:
    gold_customer = customer_with(points=10, level_id="gold")
    customer_with(points=1000, level_id="silver")
    gold = make_campaign(target="level", levels=["gold"], cost_in_points=10)
    make_campaign(target="level", levels=["silver"])

    response = client.get(
        f"/api/{STORE}/customer/campaign/available?customer=someone-else",
        headers=headers(Role.CUSTOMER, subject=gold_customer),
    )

    assert response.status_code == 200, response.body
    assert ids(body_of(response)) == [gold.campaign_id]
    assert body_of(response)["campaigns"][0]["canBeBoughtByCustomer"] is True


def test_calls_one_query_one_customer_read_one_usage_batch(
    table_calls: TableCalls, client: Any
) -> None:
    customer_id = customer_with()
    for n in range(12):
        make_campaign(name=f"c{n}", unlimited=False, limit=10, limit_per_user=2)
    make_campaign(name="switched off", active=False)

    table_calls.calls.clear()
    # The customer's own view: the staff's adds the audience counts (one per audience).
    response = client.get(
        f"/api/{STORE}/customer/campaign/available?perPage=12",
        headers=headers(Role.CUSTOMER, subject=customer_id),
    )
    body = body_of(response)

    assert body["total"] == 12 and len(body["campaigns"]) == 12
    assert table_calls.count("Query", "campaigns") == 1
    assert table_calls.count("GetItem", "customers") == 1
    assert table_calls.count("BatchGetItem") == 1  # the usage counters (no names to look up)
    assert table_calls.count("Scan") == 0
    assert len(table_calls.calls) == 3, table_calls.calls


def test_stores_roles_and_unknown_customers(client: Any) -> None:
    customer_id = customer_with()
    admin_path = f"/api/{STORE}/admin/customer/{customer_id}/campaign/available"
    seller_path = f"/api/{STORE}/seller/customer/{customer_id}/campaign/available"

    assert client.get(admin_path, headers=headers(Role.SELLER)).status_code == 403
    assert client.get(admin_path, headers=headers(Role.CUSTOMER)).status_code == 403
    assert client.get(seller_path, headers=headers(Role.ADMIN)).status_code == 200
    assert client.get(seller_path, headers=headers(Role.CUSTOMER)).status_code == 403
    assert client.get(admin_path, headers=headers(Role.ADMIN, OTHER_STORE)).status_code == 403
    other = client.get(
        admin_path.replace(f"/api/{STORE}/", f"/api/{OTHER_STORE}/"),
        headers=headers(Role.ADMIN, OTHER_STORE),
    )
    assert (other.status_code, body_of(other)["code"]) == (404, "customer_not_found")
    unknown = client.get(admin_path.replace(customer_id, "x" * 300), headers=headers(Role.ADMIN))
    assert (unknown.status_code, body_of(unknown)["code"]) == (404, "customer_not_found")
