"""The scheduled expiry of bought coupons (chalicelib/jobs/coupons.py runs it).

A bought coupon with an end of validity carries `pending_active_to`, which puts it in the
sparse bought-expiry index under its status. The job queries the `active` partition up to now,
page by page, and expires each coupon with a conditional update (still active, `active_to`
passed) that also removes the attribute. A coupon cancelled meanwhile has left the partition; a
second run finds nothing. Between `active_to` and the job's next run the coupon already shows
`expired` and cannot be used (chalicelib/domain/catalog/bought.py `is_expired`).
"""

from __future__ import annotations

from datetime import datetime

from chalicelib.domain.catalog.bought import now_utc
from chalicelib.domain.events import lifecycle_events
from chalicelib.domain.points.claim_expiry import ExpiryRun
from chalicelib.storage.errors import TransactionCancelledError
from chalicelib.storage.rewards import ACTIVE, EXPIRED, RewardModel
from chalicelib.storage.transactions import Transaction

EXPIRY_PAGE_SIZE = 100


def expire_coupon(reward: RewardModel, now: datetime) -> bool:
    """Expire one due active coupon and take it out of the index, with its `coupon.expired`
    event in one transaction; False if it was not."""
    try:
        with Transaction() as transaction:
            transaction.update(
                reward,
                actions=[
                    RewardModel.status.set(EXPIRED),
                    RewardModel.expired_at.set(now),
                    RewardModel.pending_active_to.remove(),
                ],
                condition=(RewardModel.status == ACTIVE) & (RewardModel.active_to <= now),
            )
            lifecycle_events.coupon_expired(transaction, reward, now)
    except TransactionCancelledError as error:
        if error.refused(RewardModel):
            return False
        raise
    return True


def expire_due_coupons(now: datetime | None = None) -> ExpiryRun:
    """Expire every active bought coupon past `active_to`: the sparse index, 100 per page."""
    now = now or now_utc()
    expired = skipped = 0
    due = RewardModel.by_pending_expiry.query(
        ACTIVE, RewardModel.pending_active_to <= now, page_size=EXPIRY_PAGE_SIZE
    )
    for reward in due:
        if expire_coupon(reward, now):
            expired += 1
        else:
            skipped += 1
    return ExpiryRun(expired, skipped)
