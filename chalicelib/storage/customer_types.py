"""Customer types of a store (Imonggo's membership groups): ratio and discount per type."""

from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.models import Model

from chalicelib.storage.base import DecimalAttribute, table


@table("customer-types")
class CustomerTypeModel(Model):
    class Meta:
        pass

    store_code = UnicodeAttribute(hash_key=True)
    type_id = UnicodeAttribute(range_key=True)
    name = UnicodeAttribute()
    point_to_amount_ratio = DecimalAttribute()  # points spent per 1 unit of money
    discount = DecimalAttribute()  # percent, e.g. 0.0
    created_at = UTCDateTimeAttribute()
