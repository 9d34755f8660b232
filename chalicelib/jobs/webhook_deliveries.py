"""Webhook deliveries: the dispatcher every minute, and the SQS consumer that makes attempts.

`dispatch_webhooks` queues the deliveries of the events recorded since (the outbox, see
`domain.events.webhook_deliveries`); `deliver_webhooks` handles one message at a time (reporting a
failure as a partial batch response, as every consumer does), so a slow endpoint holds one
message for at most the attempt's timeout. A failed attempt is queued again
by the handler itself (with its backoff), so the handler raises only for what it could not do
(an unreadable message, AWS unreachable): SQS then shows the message again after its
visibility timeout, and the dead-letter queue takes one that never succeeds.
"""

from __future__ import annotations

import logging
from typing import Any

from chalice import Blueprint, Rate
from chalice.app import SQSEvent

from chalicelib.config import get_settings
from chalicelib.jobs import sqs_batch_processor
from chalicelib.observability import flushed
from chalicelib.storage.webhook_deliveries import QUEUE

SERVICE = "rewards-webhooks"

log = logging.getLogger(__name__)

jobs = Blueprint(__name__)


def deliver_one(record: Any) -> str:
    """Handle one SQS record; raising reports it failed, so SQS shows it again later."""
    from chalicelib.domain.events import webhook_deliveries  # see chalicelib/jobs/__init__.py

    message = webhook_deliveries.Message.of(record.body)
    outcome = webhook_deliveries.handle(message)
    log.info("webhook delivery of %s: %s", message.event_id, outcome.value)
    return outcome.value


@jobs.on_sqs_message(queue=get_settings().queue_name(QUEUE), batch_size=1)
@flushed(SERVICE)
def deliver_webhooks(event: SQSEvent) -> dict[str, Any]:
    from aws_lambda_powertools.utilities.batch import process_partial_response

    return process_partial_response(
        event=event.to_dict(),
        record_handler=deliver_one,
        processor=sqs_batch_processor(),
        context=event.context,
    )


@jobs.schedule(Rate(1, unit=Rate.MINUTES))
@flushed(SERVICE)
def dispatch_webhooks(event: Any) -> dict[str, int]:
    from chalicelib.domain.events import webhook_deliveries  # see chalicelib/jobs/__init__.py

    return {"dispatched": webhook_deliveries.dispatch()}
