"""Expiring point claims (chalicelib/domain/points/claims.py) that have come due.

Expiry job: only pending claims with an expiry carry `pending_expires_at`, so the sparse index
(status, pending_expires_at) holds exactly the claims that may come due; the job queries it page
by page and expires each due claim with a conditional update that also removes the attribute,
taking it out of the index, in one transaction with its `claim.expired` event. Re-running it
(after a crash, or twice) changes nothing more.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from chalicelib.domain.events import event_log
from chalicelib.domain.points.claim_rules import iso
from chalicelib.storage.claims import EXPIRED, PENDING, ClaimModel
from chalicelib.storage.errors import TransactionCancelledError
from chalicelib.storage.transactions import Transaction

EXPIRY_PAGE_SIZE = 100


@dataclass(frozen=True)
class ExpiryRun:
    expired: int
    skipped: int  # due in the index but no longer pending when updated (claimed meanwhile)


def expire_claim(claim: ClaimModel, now: datetime) -> bool:
    """Mark one due pending claim expired, take it out of the index and record its event in
    the same transaction; False if it was not pending and due any more."""
    transaction = Transaction()
    try:
        with transaction:
            transaction.update(
                claim,
                actions=[
                    ClaimModel.status.set(EXPIRED),
                    ClaimModel.expired_at.set(now),
                    ClaimModel.pending_expires_at.remove(),
                ],
                condition=(ClaimModel.status == PENDING) & (ClaimModel.expires_at <= now),
            )
            event_log.claim_expired(transaction, claim, now)
    except TransactionCancelledError as error:
        failures = error.failures
        if any(f.model is ClaimModel and f.condition_failed for f in failures):
            return False
        raise
    return True


def expire_due_claims(now: datetime | None = None) -> ExpiryRun:
    """Expire every pending claim due at `now`: Query the sparse index, 100 per page."""
    now = now or datetime.now(UTC)
    expired = skipped = 0
    # The iterator follows LastEvaluatedKey page by page until there is none.
    due = ClaimModel.by_pending_expiry.query(
        PENDING, ClaimModel.pending_expires_at <= iso(now), page_size=EXPIRY_PAGE_SIZE
    )
    for item in due:
        if expire_claim(item, now):
            expired += 1
        else:
            skipped += 1
    return ExpiryRun(expired, skipped)
