"""The local stand-in for SES's event publishing: what SES would report of each email it took.

moto's SES accepts emails and publishes nothing. The worker calls `SesFeedback.run_once` each
round: every email moto's SES holds (its `/moto-api/data.json`) that was not reported yet
becomes the notifications SES would publish through the configuration set's topic, sent to the
notification queue as SNS sends them with raw delivery: a delivery, or as the mailbox
simulator ends (`deliveries.simulated`) a permanent bounce, or a delivery and a complaint.
A worker that restarts reports every email again: the consumer applies each notification once.
Opens are not simulated (no one reads a local email): a test sends one to the queue itself.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

log = logging.getLogger(__name__)

POLL_SECONDS = 2.0


def notifications(message_id: str, recipient: str, now: datetime) -> list[dict[str, Any]]:
    """The SES events (configuration set form) a delivery to `recipient` ends with."""
    from chalicelib.domain.rewards.sandbox import simulated

    at = now.astimezone(UTC).isoformat().replace("+00:00", "Z")
    mail = {"timestamp": at, "messageId": message_id, "destination": [recipient]}
    outcome = simulated(recipient)
    if outcome.failure is not None:
        bounce = {
            "bounceType": "Permanent",
            "bounceSubType": "General",
            "bouncedRecipients": [{"emailAddress": recipient, "diagnosticCode": outcome.failure}],
            "timestamp": at,
        }
        return [{"eventType": "Bounce", "mail": mail, "bounce": bounce}]
    delivery = {"timestamp": at, "recipients": [recipient], "smtpResponse": "250 Ok"}
    events = [{"eventType": "Delivery", "mail": mail, "delivery": delivery}]
    if outcome.complaint is not None:
        complaint = {"complainedRecipients": [{"emailAddress": recipient}], "timestamp": at}
        events.append({"eventType": "Complaint", "mail": mail, "complaint": complaint})
    return events


class SesFeedback:
    """Reports moto's sent emails to the queue `queue_url` names, each once per process."""

    def __init__(
        self,
        sqs: Any,
        aws_url: str,
        queue_url: Callable[[], str | None],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.sqs = sqs
        self.aws_url = aws_url.rstrip("/")
        self.queue_url = queue_url
        self.clock = clock
        self.reported: set[str] = set()
        self.next_poll = 0.0

    def sent(self) -> list[dict[str, Any]]:
        with urllib.request.urlopen(f"{self.aws_url}/moto-api/data.json", timeout=10) as answer:
            data = json.load(answer)
        return list(data.get("ses", {}).get("Message", []))

    def run_once(self) -> int:
        """Report the emails sent since the last poll (at most every `POLL_SECONDS`)."""
        if self.clock() < self.next_poll:
            return 0
        self.next_poll = self.clock() + POLL_SECONDS
        url = self.queue_url()
        if url is None:
            return 0
        reported = 0
        for message in self.sent():
            if message["id"] in self.reported:
                continue
            now = datetime.now(UTC)
            for recipient in message.get("destinations", {}).get("ToAddresses", []):
                for event in notifications(message["id"], recipient, now):
                    self.sqs.send_message(QueueUrl=url, MessageBody=json.dumps(event))
                    reported += 1
            self.reported.add(message["id"])
        return reported
