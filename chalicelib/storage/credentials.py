"""The credentials table: API keys, users and campaign passcodes, all stored as hashes.

One hash key `pk` per credential, so resolving any credential is one GetItem:
`apikey#<sha256 of key>`, `user#<store>#<role>#<username>`, `passcode#<campaign id>`.
The store index lists a store's credentials for operators.
"""

from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from chalicelib.storage.base import table
from chalicelib.storage.tables import TableModel


class CredentialsByStoreIndex(GlobalSecondaryIndex["CredentialModel"]):
    class Meta:
        index_name = "store-index"
        projection = AllProjection()

    store_code = UnicodeAttribute(hash_key=True)
    pk = UnicodeAttribute(range_key=True)


@table("credentials")
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

    by_store = CredentialsByStoreIndex()
