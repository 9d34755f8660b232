"""An Idempotency-Key belongs to the principal, and is looked up only after authentication.

The same key sent with every credential style of one API key, or by one user under two logins,
is one request; a revoked credential gets its 401, never the answer stored under its key; the
key of another principal never reaches that answer.
"""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import quote

import pytest

from chalicelib.config import reset_settings
from chalicelib.domain.access import auth
from chalicelib.domain.access.auth import Role
from chalicelib.domain.points import accounts
from chalicelib.storage.claims import ClaimModel
from tests.fixtures.bought import new_customer
from tests.fixtures.clients import API_KEY, OTHER_API_KEY, STORE, bearer, body_of, jwt_headers
from tests.fixtures.factories import RECIPIENT, make_campaign

REPLAYED = "Idempotent-Replayed"
JSON = {"Content-Type": "application/json"}
FORM = "application/x-www-form-urlencoded"


def _basic(key: str, **extra: str) -> dict[str, str]:
    token = base64.b64encode(f"{key}:X".encode()).decode()
    return {"Authorization": f"Basic {token}", **JSON, **extra}


def test_every_credential_style_of_one_api_key_applies_a_key_once(client: Any) -> None:
    body = json.dumps([{"amount": 500, "email": "pat@example.com"}])
    key = {"Idempotency-Key": "instant-styles"}
    path = f"/api/v1/points/{API_KEY}/INSTANT"

    answers = [
        client.post(path, headers={**JSON, **key}, body=body),  # csapikey in the path
        client.post(path, headers=bearer(API_KEY, **key), body=body),
        client.post(path, headers=_basic(API_KEY, **key), body=body),
    ]

    assert [a.status_code for a in answers] == [200, 200, 200]
    assert [REPLAYED in a.headers for a in answers] == [False, True, True]
    assert {a.body for a in answers} == {answers[0].body}
    assert accounts.lookup_balance(STORE, "pat@example.com").available == 500


def test_csapikey_in_the_query_and_bearer_create_claims_once(client: Any) -> None:
    body = json.dumps([{"amount": 40, "email": "a@example.com"}])
    key = {"Idempotency-Key": "claims-styles"}

    by_query = client.post(
        f"/api/v1/points?csapikey={quote(API_KEY)}", headers={**JSON, **key}, body=body
    )
    by_bearer = client.post("/api/v1/points", headers=bearer(API_KEY, **key), body=body)

    assert (by_query.status_code, by_bearer.status_code) == (200, 200)
    assert by_bearer.headers[REPLAYED] == "true"
    assert body_of(by_bearer) == body_of(by_query)
    assert len(list(ClaimModel.scan())) == 1


def test_a_buy_retried_under_a_new_login_is_replayed(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    auth.create_user(STORE, Role.ADMIN, "ada", "password-1")
    customer = new_customer(points=100)
    campaign = make_campaign(codes=["C-1", "C-2"], cost_in_points=10)
    path = f"/api/{STORE}/admin/customer/{customer.customer_id}/campaign/{campaign.campaign_id}/buy"
    login = json.dumps({"username": "ada", "password": "password-1"})
    bought = []
    tokens = []
    for ttl in ("3600", "7200"):  # two logins give two different tokens
        monkeypatch.setenv("REWARDS_JWT_TTL_SECONDS", ttl)
        reset_settings()
        token = body_of(client.post("/api/admin/login_check", headers=JSON, body=login))["token"]
        tokens.append(token)
        headers = jwt_headers(token, **{"Content-Type": FORM, "Idempotency-Key": "buy-1"})
        bought.append(client.post(path, headers=headers, body=""))

    assert tokens[0] != tokens[1]
    assert [b.status_code for b in bought] == [200, 200]
    assert bought[1].headers[REPLAYED] == "true"
    assert bought[1].body == bought[0].body
    customer.refresh()
    assert int(customer.points_available) == 90


def test_a_revoked_key_gets_401_never_the_stored_answer(client: Any) -> None:
    made = auth.create_api_key(STORE)
    headers = bearer(made.key, **{"Idempotency-Key": "revoked-1"})
    first = client.post("/recipients", headers=headers, body=json.dumps(RECIPIENT))
    auth.revoke_api_key(STORE, made.key_id)

    again = client.post("/recipients", headers=headers, body=json.dumps(RECIPIENT))

    assert first.status_code == 201
    assert again.status_code == 401
    assert REPLAYED not in again.headers
    assert body_of(again)["code"] == "unauthenticated"


def test_a_forbidden_role_gets_403_never_the_stored_answer(client: Any) -> None:
    customer = new_customer(points=100)
    campaign = make_campaign(codes=["C-1"])
    path = f"/api/{STORE}/admin/customer/{customer.customer_id}/campaign/{campaign.campaign_id}/buy"
    admin = auth.issue_token(auth.Principal(STORE, Role.ADMIN, "a-1"))
    customer_token = auth.issue_token(auth.Principal(STORE, Role.CUSTOMER, "a-1"))
    key = {"Content-Type": FORM, "Idempotency-Key": "role-1"}

    first = client.post(path, headers=jwt_headers(admin, **key), body="")
    other = client.post(path, headers=jwt_headers(customer_token, **key), body="")

    assert first.status_code == 200
    assert other.status_code == 403
    assert REPLAYED not in other.headers


@pytest.mark.parametrize("other_key", ["same-store", "other-store"])
def test_another_principals_key_never_reaches_the_stored_answer(
    client: Any, other_key: str
) -> None:
    other = auth.create_api_key(STORE).key if other_key == "same-store" else OTHER_API_KEY
    body = json.dumps([{"amount": 5, "email": "pat@example.com"}])
    key = {"Idempotency-Key": "mine-1"}

    mine = client.post(f"/api/v1/points/{API_KEY}/INSTANT", headers={**JSON, **key}, body=body)
    theirs = client.post(f"/api/v1/points/{other}/INSTANT", headers={**JSON, **key}, body=body)

    assert (mine.status_code, theirs.status_code) == (200, 200)
    assert REPLAYED not in theirs.headers


def test_a_handler_that_authenticates_itself_keeps_its_own_401(client: Any) -> None:
    made = auth.create_api_key(STORE)
    customer = new_customer(points=100)
    path = f"/api/rewards.json?q=spend&customer_id={customer.customer_id}&amount=1"
    headers = _basic(made.key, **{"Idempotency-Key": "spend-1"})
    first = client.post(path, headers=headers, body="")
    auth.revoke_api_key(STORE, made.key_id)

    again = client.post(path, headers=headers, body="")

    assert first.status_code == 200
    assert again.status_code == 401
    assert REPLAYED not in again.headers
    customer.refresh()
    assert int(customer.points_available) == 99
