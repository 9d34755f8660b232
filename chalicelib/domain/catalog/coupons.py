"""A campaign's coupon pool: put codes in (replacing the unused ones, or appending).

Codes are items keyed by (pool, code), so a code is in a pool once: a code given twice in a
request, or already in the pool, is reported as a duplicate and written once. Writes go in
BatchWriteItem calls of 25, so tens of thousands of codes fit one request without holding them
twice in memory. Replacing deletes the unused codes only: a code already handed out stays with
its reward. The campaign's counters are recounted from the pool afterwards (a consistent
count), so a buyer taking a code meanwhile can only leave them too high, never too low, and
the coupon items' own conditions still decide who gets a code.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from chalicelib.domain.catalog.campaigns import get_campaign
from chalicelib.domain.errors import InvalidInputError
from chalicelib.domain.validation import is_single_line
from chalicelib.storage.campaigns import CampaignModel, CouponModel, pool_key
from chalicelib.storage.errors import TransactionCancelledError
from chalicelib.storage.idempotency import NO_PROGRESS, BulkProgress
from chalicelib.storage.transactions import Transaction

MAX_CODE_LENGTH = 128
MAX_CODES_PER_REQUEST = 100_000
BATCH_GET = 100  # BatchGetItem's limit
MAX_TRANSACTION_ITEMS = 100  # TransactWriteItems' limit; also the chunk of an unkeyed request
REMOVED = "removed"  # the progress tally of unused codes a replace removed


@dataclass
class PoolChange:
    added: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)  # given twice, or already in the pool
    removed: int = 0  # unused codes dropped by a replace
    available: int = 0
    total: int = 0


def clean_codes(codes: Iterable[object]) -> list[str]:
    """Codes as strings, trimmed; anything else is a 422 naming the bad positions."""
    cleaned, errors = [], {}
    for position, code in enumerate(codes):
        text = (
            str(code).strip() if isinstance(code, (str, int)) and not isinstance(code, bool) else ""
        )
        if not text or len(text) > MAX_CODE_LENGTH:
            errors[f"coupons.{position}"] = [
                f"A coupon code is 1 to {MAX_CODE_LENGTH} characters of text."
            ]
        elif isinstance(code, str) and not is_single_line(code):
            errors[f"coupons.{position}"] = ["A coupon code is one line, without NUL characters."]
        cleaned.append(text)
    if len(cleaned) > MAX_CODES_PER_REQUEST:
        errors["coupons"] = [f"At most {MAX_CODES_PER_REQUEST} codes per request."]
    if errors:
        raise InvalidInputError(errors)
    return cleaned


def _existing(pool: str, codes: list[str]) -> dict[str, bool]:
    """Which of `codes` are in the pool already, each with whether it is still unused."""
    found: dict[str, bool] = {}
    for start in range(0, len(codes), BATCH_GET):
        keys = [(pool, code) for code in codes[start : start + BATCH_GET]]
        for item in CouponModel.batch_get(keys, attributes_to_get=["code", "available_code"]):
            found[item.code] = item.available_code is not None
    return found


def recount(campaign: CampaignModel) -> tuple[int, int]:
    """Set the campaign's coupon counters from the pool itself; returns (available, total)."""
    pool = pool_key(campaign.store_code, campaign.campaign_id)
    available = CouponModel.available.count(pool, consistent_read=True)
    total = CouponModel.count(pool, consistent_read=True)
    campaign.update(
        actions=[
            CampaignModel.coupons_available.set(available),
            CampaignModel.coupons_total.set(total),
            CampaignModel.updated_at.set(datetime.now(UTC)),
        ],
        condition=CampaignModel.campaign_id.exists(),
    )
    return available, total


def _remove_unused(pool: str, keep: set[str], progress: BulkProgress) -> int:
    """Delete the pool's unused codes not in `keep`; how many this request removed.

    With a keyed request, the deletes go in transactions that also count them (a retry after a
    crash finds fewer left to delete, and adds what the earlier run counted).
    """
    removed = progress.tallied(REMOVED)
    unused = (
        CouponModel(pool, coupon.code)
        for coupon in CouponModel.available.query(pool, consistent_read=True)
        if coupon.available_code not in keep
    )
    if not progress.active:
        with CouponModel.batch_write() as batch:
            for coupon in unused:
                batch.delete(coupon)
                removed += 1
        return removed
    per_transaction = MAX_TRANSACTION_ITEMS - 1  # and the tally
    while chunk := list(itertools.islice(unused, per_transaction)):
        with Transaction() as transaction:
            for coupon in chunk:
                transaction.delete(coupon)
            progress.add_up(transaction, REMOVED, len(chunk))
        removed += len(chunk)
    return removed


def _add(
    pool: str,
    chunk: list[str],
    append: bool,
    now: datetime,
    progress: BulkProgress,
    index: int,
    offset: int,
) -> dict[str, list[str]]:
    """Put the codes of `chunk` the pool does not have; what became of them (`added`, and the
    `duplicates`: in the pool already). With a keyed request, in one transaction that records
    that as item `index` of its progress. `offset` is the chunk's place in the request, so the
    pool lists its codes in the order they were sent."""
    in_pool = _existing(pool, chunk)
    # Appending a code the pool has, or replacing with one already handed out.
    result = {
        "added": [code for code in chunk if code not in in_pool],
        "duplicates": [code for code in chunk if code in in_pool and (append or not in_pool[code])],
    }
    new = [
        CouponModel(pool, code, available_code=code, added_at=now, position=offset + place)
        for place, code in enumerate(chunk)
        if code not in in_pool
    ]
    if not progress.active:
        with CouponModel.batch_write() as batch:
            for coupon in new:
                batch.save(coupon)
        return result
    transaction = Transaction()
    try:
        with transaction:
            for coupon in new:
                transaction.save(coupon)
            progress.record(transaction, index, result)
    except TransactionCancelledError as error:
        BulkProgress.raise_if_taken(error.failures, error)
        raise
    return result


def put_codes(
    store_code: str,
    campaign_id: str,
    codes: Iterable[object],
    append: bool,
    progress: BulkProgress = NO_PROGRESS,
    recount_after: bool = True,
) -> PoolChange:
    """Append codes to the pool, or replace its unused codes with them.

    The codes go in chunks (BatchWriteItem; with a keyed request's `progress`, one transaction
    per chunk that records it), so a retry after a crash answers the chunks an earlier run
    wrote as that run did, and writes only the others. Without `recount_after` the campaign's
    counters are left for the caller to recount once (a bulk job's many calls).
    """
    campaign = get_campaign(store_code, campaign_id)
    pool = pool_key(store_code, campaign_id)
    change = PoolChange()
    unique: list[str] = []
    seen: set[str] = set()
    for code in clean_codes(codes):
        (change.duplicates if code in seen else unique).append(code)
        seen.add(code)
    now = datetime.now(UTC)
    if not append:
        change.removed = _remove_unused(pool, set(unique), progress)
    size = MAX_TRANSACTION_ITEMS - progress.actions_per_item
    chunks = [unique[start : start + size] for start in range(0, len(unique), size)]
    done = progress.done(range(len(chunks)))
    for index, chunk in enumerate(chunks):
        result = done.get(index) or _add(pool, chunk, append, now, progress, index, index * size)
        change.added += result["added"]
        change.duplicates += result["duplicates"]
    if recount_after:
        change.available, change.total = recount(campaign)
    return change


def codes_of(store_code: str, campaign_id: str) -> list[str]:
    """Every code of the pool, used or not, in the order they were sent (request by request)."""
    pool = CouponModel.query(
        pool_key(store_code, campaign_id), attributes_to_get=["code", "added_at", "position"]
    )
    return [c.code for c in sorted(pool, key=lambda c: (c.added_at, c.position or 0, c.code))]
