"""Open Loyalty's logins (`_username` / `_password`) and the refresh token's trade, reuse,
revocation and expiry, over HTTP."""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlencode

import pytest

from chalicelib.domain.access import auth, secrets
from chalicelib.domain.access.auth import Role
from chalicelib.storage.credentials import CredentialModel
from chalicelib.storage.refresh_tokens import token_pk
from tests.fixtures.auth import LOGIN_PATHS, PASSWORD, _claims
from tests.fixtures.aws import hooked_clients
from tests.fixtures.clients import STORE, body_of, jwt_headers

JSON = {"Content-Type": "application/json"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
REFRESH = "/api/token/refresh"
REVOKE = "/api/token/revoke"
USER = "user@example.com"


def post(client: Any, path: str, fields: dict[str, str], form: bool = False) -> Any:
    if form:
        return client.post(path, headers=FORM, body=urlencode(fields).encode())
    return client.post(path, headers=JSON, body=json.dumps(fields).encode())


def log_in(client: Any, role: Role = Role.CUSTOMER) -> dict[str, str]:
    response = post(client, LOGIN_PATHS[role], {"_username": USER, "_password": PASSWORD})
    assert response.status_code == 200, response.body
    return body_of(response)


def trade(client: Any, refresh_token: str) -> Any:
    return post(client, REFRESH, {"refresh_token": refresh_token})


@pytest.mark.parametrize("role", list(LOGIN_PATHS))
@pytest.mark.parametrize("form", [False, True], ids=["json", "form"])
def test_open_loyaltys_login_fields_answer_a_token_and_a_refresh_token(
    client: Any, role: Role, form: bool
) -> None:
    subject = auth.create_user(STORE, role, USER, PASSWORD)

    response = post(client, LOGIN_PATHS[role], {"_username": USER, "_password": PASSWORD}, form)

    assert response.status_code == 200
    body = body_of(response)
    assert set(body) == {"token", "refresh_token"}
    assert response.headers["Cache-Control"] == "no-store"
    claims = _claims(body["token"])
    assert (claims["role"], claims["sub"]) == (role.value, subject)


def test_a_wrong_underscored_password_is_401(client: Any) -> None:
    auth.create_user(STORE, Role.ADMIN, USER, PASSWORD)

    response = post(client, LOGIN_PATHS[Role.ADMIN], {"_username": USER, "_password": "nope!!"})

    assert response.status_code == 401
    assert body_of(response)["code"] == "bad_credentials"


def test_the_refresh_token_is_stored_only_as_its_digest(client: Any) -> None:
    auth.create_user(STORE, Role.CUSTOMER, USER, PASSWORD)

    refresh_token = log_in(client)["refresh_token"]

    item = CredentialModel.get(token_pk(secrets.token_digest(refresh_token)))
    stored = json.dumps(item.to_simple_dict(), default=str)
    assert refresh_token not in stored
    assert item.expires > time.time() + 29 * 86400


@pytest.mark.parametrize("form", [False, True], ids=["json", "form"])
def test_a_refresh_answers_a_new_token_and_a_new_refresh_token(client: Any, form: bool) -> None:
    subject = auth.create_user(STORE, Role.ADMIN, USER, PASSWORD)
    first = log_in(client, Role.ADMIN)

    response = post(client, REFRESH, {"refresh_token": first["refresh_token"]}, form)

    assert response.status_code == 200, response.body
    body = body_of(response)
    assert set(body) == {"token", "refresh_token"}
    assert body["refresh_token"] != first["refresh_token"]
    claims = _claims(body["token"])
    assert (claims["role"], claims["sub"]) == ("admin", subject)
    listed = client.get(f"/api/{STORE}/campaign", headers=jwt_headers(body["token"]))
    assert listed.status_code == 200, listed.body
    # The successor trades in its turn.
    assert trade(client, body["refresh_token"]).status_code == 200


def test_a_used_refresh_token_is_refused_and_ends_the_session(client: Any) -> None:
    auth.create_user(STORE, Role.CUSTOMER, USER, PASSWORD)
    first = log_in(client)["refresh_token"]
    second = body_of(trade(client, first))["refresh_token"]

    replayed = trade(client, first)

    assert replayed.status_code == 401
    assert body_of(replayed)["code"] == "refresh_token_reused"
    # The legitimate successor dies with the session: whoever holds it logs in again.
    after = trade(client, second)
    assert after.status_code == 401
    assert body_of(after)["code"] == "refresh_token_revoked"
    # Another login is another session, untouched.
    assert trade(client, log_in(client)["refresh_token"]).status_code == 200


def test_logging_out_revokes_the_session(client: Any) -> None:
    auth.create_user(STORE, Role.ADMIN, USER, PASSWORD)
    kept = log_in(client, Role.ADMIN)["refresh_token"]
    ended = log_in(client, Role.ADMIN)["refresh_token"]

    response = post(client, REVOKE, {"refresh_token": ended})

    assert response.status_code == 204
    refused = trade(client, ended)
    assert (refused.status_code, body_of(refused)["code"]) == (401, "refresh_token_revoked")
    assert trade(client, kept).status_code == 200


def test_revoking_an_unknown_token_tells_nothing(client: Any) -> None:
    assert post(client, REVOKE, {"refresh_token": "no-such-token"}).status_code == 204


def test_an_unknown_refresh_token_is_401(client: Any) -> None:
    response = trade(client, "no-such-token")

    assert response.status_code == 401
    assert body_of(response)["code"] == "invalid_refresh_token"


def test_a_missing_refresh_token_is_422(client: Any) -> None:
    response = post(client, REFRESH, {})

    assert response.status_code == 422
    assert set(body_of(response)["errors"]) == {"refresh_token"}


def test_an_expired_refresh_token_is_401(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    auth.create_user(STORE, Role.SELLER, USER, PASSWORD)
    refresh_token = log_in(client, Role.SELLER)["refresh_token"]
    later = time.time() + 31 * 86400
    monkeypatch.setattr(time, "time", lambda: later)

    response = trade(client, refresh_token)

    assert response.status_code == 401
    assert body_of(response)["code"] == "refresh_token_expired"


def test_a_deactivated_user_can_no_longer_refresh(client: Any) -> None:
    auth.create_user(STORE, Role.CUSTOMER, USER, PASSWORD)
    refresh_token = log_in(client)["refresh_token"]
    user = CredentialModel.get(f"user#{STORE}#customer#{USER}")
    user.update(actions=[CredentialModel.revoked.set(True)])

    response = trade(client, refresh_token)

    assert response.status_code == 401
    # Refused before anything was written: the token is not used up.
    assert not CredentialModel.get(token_pk(secrets.token_digest(refresh_token))).used


def test_a_crash_before_the_trade_is_written_leaves_the_old_token_valid(client: Any) -> None:
    auth.create_user(STORE, Role.CUSTOMER, USER, PASSWORD)
    refresh_token = log_in(client)["refresh_token"]

    def crash(event_name: str, **_: Any) -> None:
        if event_name.endswith("TransactWriteItems"):
            raise RuntimeError("crash between reading the token and trading it")

    with hooked_clients(crash), pytest.raises(RuntimeError):
        from chalicelib.domain.access import sessions

        sessions.refresh(refresh_token)

    assert trade(client, refresh_token).status_code == 200


def keyed(client: Any, refresh_token: str, key: str) -> Any:
    headers = {**JSON, "Idempotency-Key": key}
    return client.post(REFRESH, headers=headers, body=json.dumps({"refresh_token": refresh_token}))


def test_a_retry_of_a_trade_whose_answer_was_lost_trades_again(client: Any) -> None:
    auth.create_user(STORE, Role.CUSTOMER, USER, PASSWORD)
    old = log_in(client)["refresh_token"]
    lost = body_of(keyed(client, old, "trade-1"))["refresh_token"]

    retried = keyed(client, old, "trade-1")

    assert retried.status_code == 200, retried.body
    fresh = body_of(retried)["refresh_token"]
    assert fresh != lost
    # The answer never received is used up; the one received trades.
    refused = trade(client, lost)
    assert (refused.status_code, body_of(refused)["code"]) == (401, "refresh_token_reused")


def test_a_retry_after_the_successor_was_used_is_a_replay(client: Any) -> None:
    auth.create_user(STORE, Role.CUSTOMER, USER, PASSWORD)
    old = log_in(client)["refresh_token"]
    received = body_of(keyed(client, old, "trade-1"))["refresh_token"]
    newest = body_of(trade(client, received))["refresh_token"]

    replayed = keyed(client, old, "trade-1")

    assert (replayed.status_code, body_of(replayed)["code"]) == (401, "refresh_token_reused")
    assert body_of(trade(client, newest))["code"] == "refresh_token_revoked"


def test_a_used_token_under_another_key_is_a_replay(client: Any) -> None:
    auth.create_user(STORE, Role.CUSTOMER, USER, PASSWORD)
    old = log_in(client)["refresh_token"]
    keyed(client, old, "trade-1")

    replayed = keyed(client, old, "trade-2")

    assert (replayed.status_code, body_of(replayed)["code"]) == (401, "refresh_token_reused")
