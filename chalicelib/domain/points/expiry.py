"""The point batches' schedule: expire batches after their expiry day, unlock pending ones.

`settle_due_batches` Queries the sparse due index (`due_on <= today`, 100 keys a page; never a
scan) and settles each batch on its own, from a consistent read of it:

- a pending batch whose start day came becomes available: its points move from the customer's
  `points_pending` to `points_available` and it enters the spend index, in one transaction
  conditioned on what the batch holds (no ledger entry: the customer holds the same points);
- an available batch past its expiry day gives up what it holds with one ledger entry (kind
  `expire`, reference the batch id), through `ledger.post` naming the batch: the same
  conditioned transaction as any debit, so a spend that took from the batch meanwhile makes the
  job read the batch again and expire what is left, never a point twice; the customer's
  `points_expired` grows by as much;
- a batch with nothing left, or whose customer was erased, just leaves the index.

Each step is one conditional transaction, so a run that died between two batches (or two
steps) is finished by the next run, and a second run changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from pynamodb.exceptions import DoesNotExist

from chalicelib.domain.customers.records import CustomerNotFoundError
from chalicelib.domain.errors import ConflictError
from chalicelib.domain.points import ledger
from chalicelib.domain.points.batches import Hints, day_of, due_after
from chalicelib.domain.points.ledger import EntryKind, InsufficientPointsError, Posting
from chalicelib.storage.batches import DUE_SHARD, PointBatchModel
from chalicelib.storage.customers import CustomerModel
from chalicelib.storage.errors import ConditionFailedError, TransactionCancelledError
from chalicelib.storage.transactions import Transaction

EXPIRY_PAGE_SIZE = 100
SETTLE_ATTEMPTS = 5  # reads of a batch that spends keep changing under the job
EXPIRED_REASON = "Points expired"
JOB_ACTOR = "job:points-expiry"


@dataclass(frozen=True)
class BatchRun:
    expired: int  # batches whose points expired
    unlocked: int  # pending batches made available
    skipped: int  # due in the index but settled meanwhile, or empty


def settle_due_batches(now: datetime | None = None) -> BatchRun:
    """Settle every batch due by `now`'s UTC day (see the module)."""
    today = day_of(now or datetime.now(UTC))
    counts = {"expired": 0, "unlocked": 0, "skipped": 0}
    due = PointBatchModel.due.query(
        DUE_SHARD, PointBatchModel.due_on <= today, page_size=EXPIRY_PAGE_SIZE
    )
    for key in due:
        counts[settle(key.account, key.batch_id, today)] += 1
    return BatchRun(**counts)


def settle(account: str, batch_id: str, today: str) -> str:
    """Settle one due batch: 'expired', 'unlocked' or 'skipped'."""
    for _ in range(SETTLE_ATTEMPTS):
        try:
            batch = PointBatchModel.get(account, batch_id, consistent_read=True)
        except DoesNotExist:
            return "skipped"
        if batch.due_on is None or batch.due_on > today:
            return "skipped"  # settled meanwhile, or credited again with a later day
        try:
            if batch.pending_until is not None:
                return "unlocked" if _unlock(batch) else "skipped"
            return "expired" if _expire(batch) else "skipped"
        except (InsufficientPointsError, ConflictError):
            continue  # a spend took from the batch meanwhile: read what is left
    raise ConflictError(f"Batch {batch_id} of {account} keeps changing; the next run retries.")


def _expire(batch: PointBatchModel) -> bool:
    """Expire what the batch holds; False when it held nothing or its customer is gone."""
    points = int(batch.remaining or 0)
    if points <= 0:
        _leave_index(batch)
        return False
    posting = Posting(
        batch.store_code,
        batch.customer_id,
        -points,
        EntryKind.EXPIRE,
        reference=batch.batch_id,
        reason=EXPIRED_REASON,
        actor=JOB_ACTOR,
        batch_id=batch.batch_id,
    )
    known = Hints(known={(batch.account, batch.batch_id): batch})  # read just now: not again
    try:
        ledger.post(
            posting, customer_actions=[CustomerModel.points_expired.add(points)], hints=known
        )
    except CustomerNotFoundError:
        _leave_index(batch)  # erased: the erasure forfeited the points already
        return False
    return True


def _unlock(batch: PointBatchModel) -> bool:
    """Make a pending batch available, moving its points from pending to available."""
    points = int(batch.remaining or 0)
    actions = [PointBatchModel.pending_until.remove(), PointBatchModel.updated_at.set(_now())]
    if points > 0:
        actions.append(PointBatchModel.spend_key.set(batch.batch_id))
    if batch.expires_on is not None and points > 0:
        actions.append(PointBatchModel.due_on.set(due_after(batch.expires_on)))
    else:
        actions += [PointBatchModel.due_shard.remove(), PointBatchModel.due_on.remove()]
    transaction = Transaction()
    try:
        with transaction:
            transaction.update(
                batch,
                actions=actions,
                condition=(PointBatchModel.remaining == points)
                & (PointBatchModel.pending_until == batch.pending_until),
            )
            if points > 0:
                transaction.update(
                    CustomerModel(batch.store_code, batch.customer_id),
                    actions=[
                        CustomerModel.points_pending.add(-points),
                        CustomerModel.points_available.add(points),
                    ],
                    condition=CustomerModel.customer_id.exists(),
                )
    except TransactionCancelledError as error:
        if any(f.model is CustomerModel for f in error.failures):
            _leave_index(batch)  # the customer was erased
            return False
        raise ConflictError("The batch changed; read it again.") from error
    return True


def _leave_index(batch: PointBatchModel) -> None:
    """Take a batch the job has nothing to do with out of the due and spend indexes."""
    try:
        batch.update(
            actions=[
                PointBatchModel.due_shard.remove(),
                PointBatchModel.due_on.remove(),
                PointBatchModel.spend_key.remove(),
            ],
            condition=PointBatchModel.remaining == batch.remaining,
        )
    except ConditionFailedError as error:
        raise ConflictError("The batch changed; read it again.") from error


def _now() -> datetime:
    return datetime.now(UTC)
