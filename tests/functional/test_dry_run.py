"""A dry run answers what the real call then does, face by face, and writes nothing.

Each case sends one call with `dryRun=true`, checks that nothing changed in moto, then sends the
same call for real: the two answers are the same (status and body), but for what each run
generates afresh (ids, tokens, times) and the dry run's own mark.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlencode

import pytest

from chalicelib.api.routes import MUTATING
from chalicelib.domain.access import auth
from chalicelib.domain.access.auth import Role
from tests.fixtures.clients import API_KEY, STORE, bearer, jwt_headers, token_for
from tests.fixtures.dry_run import customer, moto_state
from tests.fixtures.factories import make_campaign

JSON = {"Content-Type": "application/json"}
GENERATED = re.compile(
    r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}"  # uuids, tokens
    r"|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?"  # instants
    r"|/r/[A-Za-z0-9_-]{20,}"  # a reward's link token
)
GENERATED_KEYS = {"id", "customerId", "transactionId", "rewardId", "claimToken"}


def generic(value: Any) -> Any:
    """`value` with what a run generates afresh blanked out."""
    if isinstance(value, dict):
        return {
            key: "<generated>" if key in GENERATED_KEYS else generic(item)
            for key, item in value.items()
            if key != "dryRun"
        }
    if isinstance(value, list):
        return [generic(item) for item in value]
    if isinstance(value, str):
        return GENERATED.sub("<generated>", value)
    return value


def dry_then_real(client: Any, method: str, path: str, body: Any, headers: dict[str, str]) -> Any:
    """The dry run's answer, checked to have changed nothing and to match the real call's."""
    sep = "&" if "?" in path else "?"
    sent = json.dumps(body) if body is not None else ""
    before = moto_state()
    dry = client.request(method, f"{path}{sep}dryRun=true", headers=headers, body=sent)
    assert moto_state() == before
    real = client.request(method, path, headers=headers, body=sent)

    assert dry.headers["Rewards-Dry-Run"] == "true"
    assert "Rewards-Dry-Run" not in real.headers
    assert dry.status_code == real.status_code, (dry.body, real.body)
    dry_body, real_body = json.loads(dry.body or b"null"), json.loads(real.body or b"null")
    if isinstance(dry_body, dict):
        assert dry_body["dryRun"] is True
    assert generic(dry_body) == generic(real_body)
    assert moto_state() != before or real.status_code >= 400
    return dry_body


def test_spending_points(client: Any) -> None:
    spender = customer("spender@example.com", 500)
    query = urlencode({"q": "spend", "customer_id": spender, "amount": "2", "reference": "r-1"})

    answer = dry_then_real(client, "POST", f"/api/rewards.json?{query}", None, bearer())

    assert answer["points-available"] == 498


def test_a_refused_spend_is_refused_alike(client: Any) -> None:
    spender = customer("poor@example.com", 50)
    query = urlencode({"q": "spend", "customer_id": spender, "amount": "2", "reference": "r-2"})

    dry_then_real(client, "POST", f"/api/rewards.json?{query}", None, bearer())


def test_granting_and_taking_points_instantly(client: Any) -> None:
    customer("holder@example.com", 100)
    items = [
        {"amount": -30, "email": "holder@example.com"},
        {"amount": -300, "email": "holder@example.com"},  # refused: its own error
        {"amount": 5, "email": "newcomer@example.com"},
    ]

    answer = dry_then_real(client, "POST", f"/api/v1/points/{API_KEY}/INSTANT", items, bearer())

    assert [item["applied"] for item in answer] == [True, False, True]


def test_creating_claims(client: Any) -> None:
    items = [{"amount": 10, "email": "claimer@example.com"}, {"amount": 0}]

    dry_then_real(client, "POST", "/api/v1/points", items, bearer())


def test_issuing_a_reward(client: Any) -> None:
    campaign = make_campaign(codes=["GIFT-1", "GIFT-2"])
    passcode = auth.set_passcode(STORE, campaign.campaign_id)
    person = {"email": "gifted@example.com", "first_name": "Gia", "last_name": "Ford"}
    headers = {"X-Passcode": passcode, **JSON}

    path = f"/api/reward_url/{campaign.campaign_id}"

    answer = dry_then_real(client, "POST", path, person, headers)

    assert answer["url"].startswith("https://rewards.test/r/")


def test_buying_a_campaign_takes_the_same_coupon(client: Any) -> None:
    buyer = customer("buyer@example.com", 100)
    campaign = make_campaign(codes=["BUY-1", "BUY-2"], cost_in_points=40)
    path = f"/api/{STORE}/admin/customer/{buyer}/campaign/{campaign.campaign_id}/buy"

    answer = dry_then_real(client, "POST", path, {}, jwt_headers(token_for(Role.ADMIN)))

    assert [coupon["code"] for coupon in answer["coupons"]] == ["BUY-1"]


def test_buying_past_the_balance_is_refused_alike(client: Any) -> None:
    buyer = customer("short@example.com", 10)
    campaign = make_campaign(codes=["DEAR-1"], cost_in_points=40)
    path = f"/api/{STORE}/admin/customer/{buyer}/campaign/{campaign.campaign_id}/buy"

    dry_then_real(client, "POST", path, {}, jwt_headers(token_for(Role.ADMIN)))


def test_marking_a_coupon_used(client: Any) -> None:
    buyer = customer("user@example.com", 100)
    campaign = make_campaign(codes=["USE-1"], cost_in_points=10)
    admin = jwt_headers(token_for(Role.ADMIN))
    bought = client.post(
        f"/api/{STORE}/admin/customer/{buyer}/campaign/{campaign.campaign_id}/buy",
        headers=admin,
        body="{}",
    )
    [coupon] = json.loads(bought.body)["coupons"]
    path = (
        f"/api/{STORE}/admin/customer/{buyer}/campaign/{campaign.campaign_id}/coupon/{coupon['id']}"
    )

    answer = dry_then_real(client, "POST", path, {"used": True}, admin)

    assert answer["used"] is True


@pytest.mark.parametrize("email", ["fresh@example.com", "not-an-email"])
def test_creating_a_recipient(client: Any, email: str) -> None:
    body = {"email": email, "firstname": "Ria", "surname": "Cole", "country": "gb"}

    dry_then_real(client, "POST", "/recipients", body, bearer())


def test_an_idempotency_key_is_neither_kept_nor_replayed_by_a_dry_run(client: Any) -> None:
    customer("keyed@example.com", 100)
    items = json.dumps([{"amount": -10, "email": "keyed@example.com"}])
    headers = bearer(**{"Idempotency-Key": "dry-1", **JSON})
    path = f"/api/v1/points/{API_KEY}/INSTANT"

    dry = client.post(f"{path}?dryRun=true", headers=headers, body=items)
    real = client.post(path, headers=headers, body=items)
    dry_again = client.post(f"{path}?dryRun=true", headers=headers, body=items)

    assert json.loads(dry.body)[0]["AvailablePoints"] == 90
    assert json.loads(real.body)[0]["AvailablePoints"] == 90
    # Not the recorded answer replayed: what the call would do now.
    assert json.loads(dry_again.body)[0]["AvailablePoints"] == 80


def test_dry_run_must_be_true_or_false(client: Any) -> None:
    response = client.post(
        f"/api/v1/points/{API_KEY}/INSTANT?dryRun=maybe", headers=bearer(), body="[]"
    )

    assert response.status_code == 422
    assert "dryRun" in json.loads(response.body)["errors"]


def test_the_api_description_offers_a_dry_run_on_every_mutating_call(client: Any) -> None:
    document = json.loads(client.get("/openapi.json").body)

    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            names = {parameter["name"] for parameter in operation.get("parameters", [])}
            assert ("dryRun" in names) == (method.upper() in MUTATING), (method, path)
