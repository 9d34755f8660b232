"""The points ledger: append-only entries per customer account, newest last by key.

`account` is `<store>#<customer id>`; `entry_id` sorts by time (`<UTC timestamp>#<random>`), so a
customer's history is one Query in either direction. The balance row the entries add up to is
the customer item (`points_available`, `points_used`), moved in the same transaction.
"""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute

from chalicelib.storage.base import table
from chalicelib.storage.tables import TableModel


def account_key(store_code: str, customer_id: str) -> str:
    return f"{store_code}#{customer_id}"


@table("ledger")
class LedgerEntryModel(TableModel):
    class Meta:
        pass

    account = UnicodeAttribute(hash_key=True)
    entry_id = UnicodeAttribute(range_key=True)
    store_code = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    kind = UnicodeAttribute()  # earn | claim | adjust | spend | expire | buy | refund
    amount = NumberAttribute()  # signed whole points: credits positive, debits negative
    reference = UnicodeAttribute(null=True)
    reason = UnicodeAttribute(null=True)
    actor = UnicodeAttribute(null=True)  # "<role>:<subject>" of the principal that caused it
    created_at = UTCDateTimeAttribute()
