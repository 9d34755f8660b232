"""Customer types of a store (Imonggo's membership groups): ratio and discount per type.

A type's `type_id` is a small decimal number (`8`), allocated from the store's counter row:
the item with `type_id` `#counter`, whose `last_type_id` is raised with an atomic ADD. `#` sorts
before every digit, so the store's types are one Query on `type_id >= "0"` without the counter.
"""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute

from chalicelib.storage.base import DecimalAttribute, table
from chalicelib.storage.tables import TableModel

COUNTER_ID = "#counter"
FIRST_TYPE_ID = "0"  # the lowest possible key of a real type


@table("customer-types")
class CustomerTypeModel(TableModel):
    class Meta:
        pass

    store_code = UnicodeAttribute(hash_key=True)
    type_id = UnicodeAttribute(range_key=True)
    name = UnicodeAttribute()
    point_to_amount_ratio = DecimalAttribute()  # points spent per 1 unit of money
    discount = DecimalAttribute()  # percent, e.g. 0.0
    created_at = UTCDateTimeAttribute()
    last_type_id = NumberAttribute(null=True)  # only on the counter row


def customer_type_name_pk(store_code: str, name: str) -> str:
    """The `unique-values` guard claiming a type name in a store (names are case-insensitive)."""
    return f"{store_code}#customer_type#{name.strip().lower()}"
