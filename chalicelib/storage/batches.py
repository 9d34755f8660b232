"""Point batches: the points a customer holds, grouped by when they expire.

One item per batch, keyed by the customer's ledger account (`<store>#<customer id>`) and the
batch id, which is the batch's expiry day (`2027-03-01`), or `never`, with `~p<day>` after it
while the batch is pending (`2027-03-01~p2026-12-24`). Credits with the same expiry (and start)
day therefore land in one item, and ids sort in spending order: soonest expiry first, `never`
last.

Two sparse indexes keep the work off the items that need none:

- `spendable-index` (account, `spend_key`): only available batches with points left carry
  `spend_key` (equal to the batch id), so a spend's Query reads just the batches it may take
  from, soonest expiry first; a drained, expired or pending batch is not in it.
- `due-index` (`due_shard`, `due_on`): only batches the expiry job must visit carry `due_on`,
  the day it is due: the day after the expiry day for an available batch with points, the start
  day for a pending one. The job Queries `due_on <= today`, never scans.

`remaining` is what the batch still holds (spendable, or locked while pending); `redeemed` what
spends took from it (debits of the used kinds), `expired` what the expiry job took.
"""

from __future__ import annotations

from pynamodb.attributes import (
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import GlobalSecondaryIndex, IncludeProjection, KeysOnlyProjection

from chalicelib.storage.base import table
from chalicelib.storage.tables import TableModel

NEVER = "never"  # the id of the batch that never expires
PENDING_MARK = "~p"
DUE_SHARD = "due"  # the one partition of the due index


def batch_id_for(expires_on: str | None, pending_until: str | None = None) -> str:
    """The id of the batch holding points that expire on `expires_on` (ISO day, or None) and
    start on `pending_until` (ISO day, or None for available now)."""
    base = expires_on or NEVER
    return f"{base}{PENDING_MARK}{pending_until}" if pending_until else base


class HistoryEvent(MapAttribute[str, object]):
    """One change of a batch, as Alpha shows it."""

    time = UTCDateTimeAttribute()
    message = UnicodeAttribute(null=True)
    balance_change = NumberAttribute()


class SpendableBatchesIndex(GlobalSecondaryIndex["PointBatchModel"]):
    class Meta:
        index_name = "spendable-index"
        projection = IncludeProjection(["remaining"])

    account = UnicodeAttribute(hash_key=True)
    spend_key = UnicodeAttribute(range_key=True)


class DueBatchesIndex(GlobalSecondaryIndex["PointBatchModel"]):
    class Meta:
        index_name = "due-index"
        projection = KeysOnlyProjection()

    due_shard = UnicodeAttribute(hash_key=True)
    due_on = UnicodeAttribute(range_key=True)


@table("point-batches")
class PointBatchModel(TableModel):
    class Meta:
        pass

    account = UnicodeAttribute(hash_key=True)
    batch_id = UnicodeAttribute(range_key=True)
    store_code = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    amount = NumberAttribute(default=0)  # every credit it received
    remaining = NumberAttribute(default=0)
    redeemed = NumberAttribute(default=0)
    expired = NumberAttribute(default=0)
    expires_on = UnicodeAttribute(null=True)  # ISO day; points usable through that day
    pending_until = UnicodeAttribute(null=True)  # ISO day the points become available
    spend_key = UnicodeAttribute(null=True)  # sparse: see the module's docstring
    due_shard = UnicodeAttribute(null=True)
    due_on = UnicodeAttribute(null=True)
    history = ListAttribute(of=HistoryEvent, default=list)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()

    spendable = SpendableBatchesIndex()
    due = DueBatchesIndex()
