"""One customer's purchases as Open Loyalty's clients use them: the customer's bought list
(admin, seller, the customer's own), many coupons marked used at once, and the public list
with no login at all."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest

from chalicelib.domain.access.auth import Role
from chalicelib.domain.catalog import purchases
from chalicelib.storage.rewards import RewardModel
from tests.fixtures.aws import AwsCalls
from tests.fixtures.bought import admin, buy, new_customer
from tests.fixtures.cashback import cashback_campaign, redeem
from tests.fixtures.clients import OTHER_STORE, STORE, body_of, jwt_headers, token_for
from tests.fixtures.factories import make_campaign

API = f"/api/{STORE}"
FORM = "application/x-www-form-urlencoded"
T0 = datetime(2024, 3, 10, tzinfo=UTC)


def as_role(role: Role, subject: str | None = None) -> dict[str, str]:
    return jwt_headers(token_for(role, subject=subject))


def rows(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.body
    return body_of(response)["campaigns"]


# -- the customer's bought list ----------------------------------------------------------------
def test_admin_lists_only_that_customers_purchases_under_campaigns(client: Any) -> None:
    campaign = make_campaign(codes=["A-1", "A-2", "A-3"])
    ann, bob = new_customer(email="ann@example.com"), new_customer(email="bob@example.com")
    first = buy(campaign, ann, now=T0)
    buy(campaign, bob, now=T0 + timedelta(hours=1))
    second = buy(campaign, ann, now=T0 + timedelta(hours=2))

    response = client.get(
        f"{API}/admin/customer/{ann.customer_id}/campaign/bought", headers=admin()
    )

    body = body_of(response)
    assert body["total"] == 2
    assert [row["coupon"]["id"] for row in body["campaigns"]] == [
        first.reward_id,
        second.reward_id,
    ]
    assert {row["customerId"] for row in body["campaigns"]} == {ann.customer_id}
    assert all("campaign" not in row for row in body["campaigns"])
    # The rows are the store's bought list's rows.
    store_list = body_of(client.get(f"{API}/campaign/bought", headers=admin()))
    mine = [r for r in store_list["boughtCampaigns"] if r["customerId"] == ann.customer_id]
    assert body["campaigns"] == mine


def test_include_details_adds_each_rows_campaign(client: Any) -> None:
    campaign = make_campaign(codes=["A-1"], name="Free coffee", cost_in_points=5)
    ann = new_customer()
    buy(campaign, ann, now=T0)
    path = f"{API}/admin/customer/{ann.customer_id}/campaign/bought?includeDetails=true"

    [row] = rows(client.get(path, headers=admin()))

    assert row["campaign"]["campaignId"] == campaign.campaign_id
    assert row["campaign"]["name"] == "Free coffee"
    assert "coupons" in row["campaign"]  # the admin's view of a campaign


def test_a_customer_reads_their_own_purchases_with_the_campaign(client: Any) -> None:
    campaign = make_campaign(codes=["A-1", "A-2"])
    ann, bob = new_customer(), new_customer()
    mine = buy(campaign, ann, now=T0)
    buy(campaign, bob, now=T0)

    response = client.get(
        f"{API}/customer/campaign/bought?includeDetails=1",
        headers=as_role(Role.CUSTOMER, ann.customer_id),
    )

    [row] = rows(response)
    assert row["coupon"]["id"] == mine.reward_id
    assert row["campaign"]["campaignId"] == campaign.campaign_id
    assert "coupons" not in row["campaign"]  # not the admin's view: no codes


def test_a_seller_reads_a_customers_purchases(client: Any) -> None:
    campaign = make_campaign(codes=["A-1"])
    ann = new_customer()
    buy(campaign, ann, now=T0)

    response = client.get(
        f"{API}/seller/customer/{ann.customer_id}/campaign/bought", headers=as_role(Role.SELLER)
    )

    assert len(rows(response)) == 1


def test_cashback_redemptions_are_among_the_customers_purchases(client: Any) -> None:
    cashback_campaign("2.00")
    ann = new_customer(points=50)
    bob = new_customer(points=50)
    assert redeem(client, ann.customer_id, 10).status_code == 200
    assert redeem(client, bob.customer_id, 10).status_code == 200

    [row] = rows(
        client.get(f"{API}/admin/customer/{ann.customer_id}/campaign/bought", headers=admin())
    )

    assert row["campaignType"] == "cashback"
    assert row["coupon"]["code"] == ""
    assert row["customerId"] == ann.customer_id


def test_the_list_pages_sorts_and_filters_as_the_store_list_does(client: Any) -> None:
    campaign = make_campaign(codes=[f"C-{n}" for n in range(5)])
    ann = new_customer()
    made = [buy(campaign, ann, now=T0 + timedelta(hours=n)) for n in range(5)]
    query = urlencode({"perPage": 2, "page": 2, "sort": "purchasedAt", "direction": "DESC"})

    body = body_of(
        client.get(
            f"{API}/admin/customer/{ann.customer_id}/campaign/bought?{query}", headers=admin()
        )
    )

    assert body["total"] == 5
    assert [r["coupon"]["id"] for r in body["campaigns"]] == [
        made[2].reward_id,
        made[1].reward_id,
    ]


def test_the_list_is_read_by_query_on_the_customer(client: Any, aws_calls: AwsCalls) -> None:
    campaign = make_campaign(codes=["A-1"])
    ann = new_customer()
    buy(campaign, ann, now=T0)
    aws_calls.reset()

    rows(client.get(f"{API}/admin/customer/{ann.customer_id}/campaign/bought", headers=admin()))

    assert aws_calls.count("Scan") == 0
    assert aws_calls.count("Query") == 2  # the rewards' and the payouts' customer indexes


@pytest.mark.parametrize("role", [Role.ADMIN, Role.SELLER])
def test_an_unknown_customer_is_404(client: Any, role: Role) -> None:
    prefix = "admin" if role is Role.ADMIN else "seller"

    response = client.get(
        f"{API}/{prefix}/customer/no-such-customer/campaign/bought", headers=as_role(role)
    )

    assert response.status_code == 404


def test_another_stores_customer_is_404(client: Any) -> None:
    stranger = new_customer(OTHER_STORE)

    response = client.get(
        f"{API}/admin/customer/{stranger.customer_id}/campaign/bought", headers=admin()
    )

    assert response.status_code == 404


def test_a_bad_include_details_is_400(client: Any) -> None:
    ann = new_customer()

    response = client.get(
        f"{API}/admin/customer/{ann.customer_id}/campaign/bought?includeDetails=maybe",
        headers=admin(),
    )

    assert response.status_code == 400
    assert "includeDetails" in body_of(response)["form"]["children"]


# -- many coupons marked at once ---------------------------------------------------------------
MARK = f"{API}/admin/campaign/coupons/mark_as_used"


def mark(client: Any, coupons: list[dict[str, Any]], form: bool = True) -> Any:
    if form:
        fields = {
            f"coupons[{i}][{key}]": value
            for i, coupon in enumerate(coupons)
            for key, value in coupon.items()
        }
        return client.post(
            MARK, headers=admin() | {"Content-Type": FORM}, body=urlencode(fields).encode()
        )
    return client.post(MARK, headers=admin(), body=json.dumps({"coupons": coupons}).encode())


def coupon_of(reward: RewardModel, used: Any = "1", **changes: Any) -> dict[str, Any]:
    return {
        "customerId": reward.customer_id,
        "campaignId": reward.campaign_id,
        "couponId": reward.reward_id,
        "code": reward.coupon_code,
        "used": used,
        **changes,
    }


def stored(reward: RewardModel) -> RewardModel:
    return RewardModel.get(STORE, reward.reward_id, consistent_read=True)


@pytest.mark.parametrize("form", [True, False], ids=["form", "json"])
def test_many_coupons_are_marked_used_at_once(client: Any, form: bool) -> None:
    campaign = make_campaign(codes=["A-1", "A-2"])
    ann, bob = new_customer(), new_customer()
    first, second = buy(campaign, ann), buy(campaign, bob)

    response = mark(client, [coupon_of(first), coupon_of(second, used=True)], form)

    assert response.status_code == 200, response.body
    answered = body_of(response)["coupons"]
    assert [(c["couponId"], c["code"], c["used"]) for c in answered] == [
        (first.reward_id, "A-1", True),
        (second.reward_id, "A-2", True),
    ]
    assert all(c["usageDate"] for c in answered)
    assert stored(first).used and stored(second).used


def test_marking_unused_clears_the_usage(client: Any) -> None:
    campaign = make_campaign(codes=["A-1"])
    reward = buy(campaign, new_customer())
    assert mark(client, [coupon_of(reward)]).status_code == 200

    response = mark(client, [coupon_of(reward, used="0")])

    assert response.status_code == 200
    assert body_of(response)["coupons"][0]["usageDate"] is None
    assert not stored(reward).used and stored(reward).usage_date is None


@pytest.mark.parametrize(
    "wrong",
    [
        {"couponId": "no-such-coupon"},
        {"code": "NOT-ITS-CODE"},
        {"customerId": "someone-else"},
        {"campaignId": "another-campaign"},
    ],
    ids=["unknown-coupon", "other-code", "other-customer", "other-campaign"],
)
def test_one_unknown_coupon_is_400_and_nothing_changes(client: Any, wrong: dict[str, str]) -> None:
    campaign = make_campaign(codes=["A-1", "A-2"])
    good, bad = buy(campaign, new_customer()), buy(campaign, new_customer())

    response = mark(client, [coupon_of(good), coupon_of(bad, **wrong)])

    assert response.status_code == 400
    body = body_of(response)
    assert body["form"]["children"]["coupons"]["children"]["1"]["children"]["couponId"]["errors"]
    assert not stored(good).used and not stored(bad).used


def test_a_coupon_used_already_is_400_naming_it(client: Any) -> None:
    campaign = make_campaign(codes=["A-1", "A-2"])
    fresh, used = buy(campaign, new_customer()), buy(campaign, new_customer())
    assert mark(client, [coupon_of(used)]).status_code == 200

    response = mark(client, [coupon_of(fresh), coupon_of(used)])

    assert response.status_code == 400
    errors = body_of(response)["form"]["children"]["coupons"]["children"]["1"]["children"]
    assert errors["couponId"]["errors"] == ["This coupon has already been used."]
    assert not stored(fresh).used


def test_another_stores_coupon_is_unknown(client: Any) -> None:
    campaign = make_campaign(OTHER_STORE, codes=["A-1"])
    theirs = buy(campaign, new_customer(OTHER_STORE))

    response = mark(client, [coupon_of(theirs)])

    assert response.status_code == 400
    assert not RewardModel.get(OTHER_STORE, theirs.reward_id).used


@pytest.mark.parametrize(
    "coupons",
    [
        [],
        [{"customerId": "c", "campaignId": "k", "couponId": "x", "code": "A"}],  # no `used`
        [{"customerId": "", "campaignId": "k", "couponId": "x", "code": "A", "used": "1"}],
    ],
    ids=["none", "no-used", "blank-customer"],
)
def test_a_malformed_list_is_400(client: Any, coupons: list[dict[str, Any]]) -> None:
    response = mark(client, coupons, form=False)

    assert response.status_code == 400
    assert "coupons" in body_of(response)["form"]["children"]


def test_the_same_coupon_twice_is_400(client: Any) -> None:
    reward = buy(make_campaign(codes=["A-1"]), new_customer())

    response = mark(client, [coupon_of(reward), coupon_of(reward)])

    assert response.status_code == 400
    assert not stored(reward).used


def test_more_coupons_than_one_transaction_holds_is_400(client: Any) -> None:
    coupon = {"customerId": "c", "campaignId": "k", "code": "A", "used": "1"}
    many = [{**coupon, "couponId": f"id-{n}"} for n in range(purchases.MAX_COUPONS + 1)]

    response = mark(client, many, form=False)

    assert response.status_code == 400
    assert body_of(response)["form"]["children"]["coupons"]["errors"] == [
        f"At most {purchases.MAX_COUPONS} coupons per request."
    ]


def test_a_full_transaction_of_coupons_is_marked(client: Any) -> None:
    campaign = make_campaign(codes=[f"C-{n}" for n in range(purchases.MAX_COUPONS)])
    customer = new_customer()
    made = [buy(campaign, customer) for _ in range(purchases.MAX_COUPONS)]

    response = mark(client, [coupon_of(reward) for reward in made], form=False)

    assert response.status_code == 200, response.body
    assert all(stored(reward).used for reward in made)


# -- the public list ---------------------------------------------------------------------------
def test_the_public_list_needs_no_login_and_shows_public_active_campaigns(client: Any) -> None:
    shown = make_campaign(public=True, name="Shown")
    make_campaign(public=False, name="Not public")
    make_campaign(public=True, active=False, name="Inactive")
    make_campaign(OTHER_STORE, public=True, name="Another store's")

    response = client.get(f"{API}/campaign/public/available")

    assert response.status_code == 200, response.body
    body = body_of(response)
    assert [c["campaignId"] for c in body["campaigns"]] == [shown.campaign_id]
    assert body["total"] == 1
    assert "coupons" not in body["campaigns"][0]


@pytest.mark.parametrize("store_code", ["NO-SUCH-STORE", "x" * 300])
def test_the_public_list_of_an_unknown_store_is_404(client: Any, store_code: str) -> None:
    assert client.get(f"/api/{store_code}/campaign/public/available").status_code == 404
