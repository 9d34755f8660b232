"""Secrets at rest: API keys, passwords and passcodes are kept only as hashes.

Each secret is made the way an operator or a client makes it (the cli, the API, the demo seed),
then every item of every table is read straight from the embedded DynamoDB: the plain secret is
in none of them, and the credential's stored form is the hash that still lets it in.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
from typing import Any

import pytest
from argon2 import PasswordHasher

from chalicelib import cli
from chalicelib.domain.auth import Role
from chalicelib.storage.credentials import CredentialModel
from tests.conftest import API_KEY, OTHER_API_KEY, STORE, bearer, body_of, jwt_headers, token_for
from tests.factories import make_campaign
from tests.security.tables import stored_items

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
