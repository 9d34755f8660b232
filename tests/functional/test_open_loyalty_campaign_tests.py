"""Open Loyalty's own campaign controller tests, ported as black-box HTTP cases.

One test per test of OL's `CampaignBundle/Tests/Controller/Api/CampaignControllerTest.php` and
`CustomerCampaignsControllerTest.php` (its access tests are in tests/security/
test_access_matrix.py, `OPEN_LOYALTY_RULES`), against the demo store as `make run` seeds it
(`seed-demo`: admin, seller and customer logins, the customer with points, a campaign with
codes), each client logged in the way OL's test client is (`_username` / `_password`).

Where the service answers otherwise, the test says why; all of it is the document's 3.2
contract where OL's older tests differ from it:
- the campaign form nests `name` under `translations[en]` (3.2), not at its root, and a
  coupon campaign states `daysInactive` and `daysValid` (3.2's form requires them);
- a buy answers `{"coupons": [...]}` (the document), not `{"coupon": ...}`;
- OL's fixtures' activity dates (2016-2018) are kept in the forms sent; the campaigns are
  created, and simply not active now.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib import cli
from chalicelib.domain.access.auth import Role
from chalicelib.domain.customers import records
from tests.fixtures.clients import STORE, body_of

ADMIN = cli.DemoLogin("admin@example.com", "admin-password")
SELLER = cli.DemoLogin("seller@example.com", "seller123")
CUSTOMER = cli.DemoLogin("customer@example.com", "customer123")
API = f"/api/{STORE}"
ACTIVITY = {
    "allTimeActive": False,
    "activeFrom": "2016-01-01 00:00",
    "activeTo": "2018-01-11 00:00",
}
VISIBILITY = {
    "allTimeVisible": False,
    "visibleFrom": "2016-02-01 00:00",
    "visibleTo": "2018-02-11 00:00",
}


@pytest.fixture
def demo(client: Any) -> Any:
    cli.seed_demo(
        STORE,
        "demo-api-key-0123456789abcdef",
        ADMIN.email,
        ADMIN.password,
        seller=SELLER,
        customer=CUSTOMER,
    )
    return client


def logged_in(client: Any, role: Role, login: cli.DemoLogin) -> dict[str, str]:
    """Headers of a client logged in as OL's test client is (its JWT as Bearer)."""
    body = json.dumps({"_username": login.email, "_password": login.password})
    response = client.post(
        f"/api/{role.value}/login_check", headers={"Content-Type": "application/json"}, body=body
    )
    assert response.status_code == 200, response.body
    token = body_of(response)["token"]
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


def admin(client: Any) -> dict[str, str]:
    return logged_in(client, Role.ADMIN, ADMIN)


def a_level(client: Any) -> str:
    body = json.dumps({"level": {"name": "level2", "conditionValue": 20}})
    return body_of(client.post(f"{API}/level", headers=admin(client), body=body))["id"]


def campaign_form(level_id: str, **fields: Any) -> dict[str, Any]:
    campaign = {
        "translations": {"en": {"name": "test"}},
        "reward": "gift_code",
        "levels": [level_id],
        "segments": [],
        "target": "level",
        "unlimited": False,
        "limit": 10,
        "limitPerUser": 2,
        "coupons": ["123"],
        "costInPoints": 12,
        "daysInactive": 0,
        "daysValid": 0,
        "campaignActivity": ACTIVITY,
        "campaignVisibility": VISIBILITY,
        **fields,
    }
    return {"campaign": campaign}


def details(client: Any, campaign_id: str) -> dict[str, Any]:
    response = client.get(f"{API}/campaign/{campaign_id}", headers=admin(client))
    assert response.status_code == 200, response.body
    return body_of(response)


# -- CampaignControllerTest ------------------------------------------------------------------
def test_it_creates_campaign(demo: Any) -> None:
    form = campaign_form(a_level(demo))

    response = demo.post(f"{API}/campaign", headers=admin(demo), body=json.dumps(form))

    assert response.status_code == 200, response.body
    campaign_id = body_of(response)["campaignId"]
    assert details(demo, campaign_id)["campaignId"] == campaign_id


def test_it_creates_single_coupon_campaign(demo: Any) -> None:
    form = campaign_form(a_level(demo), singleCoupon=True)
    form["campaign"]["translations"]["en"]["name"] = "test_single_coupon"

    response = demo.post(f"{API}/campaign", headers=admin(demo), body=json.dumps(form))

    assert response.status_code == 200, response.body
    assert details(demo, body_of(response)["campaignId"])["singleCoupon"] is True


def test_it_updates_campaign(demo: Any) -> None:
    form = campaign_form(a_level(demo), active=True, costInPoints=10)

    response = demo.put(
        f"{API}/campaign/{cli.DEMO_CAMPAIGN_ID}", headers=admin(demo), body=json.dumps(form)
    )

    assert response.status_code == 200, response.body
    assert body_of(response)["campaignId"] == cli.DEMO_CAMPAIGN_ID
    assert details(demo, cli.DEMO_CAMPAIGN_ID)["name"] == "test"


def test_it_validates_from(demo: Any) -> None:
    form = campaign_form(a_level(demo), singleCoupon=False)
    del form["campaign"]["translations"], form["campaign"]["reward"]

    response = demo.post(f"{API}/campaign", headers=admin(demo), body=json.dumps(form))

    assert response.status_code == 400, response.body


def test_it_returns_campaigns_list(demo: Any) -> None:
    response = demo.get(f"{API}/campaign", headers=admin(demo))

    assert response.status_code == 200
    assert len(body_of(response)["campaigns"]) > 0


def test_it_returns_campaign(demo: Any) -> None:
    assert details(demo, cli.DEMO_CAMPAIGN_ID)["campaignId"] == cli.DEMO_CAMPAIGN_ID


def _points(email: str) -> int:
    found = records.find_by_email(STORE, email, consistent=True)
    assert found is not None
    return int(found.points_available)


def _bought_campaigns(demo: Any, customer_id: str) -> list[str]:
    response = demo.get(f"{API}/admin/customer/{customer_id}/campaign/bought", headers=admin(demo))
    return [row["campaignId"] for row in body_of(response)["campaigns"]]


def test_it_allows_to_buy_a_campaign_for_customer(demo: Any) -> None:
    customer = records.find_by_email(STORE, CUSTOMER.email, consistent=True)
    assert customer is not None
    before = _points(CUSTOMER.email)

    response = demo.post(
        f"{API}/admin/customer/{customer.customer_id}/campaign/{cli.DEMO_CAMPAIGN_ID}/buy",
        headers=admin(demo),
    )

    assert response.status_code == 200, response.body
    assert len(body_of(response)["coupons"]) == 1  # OL's older test: `coupon`
    assert cli.DEMO_CAMPAIGN_ID in _bought_campaigns(demo, customer.customer_id)
    assert _points(CUSTOMER.email) == before - 100  # the demo campaign's cost (OL's: 10)


# -- CustomerCampaignsControllerTest ---------------------------------------------------------
def test_it_allows_to_buy_a_campaign(demo: Any) -> None:
    before = _points(CUSTOMER.email)
    headers = logged_in(demo, Role.CUSTOMER, CUSTOMER)

    response = demo.post(f"{API}/customer/campaign/{cli.DEMO_CAMPAIGN_ID}/buy", headers=headers)

    assert response.status_code == 200, response.body
    assert len(body_of(response)["coupons"]) == 1
    mine = demo.get(f"{API}/customer/campaign/bought", headers=headers)
    assert [row["campaignId"] for row in body_of(mine)["campaigns"]] == [cli.DEMO_CAMPAIGN_ID]
    assert _points(CUSTOMER.email) == before - 100


def test_a_seller_logs_in_and_reads_the_campaign_as_ol_lets_it(demo: Any) -> None:
    """OL's access test lets a seller read `/campaign/{campaign}` (not 403)."""
    headers = logged_in(demo, Role.SELLER, SELLER)

    response = demo.get(f"{API}/campaign/{cli.DEMO_CAMPAIGN_ID}", headers=headers)

    assert response.status_code == 200
    assert "coupons" not in body_of(response)
