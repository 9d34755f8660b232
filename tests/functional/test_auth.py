"""Logins and every credential style over HTTP, and what each role may reach."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import jwt
import pytest

from chalicelib import secrets_store
from chalicelib.config import get_settings
from chalicelib.domain.access import auth
from chalicelib.domain.access.auth import Role
from chalicelib.domain.customers import recipients
from tests.fixtures.auth import LOGIN_PATHS, PASSWORD, _claims
from tests.fixtures.clients import API_KEY, OTHER_API_KEY, OTHER_STORE, STORE, bearer, body_of

JSON = {"Content-Type": "application/json"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _recipient(email: str) -> dict[str, str]:
    return {
        "email": email,
        "firstname": "Ann",
        "surname": "Lee",
        "address1": "1 High Street",
        "town": "Bath",
        "postcode": "BA1 1AA",
    }


def _login(client: Any, role: Role, body: dict[str, str], form: bool = False) -> Any:
    if form:
        return client.post(LOGIN_PATHS[role], headers=FORM, body=urlencode(body).encode())
    return client.post(LOGIN_PATHS[role], headers=JSON, body=json.dumps(body).encode())


def _token_for(client: Any, role: Role, store_code: str = STORE, username: str = "") -> str:
    username = username or f"{role.value}@example.com"
    auth.create_user(store_code, role, username, PASSWORD)
    body = {"username": username, "password": PASSWORD}
    if store_code != STORE:
        body["storeCode"] = store_code
    response = _login(client, role, body)
    assert response.status_code == 200, response.body
    return body_of(response)["token"]


def _basic(user: str, password: str) -> dict[str, str]:
    encoded = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {encoded}"}


# --- logins ---------------------------------------------------------------------------------


@pytest.mark.parametrize("form", [False, True], ids=["json", "form"])
def test_admin_login_returns_a_token_for_the_default_store(client: Any, form: bool) -> None:
    subject = auth.create_user(STORE, Role.ADMIN, "admin@example.com", PASSWORD)

    response = _login(
        client, Role.ADMIN, {"username": "admin@example.com", "password": PASSWORD}, form
    )

    assert response.status_code == 200
    body = body_of(response)
    assert set(body) == {"token", "refresh_token"}
    claims = _claims(body["token"])
    assert claims["role"] == "admin"
    assert claims["store"] == STORE
    assert claims["sub"] == subject


@pytest.mark.parametrize("role", [Role.SELLER, Role.CUSTOMER])
@pytest.mark.parametrize("form", [False, True], ids=["json", "form"])
def test_seller_and_customer_logins(client: Any, role: Role, form: bool) -> None:
    subject = auth.create_user(STORE, role, "user@example.com", PASSWORD)

    response = _login(client, role, {"username": "user@example.com", "password": PASSWORD}, form)

    assert response.status_code == 200
    claims = _claims(body_of(response)["token"])
    assert (claims["role"], claims["store"], claims["sub"]) == (role.value, STORE, subject)


@pytest.mark.parametrize("role", list(LOGIN_PATHS))
@pytest.mark.parametrize(
    ("username", "password"),
    [("user@example.com", "wrong-pass"), ("nobody@example.com", PASSWORD)],
    ids=["wrong-password", "unknown-user"],
)
def test_bad_credentials_are_401(client: Any, role: Role, username: str, password: str) -> None:
    auth.create_user(STORE, role, "user@example.com", PASSWORD)

    response = _login(client, role, {"username": username, "password": password})

    assert response.status_code == 401
    assert body_of(response)["code"] == "bad_credentials"
    assert "WWW-Authenticate" in response.headers


def test_a_login_of_one_role_does_not_work_on_another(client: Any) -> None:
    auth.create_user(STORE, Role.CUSTOMER, "user@example.com", PASSWORD)

    response = _login(client, Role.ADMIN, {"username": "user@example.com", "password": PASSWORD})

    assert response.status_code == 401


@pytest.mark.parametrize(
    ("headers", "body"),
    [(JSON, b"{}"), (FORM, b"username="), (FORM, b"other=1")],
    ids=["json", "form-blank", "form-absent"],
)
def test_missing_fields_are_422_per_field(client: Any, headers: dict, body: bytes) -> None:
    response = client.post(LOGIN_PATHS[Role.ADMIN], headers=headers, body=body)

    assert response.status_code == 422
    body = body_of(response)
    assert body["code"] == "validation_failed"
    assert set(body["errors"]) == {"username", "password"}
    assert all(messages for messages in body["errors"].values())


def test_missing_password_names_only_the_password(client: Any) -> None:
    response = _login(client, Role.SELLER, {"username": "someone"})

    assert response.status_code == 422
    assert list(body_of(response)["errors"]) == ["password"]


def test_store_code_in_the_body_selects_the_store(client: Any) -> None:
    subject = auth.create_user(OTHER_STORE, Role.ADMIN, "admin@example.com", PASSWORD)
    body = {"username": "admin@example.com", "password": PASSWORD}

    without = _login(client, Role.ADMIN, body)
    with_store = _login(client, Role.ADMIN, {**body, "storeCode": OTHER_STORE}, form=True)

    assert without.status_code == 401
    assert with_store.status_code == 200
    claims = _claims(body_of(with_store)["token"])
    assert (claims["store"], claims["sub"]) == (OTHER_STORE, subject)


# --- roles on /recipients -----------------------------------------------------------------


def test_admin_token_may_use_recipients(client: Any) -> None:
    token = _token_for(client, Role.ADMIN)

    created = client.post(
        "/recipients", headers=bearer(token), body=json.dumps(_recipient("a@example.com"))
    )
    listed = client.get("/recipients", headers=bearer(token))

    assert created.status_code == 201
    assert [item["email"] for item in body_of(listed)["data"]] == ["a@example.com"]


@pytest.mark.parametrize("role", [Role.SELLER, Role.CUSTOMER])
def test_seller_and_customer_tokens_are_forbidden_on_recipients(client: Any, role: Role) -> None:
    token = _token_for(client, role)

    listed = client.get("/recipients", headers=bearer(token))
    created = client.post(
        "/recipients", headers=bearer(token), body=json.dumps(_recipient("a@example.com"))
    )

    assert listed.status_code == 403
    assert body_of(listed)["code"] == "forbidden"
    assert created.status_code == 403
    assert recipients.list_recipients(STORE, 10, None).recipients == []


def test_other_stores_admin_sees_only_its_own_store(client: Any) -> None:
    recipients.create_recipient(STORE, _recipient("default@example.com"))
    mine = recipients.create_recipient(STORE, _recipient("second@example.com"))
    token = _token_for(client, Role.ADMIN, OTHER_STORE)

    listed = client.get("/recipients", headers=bearer(token))
    fetched = client.get(f"/recipients/{mine.customer_id}", headers=bearer(token))
    by_email = client.get("/recipients/default@example.com", headers=bearer(token))

    assert listed.status_code == 200
    assert body_of(listed)["data"] == []
    assert fetched.status_code == 404
    assert by_email.status_code == 404


def test_store_key_sees_only_its_own_store(client: Any) -> None:
    recipients.create_recipient(OTHER_STORE, _recipient("other@example.com"))
    recipients.create_recipient(STORE, _recipient("default@example.com"))

    mine = body_of(client.get("/recipients", headers=bearer(API_KEY)))["data"]
    theirs = body_of(client.get("/recipients", headers=bearer(OTHER_API_KEY)))["data"]

    assert [item["email"] for item in mine] == ["default@example.com"]
    assert [item["email"] for item in theirs] == ["other@example.com"]


# --- credential styles -----------------------------------------------------------------------


def test_basic_auth_takes_the_key_as_user_and_ignores_the_password(client: Any) -> None:
    recipients.create_recipient(STORE, _recipient("a@example.com"))

    # Imonggo's SDK sends `x`, its examples `X`; the password carries no secret on any face.
    for password in ("X", "x", "Y", ""):
        response = client.get("/recipients", headers=_basic(API_KEY, password))
        assert response.status_code == 200
        assert len(body_of(response)["data"]) == 1


@pytest.mark.parametrize(
    "header",
    [
        pytest.param(_basic("", API_KEY), id="key-as-password"),
        pytest.param(_basic("unknown-key-0123456789", "X"), id="unknown-key"),
        pytest.param({"Authorization": "Basic !!!not-base64!!!"}, id="not-base64"),
        pytest.param({"Authorization": f"Token {API_KEY}"}, id="unknown-scheme"),
        pytest.param({"Authorization": "Bearer"}, id="empty-bearer"),
        pytest.param({"Authorization": "Bearer unknown-key-0123456789"}, id="unknown-bearer"),
        pytest.param({}, id="none"),
    ],
)
def test_bad_credentials_on_recipients_are_401(client: Any, header: dict[str, str]) -> None:
    response = client.get("/recipients", headers=header)

    assert response.status_code == 401
    assert body_of(response)["code"] in {"unauthenticated", "invalid_token"}
    assert "WWW-Authenticate" in response.headers


def test_csapikey_query_parameter(client: Any) -> None:
    recipients.create_recipient(STORE, _recipient("a@example.com"))

    good = client.get(f"/recipients?csapikey={API_KEY}")
    bad = client.get("/recipients?csapikey=unknown-key-0123456789")

    assert good.status_code == 200
    assert len(body_of(good)["data"]) == 1
    assert bad.status_code == 401


def test_revoked_key_is_401(client: Any) -> None:
    made = auth.create_api_key(STORE, label="temporary")
    assert client.get("/recipients", headers=bearer(made.key)).status_code == 200

    auth.revoke_api_key(STORE, made.key_id)

    for headers in (bearer(made.key), _basic(made.key, "X")):
        assert client.get("/recipients", headers=headers).status_code == 401
    assert client.get(f"/recipients?csapikey={made.key}").status_code == 401


def _signed(**overrides: Any) -> str:
    settings = get_settings()
    now = datetime.now(UTC)
    claims = {
        "iss": settings.jwt_issuer,
        "sub": "admin-1",
        "store": STORE,
        "role": "admin",
        "iat": now,
        "exp": now + timedelta(minutes=5),
        **overrides,
    }
    return jwt.encode(claims, secrets_store.jwt_secret(), algorithm="HS256")


def test_a_well_signed_admin_token_is_accepted(client: Any) -> None:
    assert client.get("/recipients", headers=bearer(_signed())).status_code == 200


def test_expired_token_is_401(client: Any) -> None:
    past = datetime.now(UTC) - timedelta(hours=2)
    token = _signed(iat=past, exp=past + timedelta(minutes=5))

    response = client.get("/recipients", headers=bearer(token))

    assert response.status_code == 401
    assert body_of(response)["code"] == "token_expired"


def test_tampered_token_is_401(client: Any) -> None:
    header, _, signature = _signed().split(".")
    forged_claims = {"iss": "rewards", "sub": "x", "store": OTHER_STORE, "role": "admin"}
    now = int(datetime.now(UTC).timestamp())
    forged_claims.update(iat=now, exp=now + 300)
    payload = base64.urlsafe_b64encode(json.dumps(forged_claims).encode()).decode().rstrip("=")

    response = client.get("/recipients", headers=bearer(f"{header}.{payload}.{signature}"))

    assert response.status_code == 401
    assert body_of(response)["code"] == "invalid_token"


def test_store_role_token_is_401(client: Any) -> None:
    response = client.get("/recipients", headers=bearer(_signed(role="store")))

    assert response.status_code == 401
    assert body_of(response)["code"] == "invalid_token"
