"""Secrets at rest: API keys, passwords, passcodes and link tokens are kept only as hashes.

Each secret is made the way an operator or a client makes it (the cli, the API, the demo seed),
then every item of every table is read straight from the embedded DynamoDB: the plain secret is
in none of them, and the credential's stored form is the hash that still lets it in.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import re
import uuid
from typing import Any

import pytest
from argon2 import PasswordHasher

from chalicelib import cli
from chalicelib.domain.access import auth
from chalicelib.domain.access.auth import Role
from chalicelib.storage.claims import ClaimModel
from chalicelib.storage.credentials import CredentialModel
from chalicelib.storage.rewards import RewardModel
from tests.fixtures.clients import (
    API_KEY,
    OTHER_API_KEY,
    STORE,
    bearer,
    body_of,
    jwt_headers,
    token_for,
)
from tests.fixtures.emails import consume, receive, sent_emails
from tests.fixtures.factories import make_campaign
from tests.fixtures.tables import stored_items

PASSWORD = "correct-horse-battery-staple"
JSON = {"Content-Type": "application/json"}
LOGIN_PATHS = {
    Role.ADMIN: "/api/admin/login_check",
    Role.SELLER: "/api/seller/login_check",
    Role.CUSTOMER: "/api/customer/login_check",
}


def _sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _credential(pk: str) -> dict[str, Any]:
    credentials = CredentialModel.Meta.table_name
    [item] = [
        item for table, item in stored_items() if table == credentials and item["pk"] == {"S": pk}
    ]
    return item


def _assert_nowhere(*secrets: str) -> None:
    """No item of any table holds a secret, whole or inside a longer value."""
    for table, item in stored_items():
        text = json.dumps(item)
        for secret in secrets:
            assert secret not in text, f"{table} holds a plain secret: {item}"


def _cli(*argv: str) -> str:
    with contextlib.redirect_stdout(io.StringIO()) as out:
        assert cli.main(list(argv)) == 0
    return out.getvalue()


def test_api_keys_are_kept_as_their_sha256_only(client: Any) -> None:
    printed = dict(line.split(": ", 1) for line in _cli("create-api-key", STORE).splitlines())
    made = printed["api key (shown once)"]

    assert client.get("/recipients", headers=bearer(made)).status_code == 200
    _assert_nowhere(made, API_KEY, OTHER_API_KEY)
    for key in (made, API_KEY, OTHER_API_KEY):
        item = _credential(f"apikey#{_sha256(key)}")
        assert item["kind"] == {"S": "api_key"}
        assert "secret_hash" not in item


def test_passwords_are_kept_as_argon2_hashes(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REWARDS_USER_PASSWORD", PASSWORD)
    for role in LOGIN_PATHS:
        _cli("create-user", STORE, role.value, f"{role.value}@example.com")

    tokens = []
    for role, path in LOGIN_PATHS.items():
        login = {"username": f"{role.value}@example.com", "password": PASSWORD}
        # Under an Idempotency-Key too: the token is a secret, not kept for a replay.
        headers = {**JSON, "Idempotency-Key": f"login-{role.value}"}
        response = client.post(path, body=json.dumps(login), headers=headers)
        assert response.status_code == 200, response.body
        assert response.headers["Cache-Control"] == "no-store"
        tokens.append(json.loads(response.body)["token"])
    _assert_nowhere(PASSWORD, *tokens)
    for role in LOGIN_PATHS:
        stored = _credential(f"user#{STORE}#{role.value}#{role.value}@example.com")["secret_hash"]
        assert stored["S"].startswith("$argon2id$")
        assert PasswordHasher().verify(stored["S"], PASSWORD)


@pytest.mark.parametrize(
    "idempotency_key",
    [
        pytest.param(None, id="plain-request"),
        pytest.param("rotate-1", id="with-idempotency-key"),
    ],
)
def test_passcodes_are_kept_as_their_sha256_only(client: Any, idempotency_key: str | None) -> None:
    campaign = make_campaign()
    extra = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
    rotated = client.post(
        f"/api/{STORE}/campaign/{campaign.campaign_id}/passcode",
        headers=jwt_headers(token_for(Role.ADMIN), **extra),
    )
    passcode = body_of(rotated)["passcode"]

    issued = client.post(
        f"/api/reward_url/{campaign.campaign_id}",
        headers={"X-Passcode": passcode, **JSON},
        body=json.dumps({"email": "ann@example.com", "first_name": "Ann", "last_name": "Lee"}),
    )

    assert issued.status_code == 201, issued.body
    assert _credential(f"passcode#{STORE}#{campaign.campaign_id}")["secret_hash"] == {
        "S": _sha256(passcode)
    }
    _assert_nowhere(passcode)


def test_the_demo_seed_keeps_its_known_secrets_hashed(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    secrets = {
        "REWARDS_DEMO_API_KEY": "demo-api-key-0123456789abcdef",
        "REWARDS_DEMO_ADMIN_PASSWORD": "demo-admin-password",
        "REWARDS_DEMO_PASSCODE": "demo-passcode-0123456789",
    }
    for name, value in secrets.items():
        monkeypatch.setenv(name, value)

    _cli("seed-demo")

    _assert_nowhere(*secrets.values())
    key = _credential(f"apikey#{_sha256(secrets['REWARDS_DEMO_API_KEY'])}")
    assert key["store_code"] == {"S": STORE}
    passcode = _credential(f"passcode#{STORE}#{cli.DEMO_CAMPAIGN_ID}")
    assert passcode["secret_hash"] == {"S": _sha256(secrets["REWARDS_DEMO_PASSCODE"])}
    admin = _credential(f"user#{STORE}#admin#admin@example.com")["secret_hash"]["S"]
    assert PasswordHasher().verify(admin, secrets["REWARDS_DEMO_ADMIN_PASSWORD"])


# -- link tokens ---------------------------------------------------------------------------
URL_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32}$")  # a reward link's token, as it always looked
PERSON = {"email": "ann@example.com", "first_name": "Ann", "last_name": "Lee"}


def test_claim_tokens_are_kept_as_their_sha256_only(client: Any) -> None:
    requests = [{"amount": 5}, {"amount": 7, "email": "bound@example.com"}]
    created = body_of(client.post("/api/v1/points", headers=bearer(), body=json.dumps(requests)))
    tokens = [item["claimToken"] for item in created]
    hexes = [token.replace("-", "") for token in tokens]
    for item, hex_token in zip(created, hexes, strict=True):
        assert uuid.UUID(item["claimToken"]).version == 4  # a UUID with dashes, as before
        assert item["claimUrl"] == f"https://rewards.test/claim/points/{hex_token}"
    claimed = client.post(
        f"/api/v1/claims/{tokens[0]}", headers=JSON, body=json.dumps({"email": "x@example.com"})
    )
    assert claimed.status_code == 200, claimed.body

    _assert_nowhere(*tokens, *hexes)  # the claimed one's ledger entry names its digest
    claims_table = ClaimModel.Meta.table_name
    kept = {item["token_digest"]["S"] for table, item in stored_items() if table == claims_table}
    assert kept == {_sha256(hex_token) for hex_token in hexes}
    open_claim, digest = tokens[1], _sha256(hexes[1])
    for token in (open_claim, hexes[1], open_claim.upper()):
        assert client.get(f"/api/v1/claims/{token}").status_code == 200
    assert client.get(f"/claim/points/{hexes[1]}").status_code == 200
    # The stored digest (or a UUID cut from it) is no token: hashed again, it finds nothing.
    for stored in (digest, digest[:32], str(uuid.UUID(digest[:32]))):
        assert client.get(f"/api/v1/claims/{stored}").status_code == 404
        assert client.get(f"/claim/points/{stored}").status_code == 404


def test_reward_tokens_are_kept_as_their_sha256_only(client: Any) -> None:
    campaign = make_campaign(codes=[f"CODE-{n}" for n in range(6)])
    passcode = auth.set_passcode(STORE, campaign.campaign_id)
    headers = {"X-Passcode": passcode, **JSON}

    def issue(endpoint: str, body: Any) -> Any:
        path = f"/api/{endpoint}/{campaign.campaign_id}"
        response = client.post(path, headers=headers, body=json.dumps(body))
        assert response.status_code in (200, 201), response.body
        return body_of(response)

    people = [{**PERSON, "email": f"ann{n}@example.com"} for n in range(6)]
    answers = [
        issue("reward", people[0]),
        issue("reward_url", people[1]),
        *(r["reward"] for r in issue("multi_rewards", {"recipients": people[2:4]})["results"]),
        *(r["reward"] for r in issue("multi_reward_urls", {"recipients": people[4:]})["results"]),
    ]
    consume(receive(10))  # the queue consumer renders the emails from the stored rewards
    urls = {answer["rewardId"]: answer["url"] for answer in answers}
    tokens = [url.removeprefix("https://rewards.test/r/") for url in urls.values()]

    assert all(URL_TOKEN.match(token) for token in tokens)
    emailed = [answer for answer in answers if answer["emailStatus"] == "queued"]
    sent = sent_emails()
    assert len(sent) == len(emailed) == 3
    for email in sent:
        [owner] = [a for a in emailed if a["email"] in email.destinations["ToAddresses"]]
        assert f'href="{urls[owner["rewardId"]]}"' in email.body
    listing = client.get(
        f"/api/all_rewards/{campaign.campaign_id}", headers=bearer(Accept="application/json")
    )
    listed = body_of(listing)
    assert {reward["rewardId"]: reward["url"] for reward in listed["rewards"]} == urls
    _assert_nowhere(*tokens)
    rewards_table = RewardModel.Meta.table_name
    kept = {item["token_digest"]["S"] for table, item in stored_items() if table == rewards_table}
    assert kept == {_sha256(token) for token in tokens}
    for token in tokens:
        assert client.get(f"/r/{token}").status_code == 200
        # The stored digest, as a token, is hashed again and finds nothing.
        assert client.get(f"/r/{_sha256(token)}").status_code == 404


def test_answers_kept_for_a_replay_hold_no_link_token(client: Any) -> None:
    campaign = make_campaign()
    issuer = {"X-Passcode": auth.set_passcode(STORE, campaign.campaign_id), **JSON}
    calls = [
        (f"/api/reward_url/{campaign.campaign_id}", issuer, PERSON),
        (
            f"/api/multi_reward_urls/{campaign.campaign_id}",
            issuer,
            {"recipients": [{**PERSON, "email": f"ann{n}@example.com"} for n in range(2)]},
        ),
        ("/api/v1/points", bearer(), [{"amount": 5}, {"amount": 6}]),
    ]
    tokens: list[str] = []
    for n, (path, headers, body) in enumerate(calls):
        keyed = {**headers, "Idempotency-Key": f"key-{n}"}
        first = client.post(path, headers=keyed, body=json.dumps(body))
        again = client.post(path, headers=keyed, body=json.dumps(body))

        assert first.status_code in (200, 201), first.body
        assert again.headers.get("Idempotent-Replayed") == "true"
        assert again.body == first.body  # the same links, made again for the replay
        text = first.body.decode()
        tokens += re.findall(r"/r/([A-Za-z0-9_-]{32})", text)
        tokens += re.findall(r'"claimToken": "([0-9a-f-]{36})"', text)
        tokens += re.findall(r"/claim/points/([0-9a-f]{32})", text)

    assert len(tokens) == 3 + 2 * 2
    _assert_nowhere(*tokens)
    assert all(client.get(f"/r/{t}").status_code == 200 for t in tokens[:3])
