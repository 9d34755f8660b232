"""Credentials and principals: every credential style of the spec resolves here, once.

A principal is (store, role, subject). API keys (`csapikey`, Basic token, Bearer key) give the
store role; JWTs from the login endpoints give admin, seller or customer; a campaign passcode
gives the issuer role for that campaign. The HTTP edge only extracts the credential and asks.

A passcode belongs to one store's campaign; the issuing routes name only the campaign, and the
passcode itself tells which store's (chalicelib/storage/credentials.py). A campaign's sandbox
passcode gives the same issuer principal marked `sandbox`: its calls create sandbox rewards
(chalicelib/domain/rewards/sandbox.py), and its Idempotency-Keys are its own.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from functools import lru_cache

from pynamodb.exceptions import DoesNotExist

from chalicelib import secrets_store
from chalicelib.config import get_settings
from chalicelib.domain.access import secrets
from chalicelib.domain.access.stores import get_store
from chalicelib.domain.errors import AuthenticationError, ConflictError, InvalidInputError
from chalicelib.storage import credentials
from chalicelib.storage.credentials import CredentialModel, PasscodeNotWrittenError, PasscodeRefusal
from chalicelib.storage.errors import ConditionFailedError

KEY_ID_LENGTH = 12
MIN_PASSWORD_LENGTH = 6


class Role(StrEnum):
    STORE = "store"
    ADMIN = "admin"
    SELLER = "seller"
    CUSTOMER = "customer"
    ISSUER = "issuer"


# Who may call a route: the role tuples that several faces declare, each defined here once.
STORE_ONLY = (Role.STORE,)  # the store's API key
ADMIN_ONLY = (Role.ADMIN,)
ISSUER_ONLY = (Role.ISSUER,)  # a campaign's passcode
STORE_OR_ADMIN = (Role.STORE, Role.ADMIN)  # the store's API key or its admin's token
USER_ROLES = (Role.ADMIN, Role.SELLER, Role.CUSTOMER)  # the users who log in


@dataclass(frozen=True)
class Principal:
    store_code: str
    role: Role
    subject: str
    sandbox: bool = False  # a campaign's sandbox passcode: sandbox rewards only

    @property
    def actor(self) -> str:
        """How ledger entries and audit fields name who did something."""
        return f"{self.role.value}{'-sandbox' if self.sandbox else ''}:{self.subject}"


@dataclass(frozen=True)
class ApiKey:
    key_id: str
    key: str


def _api_key_pk(key: str) -> str:
    return f"apikey#{secrets.token_digest(key)}"


def _user_pk(store_code: str, role: Role, username: str) -> str:
    return f"user#{store_code}#{role.value}#{username.strip().lower()}"


def _get(pk: str) -> CredentialModel | None:
    try:
        return CredentialModel.get(pk)
    except DoesNotExist:
        return None


def _put_new(item: CredentialModel) -> None:
    try:
        item.save(condition=CredentialModel.pk.does_not_exist())
    except ConditionFailedError as error:
        raise ConflictError("This credential already exists.") from error


# --- API keys -------------------------------------------------------------------------------


def create_api_key(store_code: str, label: str | None = None, key: str | None = None) -> ApiKey:
    """Make a store API key. The key itself is returned once and stored only as a digest."""
    get_store(store_code)
    key = key or secrets.new_token()
    if len(key) < 16:
        raise InvalidInputError({"key": ["An API key needs at least 16 characters."]})
    pk = _api_key_pk(key)
    key_id = pk.removeprefix("apikey#")[:KEY_ID_LENGTH]
    _put_new(
        CredentialModel(
            pk,
            kind="api_key",
            store_code=store_code,
            role=Role.STORE.value,
            subject=key_id,
            key_id=key_id,
            label=label,
            created_at=datetime.now(UTC),
        )
    )
    return ApiKey(key_id=key_id, key=key)


def ensure_api_key(store_code: str, key: str, label: str | None = None) -> bool:
    """Register `key` for the store unless it already is; True when it was added."""
    existing = _get(_api_key_pk(key))
    if existing is not None:
        if existing.store_code != store_code:
            raise ConflictError("This key belongs to another store.")
        return False
    create_api_key(store_code, label=label, key=key)
    return True


def list_api_keys(store_code: str) -> list[CredentialModel]:
    return list(
        CredentialModel.by_store.query(store_code, CredentialModel.pk.startswith("apikey#"))
    )


def revoke_api_key(store_code: str, key_id: str) -> None:
    for item in list_api_keys(store_code):
        if item.key_id == key_id:
            item.update(actions=[CredentialModel.revoked.set(True)])
            return
    raise AuthenticationError(f"No API key {key_id} in store {store_code}.")


def principal_for_api_key(key: str) -> Principal:
    item = _get(_api_key_pk(key)) if key else None
    if item is None or item.kind != "api_key" or item.revoked:
        raise AuthenticationError("Invalid or revoked API key.")
    return Principal(item.store_code, Role.STORE, item.subject)


# --- users and their tokens ------------------------------------------------------------------


def new_user(
    store_code: str,
    role: Role,
    username: str,
    password: str,
    subject: str | None = None,
    active: bool = True,
) -> CredentialModel:
    """An unsaved login for admin, seller or customer (its password hashed), for a caller
    that writes it with other items; `create_user` writes it alone."""
    if role not in USER_ROLES:
        raise InvalidInputError({"role": [f"Users are one of: {', '.join(USER_ROLES)}."]})
    if not username.strip() or len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInputError(
            {"password": [f"A password needs at least {MIN_PASSWORD_LENGTH} characters."]}
        )
    get_store(store_code)
    return CredentialModel(
        _user_pk(store_code, role, username),
        kind="user",
        store_code=store_code,
        role=role.value,
        subject=subject or str(uuid.uuid4()),
        label=username.strip(),
        secret_hash=secrets.hash_password(password),
        revoked=not active,
        created_at=datetime.now(UTC),
    )


def create_user(
    store_code: str,
    role: Role,
    username: str,
    password: str,
    subject: str | None = None,
    active: bool = True,
) -> str:
    """Create a login for admin, seller or customer; returns the subject the tokens carry.
    ConflictError when the store has this username in this role already."""
    item = new_user(store_code, role, username, password, subject, active)
    _put_new(item)
    return item.subject


def ensure_user(
    store_code: str, role: Role, username: str, password: str, subject: str | None = None
) -> str:
    """Create the user, or set its password (and, given, its subject) when it exists (one item
    either way); the subject its tokens carry."""
    try:
        return create_user(store_code, role, username, password, subject)
    except ConflictError:
        actions = [CredentialModel.secret_hash.set(secrets.hash_password(password))]
        if subject is not None:
            actions.append(CredentialModel.subject.set(subject))
        item = CredentialModel(_user_pk(store_code, role, username))
        item.update(actions=actions)
        return item.subject


@lru_cache(maxsize=1)
def _dummy_password_hash() -> str:
    return secrets.hash_password(secrets.new_token())


@dataclass(frozen=True)
class LoggedIn:
    """Who a checked password belongs to, and the key of their login (its sessions' owner)."""

    principal: Principal
    user_pk: str


def check_login(store_code: str, role: Role, username: str, password: str) -> LoggedIn:
    """Check a user's password; AuthenticationError (`bad_credentials`) when it does not."""
    pk = _user_pk(store_code, role, username)
    item = _get(pk)
    # Hash even for an unknown user, so timing does not tell which usernames exist.
    stored = item.secret_hash if item is not None and not item.revoked else _dummy_password_hash()
    if not secrets.password_matches(password, stored or "") or item is None or item.revoked:
        raise AuthenticationError("Bad credentials.", code="bad_credentials")
    return LoggedIn(Principal(store_code, role, item.subject), pk)


def login(store_code: str, role: Role, username: str, password: str) -> str:
    """Check a user's password and return a signed JWT for (store, role, subject)."""
    return issue_token(check_login(store_code, role, username, password).principal)


def issue_token(principal: Principal) -> str:
    import jwt

    settings = get_settings()
    now = datetime.now(UTC)
    claims = {
        "iss": settings.jwt_issuer,
        "sub": principal.subject,
        "store": principal.store_code,
        "role": principal.role.value,
        "iat": now,
        "exp": now + timedelta(seconds=settings.jwt_ttl_seconds),
    }
    return jwt.encode(claims, secrets_store.jwt_secret(), algorithm="HS256")


def principal_for_token(token: str) -> Principal:
    import jwt

    settings = get_settings()
    try:
        claims = jwt.decode(
            token,
            secrets_store.jwt_secret(),
            algorithms=["HS256"],
            issuer=settings.jwt_issuer,
            options={"require": ["exp", "iat", "sub", "iss"]},
        )
        role = Role(claims["role"])
        store_code = str(claims["store"])
    except jwt.ExpiredSignatureError as error:
        raise AuthenticationError("The token has expired.", code="token_expired") from error
    except (jwt.InvalidTokenError, KeyError, ValueError) as error:
        raise AuthenticationError("Invalid token.", code="invalid_token") from error
    if role not in USER_ROLES:
        raise AuthenticationError("Invalid token.", code="invalid_token")
    return Principal(store_code, role, str(claims["sub"]))


# --- campaign passcodes ----------------------------------------------------------------------


def _put_passcode(
    store_code: str,
    campaign_id: str,
    passcode: str,
    previous: CredentialModel | None,
    sandbox: bool = False,
) -> None:
    try:
        credentials.put_passcode(
            store_code, campaign_id, secrets.token_digest(passcode), previous, sandbox
        )
    except PasscodeNotWrittenError as error:
        if error.reason is PasscodeRefusal.TAKEN:
            raise ConflictError(
                "Another store's campaign with this id has this passcode; choose another."
            ) from error
        raise ConflictError("The passcode changed meanwhile; try again.") from error


def set_passcode(
    store_code: str, campaign_id: str, passcode: str | None = None, sandbox: bool = False
) -> str:
    """Set (or rotate) a store's campaign's issuing passcode (`sandbox`: its sandbox passcode);
    the new passcode is returned once.

    A fresh random passcode unless one is given (the local demo campaign's known one). The
    previous passcode stops working in the same write.
    """
    passcode = passcode or secrets.new_token()
    pk = credentials.passcode_pk(store_code, campaign_id, sandbox)
    _put_passcode(store_code, campaign_id, passcode, credentials.get_credential(pk), sandbox)
    return passcode


def ensure_passcode(
    store_code: str, campaign_id: str, passcode: str, sandbox: bool = False
) -> bool:
    """Give the campaign `passcode` (`sandbox`: as its sandbox passcode) unless it has one
    already (seeding: a passcode rotated since stays rotated); True when it was set."""
    pk = credentials.passcode_pk(store_code, campaign_id, sandbox)
    if credentials.get_credential(pk) is not None:
        return False
    try:
        _put_passcode(store_code, campaign_id, passcode, None, sandbox)
    except ConflictError:
        if credentials.get_credential(pk) is not None:
            return False  # another seeding made one meanwhile: it stands
        raise
    return True


def principal_for_passcode(campaign_id: str, passcode: str) -> Principal:
    """The issuer of the campaign whose passcode this is, in whichever store that is."""
    pk = credentials.passcode_lookup_pk(campaign_id, secrets.token_digest(passcode))
    # Read consistently: a rotated-away passcode stops working at once.
    item = credentials.get_credential(pk) if passcode else None
    if item is None or item.kind != credentials.PASSCODE_LOOKUP_KIND or item.revoked:
        raise AuthenticationError("Invalid passcode.", code="bad_passcode")
    sandbox = item.role == credentials.SANDBOX_ROLE
    return Principal(item.store_code, Role.ISSUER, item.subject, sandbox)


def migrate_passcodes(store_code: str) -> int:
    """Move the store's passcodes kept the old way (`passcode#<campaign id>`, one store per
    campaign id) to their store-and-campaign records, digests unchanged (a passcode that
    worked still does); how many were moved. Idempotent."""
    moved = 0
    for item in credentials.legacy_passcodes(store_code):
        pk = credentials.passcode_pk(store_code, item.subject)
        if credentials.get_credential(pk) is None:
            credentials.put_passcode(store_code, item.subject, item.secret_hash or "", None)
            moved += 1
        item.delete()
    return moved
