"""The recorders of what happens to a reward after its email leaves, and of payouts and expiry.

Each is the one line its feature adds to the transaction of its change (see `event_log`):
an SES notification's step on the reward, a resend, the first opening of the reward's link
(`reward.redeemed`: the recipient was shown the code), a bought coupon's expiry, a cashback
payout the provider reports paid.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from pynamodb.transactions import TransactWrite

from chalicelib.domain.events import event_log
from chalicelib.domain.events.event_log import Event, iso, record, reward_data

if TYPE_CHECKING:
    from chalicelib.storage.cashback import CashbackPayoutModel
    from chalicelib.storage.rewards import RewardModel


def email_notified(
    transaction: TransactWrite,
    reward: RewardModel,
    event_type: str,
    email_status: str,
    detail: str | None,
    at: datetime,
    now: datetime,
) -> Event:
    """With the update that adds an SES notification's step (`at`: when SES says it happened)."""
    data = {
        **reward_data(reward),
        "emailStatus": email_status,
        "notifiedAt": iso(at),
        "detail": detail,
    }
    return record(transaction, reward.store_code, event_type, data, now)


def resent(
    transaction: TransactWrite, reward: RewardModel, readdressed: bool, now: datetime
) -> Event:
    """With the update that queues the reward's email again (`readdressed`: to a new address,
    which the event does not show)."""
    data = {**reward_data(reward), "emailStatus": "queued", "readdressed": readdressed}
    return record(transaction, reward.store_code, event_log.REWARD_RESENT, data, now)


def redeemed(transaction: TransactWrite, reward: RewardModel, now: datetime) -> Event:
    """With the update that records the first opening of the reward's link."""
    data = {**reward_data(reward), "redeemedAt": iso(now)}
    return record(transaction, reward.store_code, event_log.REWARD_REDEEMED, data, now)


def coupon_expired(transaction: TransactWrite, reward: RewardModel, now: datetime) -> Event:
    """With the update that expires a bought coupon: never its code."""
    data = {
        "id": reward.reward_id,
        "campaignId": reward.campaign_id,
        "customerId": reward.customer_id,
        "activeTo": iso(reward.active_to) if reward.active_to else None,
        "expiredAt": iso(now),
    }
    return record(transaction, reward.store_code, event_log.COUPON_EXPIRED, data, now)


def cashback_paid(transaction: TransactWrite, payout: CashbackPayoutModel, now: datetime) -> Event:
    """With the update that moves a cashback payout to `paid`; money as a decimal string."""
    data = {
        "id": payout.payout_id,
        "customerId": payout.customer_id,
        "campaignId": payout.campaign_id,
        "points": int(payout.points),
        "amount": str(payout.reward_amount),
        "currency": payout.currency,
        "provider": payout.provider,
        "status": "paid",
        "paidAt": iso(now),
    }
    return record(transaction, payout.store_code, event_log.CASHBACK_PAID, data, now)
