"""Mokugift issuing of one reward over HTTP: by email, as a URL, by unique ID; passcodes; the
error list."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest.mock import ANY
from urllib.parse import urlencode

import pytest

from chalicelib.domain.access import auth
from chalicelib.domain.access.auth import Role
from chalicelib.domain.rewards.links import reward_token
from chalicelib.storage.campaigns import CampaignModel, CouponModel, pool_key
from chalicelib.storage.customers import CustomerModel
from chalicelib.storage.rewards import EMAIL_QUEUED, ISSUED, RewardModel
from tests.fixtures.clients import OTHER_STORE, STORE, bearer, body_of, jwt_headers, token_for
from tests.fixtures.factories import make_campaign
from tests.fixtures.mokugift import (
    ALICE,
    issue,
    issuer,
    post,
    queued_messages,
    refuse_messages,
    written_items,
)


@pytest.fixture
def campaign(store: str) -> CampaignModel:
    return make_campaign()


@pytest.fixture
def passcode(campaign: CampaignModel) -> str:
    return auth.set_passcode(STORE, campaign.campaign_id)


# -- the three ways to issue ---------------------------------------------------------------
def test_create_and_send_writes_a_queued_reward_then_queues_its_email(
    client: Any, campaign: CampaignModel, passcode: str
) -> None:
    response = post(client, f"/api/reward/{campaign.campaign_id}", ALICE, issuer(passcode))

    assert response.status_code == 201, response.body
    body = body_of(response)
    stored = RewardModel.get(STORE, body["rewardId"])
    assert body == {
        "rewardId": stored.reward_id,
        "campaignId": campaign.campaign_id,
        "transactionId": stored.issue_transaction,
        "url": f"https://rewards.test/r/{reward_token(stored)}",
        "couponCode": None,
        "email": "alice@example.com",
        "uniqueId": None,
        "firstName": "Alice",
        "lastName": "Liddell",
        "message": "Thank you!",
        "senderName": "The Hatter",
        "status": "active",
        "emailStatus": "queued",
        "emailError": None,
        "used": False,
        "openedAt": None,
        "createdAt": stored.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "validFrom": stored.active_since.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "validTo": None,
    }
    assert (stored.source, stored.email_status) == (ISSUED, EMAIL_QUEUED)
    assert stored.created_by == f"issuer:{campaign.campaign_id}"
    assert queued_messages() == [
        {"storeCode": STORE, "rewardId": stored.reward_id, "correlationId": ANY}
    ]
    customer = CustomerModel.get(STORE, stored.customer_id)
    assert (customer.email, customer.firstname, customer.surname) == (
        "alice@example.com",
        "Alice",
        "Liddell",
    )


def test_reward_url_creates_the_reward_and_sends_nothing(
    client: Any, campaign: CampaignModel, passcode: str
) -> None:
    response = post(client, f"/api/reward_url/{campaign.campaign_id}", ALICE, issuer(passcode))

    assert response.status_code == 201, response.body
    body = body_of(response)
    stored = RewardModel.get(STORE, body["rewardId"])
    assert body["url"] == f"https://rewards.test/r/{reward_token(stored)}"
    assert body["emailStatus"] is None and stored.email_status is None
    assert queued_messages() == []


def test_validity_follows_the_campaigns_days(client: Any, store: str) -> None:
    campaign = make_campaign(days_inactive=2, days_valid=30)

    body = body_of(issue(client, campaign, ALICE, "reward_url"))

    stored = RewardModel.get(STORE, body["rewardId"])
    assert (stored.active_since - stored.created_at).days == 2
    assert (stored.active_to - stored.active_since).days == 30
    assert body["validTo"] == stored.active_to.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_reward_url2_recipient_is_found_by_the_recipients_api_by_public_key(
    client: Any, campaign: CampaignModel, passcode: str
) -> None:
    path = f"/api/reward_url2/{campaign.campaign_id}"
    recipient = {"unique_id": "crm-000042", "first_name": "Bob"}

    first = post(client, path, recipient, issuer(passcode))
    again = post(client, path, {"unique_id": "crm-000042"}, issuer(passcode))

    assert first.status_code == again.status_code == 201, first.body
    body = body_of(first)
    assert body["uniqueId"] == "crm-000042" and body["email"] is None
    assert body["url"].startswith("https://rewards.test/r/")
    found = client.get("/recipients/crm-000042", headers=bearer())
    assert found.status_code == 200
    recipient_body = body_of(found)
    assert (recipient_body["public_key"], recipient_body["firstname"]) == ("crm-000042", "Bob")
    rewards = [RewardModel.get(STORE, b["rewardId"]) for b in (body, body_of(again))]
    assert {reward.customer_id for reward in rewards} == {recipient_body["id"]}
    assert queued_messages() == []


def test_a_numeric_unique_id_is_taken_as_text(
    client: Any, campaign: CampaignModel, passcode: str
) -> None:
    path = f"/api/reward_url2/{campaign.campaign_id}"

    response = post(client, path, {"unique_id": 1234}, issuer(passcode))

    assert response.status_code == 201
    assert body_of(response)["uniqueId"] == "1234"


def test_an_existing_customer_gets_the_reward_without_a_new_record(
    client: Any, campaign: CampaignModel, passcode: str
) -> None:
    existing = body_of(
        client.post(
            "/recipients",
            headers=bearer(),
            body=json.dumps(
                {
                    "email": "Alice@Example.com",
                    "firstname": "Alice",
                    "surname": "L",
                    "address1": "1 Rabbit Hole",
                    "town": "Oxford",
                    "postcode": "OX1",
                }
            ),
        )
    )
    customers_before = CustomerModel.count()

    body = body_of(post(client, f"/api/reward/{campaign.campaign_id}", ALICE, issuer(passcode)))

    assert RewardModel.get(STORE, body["rewardId"]).customer_id == existing["id"]
    assert CustomerModel.count() == customers_before


def test_the_coupon_is_drawn_from_the_campaigns_pool(client: Any, store: str) -> None:
    campaign = make_campaign(codes=["CODE-1", "CODE-2"])
    passcode = auth.set_passcode(STORE, campaign.campaign_id)
    path = f"/api/reward_url/{campaign.campaign_id}"

    bodies = [
        body_of(post(client, path, {**ALICE, "email": f"{n}@example.com"}, issuer(passcode)))
        for n in range(2)
    ]

    assert sorted(body["couponCode"] for body in bodies) == ["CODE-1", "CODE-2"]
    for body in bodies:
        coupon = CouponModel.get(pool_key(STORE, campaign.campaign_id), body["couponCode"])
        assert coupon.available_code is None and coupon.reward_id == body["rewardId"]
    assert CampaignModel.get(STORE, campaign.campaign_id).coupons_available == 0


# -- passcodes -----------------------------------------------------------------------------
def test_the_passcode_may_come_as_query_parameter_or_body_field(
    client: Any, campaign: CampaignModel, passcode: str
) -> None:
    path = f"/api/reward_url/{campaign.campaign_id}"
    headers = {"Content-Type": "application/json"}

    by_query = post(client, f"{path}?passcode={passcode}", ALICE, headers)
    by_body = post(client, path, {**ALICE, "passcode": passcode}, headers)

    assert (by_query.status_code, by_body.status_code) == (201, 201)


def test_the_original_form_fields_can_be_answered_in_json(
    client: Any, campaign: CampaignModel, passcode: str
) -> None:
    form = urlencode({"passcode": passcode, "recipient_list": "crm-1, Bob Lee <crm-2>"})

    response = client.post(
        f"/api/multi_reward_urls2/{campaign.campaign_id}",
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"},
        body=form,
    )

    assert response.status_code == 200, response.body
    results = body_of(response)["results"]
    assert [result["reward"]["uniqueId"] for result in results] == ["crm-1", "crm-2"]
    assert results[1]["reward"]["firstName"] == "Bob"


@pytest.mark.parametrize("endpoint", ["reward", "reward_url", "multi_rewards"])
def test_a_wrong_passcode_is_401_bad_passcode_and_writes_nothing(
    client: Any, campaign: CampaignModel, passcode: str, endpoint: str
) -> None:
    before = written_items()
    body = {"recipients": [ALICE]} if endpoint.startswith("multi") else ALICE

    response = post(client, f"/api/{endpoint}/{campaign.campaign_id}", body, issuer("wrong"))

    assert response.status_code == 401
    assert body_of(response)["code"] == "bad_passcode"
    assert written_items() == before
    assert queued_messages() == []


def test_a_missing_passcode_is_401_and_writes_nothing(
    client: Any, campaign: CampaignModel, passcode: str
) -> None:
    before = written_items()

    response = post(
        client,
        f"/api/reward/{campaign.campaign_id}",
        ALICE,
        {"Content-Type": "application/json"},
    )

    assert response.status_code == 401
    assert body_of(response)["code"] == "unauthenticated"
    assert written_items() == before


def test_the_passcode_of_another_campaign_is_refused(
    client: Any, campaign: CampaignModel, passcode: str
) -> None:
    other = make_campaign()
    before = written_items()

    response = post(client, f"/api/reward/{other.campaign_id}", ALICE, issuer(passcode))

    assert response.status_code == 401
    assert body_of(response)["code"] == "bad_passcode"
    assert written_items() == before


def test_the_stores_api_key_may_not_issue(client: Any, campaign: CampaignModel) -> None:
    before = written_items()

    response = post(client, f"/api/reward/{campaign.campaign_id}", ALICE, bearer())

    assert response.status_code == 403
    assert written_items() == before


def test_an_admin_rotates_the_passcode_and_only_the_new_one_works(
    client: Any, campaign: CampaignModel, passcode: str
) -> None:
    path = f"/api/{STORE}/campaign/{campaign.campaign_id}/passcode"

    response = client.post(path, headers=jwt_headers(token_for(Role.ADMIN)))

    assert response.status_code == 200, response.body
    body = body_of(response)
    assert body["campaignId"] == campaign.campaign_id
    assert body["passcode"] and body["passcode"] != passcode
    issue_path = f"/api/reward_url/{campaign.campaign_id}"
    assert post(client, issue_path, ALICE, issuer(body["passcode"])).status_code == 201
    old = post(client, issue_path, ALICE, issuer(passcode))
    assert (old.status_code, body_of(old)["code"]) == (401, "bad_passcode")


def test_the_passcode_is_stored_hashed(client: Any, campaign: CampaignModel) -> None:
    from chalicelib.storage.credentials import CredentialModel

    path = f"/api/{STORE}/campaign/{campaign.campaign_id}/passcode"
    passcode = body_of(client.post(path, headers=jwt_headers(token_for(Role.ADMIN))))["passcode"]

    stored = [item.attribute_values for item in CredentialModel.scan()]
    assert passcode not in json.dumps(stored, default=str)


def test_a_passcode_for_an_unknown_campaign_is_404(client: Any) -> None:
    response = client.post(
        f"/api/{STORE}/campaign/nope/passcode", headers=jwt_headers(token_for(Role.ADMIN))
    )

    assert response.status_code == 404
    assert body_of(response)["code"] == "campaign_not_found"


@pytest.mark.parametrize("who", ["store key", "other store's admin", "seller"])
def test_only_the_stores_admin_sets_a_passcode(
    client: Any, campaign: CampaignModel, who: str
) -> None:
    headers = {
        "store key": bearer(),
        "other store's admin": jwt_headers(token_for(Role.ADMIN, OTHER_STORE)),
        "seller": jwt_headers(token_for(Role.SELLER)),
    }[who]

    response = client.post(
        f"/api/{STORE}/campaign/{campaign.campaign_id}/passcode", headers=headers
    )

    assert response.status_code == 403


# -- the error list ------------------------------------------------------------------------
def test_campaign_not_found_is_404(client: Any, campaign: CampaignModel, passcode: str) -> None:
    campaign.delete()  # its passcode outlives it

    response = post(client, f"/api/reward/{campaign.campaign_id}", ALICE, issuer(passcode))

    assert response.status_code == 404
    assert body_of(response)["code"] == "campaign_not_found"
    assert RewardModel.count() == 0


@pytest.mark.parametrize(
    "fields",
    [
        {"active": False},
        {"all_time_active": False, "active_to": datetime.now(UTC) - timedelta(days=1)},
    ],
    ids=["switched off", "window over"],
)
def test_campaign_inactive_is_409(client: Any, store: str, fields: dict[str, Any]) -> None:
    campaign = make_campaign(**fields)

    response = issue(client, campaign, ALICE)

    assert response.status_code == 409
    assert body_of(response)["code"] == "campaign_inactive"
    assert RewardModel.count() == 0
    assert queued_messages() == []


@pytest.mark.parametrize(
    ("endpoint", "body", "fields"),
    [
        ("reward", {**ALICE, "email": "not-an-email"}, {"email"}),
        ("reward", {"email": "a@example.com", "first_name": " "}, {"first_name", "last_name"}),
        ("reward_url", {**ALICE, "message": "x" * 2001}, {"message"}),
        ("reward_url2", {"first_name": "Bob"}, {"unique_id"}),
        ("reward_url2", ["not", "an", "object"], {"body"}),
    ],
    ids=["bad email", "names missing", "message too long", "no unique id", "not an object"],
)
def test_an_invalid_recipient_is_422_with_its_fields(
    client: Any, campaign: CampaignModel, endpoint: str, body: Any, fields: set[str]
) -> None:
    before = written_items()

    response = issue(client, campaign, body, endpoint)

    assert response.status_code == 422
    error = body_of(response)
    assert error["code"] == "invalid_recipient"
    assert set(error["errors"]) == fields
    assert written_items() == before


def test_the_error_messages_name_the_field(client: Any, campaign: CampaignModel) -> None:
    response = issue(client, campaign, {"email": "a@example.com", "last_name": "L"})

    assert body_of(response)["errors"] == {"first_name": ["The first name field is required."]}


def test_campaign_limit_reached_is_409(client: Any, store: str) -> None:
    campaign = make_campaign(unlimited=False, limit=1)
    passcode = auth.set_passcode(STORE, campaign.campaign_id)
    path = f"/api/reward_url/{campaign.campaign_id}"

    first = post(client, path, ALICE, issuer(passcode))
    second = post(client, path, {**ALICE, "email": "bob@example.com"}, issuer(passcode))

    assert first.status_code == 201
    assert second.status_code == 409
    assert body_of(second)["code"] == "campaign_limit_reached"
    assert RewardModel.count() == 1
    assert CampaignModel.get(STORE, campaign.campaign_id).usage_count == 1


def test_campaign_limit_per_user_reached_is_409(client: Any, store: str) -> None:
    campaign = make_campaign(unlimited=False, limit=10, limit_per_user=1)
    passcode = auth.set_passcode(STORE, campaign.campaign_id)
    path = f"/api/reward/{campaign.campaign_id}"

    first = post(client, path, ALICE, issuer(passcode))
    again = post(client, path, {**ALICE, "email": "ALICE@example.com"}, issuer(passcode))
    other = post(client, path, {**ALICE, "email": "bob@example.com"}, issuer(passcode))

    assert (first.status_code, again.status_code, other.status_code) == (201, 409, 201)
    assert body_of(again)["code"] == "campaign_limit_per_user_reached"
    assert RewardModel.count() == 2
    assert len(queued_messages()) == 2


def test_no_coupons_left_is_409(client: Any, store: str) -> None:
    campaign = make_campaign(codes=["ONLY-ONE"])
    passcode = auth.set_passcode(STORE, campaign.campaign_id)
    path = f"/api/reward/{campaign.campaign_id}"

    first = post(client, path, ALICE, issuer(passcode))
    second = post(client, path, {**ALICE, "email": "bob@example.com"}, issuer(passcode))

    assert body_of(first)["couponCode"] == "ONLY-ONE"
    assert second.status_code == 409
    assert body_of(second)["code"] == "no_coupons_left"
    assert RewardModel.count() == 1
    assert len(queued_messages()) == 1


def test_a_reward_whose_email_could_not_be_queued_stays_owed_not_500(
    client: Any, campaign: CampaignModel, passcode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    refuse_messages(monkeypatch, {0})

    response = post(client, f"/api/reward/{campaign.campaign_id}", ALICE, issuer(passcode))

    assert response.status_code == 201
    body = body_of(response)
    assert (body["emailStatus"], body.get("emailError")) == ("queued", None)
    stored = RewardModel.get(STORE, body["rewardId"])
    # Owed: the outbox sweeper sends its message (tests/reliability/test_owed_emails.py).
    assert (stored.email_status, stored.email_error) == (EMAIL_QUEUED, None)
    assert stored.email_owed_since is not None
    assert queued_messages() == []
