"""The reward email queue's producer: one message per reward to email, ten per SQS call.

A message only names the reward (`storeCode`, `rewardId`); the consumer
(`jobs.reward_emails`) loads the reward and renders the email then, so a message never
carries a stale copy. Callers enqueue after the rewards are written, so a message never points
at a reward that does not exist; that write marks each reward as owing its message (the
outbox, `storage.rewards`), so a message lost before SQS had it is sent again by the sweeper
(`domain.rewards.owed_emails`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib import aws
from chalicelib.storage.rewards import RewardModel

log = logging.getLogger(__name__)

QUEUE = "reward-email"
SQS_BATCH = 10  # SendMessageBatch's limit


class EnqueueError(Exception):
    """SQS refused some messages after the rewards were written; they stay owed."""

    def __init__(self, reward_ids: list[str]) -> None:
        super().__init__(f"{len(reward_ids)} reward emails could not be queued")
        self.reward_ids = reward_ids


def message_body(reward: RewardModel, correlation_id: str | None = None) -> str:
    body = {"storeCode": reward.store_code, "rewardId": reward.reward_id}
    if correlation_id:
        body["correlationId"] = correlation_id
    return json.dumps(body)


def enqueue(rewards: Sequence[RewardModel], correlation_id: str | None = None) -> None:
    """Queue one email per reward with SendMessageBatch, ten at a time."""
    sqs = aws.client("sqs")
    url = aws.queue_url(QUEUE)
    failed: list[str] = []
    for start in range(0, len(rewards), SQS_BATCH):
        chunk = rewards[start : start + SQS_BATCH]
        entries = [
            {"Id": str(n), "MessageBody": message_body(reward, correlation_id)}
            for n, reward in enumerate(chunk)
        ]
        try:
            response = sqs.send_message_batch(QueueUrl=url, Entries=entries)
        except (BotoCoreError, ClientError):
            # Throttled or unreachable after the client's retries: these ten stay unqueued,
            # the next ten are still tried.
            failed.extend(reward.reward_id for reward in chunk)
            continue
        failed.extend(chunk[int(f["Id"])].reward_id for f in response.get("Failed", []))
    if failed:
        raise EnqueueError(failed)


def enqueue_owed(rewards: Sequence[RewardModel], correlation_id: str | None = None) -> None:
    """`enqueue` the messages of rewards in the outbox: what SQS refuses stays owed, and the
    sweeper sends it after its grace period, so the caller has nothing to undo."""
    try:
        enqueue(rewards, correlation_id)
    except EnqueueError as error:
        log.warning("%d reward emails left to the outbox sweeper", len(error.reward_ids))
