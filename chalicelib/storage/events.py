"""The event log: what happened in a store, written in the transaction of the change (an outbox).

Keyed by (store_code, event_id). An event id sorts by time (`evt_<UTC timestamp>_<random>`), so a
store's events come back newest first with one Query, `since` is a key condition, and
`GET /events/{id}` is one GetItem under the caller's store. `store-type-index`
(`<store>#<type>`, event_id) serves the same reads for one type. `expires_at` is the table's
TTL: DynamoDB removes an event some time after it (at least `RETENTION` after it happened).
`data` is the event's object as JSON text, kept exactly as it is served and signed.

`dispatch-owed-index` (dispatch_shard, event_id) is sparse: the outbox of webhook deliveries.
An event carries `dispatch_shard` from the transaction that records it until the dispatcher
(`domain.events.webhook_deliveries.dispatch`) has queued its deliveries, so none is ever skipped;
`DISPATCH_SHARDS` partitions spread the writes, and the dispatcher queries each.
"""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, IncludeProjection

from chalicelib.storage.base import shard_of, table
from chalicelib.storage.tables import TableModel

DISPATCH_SHARDS = 4


def dispatch_shard(event_id: str) -> str:
    return shard_of(event_id, DISPATCH_SHARDS)


def type_key(store_code: str, event_type: str) -> str:
    return f"{store_code}#{event_type}"


class StoreTypeIndex(GlobalSecondaryIndex["EventModel"]):
    class Meta:
        index_name = "store-type-index"
        projection = AllProjection()

    store_type = UnicodeAttribute(hash_key=True)
    event_id = UnicodeAttribute(range_key=True)


class DispatchOwedIndex(GlobalSecondaryIndex["EventModel"]):
    class Meta:
        index_name = "dispatch-owed-index"
        projection = IncludeProjection(["event_type"])

    dispatch_shard = UnicodeAttribute(hash_key=True)
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
    dispatch_shard = UnicodeAttribute(null=True)  # set while its deliveries are owed

    by_type = StoreTypeIndex()
    dispatch_owed = DispatchOwedIndex()
