"""The stores table: one item per tenant with its settings."""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute

from chalicelib.storage.base import DecimalAttribute, table
from chalicelib.storage.tables import TableModel


@table("stores")
class StoreModel(TableModel):
    class Meta:
        pass

    store_code = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    currency = UnicodeAttribute()
    point_to_amount_ratio = DecimalAttribute()
    # None means claims never expire unless the request says otherwise.
    claim_expiry_days = NumberAttribute(null=True)
    # Days a credit's points last unless the credit says; None: they never expire.
    points_lifetime_days = NumberAttribute(null=True)
    email_sender = UnicodeAttribute()
    public_base_url = UnicodeAttribute()
    country_code = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
