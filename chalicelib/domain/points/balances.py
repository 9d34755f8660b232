"""Alpha balances: a recipient's points as Alpha shows them, and changes to them.

- `balance_of` is the recipient's `{balance, redeemed}`: its available points (as every face
  shows them) and its used points (Coggins' UsedPoints), with `pending` and `expired` beside.
- `batches_of` lists its batches (`customer_batches`: the batches `domain/points/batches`
  keeps, as Alpha shows them).
- `change_balance` applies `balance`: `+N` adds N (kind `earn`), `-N` takes N (kind `spend`,
  counted as redeemed), `N` sets the balance to N (kind `adjust`, by the difference, under a
  condition that the balance is still what was read: a change meanwhile makes it read again).
  A credit goes to `batch_id` when given (it must exist), else to the batch of `expiry` (a
  day, today or later), else the store's points lifetime applies; a debit takes from
  `batch_id` when given, else from the batches that expire first. `message` (one line) is the
  batches' history message and the ledger entry's reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import ConfigDict, StringConstraints, field_validator

from chalicelib.domain.customers.recipients import find_recipient
from chalicelib.domain.errors import ConflictError, InvalidInputError
from chalicelib.domain.points import ledger
from chalicelib.domain.points.ledger import EntryKind, Posting
from chalicelib.domain.validation import InputModel, SingleLine
from chalicelib.storage.batches import PointBatchModel, batch_id_for
from chalicelib.storage.customers import CustomerModel
from chalicelib.storage.ledger import account_key

MAX_POINTS = 1_000_000_000
DEFAULT_MESSAGE = "Balance change"
SET_ATTEMPTS = 3  # reads of a balance that keeps changing under a set
_CHANGE = re.compile(r"([+-]?)([0-9]{1,10})")


@dataclass(frozen=True)
class AlphaBalance:
    balance: int
    redeemed: int
    pending: int
    expired: int

    @classmethod
    def of(cls, customer: CustomerModel) -> AlphaBalance:
        return cls(
            int(customer.points_available or 0),
            int(customer.points_used or 0),
            int(customer.points_pending or 0),
            int(customer.points_expired or 0),
        )


class BalanceChange(InputModel):
    """The body of `PUT /balances/{ref}`; other fields (`_method`) are ignored."""

    model_config = ConfigDict(str_strip_whitespace=True)

    balance: str
    batch_id: Annotated[str, StringConstraints(min_length=1, max_length=64), SingleLine] | None = (
        None
    )
    expiry: date | None = None
    message: Annotated[str, StringConstraints(max_length=255), SingleLine] | None = None

    @field_validator("balance", mode="before")
    @classmethod
    def _balance_text(cls, value: Any) -> str:
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise ValueError('The balance must be "+N", "-N" or "N" in whole points.')
        text = str(value).strip()
        found = _CHANGE.fullmatch(text)
        if found is None or int(found[2]) > MAX_POINTS:
            raise ValueError(
                f'The balance must be "+N", "-N" or "N", N a whole number up to {MAX_POINTS}.'
            )
        if found[1] and int(found[2]) == 0:
            raise ValueError("The balance change must not be zero.")
        return text

    @field_validator("expiry", mode="before")
    @classmethod
    def _day(cls, value: Any) -> Any:
        # A time of day is allowed and dropped: points last through their expiry day (UTC).
        if isinstance(value, str) and "T" in value:
            return value.split("T", 1)[0]
        return value

    @field_validator("expiry")
    @classmethod
    def _not_past(cls, value: date | None) -> date | None:
        if value is not None and value < datetime.now(UTC).date():
            raise ValueError("The expiry must be today or later.")
        return value


@dataclass(frozen=True)
class BatchChange:
    """One change of a batch, as its history keeps it."""

    time: datetime
    message: str | None
    balance_change: int


@dataclass(frozen=True)
class BatchView:
    """A batch as the balance views show it."""

    batch_id: str
    balance: int  # what it holds (locked while pending)
    redeemed: int
    expired: int
    expires_on: str | None
    pending_until: str | None
    history: list[BatchChange]  # oldest first


def customer_batches(customer: CustomerModel) -> list[BatchView]:
    """The customer's batches in spending order (soonest expiry first), drained and expired
    ones too: one consistent Query. A customer from before batches shows its balance as the
    `never` batch it will become."""
    if not customer.batched:
        balance = int(customer.points_available or 0)
        return [BatchView(batch_id_for(None), balance, 0, 0, None, None, [])] if balance else []
    return [
        BatchView(
            batch.batch_id,
            int(batch.remaining or 0),
            int(batch.redeemed or 0),
            int(batch.expired or 0),
            batch.expires_on,
            batch.pending_until,
            [
                BatchChange(event.time, event.message, int(event.balance_change))
                for event in batch.history or []
            ],
        )
        for batch in PointBatchModel.query(
            account_key(customer.store_code, customer.customer_id), consistent_read=True
        )
    ]


def balance_of(store_code: str, ref: str) -> AlphaBalance:
    return AlphaBalance.of(find_recipient(store_code, ref))


def batches_of(store_code: str, ref: str) -> list[BatchView]:
    return customer_batches(find_recipient(store_code, ref))


def change_balance(
    store_code: str, ref: str, change: BalanceChange, actor: str | None
) -> AlphaBalance:
    """Apply `change` to the recipient's balance; the balance afterwards."""
    sign, points = change.balance[0], int(change.balance.lstrip("+-"))
    if change.batch_id is not None and change.expiry is not None:
        raise InvalidInputError({"expiry": ["Give either a batch_id or an expiry, not both."]})
    customer = find_recipient(store_code, ref)
    for _ in range(SET_ATTEMPTS):
        if sign == "+":
            amount, kind, expected = points, EntryKind.EARN, None
        elif sign == "-":
            amount, kind, expected = -points, EntryKind.SPEND, None
        else:
            expected = int(customer.points_available or 0)
            amount, kind = points - expected, EntryKind.ADJUST
        if amount < 0 and change.expiry is not None:
            raise InvalidInputError({"expiry": ["An expiry applies to points added only."]})
        if amount:
            posting = Posting(
                store_code,
                customer.customer_id,
                amount,
                kind,
                reason=change.message or DEFAULT_MESSAGE,
                actor=actor,
                expires_on=change.expiry,
                batch_id=change.batch_id,
            )
            try:
                ledger.post(posting, expected_available=expected)
            except ledger.BalanceMovedError:
                customer.refresh(consistent_read=True)
                continue
        customer.refresh(consistent_read=True)
        return AlphaBalance.of(customer)
    raise ConflictError("The balance keeps changing; retry.")
