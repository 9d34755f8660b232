"""moto's TransactWriteItems, rolled back item by item instead of by copying whole tables.

Before applying a transaction, moto deep-copies every table the transaction names, so that it
can put the copy back if a condition fails. That makes each transaction cost time in
proportion to the size of the tables it touches: 1,000 rewards issued in bulk become minutes,
and the local stack and the tests measure moto rather than the service. Real DynamoDB has no
such cost.

`install()` keeps moto's transaction logic and changes only its undo: moto's whole-table copy is
skipped, the items the transaction names are copied instead (at most 100), and those items are
put back when moto cancels the transaction. Conditions, cancellation reasons and the
all-or-nothing outcome are moto's own. The embedded AWS and the test suite both install it.
"""

from __future__ import annotations

import copy
import types
from typing import Any

from moto.dynamodb import models as dynamodb_models
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table

Snapshot = tuple[Table, DynamoType, DynamoType | None, Item | None]


def _deepcopy_except_tables(value: Any, memo: dict[int, Any] | None = None) -> Any:
    # The table a transaction would have copied; its items are saved one by one instead.
    return value if isinstance(value, Table) else copy.deepcopy(value, memo)


def _snapshot(backend: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> list[Snapshot]:
    saved = []
    for entry in transact_items:
        operation = next(iter(entry.values()), {})
        table = backend.tables.get(operation.get("TableName", ""))
        key = operation.get("Key") or operation.get("Item") or {}
        if table is None or table.hash_key_attr not in key:
            continue  # moto rejects it before writing anything
        hash_key = DynamoType(key[table.hash_key_attr])
        range_key = None
        if table.range_key_attr is not None:
            if table.range_key_attr not in key:
                continue
            range_key = DynamoType(key[table.range_key_attr])
        previous = table.get_item(hash_key, range_key)
        saved.append((table, hash_key, range_key, copy.deepcopy(previous)))
    return saved


def _restore(saved: list[Snapshot]) -> None:
    for table, hash_key, range_key, previous in reversed(saved):
        if previous is None:
            if range_key is None:
                table.items.pop(hash_key, None)
            else:
                table.items.get(hash_key, {}).pop(range_key, None)
        elif range_key is None:
            table.items[hash_key] = previous
        else:
            table.items[hash_key][range_key] = previous


def install() -> None:
    """Patch moto's DynamoDB backend (idempotent)."""
    original = DynamoDBBackend.transact_write_items
    if getattr(original, "rolls_back_items", False):
        return

    def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
        saved = _snapshot(self, transact_items)
        try:
            original(self, transact_items)
        except Exception:
            _restore(saved)
            raise

    transact_write_items.rolls_back_items = True  # type: ignore[attr-defined]
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    dynamodb_models.copy = types.SimpleNamespace(deepcopy=_deepcopy_except_tables)  # type: ignore[attr-defined]
