"""The points ledger: every balance change is an entry plus the balance move, in one transaction.

The balance row is the customer item (`points_available`, `points_used`). A posting adds its
signed amount with `add()` under a condition that the balance covers a debit, and writes the
entry, in one `TransactWrite`: the balance never goes negative and always equals the sum of
the entries, with no read before the write. Features that write more in the same transaction
(buying a campaign takes coupons too) call `add_posting` on their own transaction.

Each posting also moves the customer's point batches in the same transaction
(`domain/points/batches.py`): a credit adds to the batch of its expiry day, a debit takes from the
batches that expire first. A refusal of a batch's condition (a concurrent debit took its
points, its history is full) or of a customer from before batches is worth sending again:
callers ask `learn(failures, hints)` and, when it says so, build the transaction again with the
same `hints`.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum

from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from chalicelib.domain.customers.records import CustomerNotFoundError, add_new_customers
from chalicelib.domain.errors import ConflictError, RewardsError
from chalicelib.domain.events import event_log
from chalicelib.domain.paging import decode_cursor, encode_cursor
from chalicelib.domain.points import batches
from chalicelib.domain.points.batches import MAX_DEBIT_BATCHES, Hints
from chalicelib.observability import Metric, add_metric
from chalicelib.storage.batches import batch_id_for
from chalicelib.storage.customers import CustomerModel, UniqueValueModel
from chalicelib.storage.errors import FailedItem, TransactionCancelledError
from chalicelib.storage.idempotency import BulkProgress, ItemRecord
from chalicelib.storage.ledger import LedgerEntryModel, account_key
from chalicelib.storage.paging import key_values, start_key
from chalicelib.storage.transactions import Transaction

MAX_PAGE_SIZE = 100
POST_ATTEMPTS = 8  # a posting refused by what `learn` can fix is sent again this often


class EntryKind(StrEnum):
    EARN = "earn"
    CLAIM = "claim"
    ADJUST = "adjust"
    SPEND = "spend"
    EXPIRE = "expire"
    BUY = "buy"
    REFUND = "refund"


# Debits that count as points used (Coggins' UsedPoints); a refund gives them back.
USED_KINDS = frozenset({EntryKind.SPEND, EntryKind.BUY, EntryKind.REFUND})


class InsufficientPointsError(RewardsError):
    code = "insufficient_points"
    default_message = "Insufficient points."

    def __init__(self, available: int | None = None, requested: int | None = None) -> None:
        message = self.default_message
        if available is not None and requested is not None:
            message = f"Insufficient points: {requested} needed, {available} available."
        super().__init__(message)
        self.available = available
        self.requested = requested


class BalanceMovedError(ConflictError):
    """The balance was not the one the posting expected: read it again."""

    code = "balance_moved"


class CustomerExistsError(ConflictError):
    """A new customer's email was taken meanwhile; post to the existing customer instead."""

    code = "customer_exists"


@dataclass(frozen=True)
class Posting:
    store_code: str
    customer_id: str
    amount: int  # signed: credits positive, debits negative
    kind: EntryKind
    reference: str | None = None
    reason: str | None = None
    actor: str | None = None
    expires_on: date | None = None  # a credit's expiry day; None: the store's lifetime
    pending_until: date | None = None  # a credit's start day, pending until then
    batch_id: str | None = None  # the batch a credit adds to or a debit takes from

    @property
    def message(self) -> str:
        """What the batches' histories say of this posting."""
        return self.reason or self.kind.value


def new_entry_id(now: datetime) -> str:
    return f"{now.strftime('%Y%m%dT%H%M%S%fZ')}#{secrets.token_hex(4)}"


def add_posting(
    transaction: TransactWrite,
    posting: Posting,
    new_customer: CustomerModel | None = None,
    customer_actions: Sequence[Action] = (),
    hints: Hints | None = None,
    max_batches: int = MAX_DEBIT_BATCHES,
    expected_available: int | None = None,
) -> LedgerEntryModel:
    """Add the balance move, the batch moves and the entry to `transaction`.

    With `new_customer` (unsaved, from `customers.new_customer`), the customer is created with
    this posting as its first entry, with its guards and the store's count. `customer_actions`
    change an existing customer in the same update as its balance (a transaction may touch an
    item only once); a new customer carries such fields on the model itself. `hints` are what
    earlier attempts of this posting learned (`learn`); a debit takes from at most
    `max_batches` batches (`batches.TooManyBatchesError` beyond). With `expected_available`,
    an existing customer's balance must still be that (`BalanceMovedError` from `post`).
    """
    if not isinstance(posting.amount, int) or isinstance(posting.amount, bool):
        raise TypeError("points are whole numbers")
    hints = hints or Hints()
    now = datetime.now(UTC)
    used = -posting.amount if posting.kind in USED_KINDS else 0
    pending = _move_batches(transaction, posting, new_customer, hints, max_batches, now)
    balance = CustomerModel.points_pending if pending else CustomerModel.points_available
    if new_customer is not None:
        if posting.amount < 0:
            raise InsufficientPointsError(available=0, requested=-posting.amount)
        new_customer.points_available = 0 if pending else posting.amount
        new_customer.points_pending = posting.amount if pending else 0
        new_customer.points_used = used
        new_customer.batched = True
        add_new_customers(transaction, [new_customer])
    else:
        actions = [balance.add(posting.amount), CustomerModel.updated_at.set(now)]
        if used:
            actions.append(CustomerModel.points_used.add(used))
        actions.extend(customer_actions)
        condition = CustomerModel.customer_id.exists() & CustomerModel.batched.exists()
        if posting.amount < 0:
            condition &= CustomerModel.points_available >= -posting.amount
        if expected_available is not None:
            condition &= CustomerModel.points_available == expected_available
        transaction.update(
            CustomerModel(posting.store_code, posting.customer_id),
            actions=actions,
            condition=condition,
            return_values="ALL_OLD",
        )
    return _add_entry(transaction, posting, now)


def _move_batches(
    transaction: TransactWrite,
    posting: Posting,
    new_customer: CustomerModel | None,
    hints: Hints,
    max_batches: int,
    now: datetime,
) -> bool:
    """The posting's batch moves; True when a credit went to a pending batch."""
    store_code, customer_id, amount = posting.store_code, posting.customer_id, posting.amount
    if amount > 0:
        if posting.batch_id is not None and new_customer is None:
            return batches.add_named_credit(
                transaction,
                store_code,
                customer_id,
                amount,
                posting.batch_id,
                posting.message,
                now,
                hints,
            )
        starts = posting.pending_until
        pending_day = starts.isoformat() if starts and starts > now.date() else None
        expires = batches.expiry_day(store_code, posting.expires_on, now)
        batches.add_credit(
            transaction,
            store_code,
            customer_id,
            amount,
            batch_id_for(expires, pending_day),
            expires,
            pending_day,
            posting.message,
            now,
            hints,
        )
        return pending_day is not None
    if amount < 0 and new_customer is None:
        points = -amount
        takes, found = batches.plan_debit(store_code, customer_id, points, hints, posting.batch_id)
        if found < points and posting.batch_id is None:
            hints.consistent = True  # the index may lag behind a credit
            takes, found = batches.plan_debit(store_code, customer_id, points, hints)
            if found < points and _migrated(store_code, customer_id, points, found):
                takes, found = batches.plan_debit(store_code, customer_id, points, hints)
        if found < points:
            raise InsufficientPointsError(available=found, requested=points)
        batches.add_debit(
            transaction,
            store_code,
            customer_id,
            takes,
            _batch_counter(posting.kind),
            posting.message,
            now,
            hints,
            max_batches,
        )
    return False


def _batch_counter(kind: EntryKind) -> str | None:
    """The batch figure a debit of `kind` counts in: spends as redeemed, expiry as expired."""
    if kind in USED_KINDS:
        return "redeemed"
    return "expired" if kind is EntryKind.EXPIRE else None


def _migrated(store_code: str, customer_id: str, points: int, found: int) -> bool:
    """The batches hold less than a debit takes: True when that is because the customer is
    from before batches, now moved into them; else the refusal (one consistent read)."""
    try:
        customer = CustomerModel.get(store_code, customer_id, consistent_read=True)
    except CustomerModel.DoesNotExist as error:
        raise CustomerNotFoundError() from error
    if customer.batched:
        raise InsufficientPointsError(int(customer.points_available or 0), points)
    return batches.migrate_customer(store_code, customer_id, int(customer.points_available or 0))


def learn(failures: list[FailedItem], hints: Hints) -> bool:
    """Whether a posting refused by `failures` is worth building again (see the module)."""
    return batches.learn(failures, hints)


def _add_entry(transaction: TransactWrite, posting: Posting, now: datetime) -> LedgerEntryModel:
    entry = LedgerEntryModel(
        account_key(posting.store_code, posting.customer_id),
        new_entry_id(now),
        store_code=posting.store_code,
        customer_id=posting.customer_id,
        kind=posting.kind.value,
        amount=posting.amount,
        reference=posting.reference,
        reason=posting.reason,
        actor=posting.actor,
        created_at=now,
    )
    transaction.save(entry, condition=LedgerEntryModel.entry_id.does_not_exist())
    event_log.posting_recorded(transaction, entry)
    return entry


def close_account(
    transaction: TransactWrite,
    customer: CustomerModel,
    reference: str,
    reason: str,
    actor: str | None = None,
) -> LedgerEntryModel | None:
    """Remove `customer`'s balance row (its item) in `transaction`, forfeiting the points it
    holds with an `expire` entry, so the account's entries still add up to its balance: zero.

    The removal is conditioned on the balance read with `customer`: a posting that moved it
    meanwhile cancels the transaction (the caller reads the customer again), so no point is
    forfeited unrecorded. The entries stay, with the customer id and no personal data.
    """
    balance = int(customer.points_available or 0)
    transaction.delete(
        customer,
        condition=CustomerModel.customer_id.exists() & (CustomerModel.points_available == balance),
    )
    if not balance:
        return None
    forfeit = Posting(
        customer.store_code,
        customer.customer_id,
        -balance,
        EntryKind.EXPIRE,
        reference,
        reason,
        actor,
    )
    return _add_entry(transaction, forfeit, datetime.now(UTC))


def count_points(posting: Posting) -> None:
    """Points earned or spent, for the metrics; call once the posting's transaction committed."""
    if posting.amount > 0 and posting.kind not in USED_KINDS:
        add_metric(Metric.POINTS_EARNED, posting.amount)
    elif posting.amount < 0 and posting.kind in USED_KINDS:
        add_metric(Metric.POINTS_SPENT, -posting.amount)


def raise_for_customer(failures: list[FailedItem], posting: Posting, cause: Exception) -> None:
    """Raise the domain error when the customer's condition cancelled a transaction."""
    for failure in failures:
        if failure.model is CustomerModel and failure.condition_failed:
            if not failure.old_item:
                raise CustomerNotFoundError() from cause
            available = int(failure.old_item.points_available or 0)
            raise InsufficientPointsError(available=available, requested=-posting.amount) from cause


def post(
    posting: Posting,
    new_customer: CustomerModel | None = None,
    record: ItemRecord | None = None,
    customer_actions: Sequence[Action] = (),
    expected_available: int | None = None,
    hints: Hints | None = None,
) -> LedgerEntryModel:
    """Write one posting in its own transaction (with the bulk request's `record` of it, and
    `customer_actions` and `expected_available` on an existing customer: see `add_posting`).

    A transaction cancelled only because another one held the balance is resent by the
    storage connection (`storage.base`); one still busy after that escapes as a 503. One that
    `learn` can fix is built again, up to `POST_ATTEMPTS` times, then refused as busy.
    `hints` may carry what the caller knows already (`Hints.known`).
    """
    hints = hints or Hints()
    for _ in range(POST_ATTEMPTS):
        transaction = Transaction()
        try:
            with transaction:
                entry = add_posting(
                    transaction,
                    posting,
                    new_customer,
                    customer_actions,
                    hints,
                    expected_available=expected_available,
                )
                if record is not None:
                    record.add_to(transaction)
        except TransactionCancelledError as error:
            failures = error.failures
            BulkProgress.raise_if_taken(failures, error)
            if any(f.model is UniqueValueModel for f in failures):
                raise CustomerExistsError("A customer with this email exists.") from error
            if learn(failures, hints):
                continue
            if expected_available is not None and _moved(failures, expected_available):
                raise BalanceMovedError("The balance changed meanwhile.") from error
            if new_customer is None:
                raise_for_customer(failures, posting, error)
            raise
        count_points(posting)
        return entry
    raise ConflictError("The balance is busy; retry.")


def _moved(failures: list[FailedItem], expected: int) -> bool:
    for failure in failures:
        if failure.model is CustomerModel and failure.old_item:
            return int(failure.old_item.points_available or 0) != expected
    return False


@dataclass(frozen=True)
class HistoryPage:
    entries: list[LedgerEntryModel]
    next_cursor: str | None


def history(store_code: str, customer_id: str, limit: int, cursor: str | None) -> HistoryPage:
    """A customer's entries, newest first, one Query per page."""
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    account = account_key(store_code, customer_id)
    start = (
        start_key(LedgerEntryModel, account=account, entry_id=decode_cursor(cursor))
        if cursor
        else None
    )
    results = LedgerEntryModel.query(
        account,
        scan_index_forward=False,
        limit=limit,
        page_size=limit,
        last_evaluated_key=start,
    )
    entries = list(results)
    last = key_values(LedgerEntryModel, results.last_evaluated_key)
    next_cursor = encode_cursor(last["entry_id"]) if last and entries else None
    return HistoryPage(entries, next_cursor)
