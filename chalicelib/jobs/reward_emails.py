"""The reward email consumer: SQS messages from `mail.outbox` in, emails through SES out.

Each message of a batch is handled on its own (Powertools' batch utility); the ones to retry are
returned in `batchItemFailures`, so SQS redelivers only those and the emails already sent are
not sent again. What one message does, and why a redelivery never sends twice, is
`domain.rewards.deliveries.deliver`. Log lines carry the `correlationId` the message was queued with
(the request that issued the reward), the store and the reward.

A message that cannot be read fails every time and ends in the dead-letter queue.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from chalice import Blueprint
from chalice.app import SQSEvent

from chalicelib import redaction
from chalicelib.config import get_settings
from chalicelib.jobs import sqs_batch_processor
from chalicelib.mail import outbox
from chalicelib.observability import flushed

SERVICE = "rewards-email"
LOG_KEYS = ["correlation_id", "store_code", "reward_id", "sqs_message_id"]

jobs = Blueprint(__name__)


@lru_cache(maxsize=1)
def logger() -> Any:
    return redaction.json_logger(SERVICE)


def _message(body: str) -> tuple[str, str, str | None]:
    """(store code, reward id, correlation id) of a message `outbox.message_body` wrote."""
    message = json.loads(body)
    store_code, reward_id = message["storeCode"], message["rewardId"]
    if not (isinstance(store_code, str) and isinstance(reward_id, str)):
        raise ValueError("storeCode and rewardId must be strings")
    return store_code, reward_id, message.get("correlationId")


def send_one(record: Any) -> str:
    """Handle one SQS record; raising reports it failed, so SQS delivers it again."""
    from chalicelib.domain.rewards import deliveries  # see chalicelib/jobs/__init__.py

    log = logger()
    try:
        store_code, reward_id, correlation_id = _message(record.body)
    except (ValueError, KeyError, TypeError):
        log.error("unreadable reward email message", sqs_message_id=record.message_id)
        raise
    receives = int(record.attributes.get("ApproximateReceiveCount") or 1)
    log.set_correlation_id(correlation_id)
    log.append_keys(store_code=store_code, reward_id=reward_id, sqs_message_id=record.message_id)
    try:
        outcome = deliveries.deliver(store_code, reward_id, receives)
        log.info("reward email", outcome=outcome.value, receive_count=receives)
        return outcome.value
    except deliveries.RetryLaterError as error:
        log.warning("reward email not sent", reason=error.reason, receive_count=receives)
        raise
    except Exception:
        log.exception("reward email failed", receive_count=receives)
        raise
    finally:
        log.remove_keys(LOG_KEYS)


@jobs.on_sqs_message(queue=get_settings().queue_name(outbox.QUEUE), batch_size=10)
@flushed(SERVICE)
def send_reward_emails(event: SQSEvent) -> dict[str, Any]:
    from aws_lambda_powertools.utilities.batch import process_partial_response

    return process_partial_response(
        event=event.to_dict(),
        record_handler=send_one,
        processor=sqs_batch_processor(),
        context=event.context,
    )
