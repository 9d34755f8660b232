"""Credentials at rest and their resolution to principals: API keys, passwords, JWTs, passcodes."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import jwt
import pytest

from chalicelib import secrets_store
from chalicelib.config import get_settings, reset_settings
from chalicelib.domain.access import auth, secrets
from chalicelib.domain.access.auth import Principal, Role
from chalicelib.domain.errors import AuthenticationError, ConflictError, InvalidInputError
from tests.fixtures.clients import API_KEY, OTHER_STORE, STORE

CREDENTIALS_TABLE = "test-credentials"


def _items() -> list[dict[str, Any]]:
    table = boto3.resource("dynamodb", region_name="us-east-1").Table(CREDENTIALS_TABLE)
    return table.scan()["Items"]


def _all_strings(item: dict[str, Any]) -> str:
    return json.dumps(item, default=str)


def _claims(**overrides: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    claims = {
        "iss": get_settings().jwt_issuer,
        "sub": "subject-1",
        "store": STORE,
        "role": "admin",
        "iat": now,
        "exp": now + timedelta(minutes=5),
    }
    claims.update(overrides)
    return {name: value for name, value in claims.items() if value is not None}


def _sign(claims: dict[str, Any], secret: str | None = None, algorithm: str = "HS256") -> str:
    return jwt.encode(claims, secret or secrets_store.jwt_secret(), algorithm=algorithm)


# --- secrets ----------------------------------------------------------------------------------


def test_new_tokens_are_long_and_distinct() -> None:
    tokens = {secrets.new_token() for _ in range(20)}

    assert len(tokens) == 20
    assert all(len(token) >= 43 for token in tokens)


def test_token_digest_is_sha256_hex() -> None:
    assert secrets.token_digest("abc") == hashlib.sha256(b"abc").hexdigest()
    assert secrets.token_matches("abc", secrets.token_digest("abc"))
    assert not secrets.token_matches("abd", secrets.token_digest("abc"))


def test_passwords_are_hashed_with_argon2() -> None:
    hashed = secrets.hash_password("correct horse")

    assert hashed != "correct horse"
    assert hashed.startswith("$argon2")
    assert "correct horse" not in hashed
    assert secrets.password_matches("correct horse", hashed)
    assert not secrets.password_matches("wrong horse", hashed)


def test_password_check_against_a_garbage_hash_is_false() -> None:
    assert not secrets.password_matches("anything", "not-a-hash")
    assert not secrets.password_matches("anything", "")


# --- API keys -----------------------------------------------------------------------------------


def test_api_key_is_stored_only_as_its_sha256_digest(aws: None) -> None:
    from chalicelib.domain.access import stores

    stores.create_store("KEYS")
    made = auth.create_api_key("KEYS", label="ops")

    items = _items()
    assert len(items) == 1
    item = items[0]
    assert item["pk"] == f"apikey#{hashlib.sha256(made.key.encode()).hexdigest()}"
    assert made.key not in _all_strings(item)
    assert item["store_code"] == "KEYS"
    assert item["kind"] == "api_key"
    assert item["key_id"] == made.key_id
    assert made.key_id not in made.key


def test_api_key_resolves_to_the_store_principal(store: str) -> None:
    principal = auth.principal_for_api_key(API_KEY)

    assert principal.store_code == STORE
    assert principal.role is Role.STORE


@pytest.mark.parametrize("key", ["", "unknown-key-0123456789", API_KEY.upper()])
def test_unknown_api_key_is_rejected(store: str, key: str) -> None:
    with pytest.raises(AuthenticationError):
        auth.principal_for_api_key(key)


def test_revoked_api_key_is_rejected(store: str) -> None:
    made = auth.create_api_key(STORE, label="temporary")
    assert auth.principal_for_api_key(made.key).store_code == STORE

    auth.revoke_api_key(STORE, made.key_id)

    with pytest.raises(AuthenticationError):
        auth.principal_for_api_key(made.key)
    assert auth.principal_for_api_key(API_KEY).store_code == STORE


def test_a_store_cannot_revoke_another_stores_key(store: str) -> None:
    made = auth.create_api_key(STORE)

    with pytest.raises(AuthenticationError):
        auth.revoke_api_key(OTHER_STORE, made.key_id)
    assert auth.principal_for_api_key(made.key).store_code == STORE


def test_short_api_keys_are_refused(store: str) -> None:
    with pytest.raises(InvalidInputError):
        auth.create_api_key(STORE, key="too-short")


def test_the_same_key_cannot_be_registered_twice(store: str) -> None:
    with pytest.raises(ConflictError):
        auth.create_api_key(OTHER_STORE, key=API_KEY)
    assert auth.principal_for_api_key(API_KEY).store_code == STORE


# --- users ----------------------------------------------------------------------------------


def test_user_password_is_stored_as_argon2(store: str) -> None:
    auth.create_user(STORE, Role.ADMIN, "Admin@Example.com", "s3cret-pass")

    users = [item for item in _items() if item["kind"] == "user"]
    assert len(users) == 1
    assert users[0]["secret_hash"].startswith("$argon2")
    assert "s3cret-pass" not in _all_strings(users[0])


def test_login_returns_a_token_for_the_users_principal(store: str) -> None:
    subject = auth.create_user(STORE, Role.SELLER, "seller@example.com", "s3cret-pass")

    token = auth.login(STORE, Role.SELLER, " SELLER@example.com ", "s3cret-pass")

    assert auth.principal_for_token(token) == Principal(STORE, Role.SELLER, subject)


@pytest.mark.parametrize(
    ("role", "username", "password"),
    [
        (Role.ADMIN, "admin@example.com", "wrong-pass"),
        (Role.ADMIN, "nobody@example.com", "s3cret-pass"),
        (Role.SELLER, "admin@example.com", "s3cret-pass"),
    ],
)
def test_login_with_bad_credentials_fails(
    store: str, role: Role, username: str, password: str
) -> None:
    auth.create_user(STORE, Role.ADMIN, "admin@example.com", "s3cret-pass")

    with pytest.raises(AuthenticationError) as caught:
        auth.login(STORE, role, username, password)
    assert caught.value.code == "bad_credentials"


def test_login_in_another_store_fails(store: str) -> None:
    auth.create_user(STORE, Role.ADMIN, "admin@example.com", "s3cret-pass")

    with pytest.raises(AuthenticationError):
        auth.login(OTHER_STORE, Role.ADMIN, "admin@example.com", "s3cret-pass")


def test_store_and_issuer_are_not_user_roles(store: str) -> None:
    for role in (Role.STORE, Role.ISSUER):
        with pytest.raises(InvalidInputError):
            auth.create_user(STORE, role, "someone", "s3cret-pass")


def test_duplicate_user_is_a_conflict(store: str) -> None:
    auth.create_user(STORE, Role.ADMIN, "admin@example.com", "s3cret-pass")

    with pytest.raises(ConflictError):
        auth.create_user(STORE, Role.ADMIN, "ADMIN@example.com", "other-pass")


# --- JWTs -----------------------------------------------------------------------------------


@pytest.fixture
def jwt_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    yield monkeypatch
    reset_settings()


def test_issued_token_round_trips_to_the_principal() -> None:
    principal = Principal(STORE, Role.CUSTOMER, "customer-42")

    token = auth.issue_token(principal)

    assert auth.principal_for_token(token) == principal
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["role"] == "customer"
    assert claims["store"] == STORE
    assert claims["sub"] == "customer-42"
    assert claims["exp"] - claims["iat"] == get_settings().jwt_ttl_seconds


def test_token_issued_with_a_negative_ttl_is_expired(jwt_env: pytest.MonkeyPatch) -> None:
    jwt_env.setenv("REWARDS_JWT_TTL_SECONDS", "-60")
    reset_settings()
    token = auth.issue_token(Principal(STORE, Role.ADMIN, "a"))

    with pytest.raises(AuthenticationError) as caught:
        auth.principal_for_token(token)
    assert caught.value.code == "token_expired"


def test_crafted_expired_token_is_expired() -> None:
    past = datetime.now(UTC) - timedelta(hours=2)
    token = _sign(_claims(iat=past, exp=past + timedelta(minutes=5)))

    with pytest.raises(AuthenticationError) as caught:
        auth.principal_for_token(token)
    assert caught.value.code == "token_expired"


def _tamper_payload(token: str, **changes: Any) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims.update(changes)
    raw = json.dumps(claims, separators=(",", ":")).encode()
    forged = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    return f"{header}.{forged}.{signature}"


def _flip_last_char(token: str) -> str:
    header, payload, signature = token.split(".")
    replacement = "A" if signature[0] != "A" else "B"
    return f"{header}.{payload}.{replacement}{signature[1:]}"


def _none_token() -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    now = int(datetime.now(UTC).timestamp())
    claims = {"iss": "rewards", "sub": "x", "store": STORE, "role": "admin"}
    return (
        f"{part({'alg': 'none', 'typ': 'JWT'})}.{part({**claims, 'iat': now, 'exp': now + 300})}."
    )


@pytest.mark.parametrize(
    "make_token",
    [
        pytest.param(lambda: _tamper_payload(_sign(_claims()), store="OTHER"), id="payload"),
        pytest.param(lambda: _flip_last_char(_sign(_claims())), id="signature"),
        pytest.param(
            lambda: _sign(_claims(), secret="another-secret-of-32-bytes-or-more"), id="key"
        ),
        pytest.param(_none_token, id="alg-none"),
        pytest.param(
            lambda: _sign(_claims(), algorithm="HS512"),
            id="hs512",
            marks=pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning"),
        ),
        pytest.param(lambda: _sign(_claims(role="store")), id="role-store"),
        pytest.param(lambda: _sign(_claims(role="issuer")), id="role-issuer"),
        pytest.param(lambda: _sign(_claims(role="superuser")), id="role-unknown"),
        pytest.param(lambda: _sign(_claims(role=None)), id="no-role"),
        pytest.param(lambda: _sign(_claims(store=None)), id="no-store"),
        pytest.param(lambda: _sign(_claims(exp=None)), id="no-exp"),
        pytest.param(lambda: _sign(_claims(iss="someone-else")), id="issuer"),
        pytest.param(lambda: "not.a.token", id="garbage"),
        pytest.param(lambda: "", id="empty"),
    ],
)
def test_invalid_tokens_are_rejected(make_token: Any) -> None:
    token = make_token()

    with pytest.raises(AuthenticationError) as caught:
        auth.principal_for_token(token)
    assert caught.value.code == "invalid_token"


def test_a_token_signed_with_the_old_secret_fails_after_rotation(
    jwt_env: pytest.MonkeyPatch,
) -> None:
    token = auth.issue_token(Principal(STORE, Role.ADMIN, "a"))
    jwt_env.setenv("REWARDS_JWT_SECRET", "a-rotated-secret-that-is-long-enough-000")
    reset_settings()

    with pytest.raises(AuthenticationError) as caught:
        auth.principal_for_token(token)
    assert caught.value.code == "invalid_token"


# --- passcodes ------------------------------------------------------------------------------


def test_passcode_is_returned_once_and_stored_hashed(store: str) -> None:
    passcode = auth.set_passcode(STORE, "campaign-1")

    item = next(item for item in _items() if item["pk"] == f"passcode#{STORE}#campaign-1")
    assert passcode not in _all_strings(item)
    assert item["secret_hash"] == hashlib.sha256(passcode.encode()).hexdigest()
    assert item["store_code"] == STORE


def test_passcode_resolves_to_the_issuer_of_its_campaign(store: str) -> None:
    passcode = auth.set_passcode(STORE, "campaign-1")

    assert auth.principal_for_passcode("campaign-1", passcode) == Principal(
        STORE, Role.ISSUER, "campaign-1"
    )


@pytest.mark.parametrize(
    ("campaign_id", "passcode"),
    [("campaign-1", "wrong-passcode"), ("campaign-1", ""), ("campaign-unknown", None)],
)
def test_wrong_or_unknown_passcodes_fail(
    store: str, campaign_id: str, passcode: str | None
) -> None:
    real = auth.set_passcode(STORE, "campaign-1")

    with pytest.raises(AuthenticationError) as caught:
        auth.principal_for_passcode(campaign_id, real if passcode is None else passcode)
    assert caught.value.code == "bad_passcode"


def test_rotation_invalidates_the_old_passcode(store: str) -> None:
    old = auth.set_passcode(STORE, "campaign-1")
    new = auth.set_passcode(STORE, "campaign-1")

    assert new != old
    with pytest.raises(AuthenticationError):
        auth.principal_for_passcode("campaign-1", old)
    assert auth.principal_for_passcode("campaign-1", new).store_code == STORE


def test_two_stores_campaigns_of_one_id_each_have_their_own_passcode(store: str) -> None:
    ours = auth.set_passcode(STORE, "campaign-1")
    theirs = auth.set_passcode(OTHER_STORE, "campaign-1")

    assert auth.principal_for_passcode("campaign-1", ours) == Principal(
        STORE, Role.ISSUER, "campaign-1"
    )
    assert auth.principal_for_passcode("campaign-1", theirs) == Principal(
        OTHER_STORE, Role.ISSUER, "campaign-1"
    )
    auth.set_passcode(OTHER_STORE, "campaign-1")  # their rotation leaves ours alone
    assert auth.principal_for_passcode("campaign-1", ours).store_code == STORE
    with pytest.raises(AuthenticationError):
        auth.principal_for_passcode("campaign-1", theirs)


def test_one_passcode_may_not_open_two_stores_campaigns_of_one_id(store: str) -> None:
    auth.set_passcode(STORE, "campaign-1", passcode="chosen-passcode-0123")

    with pytest.raises(ConflictError):
        auth.set_passcode(OTHER_STORE, "campaign-1", passcode="chosen-passcode-0123")
    principal = auth.principal_for_passcode("campaign-1", "chosen-passcode-0123")
    assert principal.store_code == STORE


def test_a_rotation_raced_by_another_is_refused_not_lost(store: str) -> None:
    from chalicelib.storage import credentials

    first = auth.set_passcode(STORE, "campaign-1")
    read_before = credentials.get_credential(credentials.passcode_pk(STORE, "campaign-1"))
    second = auth.set_passcode(STORE, "campaign-1")

    with pytest.raises(credentials.PasscodeNotWrittenError):
        credentials.put_passcode(STORE, "campaign-1", "0" * 64, read_before)
    assert auth.principal_for_passcode("campaign-1", second).store_code == STORE
    with pytest.raises(AuthenticationError):
        auth.principal_for_passcode("campaign-1", first)
