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

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from chalicelib.domain.campaigns import get_campaign
from chalicelib.domain.errors import InvalidInputError
from chalicelib.domain.validation import is_single_line
from chalicelib.storage.campaigns import CampaignModel, CouponModel, pool_key

MAX_CODE_LENGTH = 128
MAX_CODES_PER_REQUEST = 100_000
BATCH_GET = 100  # BatchGetItem's limit


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


def put_codes(
    store_code: str, campaign_id: str, codes: Iterable[object], append: bool
) -> PoolChange:
    """Append codes to the pool, or replace its unused codes with them."""
    campaign = get_campaign(store_code, campaign_id)
    pool = pool_key(store_code, campaign_id)
    change = PoolChange()
    unique: list[str] = []
    seen: set[str] = set()
    for code in clean_codes(codes):
        (change.duplicates if code in seen else unique).append(code)
        seen.add(code)
    keep = set(unique)
    now = datetime.now(UTC)
    with CouponModel.batch_write() as batch:
        if not append:
            for coupon in CouponModel.available.query(pool, consistent_read=True):
                if coupon.available_code not in keep:
                    batch.delete(CouponModel(pool, coupon.code))
                    change.removed += 1
    in_pool = _existing(pool, unique)
    with CouponModel.batch_write() as batch:
        for code in unique:
            if code in in_pool:
                # Appending a code the pool has, or replacing with one already handed out.
                if append or not in_pool[code]:
                    change.duplicates.append(code)
                continue
            batch.save(CouponModel(pool, code, available_code=code, added_at=now))
            change.added.append(code)
    change.available, change.total = recount(campaign)
    return change


def codes_of(store_code: str, campaign_id: str) -> list[str]:
    """Every code of the pool, used or not, in code order."""
    return [
        c.code
        for c in CouponModel.query(pool_key(store_code, campaign_id), attributes_to_get=["code"])
    ]
