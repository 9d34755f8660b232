"""A new reward record, as `acquire` and the sandbox write it: its validity, its link token's
digest, the outbox mark of an emailed one, and the coupon codes it may get.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from chalicelib.domain.access import link_tokens
from chalicelib.domain.rewards.grants import Grant
from chalicelib.storage.campaigns import CampaignModel, CouponModel, pool_key
from chalicelib.storage.rewards import (
    EMAIL_QUEUED,
    RewardModel,
    customer_key,
    owe_email,
    pending_active_to,
)


def validity(campaign: CampaignModel, now: datetime) -> tuple[datetime, datetime | None]:
    """When a new reward's coupon becomes usable, and until when (None: forever)."""
    since = now + timedelta(days=int(campaign.days_inactive or 0))
    days_valid = int(campaign.days_valid or 0)
    return since, (since + timedelta(days=days_valid) if days_valid else None)


def new_reward(
    campaign: CampaignModel,
    grant: Grant,
    code: str | None,
    *,
    source: str,
    actor: str | None,
    email_status: str | None,
    now: datetime,
    issue_transaction: str | None,
    partition: str | None = None,
    reward_id: str | None = None,
) -> RewardModel:
    """One unsaved reward of `grant`, in the campaign's store (or `partition`, a sandbox's)."""
    since, until = validity(campaign, now)
    recipient = grant.recipient
    store_code = partition or campaign.store_code
    reward_id = reward_id or str(uuid.uuid4())
    reward = RewardModel(
        store_code,
        reward_id,
        campaign_id=campaign.campaign_id,
        campaign_key=pool_key(store_code, campaign.campaign_id),
        customer_id=grant.customer_id,
        customer_key=customer_key(store_code, grant.customer_id),
        token_digest=link_tokens.digest(link_tokens.reward_token(store_code, reward_id)),
        source=source,
        email=recipient.email,
        public_key=recipient.public_key,
        firstname=recipient.firstname,
        surname=recipient.surname,
        message=recipient.message,
        sender_name=recipient.sender_name,
        coupon_code=code,
        cost_in_points=grant.points,
        active_since=since,
        active_to=until,
        pending_active_to=pending_active_to(source, until),
        email_status=email_status,
        email_history=[],
        created_at=now,
        created_by=actor,
        issue_transaction=issue_transaction,
    )
    if email_status == EMAIL_QUEUED:
        # The outbox record is part of the reward's own item, so of its transaction.
        owe_email(reward, now)
    return reward


def single_code(campaign: CampaignModel) -> str | None:
    """The code a single-coupon campaign gives everyone: the first (and only) of its pool."""
    if not campaign.single_coupon:
        return None
    first = next(
        iter(CouponModel.query(pool_key(campaign.store_code, campaign.campaign_id), limit=1)), None
    )
    return first.code if first else None


def free_codes(pool: str, count: int, skip: set[str]) -> list[str]:
    """Up to `count` unused codes, read consistently from the pool's available-codes index."""
    if count <= 0:
        return []
    codes: list[str] = []
    for coupon in CouponModel.available.query(
        pool, consistent_read=True, page_size=min(count + len(skip), 1000)
    ):
        if coupon.available_code not in skip:
            codes.append(coupon.available_code)
            if len(codes) == count:
                break
    return codes
