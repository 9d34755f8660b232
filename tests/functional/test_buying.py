"""Buying a campaign for a customer (admin, seller, the customer themself) through the app:
one transaction that debits, takes coupons and counts, or leaves no trace with its reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.domain.access.auth import Role
from chalicelib.domain.points.ledger import EntryKind
from chalicelib.domain.rewards.handout import MAX_QUANTITY
from chalicelib.storage.campaigns import CampaignModel, CampaignUsageModel, CouponModel, pool_key
from chalicelib.storage.customers import CustomerModel
from chalicelib.storage.ledger import LedgerEntryModel, account_key
from chalicelib.storage.rewards import BOUGHT, RewardModel, customer_key
from tests.fixtures.buying import admin_buy, customer_with, form_headers, headers
from tests.fixtures.clients import OTHER_STORE, STORE, body_of
from tests.fixtures.factories import make_campaign

NOW = datetime.now(UTC)


def balance(customer_id: str) -> tuple[int, int]:
    customer = CustomerModel.get(STORE, customer_id, consistent_read=True)
    return int(customer.points_available), int(customer.points_used)


def trace(campaign_id: str, customer_id: str) -> dict[str, Any]:
    """Everything a buy writes: points, ledger, counters, coupons, usage, rewards."""
    pool = pool_key(STORE, campaign_id)
    campaign = CampaignModel.get(STORE, campaign_id, consistent_read=True)
    return {
        "points": balance(customer_id),
        "ledger": [e.entry_id for e in LedgerEntryModel.query(account_key(STORE, customer_id))],
        "campaign": (int(campaign.usage_count), int(campaign.coupons_available)),
        "coupons": sorted((c.code, c.available_code, c.reward_id) for c in CouponModel.query(pool)),
        "usage": [(u.customer_id, int(u.used)) for u in CampaignUsageModel.query(pool)],
        "rewards": sorted(
            r.reward_id for r in RewardModel.by_customer.query(customer_key(STORE, customer_id))
        ),
    }


# -- buying ----------------------------------------------------------------------------------
def test_admin_buys_coupons_in_one_transaction_with_its_ledger_entry(client: Any) -> None:
    campaign = make_campaign(
        codes=["C1", "C2", "C3"],
        reward="discount_code",
        cost_in_points=10,
        unlimited=False,
        limit=10,
        limit_per_user=2,
        days_inactive=2,
        days_valid=30,
    )
    customer_id = customer_with(points=100)

    response = admin_buy(client, customer_id, campaign.campaign_id, "quantity=2")

    assert response.status_code == 200, response.body
    coupons = body_of(response)["coupons"]
    assert len(coupons) == 2 and len({c["code"] for c in coupons}) == 2
    assert {c["code"] for c in coupons} <= {"C1", "C2", "C3"}
    assert balance(customer_id) == (80, 20)
    entries = list(LedgerEntryModel.query(account_key(STORE, customer_id)))
    buys = [e for e in entries if e.kind == EntryKind.BUY]
    assert [int(e.amount) for e in buys] == [-20]
    assert buys[0].reference == campaign.campaign_id and buys[0].actor.startswith("admin:")
    for coupon in coupons:
        reward = RewardModel.get(STORE, coupon["id"])
        assert (reward.source, reward.coupon_code, reward.customer_id) == (
            BOUGHT,
            coupon["code"],
            customer_id,
        )
        assert reward.transaction_id == buys[0].entry_id and reward.cost_in_points == 10
        assert timedelta(days=2) - timedelta(minutes=1) < reward.active_since - NOW
        assert reward.active_to - reward.active_since == timedelta(days=30)
        taken = CouponModel.get(pool_key(STORE, campaign.campaign_id), coupon["code"])
        assert taken.reward_id == coupon["id"] and taken.available_code is None
    after = trace(campaign.campaign_id, customer_id)
    assert after["campaign"] == (2, 1)
    assert after["usage"] == [(customer_id, 2)]


def test_admin_buys_without_points(client: Any) -> None:
    campaign = make_campaign(codes=["F1"], cost_in_points=500)
    customer_id = customer_with(points=10)

    response = admin_buy(client, customer_id, campaign.campaign_id, "withoutPoints=1")

    assert response.status_code == 200, response.body
    assert [c["code"] for c in body_of(response)["coupons"]] == ["F1"]
    assert balance(customer_id) == (10, 0)
    reward = RewardModel.get(STORE, body_of(response)["coupons"][0]["id"])
    assert reward.cost_in_points == 0 and reward.transaction_id is None


def test_quantity_and_flags_are_read_from_the_query_string_or_json(client: Any) -> None:
    campaign = make_campaign(codes=[f"Q{n}" for n in range(5)], cost_in_points=1)
    customer_id = customer_with(points=10)
    path = f"/api/{STORE}/admin/customer/{customer_id}/campaign/{campaign.campaign_id}/buy"

    by_query = client.post(path + "?quantity=2", headers=headers(Role.ADMIN))
    by_json = client.post(
        path, body='{"quantity": 3, "withoutPoints": true}', headers=headers(Role.ADMIN)
    )

    assert len(body_of(by_query)["coupons"]) == 2
    assert len(body_of(by_json)["coupons"]) == 3
    assert balance(customer_id) == (8, 2)


def test_seller_buys_for_a_customer_but_may_not_waive_the_price(client: Any) -> None:
    campaign = make_campaign(codes=["S1", "S2"], cost_in_points=5)
    customer_id = customer_with(points=20)
    path = f"/api/{STORE}/seller/customer/{customer_id}/campaign/{campaign.campaign_id}/buy"
    before = trace(campaign.campaign_id, customer_id)

    free = client.post(path, body="withoutPoints=1", headers=form_headers(Role.SELLER))
    assert free.status_code == 400
    assert body_of(free)["form"]["children"]["withoutPoints"]["errors"]
    assert trace(campaign.campaign_id, customer_id) == before

    bought = client.post(path, body="quantity=1", headers=form_headers(Role.SELLER))
    assert bought.status_code == 200, bought.body
    assert balance(customer_id) == (15, 5)
    assert len(body_of(bought)["coupons"]) == 1
    # An admin may use the seller's endpoint too.
    assert client.post(path, headers=headers(Role.ADMIN)).status_code == 200


def test_customer_buys_for_themself_only(client: Any) -> None:
    campaign = make_campaign(codes=["M1", "M2"], cost_in_points=7)
    me, other = customer_with(points=10), customer_with(points=10)
    mine = headers(Role.CUSTOMER, subject=me)

    response = client.post(
        f"/api/{STORE}/customer/campaign/{campaign.campaign_id}/buy", headers=mine
    )

    assert response.status_code == 200, response.body
    assert (balance(me), balance(other)) == ((3, 7), (10, 0))
    # The endpoints that name a customer are not the customer's.
    for face in ("admin", "seller"):
        path = f"/api/{STORE}/{face}/customer/{other}/campaign/{campaign.campaign_id}/buy"
        refused = client.post(path, headers=mine)
        assert refused.status_code == 403
    assert balance(other) == (10, 0)


def test_a_single_coupon_campaign_gives_everyone_its_code(client: Any) -> None:
    campaign = make_campaign(codes=["SAME"], single_coupon=True)
    first, second = customer_with(), customer_with()

    codes = [
        body_of(admin_buy(client, who, campaign.campaign_id))["coupons"][0]["code"]
        for who in (first, second)
    ]

    assert codes == ["SAME", "SAME"]


def test_a_percentage_discount_code_is_bought_one_at_a_time(client: Any) -> None:
    campaign = make_campaign(codes=["P1", "P2"], reward="percentage_discount_code")
    customer_id = customer_with()

    one = admin_buy(client, customer_id, campaign.campaign_id, "quantity=1")
    two = admin_buy(client, customer_id, campaign.campaign_id, "quantity=2")

    assert one.status_code == 200, one.body
    # `quantity` is ignored for it, as Open Loyalty does: one coupon.
    assert two.status_code == 200, two.body
    assert len(body_of(two)["coupons"]) == 1


def test_a_targeted_campaign_is_bought_by_its_audience(client: Any) -> None:
    by_level = make_campaign(target="level", levels=["gold"])
    by_segment = make_campaign(target="segment", segments=["vip", "new"])
    customer_id = customer_with(level_id="gold", segment_ids={"new"})

    for campaign in (by_level, by_segment):
        assert admin_buy(client, customer_id, campaign.campaign_id).status_code == 200


# -- refusals: the reason in Open Loyalty's words, and no trace ----------------------------------
# fields, body, status, code, Open Loyalty's words (None: another shape, 404 or the form tree)
REFUSALS = {
    "not enough points": (
        {"cost_in_points": 60},
        "quantity=2",
        400,
        "insufficient_points",
        "Not enough points",
    ),
    "limit reached": (
        {"unlimited": False, "limit": 2, "limit_per_user": 5, "usage_count": 2},
        "",
        400,
        "campaign_limit_reached",
        "Limit exceeded",
    ),
    "limit reached by this buy's quantity": (
        {"unlimited": False, "limit": 3, "limit_per_user": 5, "usage_count": 2},
        "quantity=2",
        400,
        "campaign_limit_reached",
        "Limit exceeded",
    ),
    "per-customer limit": (
        {"unlimited": False, "limit": 100, "limit_per_user": 2},
        "quantity=3",
        400,
        "campaign_limit_per_user_reached",
        "Limit per customer exceeded",
    ),
    "no coupons left": (
        {},
        f"quantity={MAX_QUANTITY}",
        400,
        "no_coupons_left",
        "No coupons left",
    ),
    "not active": ({"active": False}, "", 404, "campaign_inactive", None),
    "activity window over": (
        {"all_time_active": False, "active_to": NOW - timedelta(days=1)},
        "",
        404,
        "campaign_inactive",
        None,
    ),
    "not active, checked before the quantity": (
        {"active": False},
        "quantity=0",
        400,
        "validation_failed",
        None,
    ),
    "not active, checked before the price": (
        {"active": False, "cost_in_points": 1000},
        "",
        404,
        "campaign_inactive",
        None,
    ),
    "not visible yet (admin)": (
        {"all_time_visible": False, "visible_from": NOW + timedelta(days=1)},
        "",
        400,
        "campaign_not_visible",
        "Not allowed",
    ),
    "not targeted (admin)": (
        {"target": "level", "levels": ["gold"]},
        "",
        400,
        "campaign_not_targeted",
        "Not allowed",
    ),
    "cashback": (
        {"reward": "cashback", "point_value": 1},
        "",
        400,
        "cashback_not_buyable",
        "This campaign cannot be bought manually.",
    ),
    "quantity zero": ({}, "quantity=0", 400, "validation_failed", None),
    "quantity over the maximum": (
        {},
        f"quantity={MAX_QUANTITY + 1}",
        400,
        "validation_failed",
        None,
    ),
    "quantity not a number": ({}, "quantity=two", 400, "validation_failed", None),
}


@pytest.mark.parametrize(
    ("fields", "body", "status", "code", "words"), REFUSALS.values(), ids=REFUSALS
)
def test_a_refused_buy_names_its_reason_and_leaves_no_trace(
    client: Any, fields: dict[str, Any], body: str, status: int, code: str, words: str | None
) -> None:
    campaign = make_campaign(codes=["R1", "R2", "R3"], **{"cost_in_points": 10, **fields})
    customer_id = customer_with(points=100, level_id="silver")
    before = trace(campaign.campaign_id, customer_id)

    response = admin_buy(client, customer_id, campaign.campaign_id, body)

    assert response.status_code == status, response.body
    assert body_of(response)["code"] == code
    if words is not None:
        assert body_of(response) == {"error": words, "message": words, "code": code}
    assert trace(campaign.campaign_id, customer_id) == before


@pytest.mark.parametrize(
    "fields",
    [
        {"active": False},
        {"all_time_visible": False, "visible_from": NOW + timedelta(days=1)},
        {"target": "level", "levels": ["gold"]},
    ],
    ids=["inactive", "not visible", "not targeted"],
)
@pytest.mark.parametrize("role", [Role.SELLER, Role.CUSTOMER])
def test_a_campaign_not_offered_is_a_404_to_sellers_and_customers(
    client: Any, fields: dict[str, Any], role: Role
) -> None:
    campaign = make_campaign(codes=["N1"], cost_in_points=1000, **fields)  # too dear, too
    customer_id = customer_with(points=1, level_id="silver")
    path = (
        f"/api/{STORE}/seller/customer/{customer_id}/campaign/{campaign.campaign_id}/buy"
        if role is Role.SELLER
        else f"/api/{STORE}/customer/campaign/{campaign.campaign_id}/buy"
    )

    response = client.post(path, headers=headers(role, subject=customer_id))

    assert response.status_code == 404, response.body
    assert body_of(response)["error"] == {"code": 404, "message": "Not Found"}


def test_the_per_customer_limit_counts_earlier_buys(client: Any) -> None:
    campaign = make_campaign(codes=["P1", "P2", "P3"], unlimited=False, limit=10, limit_per_user=2)
    customer_id = customer_with()
    assert admin_buy(client, customer_id, campaign.campaign_id, "quantity=2").status_code == 200
    before = trace(campaign.campaign_id, customer_id)

    response = admin_buy(client, customer_id, campaign.campaign_id)

    assert body_of(response)["code"] == "campaign_limit_per_user_reached"
    assert trace(campaign.campaign_id, customer_id) == before
    # Another customer is not held back by it.
    assert admin_buy(client, customer_with(), campaign.campaign_id).status_code == 200


def test_refusals_take_the_open_loyalty_error_shape(client: Any) -> None:
    campaign = make_campaign(codes=["E1"], cost_in_points=10)
    customer_id = customer_with(points=1)

    response = admin_buy(client, customer_id, campaign.campaign_id)

    assert response.status_code == 400
    assert body_of(response) == {
        "error": "Not enough points",
        "message": "Not enough points",
        "code": "insufficient_points",
    }
    quantity = admin_buy(client, customer_id, campaign.campaign_id, "quantity=0")
    assert body_of(quantity)["form"]["children"]["quantity"]["errors"] == [
        "This value should be greater than or equal to 1."
    ]


@pytest.mark.parametrize("missing", ["customer", "campaign"])
def test_an_unknown_customer_or_campaign_is_a_404(client: Any, missing: str) -> None:
    campaign = make_campaign(codes=["U1"])
    customer_id = customer_with()
    ids = {"customer": customer_id, "campaign": campaign.campaign_id, missing: "nope" * 50}

    response = admin_buy(client, ids["customer"], ids["campaign"])

    assert response.status_code == 404
    assert body_of(response)["code"] == f"{missing}_not_found"
    assert trace(campaign.campaign_id, customer_id)["rewards"] == []


def test_a_customer_token_without_a_customer_record_is_a_404(client: Any) -> None:
    campaign = make_campaign(codes=["G1"])
    response = client.post(
        f"/api/{STORE}/customer/campaign/{campaign.campaign_id}/buy",
        headers=headers(Role.CUSTOMER, subject="ghost"),
    )

    assert response.status_code == 404
    assert body_of(response)["code"] == "customer_not_found"


def test_stores_and_roles_are_kept_apart(client: Any) -> None:
    campaign = make_campaign(codes=["T1"])
    customer_id = customer_with()
    path = f"/api/{STORE}/admin/customer/{customer_id}/campaign/{campaign.campaign_id}/buy"
    other_path = path.replace(f"/api/{STORE}/", f"/api/{OTHER_STORE}/")

    assert client.post(path, headers=headers(Role.ADMIN, OTHER_STORE)).status_code == 403
    # With its own store in the path, the other store's admin finds neither record.
    own = client.post(other_path, headers=headers(Role.ADMIN, OTHER_STORE))
    assert own.status_code == 404
    assert client.post(path, headers=headers(Role.SELLER)).status_code == 403
    assert client.post(path).status_code == 401
    assert trace(campaign.campaign_id, customer_id)["rewards"] == []
