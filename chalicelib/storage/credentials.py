"""The credentials table: API keys, users and campaign passcodes, all stored as hashes.

One hash key `pk` per credential, so resolving any credential is one GetItem:
`apikey#<sha256 of key>`, `user#<store>#<role>#<username>`, and a login's refresh tokens
(chalicelib/storage/refresh_tokens.py).

A campaign passcode belongs to a store's campaign (two stores may each have a campaign of the
same id, each with its own passcode): `passcode#<store>#<campaign id>` holds its digest. The
issuing routes name the campaign but not the store, so a second item,
`passcode-digest#<campaign id>#<sha256 of passcode>`, names the store that passcode opens: one
GetItem resolves it, and no two stores' campaigns of one id can share a passcode. Both are
written in one transaction (`put_passcode`), the old passcode's lookup deleted with them.

A campaign may also have a sandbox passcode (`sandbox-passcode#<store>#<campaign id>`, role
`sandbox`): its lookup item shares the live passcodes' namespace, so a sandbox passcode never
equals a live one of the same campaign id, and its role tells the two apart when it resolves.

The store index lists a store's credentials for operators.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from enum import StrEnum

from pynamodb.attributes import (
    BooleanAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from chalicelib.storage.base import table
from chalicelib.storage.errors import ConditionFailedError, TransactionCancelledError
from chalicelib.storage.tables import TableModel
from chalicelib.storage.transactions import Transaction

PASSCODE_KIND = "passcode"
PASSCODE_LOOKUP_KIND = "passcode_lookup"
ISSUER_ROLE = "issuer"
SANDBOX_ROLE = "sandbox"  # a sandbox passcode's records: its calls create sandbox rewards


class CredentialsByStoreIndex(GlobalSecondaryIndex["CredentialModel"]):
    class Meta:
        index_name = "store-index"
        projection = AllProjection()

    store_code = UnicodeAttribute(hash_key=True)
    pk = UnicodeAttribute(range_key=True)


@table("credentials", ttl_attribute="expires")
class CredentialModel(TableModel):
    class Meta:
        pass

    pk = UnicodeAttribute(hash_key=True)
    kind = UnicodeAttribute()  # api_key | user | passcode
    store_code = UnicodeAttribute()
    role = UnicodeAttribute()
    subject = UnicodeAttribute()
    # Short public handle of an API key (to list and revoke it without knowing the key).
    key_id = UnicodeAttribute(null=True)
    label = UnicodeAttribute(null=True)
    # argon2 hash for passwords; API keys and passcodes are hashed into `pk` / here with SHA-256.
    secret_hash = UnicodeAttribute(null=True)
    revoked = BooleanAttribute(default=False)
    created_at = UTCDateTimeAttribute()
    # Refresh tokens and their sessions (chalicelib/storage/refresh_tokens.py).
    family_id = UnicodeAttribute(null=True)
    user_pk = UnicodeAttribute(null=True)  # the login the session belongs to
    used = BooleanAttribute(null=True)  # set once the token was traded for its successor
    successor = UnicodeAttribute(null=True)  # digest of the token it was traded for
    retry_key = UnicodeAttribute(null=True)  # digest of the Idempotency-Key of that trade
    expires = NumberAttribute(null=True)  # epoch seconds; the table's TTL deletes it after

    by_store = CredentialsByStoreIndex()


def passcode_pk(store_code: str, campaign_id: str, sandbox: bool = False) -> str:
    # Store codes hold no `#` (letters, digits, `-`, `_`), so this key is never ambiguous.
    return f"{'sandbox-' if sandbox else ''}passcode#{store_code}#{campaign_id}"


def passcode_lookup_pk(campaign_id: str, digest: str) -> str:
    return f"passcode-digest#{campaign_id}#{digest}"


PUBLIC_QUERIES_KIND = "public_queries"


def public_queries_pk(campaign_id: str) -> str:
    """The record that makes a campaign's Mokugift queries public: by campaign id alone, as
    an uncredentialed query names no store."""
    return f"public-queries#{campaign_id}"


def public_queries_store(campaign_id: str) -> str | None:
    """The store whose campaign `campaign_id` answers public queries, if one does."""
    item = get_credential(public_queries_pk(campaign_id))
    return item.store_code if item is not None and item.kind == PUBLIC_QUERIES_KIND else None


def put_public_queries(store_code: str, campaign_id: str) -> bool:
    """Make the store's campaign answer public queries; False when the id is another store's
    public campaign already (the first one keeps it)."""
    item = CredentialModel(
        public_queries_pk(campaign_id),
        kind=PUBLIC_QUERIES_KIND,
        store_code=store_code,
        role="public",
        subject=campaign_id,
        created_at=datetime.now(UTC),
    )
    try:
        item.save(
            condition=CredentialModel.pk.does_not_exist()
            | (CredentialModel.store_code == store_code)
        )
    except ConditionFailedError:
        return False
    return True


def delete_public_queries(store_code: str, campaign_id: str) -> None:
    """Stop the store's campaign answering public queries (nothing if it did not)."""
    with contextlib.suppress(ConditionFailedError):  # none, or another store's
        CredentialModel(public_queries_pk(campaign_id)).delete(
            condition=CredentialModel.store_code == store_code
        )


def get_credential(pk: str) -> CredentialModel | None:
    try:
        return CredentialModel.get(pk, consistent_read=True)
    except CredentialModel.DoesNotExist:
        return None


def legacy_passcodes(store_code: str) -> list[CredentialModel]:
    """The store's passcodes still keyed the old way, `passcode#<campaign id>` (a Query on
    the store index)."""
    found = CredentialModel.by_store.query(store_code, CredentialModel.pk.startswith("passcode#"))
    return [item for item in found if item.pk == f"passcode#{item.subject}"]


class PasscodeRefusal(StrEnum):
    CHANGED = "changed"  # the campaign's passcode is not the one read before (or now exists)
    TAKEN = "taken"  # another store's campaign of this id has this very passcode


class PasscodeNotWrittenError(Exception):
    def __init__(self, reason: PasscodeRefusal) -> None:
        super().__init__(reason.value)
        self.reason = reason


def put_passcode(
    store_code: str,
    campaign_id: str,
    digest: str,
    previous: CredentialModel | None,
    sandbox: bool = False,
) -> None:
    """Make `digest` the passcode (`sandbox`: the sandbox passcode) of the store's campaign,
    replacing `previous` (the record as read before; None: the campaign must have none). Its
    lookup item comes and the previous one goes in the same transaction. Raises
    `PasscodeNotWrittenError` saying why not."""
    pk = passcode_pk(store_code, campaign_id, sandbox)
    role = SANDBOX_ROLE if sandbox else ISSUER_ROLE
    record = CredentialModel(
        pk,
        kind=PASSCODE_KIND,
        store_code=store_code,
        role=role,
        subject=campaign_id,
        secret_hash=digest,
        created_at=datetime.now(UTC),
    )
    lookup = CredentialModel(
        passcode_lookup_pk(campaign_id, digest),
        kind=PASSCODE_LOOKUP_KIND,
        store_code=store_code,
        role=role,
        subject=campaign_id,
        created_at=record.created_at,
    )
    old_digest = previous.secret_hash if previous is not None else None
    transaction = Transaction()
    try:
        with transaction:
            if previous is None:
                transaction.save(record, condition=CredentialModel.pk.does_not_exist())
            else:
                transaction.save(record, condition=CredentialModel.secret_hash == old_digest)
            if old_digest != digest:
                transaction.save(lookup, condition=CredentialModel.pk.does_not_exist())
                if old_digest:
                    transaction.delete(CredentialModel(passcode_lookup_pk(campaign_id, old_digest)))
    except TransactionCancelledError as error:
        refused = {item.key["pk"] for item in error.refused()}
        if not refused:
            raise
        reason = PasscodeRefusal.CHANGED if pk in refused else PasscodeRefusal.TAKEN
        raise PasscodeNotWrittenError(reason) from error
