"""Refresh tokens in the credentials table, stored as SHA-256 digests.

A login starts a *family* (`refresh-family#<id>`: the session, revocable as a whole) and its
first token (`refresh#<sha256 of token>`). A refresh trades a token for its successor in one
transaction: the old token is marked used (only if it was not yet), the new one is put, the
family is checked not revoked and the user not deactivated. The old token keeps the digest of
its successor and of the trade's Idempotency-Key: a retry of that very request (its answer
lost) may trade it again, for a new successor that replaces the unused first one
(`retrade`). Both item kinds expire through
the table's TTL (`expires`, epoch seconds); a read also checks the time, since TTL deletes late.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from chalicelib.storage.credentials import CredentialModel, get_credential
from chalicelib.storage.errors import ConditionFailedError, TransactionCancelledError
from chalicelib.storage.transactions import Transaction

TOKEN_KIND = "refresh_token"
FAMILY_KIND = "refresh_family"


def token_pk(digest: str) -> str:
    return f"refresh#{digest}"


def family_pk(family_id: str) -> str:
    return f"refresh-family#{family_id}"


@dataclass(frozen=True)
class StoredToken:
    """A refresh token as stored: whose it is, its session, whether it was traded already."""

    digest: str
    store_code: str
    role: str
    subject: str
    user_pk: str
    family_id: str
    expires: int  # epoch seconds
    used: bool
    successor: str | None = None  # digest of the token it was traded for
    retry_key: str | None = None  # digest of the Idempotency-Key of that trade


def _token_item(token: StoredToken) -> CredentialModel:
    return CredentialModel(
        token_pk(token.digest),
        kind=TOKEN_KIND,
        store_code=token.store_code,
        role=token.role,
        subject=token.subject,
        family_id=token.family_id,
        user_pk=token.user_pk,
        expires=token.expires,
        created_at=datetime.now(UTC),
    )


def start_family(token: StoredToken) -> None:
    """Write a new session and its first token (one transaction: both or neither)."""
    family = CredentialModel(
        family_pk(token.family_id),
        kind=FAMILY_KIND,
        store_code=token.store_code,
        role=token.role,
        subject=token.subject,
        expires=token.expires,
        created_at=datetime.now(UTC),
    )
    with Transaction() as transaction:
        transaction.save(family, condition=CredentialModel.pk.does_not_exist())
        transaction.save(_token_item(token), condition=CredentialModel.pk.does_not_exist())


def get_token(digest: str) -> StoredToken | None:
    item = get_credential(token_pk(digest))
    if item is None or item.kind != TOKEN_KIND or item.family_id is None or item.user_pk is None:
        return None
    return StoredToken(
        digest=digest,
        store_code=item.store_code,
        role=item.role,
        subject=item.subject,
        user_pk=item.user_pk,
        family_id=item.family_id,
        expires=int(item.expires or 0),
        used=bool(item.used),
        successor=item.successor,
        retry_key=item.retry_key,
    )


class RotationRefusal(StrEnum):
    USED = "used"  # the old token was traded meanwhile
    REVOKED = "revoked"  # the session was revoked (or has expired away)
    USER_GONE = "user_gone"  # the user was deactivated, removed or re-keyed


class RotationRefusedError(Exception):
    def __init__(self, reason: RotationRefusal) -> None:
        super().__init__(reason.value)
        self.reason = reason


def _condition_refused(error: TransactionCancelledError) -> set[str]:
    return {item.key["pk"] for item in error.refused()}


def _trade(old: StoredToken, new: StoredToken, retry_key: str | None, retrading: bool) -> None:
    family = CredentialModel(family_pk(old.family_id))
    user = CredentialModel(old.user_pk)
    transaction = Transaction()
    try:
        with transaction:
            transaction.condition_check(
                CredentialModel,
                user.pk,
                condition=CredentialModel.pk.exists()
                & (CredentialModel.revoked == False)  # noqa: E712
                & (CredentialModel.subject == old.subject),
            )
            # The session lives as long as its newest token (one operation per item).
            transaction.update(
                family,
                actions=[CredentialModel.expires.set(new.expires)],
                condition=CredentialModel.pk.exists() & (CredentialModel.revoked == False),  # noqa: E712
            )
            traded = [
                CredentialModel.used.set(True),
                CredentialModel.successor.set(new.digest),
                CredentialModel.retry_key.set(retry_key) if retry_key else None,
            ]
            if retrading:
                # Only while the first successor is unused: then its answer never arrived.
                transaction.update(
                    CredentialModel(token_pk(old.successor or "")),
                    actions=[CredentialModel.used.set(True)],
                    condition=CredentialModel.pk.exists() & CredentialModel.used.does_not_exist(),
                )
                condition = CredentialModel.successor == old.successor
            else:
                condition = CredentialModel.pk.exists() & CredentialModel.used.does_not_exist()
            transaction.update(
                CredentialModel(token_pk(old.digest)),
                actions=[action for action in traded if action is not None],
                condition=condition,
            )
            transaction.save(_token_item(new), condition=CredentialModel.pk.does_not_exist())
    except TransactionCancelledError as error:
        refused = _condition_refused(error)
        if not refused:
            raise
        if family.pk in refused:
            raise RotationRefusedError(RotationRefusal.REVOKED) from error
        if user.pk in refused:
            raise RotationRefusedError(RotationRefusal.USER_GONE) from error
        raise RotationRefusedError(RotationRefusal.USED) from error


def rotate(old: StoredToken, new: StoredToken, retry_key: str | None = None) -> None:
    """Trade `old` for `new` in one transaction, or raise `RotationRefusedError` (nothing
    written) saying which condition refused. `retry_key`: the digest of the request's
    Idempotency-Key, kept so that a retry of this request may trade again."""
    _trade(old, new, retry_key, retrading=False)


def retrade(old: StoredToken, new: StoredToken) -> None:
    """Trade a used `old` again, for a retry of the request that traded it: `new` replaces its
    first successor, which must still be unused (else `RotationRefusedError`, USED)."""
    _trade(old, new, old.retry_key, retrading=True)


def revoke_family(family_id: str) -> None:
    """End a session: none of its tokens trades any more (nothing if it is gone already)."""
    with contextlib.suppress(ConditionFailedError):  # gone already
        CredentialModel(family_pk(family_id)).update(
            actions=[CredentialModel.revoked.set(True)],
            condition=CredentialModel.pk.exists(),
        )
