"""Point batches: which batch a credit lands in, which batches a debit takes from.

Every ledger posting moves batches in its own transaction (`ledger.add_posting` calls here):

- a credit adds to the batch of its expiry day (given, else the store's points lifetime from
  today, else none: the `never` batch), or to a named one; a credit with a start day in the
  future goes to a pending batch, counted in the customer's `points_pending`, not spendable;
- a debit takes from the available batches soonest expiry first (`never` last), read with one
  Query of the sparse spendable index, or from a named batch; each batch update is conditioned
  on what it holds, so concurrent debits never take a point twice. A debit needing more than
  `max_batches` batches is refused whole (`TooManyBatchesError`): a transaction holds at most
  100 items.

A batch keeps its last `HISTORY_LIMIT` changes. Appending is conditioned on the list being
shorter; a full list cancels the transaction, whose refusal carries the list, and the next
attempt writes it cut to `HISTORY_KEEP` plus the new change: no read, and one extra attempt per
`HISTORY_LIMIT - HISTORY_KEEP` changes.

Customers from before batches (no `batched` mark) have their balance moved into the `never`
batch by `migrate_customer`, at their first posting (the posting's customer condition refuses
them, `learn` migrates, the posting is sent again) or by the `migrate-batches` command.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from pynamodb.exceptions import DoesNotExist
from pynamodb.expressions.condition import Condition, size
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from chalicelib.domain.access import stores
from chalicelib.domain.errors import ConflictError, NotFoundError
from chalicelib.storage.batches import (
    DUE_SHARD,
    PENDING_MARK,
    HistoryEvent,
    PointBatchModel,
    batch_id_for,
)
from chalicelib.storage.customers import CustomerModel
from chalicelib.storage.errors import FailedItem, TransactionCancelledError
from chalicelib.storage.ledger import account_key
from chalicelib.storage.transactions import Transaction

HISTORY_LIMIT = 50
HISTORY_KEEP = 25
MAX_DEBIT_BATCHES = 90  # of a posting alone: with the customer, the entry and a bulk record
LEGACY_MESSAGE = "Balance before batches"
_PAGE = 100  # batches a spend's Query reads at once: small index items, one round trip
BACKOFF_SECONDS = 0.005  # before building a debit again that lost a batch's condition


class BatchNotFoundError(NotFoundError):
    code = "batch_not_found"
    default_message = "No such batch."


class TooManyBatchesError(ConflictError):
    code = "too_many_batches"
    default_message = (
        "This debit would take from more batches than one transaction holds; debit less at once."
    )


@dataclass(frozen=True)
class Take:
    """What a debit takes from one batch; `drains` when it takes all the batch had."""

    batch_id: str
    points: int
    drains: bool


@dataclass
class Hints:
    """What earlier attempts of one posting learned from their refusals."""

    consistent: bool = False  # read batches from the table: the index lagged
    refusals: int = 0  # batch conditions lost so far: the next attempt waits longer
    # Batches the caller has just read consistently (the expiry job), used once by a debit
    # naming them instead of reading them again; a retry reads afresh.
    known: dict[tuple[str, str], PointBatchModel] = field(default_factory=dict)
    # (account, batch id) -> the history a refusal showed full
    full: dict[tuple[str, str], list[HistoryEvent]] = field(default_factory=dict)


def day_of(moment: datetime) -> str:
    return moment.astimezone(UTC).date().isoformat()


def expiry_day(store_code: str, expires_on: date | None, now: datetime) -> str | None:
    """The day a credit's points expire: as given, else per the store's points lifetime."""
    if expires_on is not None:
        return expires_on.isoformat()
    lifetime = stores.get_store(store_code).points_lifetime_days
    return None if lifetime is None else day_of(now + timedelta(days=lifetime))


def due_after(expires_on: str) -> str:
    """The day the expiry job takes a batch's points: the day after its expiry day."""
    return (date.fromisoformat(expires_on) + timedelta(days=1)).isoformat()


def is_pending(batch_id: str) -> bool:
    return PENDING_MARK in batch_id


def _history(
    hints: Hints, account: str, batch_id: str, event: HistoryEvent
) -> tuple[list[Action], Condition | None]:
    """Append `event` to the batch's history, cut short when an attempt found it full."""
    full = hints.full.get((account, batch_id))
    if full is not None:
        kept = [*full[-(HISTORY_KEEP - 1) :], event]
        return [PointBatchModel.history.set(kept)], size(PointBatchModel.history) == len(full)
    appended = (PointBatchModel.history | []).append([event])
    condition = PointBatchModel.history.does_not_exist() | (
        size(PointBatchModel.history) < HISTORY_LIMIT
    )
    return [PointBatchModel.history.set(appended)], condition


def add_credit(
    transaction: TransactWrite,
    store_code: str,
    customer_id: str,
    points: int,
    batch_id: str,
    expires_on: str | None,
    pending_until: str | None,
    message: str | None,
    now: datetime,
    hints: Hints,
) -> None:
    """Add `points` to the batch `batch_id` (made if new) in `transaction`."""
    actions: list[Action] = [
        PointBatchModel.store_code.set(store_code),
        PointBatchModel.customer_id.set(customer_id),
        PointBatchModel.amount.add(points),
        PointBatchModel.remaining.add(points),
        PointBatchModel.created_at.set(PointBatchModel.created_at | now),
        PointBatchModel.updated_at.set(now),
    ]
    if expires_on is not None:
        actions.append(PointBatchModel.expires_on.set(expires_on))
    if pending_until is not None:
        actions += [
            PointBatchModel.pending_until.set(pending_until),
            PointBatchModel.due_shard.set(DUE_SHARD),
            PointBatchModel.due_on.set(pending_until),
        ]
    else:
        actions.append(PointBatchModel.spend_key.set(batch_id))
        if expires_on is not None:
            actions += [
                PointBatchModel.due_shard.set(DUE_SHARD),
                PointBatchModel.due_on.set(due_after(expires_on)),
            ]
    event = HistoryEvent(time=now, message=message, balance_change=points)
    account = account_key(store_code, customer_id)
    history, condition = _history(hints, account, batch_id, event)
    transaction.update(
        PointBatchModel(account, batch_id),
        actions=actions + history,
        condition=condition,
        return_values="ALL_OLD",
    )


def add_named_credit(
    transaction: TransactWrite,
    store_code: str,
    customer_id: str,
    points: int,
    batch_id: str,
    message: str | None,
    now: datetime,
    hints: Hints,
) -> bool:
    """Add to an existing batch; True when it is pending (its points are locked)."""
    batch = get_batch(store_code, customer_id, batch_id)
    event = HistoryEvent(time=now, message=message, balance_change=points)
    history, condition = _history(hints, batch.account, batch_id, event)
    actions = [
        PointBatchModel.amount.add(points),
        PointBatchModel.remaining.add(points),
        PointBatchModel.updated_at.set(now),
        *history,
    ]
    pending = batch.pending_until is not None
    if not pending:  # a drained batch is spendable again; an expiring one is due again
        actions.append(PointBatchModel.spend_key.set(batch_id))
        if batch.expires_on is not None:
            actions += [
                PointBatchModel.due_shard.set(DUE_SHARD),
                PointBatchModel.due_on.set(due_after(batch.expires_on)),
            ]
    exists = PointBatchModel.batch_id.exists()
    transaction.update(
        batch,
        actions=actions,
        condition=exists if condition is None else exists & condition,
        return_values="ALL_OLD",
    )
    return bool(pending)


def get_batch(store_code: str, customer_id: str, batch_id: str) -> PointBatchModel:
    try:
        return PointBatchModel.get(
            account_key(store_code, customer_id), batch_id, consistent_read=True
        )
    except DoesNotExist as error:
        raise BatchNotFoundError() from error


def _spendable(store_code: str, customer_id: str, consistent: bool) -> Iterator[PointBatchModel]:
    """The customer's available batches with points, soonest expiry first."""
    account = account_key(store_code, customer_id)
    if consistent:  # the table itself: what the index may not show yet
        return (
            batch
            for batch in PointBatchModel.query(
                account,
                consistent_read=True,
                filter_condition=PointBatchModel.spend_key.exists(),
                page_size=_PAGE,
            )
        )
    return iter(PointBatchModel.spendable.query(account, page_size=_PAGE))


def plan_debit(
    store_code: str, customer_id: str, points: int, hints: Hints, batch_id: str | None = None
) -> tuple[list[Take], int]:
    """Which batches a debit of `points` takes from, and how many points those hold in all
    (less than `points` when they do not cover it)."""
    if batch_id is not None:
        known = hints.known.pop((account_key(store_code, customer_id), batch_id), None)
        batch = known or get_batch(store_code, customer_id, batch_id)
        held = 0 if batch.spend_key is None else int(batch.remaining)
        return [Take(batch_id, points, points == held)], held
    takes: list[Take] = []
    found = 0
    for batch in _spendable(store_code, customer_id, hints.consistent):
        held = int(batch.remaining or 0)
        if held <= 0:
            continue
        take = min(held, points - found)
        takes.append(Take(batch.batch_id, take, take == held))
        found += take
        if found == points:
            break
    return takes, found


def add_debit(
    transaction: TransactWrite,
    store_code: str,
    customer_id: str,
    takes: list[Take],
    counter: str | None,
    message: str | None,
    now: datetime,
    hints: Hints,
    max_batches: int = MAX_DEBIT_BATCHES,
) -> None:
    """Take `takes` from their batches in `transaction`, each under a condition that it holds
    them (exactly them, when it drains the batch and leaves the indexes); `counter` names the
    batch's figure the points count in (`redeemed`, `expired`), if any."""
    if len(takes) > max_batches:
        raise TooManyBatchesError()
    account = account_key(store_code, customer_id)
    for take in takes:
        event = HistoryEvent(time=now, message=message, balance_change=-take.points)
        history, history_condition = _history(hints, account, take.batch_id, event)
        actions = [
            PointBatchModel.remaining.add(-take.points),
            PointBatchModel.updated_at.set(now),
            *history,
        ]
        if counter is not None:
            actions.append(getattr(PointBatchModel, counter).add(take.points))
        condition = PointBatchModel.spend_key.exists()
        if take.drains:
            actions += [
                PointBatchModel.spend_key.remove(),
                PointBatchModel.due_shard.remove(),
                PointBatchModel.due_on.remove(),
            ]
            condition &= PointBatchModel.remaining == take.points
        else:
            condition &= PointBatchModel.remaining >= take.points
        if history_condition is not None:
            condition &= history_condition
        transaction.update(
            PointBatchModel(account, take.batch_id),
            actions=actions,
            condition=condition,
            return_values="ALL_OLD",
        )


def learn(failures: list[FailedItem], hints: Hints) -> bool:
    """Whether a posting refused by `failures` is worth sending again, updating `hints` (and
    migrating a customer from before batches) with what the refusal showed."""
    retry = False
    for failure in failures:
        if not failure.condition_failed:
            continue
        old = failure.old_item
        if failure.model is PointBatchModel:
            hints.consistent = True  # the index showed more than the batch holds, or none
            hints.refusals += 1
            if old is not None and len(old.history or []) >= HISTORY_LIMIT:
                hints.full[(failure.key["account"], failure.key["batch_id"])] = old.history
            retry = True
            # Debits that lost to another for the same batch: full jitter, so they part.
            time.sleep(random.uniform(0, BACKOFF_SECONDS * 2 ** min(hints.refusals, 6)))
        elif failure.model is CustomerModel and old is not None and old.batched is None:
            migrate_customer(old.store_code, old.customer_id, int(old.points_available or 0))
            retry = True
    return retry


def migrate_customer(store_code: str, customer_id: str, balance: int) -> bool:
    """Move the balance of a customer from before batches into its `never` batch and mark it
    batched, in one transaction conditioned on that balance; False if it moved meanwhile
    (or the customer was migrated or is gone): read it again."""
    now = datetime.now(UTC)
    transaction = Transaction()
    try:
        with transaction:
            transaction.update(
                CustomerModel(store_code, customer_id),
                actions=[CustomerModel.batched.set(True)],
                condition=(
                    CustomerModel.customer_id.exists()
                    & CustomerModel.batched.does_not_exist()
                    & (CustomerModel.points_available == balance)
                ),
            )
            if balance:
                add_credit(
                    transaction,
                    store_code,
                    customer_id,
                    balance,
                    batch_id_for(None),
                    None,
                    None,
                    LEGACY_MESSAGE,
                    now,
                    Hints(),
                )
    except TransactionCancelledError:
        return False
    return True


def migrate_store(store_code: str) -> int:
    """Migrate every customer of the store from before batches: a Query of the store's
    customers, one transaction each. Safe to run again, and while the service runs."""
    migrated = 0
    for customer in CustomerModel.query(
        store_code, filter_condition=CustomerModel.batched.does_not_exist(), page_size=100
    ):
        migrated += migrate_customer(
            store_code, customer.customer_id, int(customer.points_available or 0)
        )
    return migrated
