"""The one place a DynamoDB transaction is opened and committed.

The domain opens a `Transaction`, hands it its writes (`save`, `update`, `delete`,
`condition_check`, PynamoDB's `TransactWrite` calls) and commits it by leaving the `with`
block. It runs on the process-wide connection (`base.connection()`), which resends a
transaction cancelled only because its items were busy; one cancelled otherwise raises
`errors.TransactionCancelledError`, which names the items that refused.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pynamodb.attributes import Attribute
from pynamodb.exceptions import TransactWriteError
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.storage.base import MODELS, connection
from chalicelib.storage.errors import FailedItem, TransactionCancelledError


class Transaction(TransactWrite):
    """A `TransactWrite` on the shared connection whose cancellation is a storage error, and
    which runs what was asked `after_commit` once it has committed."""

    def __init__(self) -> None:
        super().__init__(connection=connection())
        self._after_commit: list[Callable[[], Any]] = []

    def after_commit(self, callback: Callable[[], Any]) -> None:
        """Run `callback` right after the commit; never when the transaction is cancelled."""
        self._after_commit.append(callback)

    def _commit(self) -> Any:
        try:
            result = super()._commit()
        except TransactWriteError as error:
            if error.cause_response_code != "TransactionCanceledException":
                raise  # not a refusal: a malformed transaction, or DynamoDB still throttling
            raise TransactionCancelledError(failed_items(self, error), error) from error
        for callback in self._after_commit:
            callback()
        return result


def failed_items(transaction: TransactWrite, error: TransactWriteError) -> list[FailedItem]:
    """Which items of `transaction` made DynamoDB cancel it, by model and key values.

    PynamoDB sends condition checks, deletes, puts and updates in that order, whatever order
    they were added in; cancellation reasons follow the sent order, so they are matched here.
    """
    sent = [
        *transaction._condition_check_items,
        *transaction._delete_items,
        *transaction._put_items,
        *transaction._update_items,
    ]
    models = {model.Meta.table_name: model for model in MODELS}
    failed = []
    for item, reason in zip(sent, error.cancellation_reasons or [], strict=False):
        if reason is None or reason.code in (None, "None"):
            continue
        model = models.get(item["TableName"])
        attributes = item.get("Key") or item.get("Item") or {}
        key = {
            name: attribute.deserialize(attribute.get_value(attributes[attribute.attr_name]))
            for name, attribute in (key_attributes(model) if model else {}).items()
            if attribute.attr_name in attributes
        }
        old = model.from_raw_data(reason.raw_item) if model and reason.raw_item else None
        failed.append(FailedItem(model, key, reason.code, old))
    return failed


def key_attributes(model: type[Model]) -> dict[str, Attribute[Any]]:
    return {
        name: attribute
        for name, attribute in model.get_attributes().items()
        if attribute.is_hash_key or attribute.is_range_key
    }
