"""The outbox sweeper: reward emails whose queue message was lost before SQS had it.

Issuing and resending write the reward and mark its message owed in that same write
(`storage.rewards`, the sparse email-owed index); the consumer's take removes the mark. A reward
still marked after `email_owed_grace_seconds` never reached a consumer: the process died between
the write and SendMessageBatch, or SQS refused the message. `sweep` finds those with a Query on
each shard of the index (never a Scan) and sends each message again, counting the sweeps on the
reward; one marked `email_owed_max_sweeps` times already is marked `failed` with the reason and
leaves the index.

Each reward is claimed before its message is sent, by a conditional update that moves its
`email_owed_since` to now (so the next sweep waits a grace period again) under the condition that
the mark is still the one read: of two sweeps at once one sends, and a reward taken by a
consumer meanwhile is left alone. A crash after the claim and before the send costs one sweep,
not the email. A message that reaches the queue twice (the first was merely slow) sends one
email: the consumer's take decides (`deliveries`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from chalicelib.config import get_settings
from chalicelib.mail import outbox
from chalicelib.observability import Metric, add_metric
from chalicelib.storage.errors import ConditionFailedError
from chalicelib.storage.rewards import (
    EMAIL_FAILED,
    EMAIL_QUEUED,
    OWED_SHARDS,
    RewardModel,
    email_event,
    settle_email_actions,
)

PAGE_SIZE = 100


@dataclass(frozen=True)
class SweepRun:
    """What one sweep did."""

    requeued: int  # messages sent again
    failed: int  # rewards given up on (sweeps exhausted)
    skipped: int  # changed meanwhile: taken by a consumer or another sweep
    refused: int  # messages SQS refused this time; still owed, tried again next time


def _claim(owed: RewardModel, now: datetime, max_sweeps: int) -> str | None:
    """Move one owed reward on: EMAIL_QUEUED to send its message again, EMAIL_FAILED when its
    sweeps ran out, None when it changed since the index was read."""
    sweeps = int(owed.email_owed_sweeps or 0)
    if sweeps >= max_sweeps:
        reason = f"The email was queued {sweeps + 1} times and no message reached the consumer."
        status, detail = EMAIL_FAILED, reason
        actions = [
            RewardModel.email_status.set(EMAIL_FAILED),
            RewardModel.email_error.set(reason),
            *settle_email_actions(),
        ]
    else:
        status, detail = EMAIL_QUEUED, f"queued again by the sweeper ({sweeps + 1})"
        actions = [
            RewardModel.email_owed_since.set(now),
            RewardModel.email_owed_sweeps.set(sweeps + 1),
        ]
    try:
        owed.update(
            actions=[*actions, email_event(status, detail, now)],
            condition=(RewardModel.email_owed_since == owed.email_owed_since)
            & (RewardModel.email_status == EMAIL_QUEUED),
        )
    except ConditionFailedError:
        return None
    return status


def _send(claimed: list[RewardModel]) -> int:
    """Queue the claimed rewards' messages; returns how many SQS refused (they stay owed)."""
    try:
        outbox.enqueue(claimed)
    except outbox.EnqueueError as error:
        return len(error.reward_ids)
    return 0


def sweep(now: datetime | None = None) -> SweepRun:
    """Send again the messages owed longer than the grace period; see the module docstring."""
    settings = get_settings()
    now = now or datetime.now(UTC)
    cutoff = now - timedelta(seconds=settings.email_owed_grace_seconds)
    requeued = failed = skipped = refused = 0
    claimed: list[RewardModel] = []  # across shards: ten messages per SendMessageBatch
    for shard in range(OWED_SHARDS):
        # The iterator follows LastEvaluatedKey page by page until there is none.
        for owed in RewardModel.by_email_owed.query(
            str(shard), RewardModel.email_owed_since <= cutoff, page_size=PAGE_SIZE
        ):
            outcome = _claim(owed, now, settings.email_owed_max_sweeps)
            if outcome == EMAIL_QUEUED:
                requeued += 1
                claimed.append(owed)
            elif outcome == EMAIL_FAILED:
                failed += 1
            else:
                skipped += 1
            if len(claimed) == outbox.SQS_BATCH:  # sent as claimed: a crash loses few
                refused += _send(claimed)
                claimed = []
    refused += _send(claimed)
    requeued -= refused
    add_metric(Metric.EMAILS_REQUEUED, requeued)
    add_metric(Metric.EMAILS_FAILED, failed)
    return SweepRun(requeued, failed, skipped, refused)
