"""One bought coupon: marking it used (admin, or the customer themself) and its delivery
status, with the refusals' codes, tenancy and roles."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.domain.access.auth import Role
from chalicelib.domain.rewards.grants import Grant
from chalicelib.domain.rewards.handout import acquire
from chalicelib.storage.rewards import CANCELLED, ISSUED, RewardModel
from tests.fixtures.aws import AwsCalls
from tests.fixtures.bought import admin, buy, new_customer
from tests.fixtures.clients import (
    API_KEY,
    OTHER_STORE,
    STORE,
    bearer,
    body_of,
    jwt_headers,
    token_for,
)
from tests.fixtures.factories import make_campaign

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


class Coupon:
    """A coupon bought by a fresh customer, with the paths that address it."""

    def __init__(self, **campaign_fields: Any) -> None:
        self.campaign = make_campaign(codes=["C-1"], **campaign_fields)
        self.customer = new_customer()
        self.reward = buy(self.campaign, self.customer)

    @property
    def id(self) -> str:
        return self.reward.reward_id

    def admin_path(self, customer: str | None = None, campaign: str | None = None) -> str:
        customer = customer or self.customer.customer_id
        campaign = campaign or self.campaign.campaign_id
        return f"/api/{STORE}/admin/customer/{customer}/campaign/{campaign}/coupon/{self.id}"

    def own_path(self) -> str:
        return f"/api/{STORE}/customer/campaign/{self.campaign.campaign_id}/coupon/{self.id}"

    def delivery_path(self, customer: str | None = None, coupon: str | None = None) -> str:
        customer = customer or self.customer.customer_id
        return (
            f"/api/{STORE}/admin/customer/{customer}/bought/coupon/{coupon or self.id}"
            "/changeDeliveryStatus"
        )

    def stored(self) -> RewardModel:
        return RewardModel.get(STORE, self.id, consistent_read=True)

    def listed(self, client: Any) -> dict[str, Any]:
        rows = body_of(client.get(f"/api/{STORE}/campaign/bought", headers=admin()))
        return next(row for row in rows["boughtCampaigns"] if row["coupon"]["id"] == self.id)

    def customer_headers(self, **extra: str) -> dict[str, str]:
        return jwt_headers(token_for(Role.CUSTOMER, subject=self.customer.customer_id), **extra)


def mark(client: Any, path: str, body: str, headers: dict[str, str]) -> Any:
    return client.post(path, body=body, headers=headers)


# -- usage -------------------------------------------------------------------------------------
def test_the_admin_marks_a_coupon_used_and_unused(client: Any) -> None:
    coupon = Coupon()
    assert coupon.listed(client)["canBeUsed"] is True

    used = mark(client, coupon.admin_path(), "used=1", {**admin(), **FORM})

    assert used.status_code == 200
    shown = body_of(used)
    assert shown["used"] is True and shown["usageDate"].endswith("+0000")
    row = coupon.listed(client)
    assert (row["used"], row["canBeUsed"], row["usageDate"]) == (True, False, shown["usageDate"])

    unused = mark(client, coupon.admin_path(), '{"used": false}', admin())

    assert body_of(unused) == {"used": False, "usageDate": None}
    row = coupon.listed(client)
    assert (row["used"], row["canBeUsed"], "usageDate" in row) == (False, True, False)
    assert coupon.stored().usage_date is None


def test_a_customer_marks_their_own_coupon_used(client: Any) -> None:
    coupon = Coupon()

    response = mark(client, coupon.own_path(), '{"used": 1}', coupon.customer_headers())

    assert response.status_code == 200 and body_of(response)["used"] is True
    assert coupon.stored().used is True


def test_used_can_come_in_the_query_string(client: Any) -> None:
    coupon = Coupon()

    response = client.post(coupon.admin_path() + "?used=true", headers=admin())

    assert response.status_code == 200 and coupon.stored().used is True


def test_a_coupon_is_used_once(aws_calls: AwsCalls, client: Any) -> None:
    coupon = Coupon()
    mark(client, coupon.own_path(), '{"used": 1}', coupon.customer_headers())
    first_use = coupon.stored().usage_date
    aws_calls.reset()

    again = mark(client, coupon.admin_path(), "used=1", {**admin(), **FORM})

    assert again.status_code == 409
    assert body_of(again)["code"] == "coupon_already_used"
    # One write: DynamoDB answers the refused item itself (ALL_OLD), nothing is read after.
    assert aws_calls.count("TransactWriteItems") == 1 and aws_calls.count("GetItem") == 0
    assert coupon.stored().usage_date == first_use


def test_a_coupon_cannot_be_used_before_it_is_active(client: Any) -> None:
    coupon = Coupon(days_inactive=2, days_valid=10)

    response = mark(client, coupon.own_path(), '{"used": 1}', coupon.customer_headers())

    assert response.status_code == 409
    body = body_of(response)
    assert body["code"] == "coupon_not_active_yet"
    assert body["error"] == {"code": 409, "message": "Conflict"}
    assert coupon.stored().used is False
    assert coupon.listed(client)["canBeUsed"] is False


def test_an_expired_coupon_cannot_be_used_even_before_the_job_ran(client: Any) -> None:
    campaign = make_campaign(days_valid=1)
    customer = new_customer()
    reward = buy(campaign, customer, now=datetime.now(UTC) - timedelta(days=2))
    path = (
        f"/api/{STORE}/admin/customer/{customer.customer_id}/campaign/{campaign.campaign_id}"
        f"/coupon/{reward.reward_id}"
    )

    response = mark(client, path, "used=1", {**admin(), **FORM})

    assert response.status_code == 409 and body_of(response)["code"] == "coupon_expired"
    rows = body_of(client.get(f"/api/{STORE}/campaign/bought", headers=admin()))
    [row] = rows["boughtCampaigns"]
    assert (row["status"], row["canBeUsed"]) == ("expired", False)


def test_a_cancelled_coupon_cannot_be_used(client: Any) -> None:
    coupon = Coupon()
    RewardModel(STORE, coupon.id).update(actions=[RewardModel.status.set(CANCELLED)])

    response = mark(client, coupon.admin_path(), "used=1", {**admin(), **FORM})

    assert response.status_code == 409 and body_of(response)["code"] == "coupon_cancelled"
    assert coupon.listed(client)["canBeUsed"] is False


def test_someone_elses_coupon_is_not_found(client: Any) -> None:
    coupon = Coupon()
    stranger = new_customer()
    other_campaign = make_campaign()
    stranger_headers = jwt_headers(token_for(Role.CUSTOMER, subject=stranger.customer_id))
    form = {**admin(), **FORM}

    attempts = [
        mark(client, coupon.own_path(), '{"used": 1}', stranger_headers),
        mark(client, coupon.admin_path(customer=stranger.customer_id), "used=1", form),
        mark(client, coupon.admin_path(campaign=other_campaign.campaign_id), "used=1", form),
        mark(client, coupon.admin_path().replace(coupon.id, "nope"), "used=1", form),
        mark(client, coupon.admin_path().replace(coupon.id, "x" * 300), "used=1", form),
        mark(client, coupon.admin_path(customer=stranger.customer_id), "used=0", form),
    ]

    for response in attempts:
        assert response.status_code == 404, response.body
        assert body_of(response)["code"] == "coupon_not_found"
    assert coupon.stored().used is False


def test_an_issued_reward_is_not_a_bought_coupon(client: Any) -> None:
    campaign = make_campaign()
    customer = new_customer()
    [outcome] = acquire(campaign, [Grant(customer.customer_id)], source=ISSUED)
    reward = outcome.rewards[0]
    path = (
        f"/api/{STORE}/admin/customer/{customer.customer_id}/campaign/{campaign.campaign_id}"
        f"/coupon/{reward.reward_id}"
    )

    response = mark(client, path, '{"used": 1}', admin())

    assert response.status_code == 404


@pytest.mark.parametrize("body", ["", "used=", "used=perhaps", "other=1"])
def test_used_must_be_given_as_a_flag(client: Any, body: str) -> None:
    coupon = Coupon()

    response = mark(client, coupon.admin_path(), body, {**admin(), **FORM})

    assert response.status_code == 400
    assert body_of(response)["form"]["children"]["used"]["errors"]
    assert coupon.stored().used is False


def test_usage_endpoints_keep_to_their_roles_and_store(client: Any) -> None:
    coupon = Coupon()
    seller = jwt_headers(token_for(Role.SELLER))
    other_admin = admin(OTHER_STORE)
    foreign_path = coupon.admin_path().replace(f"/api/{STORE}/", f"/api/{OTHER_STORE}/")

    refused = [
        mark(client, coupon.admin_path(), '{"used": 1}', seller),
        mark(client, coupon.admin_path(), '{"used": 1}', coupon.customer_headers()),
        mark(client, coupon.own_path(), '{"used": 1}', admin()),
        mark(client, coupon.admin_path(), '{"used": 1}', other_admin),
    ]
    hidden = mark(client, foreign_path, '{"used": 1}', other_admin)

    assert [response.status_code for response in refused] == [403, 403, 403, 403]
    assert hidden.status_code == 404
    assert coupon.stored().used is False


# -- delivery status -------------------------------------------------------------------------------
def test_the_documents_form_changes_the_delivery_status(client: Any) -> None:
    coupon = Coupon()

    response = client.put(
        coupon.delivery_path(), body="deliveryStatus[status]=canceled", headers={**admin(), **FORM}
    )

    assert response.status_code == 200
    assert body_of(response) == {"success": "Delivery status changed!"}
    assert coupon.listed(client)["deliveryStatus"] == {"status": "canceled"}


def test_each_status_in_json_and_the_filter_finds_it(client: Any) -> None:
    coupon = Coupon()
    for status in ("ordered", "shipped", "delivered"):
        body = json.dumps({"deliveryStatus": {"status": status}})

        response = client.put(coupon.delivery_path(), body=body, headers=admin())

        assert response.status_code == 200
        assert coupon.stored().delivery_status == status
    found = client.get(f"/api/{STORE}/campaign/bought?deliveryStatus=delivered", headers=admin())
    assert body_of(found)["total"] == 1


@pytest.mark.parametrize(
    "body", ["deliveryStatus[status]=lost", "deliveryStatus[status]=", "deliveryStatus=shipped", ""]
)
def test_an_invalid_status_is_a_400_form_error_and_changes_nothing(client: Any, body: str) -> None:
    coupon = Coupon()

    response = client.put(coupon.delivery_path(), body=body, headers={**admin(), **FORM})

    assert response.status_code == 400
    shown = body_of(response)
    assert shown["code"] == "validation_failed"
    form = shown["form"]
    assert form["children"].get("status", {}).get("errors") or shown["errors"]
    assert coupon.stored().delivery_status is None


def test_the_delivery_status_of_someone_elses_coupon_is_not_found(client: Any) -> None:
    coupon = Coupon()
    stranger = new_customer()
    body, headers = "deliveryStatus[status]=shipped", {**admin(), **FORM}

    attempts = [
        client.put(coupon.delivery_path(customer=stranger.customer_id), body=body, headers=headers),
        client.put(coupon.delivery_path(coupon="missing"), body=body, headers=headers),
    ]

    assert [response.status_code for response in attempts] == [404, 404]
    assert {body_of(response)["code"] for response in attempts} == {"coupon_not_found"}
    assert body_of(attempts[0])["error"] == {"code": 404, "message": "Not Found"}
    assert coupon.stored().delivery_status is None


def test_only_this_stores_admin_changes_a_delivery_status(client: Any) -> None:
    coupon = Coupon()
    body = "deliveryStatus[status]=shipped"
    foreign_path = coupon.delivery_path().replace(f"/api/{STORE}/", f"/api/{OTHER_STORE}/")

    refused = [
        client.put(coupon.delivery_path(), body=body, headers={**headers, **FORM})
        for headers in (
            jwt_headers(token_for(Role.SELLER)),
            coupon.customer_headers(),
            admin(OTHER_STORE),
        )
    ]
    hidden = client.put(foreign_path, body=body, headers={**admin(OTHER_STORE), **FORM})

    assert [response.status_code for response in refused] == [403, 403, 403]
    assert hidden.status_code == 404
    assert coupon.stored().delivery_status is None


def test_the_delivery_status_choices_for_any_credential_of_the_store(client: Any) -> None:
    path = f"/api/{STORE}/settings/choices/deliveryStatus"
    credentials = [
        admin(),
        jwt_headers(token_for(Role.SELLER)),
        jwt_headers(token_for(Role.CUSTOMER, subject="anyone")),
        bearer(API_KEY),
    ]

    answers = [client.get(path, headers=headers) for headers in credentials]

    expected = {"choices": ["ordered", "canceled", "shipped", "delivered"]}
    assert [(r.status_code, body_of(r)) for r in answers] == [(200, expected)] * 4
    assert client.get(path, headers=admin(OTHER_STORE)).status_code == 403
    assert client.get(path).status_code == 401


def test_a_coupon_bought_over_http_is_listed_and_used_by_its_buyer(client: Any) -> None:
    campaign = make_campaign(codes=["WELCOME-1"], cost_in_points=30, days_valid=7)
    buyer = new_customer(email="buyer@x.com", points=100)
    own = jwt_headers(token_for(Role.CUSTOMER, subject=buyer.customer_id))

    bought_now = client.post(
        f"/api/{STORE}/customer/campaign/{campaign.campaign_id}/buy", headers=own
    )
    [coupon] = body_of(bought_now)["coupons"]
    used = client.post(
        f"/api/{STORE}/customer/campaign/{campaign.campaign_id}/coupon/{coupon['id']}",
        body='{"used": 1}',
        headers=own,
    )

    assert (bought_now.status_code, used.status_code) == (200, 200)
    [row] = body_of(client.get(f"/api/{STORE}/campaign/bought", headers=admin()))["boughtCampaigns"]
    assert row["coupon"] == {"code": "WELCOME-1", "id": coupon["id"]}
    assert (row["costInPoints"], row["currentPointsAmount"]) == (30, 70)
    assert (row["used"], row["canBeUsed"], row["customerEmail"]) == (True, False, "buyer@x.com")
