"""Webhook deliveries: from the event outbox to the endpoints, retried for three days.

`publish` queues an event's deliveries right after the transaction that recorded it commits,
and the consumer's first attempt takes the event out of the outbox. `dispatch` (every minute)
reads the events still owed `DISPATCH_GRACE` after they happened (`storage.events`, a Query on
each shard of the sparse dispatch-owed index, never a Scan): those whose publishing a crash or
SQS lost, or that no endpoint wanted when they were recorded. It queues one SQS message per
(event, enabled endpoint subscribed to its type), and only then clears the event's mark: a
crash in between queues them again, so a delivery is made at least once (receivers
deduplicate by event id).
`handle` is one message: one attempt (`webhook_posting`), recorded on the delivery item; a
failed attempt is queued again after an exponential backoff (30 s, doubling, at most 6 h; a
wait longer than SQS's 15-minute delay hops through the queue until it is due). Once the next
attempt would come more than `RETRY_PERIOD` after the first, the delivery is marked failed and
the endpoint disabled, with a `webhook.disabled` event in the same transaction.
"""

from __future__ import annotations

import contextlib
import json
import logging
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from pynamodb.exceptions import DoesNotExist, PynamoDBException

from chalicelib import aws
from chalicelib.domain.events import event_log, webhook_posting, webhooks
from chalicelib.storage.errors import ConditionFailedError, TransactionCancelledError
from chalicelib.storage.events import DISPATCH_SHARDS, EventModel
from chalicelib.storage.transactions import Transaction
from chalicelib.storage.webhook_deliveries import (
    FAILED,
    PENDING,
    QUEUE,
    SUCCEEDED,
    AttemptAttribute,
    DeliveryModel,
    webhook_key,
)
from chalicelib.storage.webhooks import DISABLED, ENABLED, WebhookModel

SQS_BATCH = 10
SQS_MAX_DELAY_SECONDS = 900
FIRST_RETRY = timedelta(seconds=30)
MAX_RETRY_DELAY = timedelta(hours=6)
RETRY_PERIOD = timedelta(days=3)
# An event owed this long after it happened was not published (see `publish`).
DISPATCH_GRACE = timedelta(minutes=2)
PAGE_SIZE = 100

log = logging.getLogger(__name__)


class EnqueueError(Exception):
    """SQS refused some messages (they stay owed: the caller does not clear their mark)."""


class Outcome(StrEnum):
    DELIVERED = "delivered"
    RETRYING = "retrying"
    FAILED = "failed"  # retried for the whole period: the endpoint is disabled
    WAITING = "waiting"  # not due yet: queued again for the rest of its wait
    SKIPPED = "skipped"  # the endpoint is gone or disabled, the event gone, or delivered


@dataclass(frozen=True)
class Message:
    store_code: str
    webhook_id: str
    event_id: str
    attempt: int = 0
    first_at: int = 0  # epoch seconds of the first attempt's queuing
    not_before: int = 0  # epoch seconds: not to be attempted before
    redelivery: bool = False  # asked for: made even when an earlier delivery succeeded

    def body(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def of(cls, body: str) -> Message:
        fields = json.loads(body)
        return cls(**{name: fields[name] for name in cls.__dataclass_fields__})


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def enqueue(messages: list[Message], now: datetime | None = None) -> None:
    """Queue `messages` ten at a time, each delayed until its `not_before` (15 min at most)."""
    if not messages:
        return
    now_epoch = _epoch(now or datetime.now(UTC))
    sqs = aws.client("sqs")
    url = aws.queue_url(QUEUE)
    refused = 0
    for start in range(0, len(messages), SQS_BATCH):
        entries = [
            {
                "Id": str(n),
                "MessageBody": message.body(),
                "DelaySeconds": max(0, min(SQS_MAX_DELAY_SECONDS, message.not_before - now_epoch)),
            }
            for n, message in enumerate(messages[start : start + SQS_BATCH])
        ]
        try:
            response = sqs.send_message_batch(QueueUrl=url, Entries=entries)
        except aws.CALL_FAILED:
            refused += len(entries)
            continue
        refused += len(response.get("Failed", []))
    if refused:
        raise EnqueueError(f"{refused} webhook deliveries were not queued")


def endpoints(store_code: str) -> list[WebhookModel]:
    """The store's endpoints (one Query)."""
    return list(WebhookModel.query(store_code, consistent_read=True))


def _messages(
    hooks: list[WebhookModel],
    event_type: str,
    event_id: str,
    now: datetime,
    redelivery: bool = False,
) -> list[Message]:
    """One message per enabled endpoint of `hooks` subscribed to `event_type`."""
    first = _epoch(now)
    return [
        Message(hook.store_code, hook.webhook_id, event_id, 0, first, first, redelivery)
        for hook in hooks
        if hook.status == ENABLED and event_type in hook.event_types
    ]


def _clear(store_code: str, event_id: str, condition: Any = None) -> None:
    """Take the event out of the outbox: its deliveries are queued."""
    with contextlib.suppress(ConditionFailedError):  # expired meanwhile, or already cleared
        EventModel(store_code, event_id).update(
            actions=[EventModel.dispatch_shard.remove()],
            # never a stub of an expired event
            condition=EventModel.event_id.exists() if condition is None else condition,
        )


def publish(events: list[event_log.Event], now: datetime | None = None) -> None:
    """Right after the commit that recorded `events`: queue the deliveries of those an
    endpoint subscribes to, rather than wait for the dispatcher's run.

    Which types some endpoint wants comes from `webhooks.subscribed_types` (cached); the
    messages from a fresh read of the endpoints, all in one SendMessageBatch (ten a call).
    The events stay owed: the consumer takes each out of the outbox with its first attempt
    (`handle`), off the request's path, and the dispatcher leaves an event alone for
    `DISPATCH_GRACE` after it happened. An event no endpoint wants, as far as this process
    knows, waits for the dispatcher, which reads the endpoints afresh: an endpoint made
    meanwhile still gets it. Never raises for AWS: what was not queued is the dispatcher's."""
    now = now or datetime.now(UTC)
    wanted: dict[str, list[event_log.Event]] = {}
    try:
        for event in events:
            if event.type in webhooks.subscribed_types(event.store_code):
                wanted.setdefault(event.store_code, []).append(event)
        messages: list[Message] = []
        for store_code, owed in wanted.items():
            hooks = endpoints(store_code)
            webhooks.remember_subscriptions(store_code, hooks)
            messages += [m for e in owed for m in _messages(hooks, e.type, e.id, now)]
        enqueue(messages, now)
    except (*aws.CALL_FAILED, PynamoDBException, EnqueueError) as error:
        log.warning("webhook deliveries left to the dispatcher: %s", error)


def dispatch(now: datetime | None = None) -> int:
    """Queue the deliveries of every event still owed `DISPATCH_GRACE` after it happened (a
    crash or SQS lost its publishing, or no endpoint wanted it then); returns how many events
    it cleared."""
    now = now or datetime.now(UTC)
    cleared = 0
    hooks: dict[str, list[WebhookModel]] = {}  # per store, read once a run
    before = EventModel.event_id < event_log.ids_from(now - DISPATCH_GRACE)
    for shard in range(DISPATCH_SHARDS):
        for owed in EventModel.dispatch_owed.query(str(shard), before, page_size=PAGE_SIZE):
            if owed.store_code not in hooks:
                hooks[owed.store_code] = endpoints(owed.store_code)
            # A refusal raises: this event and the ones after stay owed for the next run.
            enqueue(_messages(hooks[owed.store_code], owed.event_type, owed.event_id, now), now)
            _clear(owed.store_code, owed.event_id)
            cleared += 1
    return cleared


@dataclass(frozen=True)
class Redelivery:
    event_id: str
    webhooks: list[str]  # the endpoints it is queued for


def redeliver(store_code: str, event_id: str, now: datetime | None = None) -> Redelivery:
    """Queue the event again for each endpoint subscribed to it now."""
    now = now or datetime.now(UTC)
    event = event_log.get_event(store_code, event_id)
    messages = _messages(endpoints(store_code), event.type, event.id, now, redelivery=True)
    enqueue(messages, now)
    return Redelivery(event.id, [message.webhook_id for message in messages])


# -- one message -------------------------------------------------------------------------
def _record(
    message: Message, event_type: str, attempt: webhook_posting.Attempt, status: str, now: datetime
) -> None:
    item = DeliveryModel(webhook_key(message.store_code, message.webhook_id), message.event_id)
    entry = AttemptAttribute(
        at=now,
        ok="true" if attempt.ok else "false",
        latency_ms=attempt.latency_ms,
        response_code=attempt.response_code,
        error=attempt.error,
    )
    item.update(
        actions=[
            DeliveryModel.attempts.set((DeliveryModel.attempts | []).append([entry])),
            DeliveryModel.event_type.set(event_type),
            DeliveryModel.status.set(status),
            DeliveryModel.created_at.set(DeliveryModel.created_at | now),
            DeliveryModel.updated_at.set(now),
            DeliveryModel.expires_at.set(_epoch(now + event_log.RETENTION)),
        ]
    )


def _delivered(message: Message) -> bool:
    try:
        item = DeliveryModel.get(
            webhook_key(message.store_code, message.webhook_id), message.event_id
        )
    except DoesNotExist:
        return False
    return item.status == SUCCEEDED


def disable(hook: WebhookModel, reason: str, now: datetime) -> bool:
    """Turn the endpoint off with a `webhook.disabled` event, in one transaction."""
    transaction = Transaction()
    try:
        with transaction:
            transaction.update(
                hook,
                actions=[
                    WebhookModel.status.set(DISABLED),
                    WebhookModel.disabled_reason.set(reason),
                    WebhookModel.updated_at.set(now),
                ],
                condition=WebhookModel.status == ENABLED,
            )
            data = {**webhooks.Webhook.of(hook, now).body(), "status": DISABLED}
            event_log.record(transaction, hook.store_code, event_log.WEBHOOK_DISABLED, data, now)
    except TransactionCancelledError:
        return False  # disabled or deleted meanwhile
    webhooks.forget_subscriptions(hook.store_code)
    return True


def handle(
    message: Message, now: datetime | None = None, timeout: float = webhook_posting.TIMEOUT_SECONDS
) -> Outcome:
    """One queued delivery: wait, skip, or attempt it and decide what follows."""
    now = now or datetime.now(UTC)
    if message.not_before > _epoch(now):
        enqueue([message], now)
        return Outcome.WAITING
    if message.attempt == 0 and not message.redelivery:  # queued: out of the outbox
        _clear(message.store_code, message.event_id, EventModel.dispatch_shard.exists())
    try:
        hook = WebhookModel.get(message.store_code, message.webhook_id, consistent_read=True)
        event = event_log.get_event(message.store_code, message.event_id)
    except (DoesNotExist, event_log.EventNotFoundError):
        return Outcome.SKIPPED
    if hook.status != ENABLED or (not message.redelivery and _delivered(message)):
        return Outcome.SKIPPED
    attempt = webhook_posting.deliver(hook, event, now, timeout)
    if attempt.ok:
        _record(message, event.type, attempt, SUCCEEDED, now)
        return Outcome.DELIVERED
    delay = min(FIRST_RETRY * 2**message.attempt, MAX_RETRY_DELAY)
    if now + delay > datetime.fromtimestamp(message.first_at, UTC) + RETRY_PERIOD:
        _record(message, event.type, attempt, FAILED, now)
        disable(hook, f"Deliveries failed for {RETRY_PERIOD.days} days.", now)
        return Outcome.FAILED
    _record(message, event.type, attempt, PENDING, now)
    again = Message(
        message.store_code,
        message.webhook_id,
        message.event_id,
        message.attempt + 1,
        message.first_at,
        _epoch(now + delay),
        message.redelivery,
    )
    enqueue([again], now)
    return Outcome.RETRYING
