"""The event log: what happened in a store, written in the transaction of the change (an outbox).

Keyed by (store_code, event_id). An event id sorts by time (`evt_<UTC timestamp>_<random>`), so a
store's events come back newest first with one Query, `since` is a key condition, and
`GET /events/{id}` is one GetItem under the caller's store. `store-type-index`
(`<store>#<type>`, event_id) serves the same reads for one type. `expires_at` is the table's
TTL: DynamoDB removes an event some time after it (at least `RETENTION` after it happened).
`data` is the event's object as JSON text, kept exactly as it is served and signed.
"""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from chalicelib.storage.base import table
from chalicelib.storage.tables import TableModel


def type_key(store_code: str, event_type: str) -> str:
    return f"{store_code}#{event_type}"


class StoreTypeIndex(GlobalSecondaryIndex["EventModel"]):
    class Meta:
        index_name = "store-type-index"
        projection = AllProjection()

    store_type = UnicodeAttribute(hash_key=True)
    event_id = UnicodeAttribute(range_key=True)


@table("events", ttl_attribute="expires_at")
class EventModel(TableModel):
    class Meta:
        pass

    store_code = UnicodeAttribute(hash_key=True)
    event_id = UnicodeAttribute(range_key=True)
    store_type = UnicodeAttribute()  # type_key(store_code, event_type)
    event_type = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    data = UnicodeAttribute()  # JSON
    expires_at = NumberAttribute()  # epoch seconds: the TTL

    by_type = StoreTypeIndex()
