"""What a refused write looks like above storage: condition failures as exceptions, by model.

A single-item write (`save`, `update`, `delete` of a `TableModel`) whose condition refused
raises `ConditionFailedError`; a transaction (`storage.transactions.Transaction`) that DynamoDB
cancelled raises `TransactionCancelledError`, naming each item that made it fail by model, key
values and reason, with the item as it was when the write asked for it (`return_values=
"ALL_OLD"`). Callers read these and never DynamoDB's error codes or attribute-value dicts.

Both keep PynamoDB's error as their `cause`, so `base.is_busy` still sees the DynamoDB answer,
and both are also PynamoDB's own exceptions (a `ConditionFailedError` is a `PutError`,
`UpdateError` and `DeleteError`; a `TransactionCancelledError` a `TransactWriteError`), so code
written against PynamoDB's exceptions still catches them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pynamodb.exceptions import DeleteError, PutError, TransactWriteError, UpdateError
from pynamodb.models import Model

CONDITION_FAILED = "ConditionalCheckFailed"
# A cancelled transaction gives a reason per item; only these mean busy rather than refused.
BUSY_CANCELLATION_CODES = frozenset(
    {"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"}
)


class ConditionFailedError(PutError, UpdateError, DeleteError):
    """A single-item write whose condition refused: nothing was written."""


@dataclass(frozen=True)
class FailedItem:
    """One item of a cancelled transaction that caused the cancellation."""

    model: type[Model] | None
    key: dict[str, Any]  # the item's key attributes by name, as plain values
    code: str  # DynamoDB's reason: ConditionalCheckFailed, TransactionConflict, ...
    old_item: Model | None  # the item as it was, when ALL_OLD was asked for and it existed

    @property
    def condition_failed(self) -> bool:
        """The item's condition refused (rather than the item being busy)."""
        return self.code == CONDITION_FAILED

    @property
    def busy(self) -> bool:
        """Another transaction held the item, or DynamoDB throttled it: worth sending again."""
        return self.code in BUSY_CANCELLATION_CODES


class TransactionCancelledError(TransactWriteError):
    """DynamoDB cancelled a transaction: nothing was written; `failures` says which items."""

    def __init__(self, failures: list[FailedItem], cause: TransactWriteError) -> None:
        super().__init__(str(cause), cause.cause)
        self.failures = failures

    @property
    def busy(self) -> bool:
        """Cancelled only because its items were busy: the same transaction may go through."""
        return bool(self.failures) and all(failure.busy for failure in self.failures)

    def refused(self, model: type[Model] | None = None) -> list[FailedItem]:
        """The items (of `model`, when given) whose condition refused."""
        return [
            failure
            for failure in self.failures
            if failure.condition_failed and (model is None or failure.model is model)
        ]
