"""Point claims: points waiting behind a token until someone claims them, or they expire.

Keyed by the SHA-256 of the token (of its 32 hex digits, as in the claim URL): the token itself
is never stored, and is made again from `claim_id` when needed
(chalicelib/domain/access/link_tokens.py).
The expiry index is sparse: only pending claims with an expiry carry `pending_expires_at`, so the
expiry job queries exactly the claims it may have to expire, oldest first, and a claimed or
expired claim drops out of the index by removing that attribute.
"""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from chalicelib.storage.base import table
from chalicelib.storage.tables import TableModel

PENDING = "pending"
CLAIMED = "claimed"
EXPIRED = "expired"


class PendingClaimsByExpiryIndex(GlobalSecondaryIndex["ClaimModel"]):
    class Meta:
        index_name = "pending-expiry-index"
        projection = AllProjection()

    status = UnicodeAttribute(hash_key=True)
    pending_expires_at = UnicodeAttribute(range_key=True)  # ISO UTC, sorts as time


@table("claims")
class ClaimModel(TableModel):
    class Meta:
        pass

    token_digest = UnicodeAttribute(hash_key=True)  # SHA-256 hex of the token's 32 hex digits
    claim_id = UnicodeAttribute()  # what the token is made from; not a secret
    store_code = UnicodeAttribute()
    amount = NumberAttribute()
    email = UnicodeAttribute(null=True)  # when set, only this email may claim
    customer_type = UnicodeAttribute(null=True)
    expires_days = NumberAttribute(null=True)
    points_expire_days = NumberAttribute(null=True)  # how long claimed points last; None: store's
    expires_at = UTCDateTimeAttribute(null=True)  # None: never expires
    pending_expires_at = UnicodeAttribute(null=True)
    status = UnicodeAttribute(default=PENDING)
    created_at = UTCDateTimeAttribute()
    created_by = UnicodeAttribute(null=True)  # the actor (store API key) that created it
    claimed_at = UTCDateTimeAttribute(null=True)
    claimed_by = UnicodeAttribute(null=True)  # customer id
    expired_at = UTCDateTimeAttribute(null=True)

    by_pending_expiry = PendingClaimsByExpiryIndex()
