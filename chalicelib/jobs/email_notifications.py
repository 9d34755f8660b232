"""The SQS consumer of SES's notifications about reward emails (delivered, bounced, ...).

SES's configuration set publishes to an SNS topic that feeds `QUEUE`; each record is one SES
event, applied once to its reward with its event (`domain.rewards.email_notifications`). A
record that is not an SES event fails alone (partial batch response) and reaches the
dead-letter queue; one for no reward of this service is done with.
"""

from __future__ import annotations

import logging
from typing import Any

from chalice import Blueprint
from chalice.app import SQSEvent

from chalicelib.config import get_settings
from chalicelib.jobs import sqs_batch_processor
from chalicelib.observability import flushed

QUEUE = "email-notification"
SERVICE = "rewards-email-notifications"

log = logging.getLogger(__name__)

jobs = Blueprint(__name__)


def apply_one(record: Any) -> str:
    """Apply one SQS record; raising reports it failed."""
    from chalicelib.domain.rewards import email_notifications  # see chalicelib/jobs/__init__.py

    notification = email_notifications.read(record.body)
    outcome = email_notifications.apply(notification)
    log.info("SES %s of %s: %s", notification.ses_type, notification.message_id, outcome.value)
    return outcome.value


@jobs.on_sqs_message(queue=get_settings().queue_name(QUEUE), batch_size=10)
@flushed(SERVICE)
def record_email_notifications(event: SQSEvent) -> dict[str, Any]:
    from aws_lambda_powertools.utilities.batch import process_partial_response

    return process_partial_response(
        event=event.to_dict(),
        record_handler=apply_one,
        processor=sqs_batch_processor(),
        context=event.context,
    )
