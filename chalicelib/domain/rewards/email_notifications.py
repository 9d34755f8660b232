"""What SES reports about a reward email after accepting it: delivered, bounced, complained, opened.

The sending identity's configuration set publishes these events to an SNS topic, which feeds an
SQS queue (consumed by `chalicelib.jobs.email_notifications`). Each message is one
SES event, in SNS's envelope or raw (`RawMessageDelivery`); both SES forms are read, the
configuration set's (`eventType`) and an identity's feedback notifications (`notificationType`).

`apply` finds the reward by the message id SES gave its email (the sparse `email-message-index`:
one Query) and writes, in one transaction, the step on its delivery history and the event
(`reward.delivered`, `reward.bounced`, `reward.complained`, `reward.opened`). The reward keeps
`<message id>:<kind>` of each notification applied (`email_notifications`) and the write is
conditioned on its absence: SQS delivering a message twice, or SES reporting a second open,
writes nothing more. A permanent bounce also ends the email `failed`, with the reason.
A notification about an earlier email of the reward (before a resend) is ignored.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pynamodb.exceptions import DoesNotExist

from chalicelib.domain.events import event_log, lifecycle_events
from chalicelib.storage.errors import TransactionCancelledError
from chalicelib.storage.rewards import EMAIL_FAILED, RewardModel, email_event
from chalicelib.storage.transactions import Transaction

PERMANENT = "Permanent"


class Kind(StrEnum):
    """An SES event this service records: its history step is the value."""

    DELIVERED = "delivered"
    BOUNCED = "bounced"
    COMPLAINED = "complaint"  # as the sandbox's simulated complaint step
    OPENED = "opened"


# SES's names of the events -> the kind, its event type and the key of its details.
KINDS = {
    "Delivery": (Kind.DELIVERED, event_log.REWARD_DELIVERED, "delivery"),
    "Bounce": (Kind.BOUNCED, event_log.REWARD_BOUNCED, "bounce"),
    "Complaint": (Kind.COMPLAINED, event_log.REWARD_COMPLAINED, "complaint"),
    "Open": (Kind.OPENED, event_log.REWARD_OPENED, "open"),
}


class Outcome(StrEnum):
    RECORDED = "recorded"
    DUPLICATE = "duplicate"  # this notification was applied already
    IGNORED = "ignored"  # another kind of SES event, or no reward sent this email


class UnreadableNotificationError(ValueError):
    """Not an SES event: the message goes to the dead-letter queue, nothing is written."""


@dataclass(frozen=True)
class Notification:
    """One SES event about one email."""

    ses_type: str  # Delivery, Bounce, Complaint, Open, Send, Reject, ...
    message_id: str  # the email's, as SendEmail answered it
    at: datetime  # when SES says it happened
    detail: str | None  # the bounce's type and reason, the complaint's type, ...
    permanent: bool = False  # a permanent bounce: the address will never take the email


def _time(text: Any, default: datetime) -> datetime:
    if not isinstance(text, str):
        return default
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return default
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _detail(ses_type: str, details: dict[str, Any]) -> str | None:
    if ses_type == "Bounce":
        recipients = details.get("bouncedRecipients") or [{}]
        reason = recipients[0].get("diagnosticCode") or ""
        kind = f"{details.get('bounceType', '')}, {details.get('bounceSubType', '')}"
        return f"Bounce ({kind})" + (f": {reason}" if reason else "")
    if ses_type == "Complaint":
        return f"Complaint: {details.get('complaintFeedbackType', 'abuse')}"
    if ses_type == "Delivery":
        return details.get("smtpResponse")
    if ses_type == "Open":
        return details.get("userAgent")
    return None


def read(body: str, now: datetime | None = None) -> Notification:
    """The SES event in an SQS message's body (SNS's envelope or raw)."""
    now = now or datetime.now(UTC)
    try:
        message = json.loads(body)
        if isinstance(message, dict) and message.get("Type") == "Notification":
            message = json.loads(message["Message"])
        ses_type = message.get("eventType") or message.get("notificationType")
        message_id = message["mail"]["messageId"]
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise UnreadableNotificationError("Not an SES notification.") from error
    if not isinstance(ses_type, str) or not isinstance(message_id, str) or not message_id:
        raise UnreadableNotificationError("Not an SES notification.")
    details = message.get(KINDS.get(ses_type, (None, None, ""))[2]) or {}
    if not isinstance(details, dict):
        details = {}
    return Notification(
        ses_type,
        message_id,
        _time(details.get("timestamp"), now),
        _detail(ses_type, details),
        ses_type == "Bounce" and details.get("bounceType") == PERMANENT,
    )


def _sent_by(message_id: str) -> RewardModel | None:
    """The reward whose email SES gave this id: one Query on the keys-only index, one read."""
    found = next(iter(RewardModel.by_email_message.query(message_id, limit=1)), None)
    if found is None:
        return None
    try:
        reward = RewardModel.get(found.store_code, found.reward_id, consistent_read=True)
    except DoesNotExist:
        return None
    return reward if reward.email_message_id == message_id else None


def apply(notification: Notification, now: datetime | None = None) -> Outcome:
    """Record the notification on its reward, with its event, once."""
    now = now or datetime.now(UTC)
    if notification.ses_type not in KINDS:
        return Outcome.IGNORED
    reward = _sent_by(notification.message_id)
    if reward is None:
        return Outcome.IGNORED
    kind, event_type, _ = KINDS[notification.ses_type]
    mark = f"{notification.message_id}:{kind.value}"
    actions = [
        email_event(kind.value, notification.detail, notification.at),
        RewardModel.email_notifications.add({mark}),
    ]
    status = reward.email_status or ""
    if notification.permanent:
        status = EMAIL_FAILED
        reason = notification.detail or "Bounce (Permanent)"
        actions += [RewardModel.email_status.set(EMAIL_FAILED), RewardModel.email_error.set(reason)]
    condition = (RewardModel.email_message_id == notification.message_id) & ~(
        RewardModel.email_notifications.contains(mark)
    )
    transaction = Transaction()
    try:
        with transaction:
            transaction.update(reward, actions=actions, condition=condition)
            lifecycle_events.email_notified(
                transaction, reward, event_type, status, notification.detail, notification.at, now
            )
    except TransactionCancelledError as error:
        failures = error.failures
        if any(f.model is RewardModel and f.condition_failed for f in failures):
            return Outcome.DUPLICATE  # applied already, or the reward was resent meanwhile
        raise
    return Outcome.RECORDED
