"""Levels, segments and campaign categories: what campaign targeting and filters refer to.

All keyed by (store_code, id) so each store's sets are one partition. A customer's level is the
`level_id` on the customer item (found back through its level index); segment membership is one
item per (segment, customer) in `segment-members`, mirrored in the customer's `segment_ids` so
checking a customer against a campaign's targeting needs only the customer item. Audiences
count the customers of a set of segments (chalicelib/domain/catalog/audiences.py).
"""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
)

from chalicelib.storage.base import DecimalAttribute, table
from chalicelib.storage.tables import TableModel


def segment_key(store_code: str, segment_id: str) -> str:
    return f"{store_code}#{segment_id}"


@table("levels")
class LevelModel(TableModel):
    class Meta:
        pass

    store_code = UnicodeAttribute(hash_key=True)
    level_id = UnicodeAttribute(range_key=True)
    name = UnicodeAttribute()
    description = UnicodeAttribute(null=True)
    active = BooleanAttribute(default=True)
    condition_value = DecimalAttribute(null=True)  # points or spend needed to reach it
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    # How many customers hold it, kept by the transactions that give or take a level
    # (chalicelib/domain/catalog/audiences.py); used once `counted` (a level made before:
    # recounted).
    customers_count = NumberAttribute(default=0)
    counted = BooleanAttribute(null=True)
    changes = NumberAttribute(default=0)  # moves of the count, so a recount sees it changed


@table("segments")
class SegmentModel(TableModel):
    class Meta:
        pass

    store_code = UnicodeAttribute(hash_key=True)
    segment_id = UnicodeAttribute(range_key=True)
    name = UnicodeAttribute()
    description = UnicodeAttribute(null=True)
    active = BooleanAttribute(default=True)
    customers_count = NumberAttribute(default=0)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()


@table("segment-members")
class SegmentMemberModel(TableModel):
    class Meta:
        pass

    segment_key = UnicodeAttribute(hash_key=True)  # segment_key(store, segment)
    customer_id = UnicodeAttribute(range_key=True)
    added_at = UTCDateTimeAttribute()


@table("audiences")
class AudienceModel(TableModel):
    """How many customers are in at least one segment of a set that campaigns target
    (chalicelib/domain/catalog/audiences.py)."""

    class Meta:
        pass

    store_code = UnicodeAttribute(hash_key=True)
    audience_id = UnicodeAttribute(range_key=True)  # audience_id(segment ids)
    segment_ids = UnicodeSetAttribute()
    customers_count = NumberAttribute(default=0)
    built = BooleanAttribute(default=False)  # the count is whole (a recount finished)
    changes = NumberAttribute(default=0)
    created_at = UTCDateTimeAttribute()


@table("campaign-categories")
class CategoryModel(TableModel):
    class Meta:
        pass

    store_code = UnicodeAttribute(hash_key=True)
    category_id = UnicodeAttribute(range_key=True)
    name = UnicodeAttribute()
    active = BooleanAttribute(default=True)
    sort_order = NumberAttribute(default=0)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
