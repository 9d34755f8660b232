"""After the commit: an event's webhook deliveries queued as soon as its transaction commits.

`event_log.record` adds each event to its change's transaction and calls `publish_after_commit`;
the deliveries are queued right after the commit (`webhook_deliveries.publish`) instead of at
the dispatcher's next run. The event stays owed in the outbox until they are, so this is only
a shortcut: whatever it misses (a crash, SQS refusing) the dispatcher queues a minute later.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chalicelib.domain.events.event_log import Event
    from chalicelib.storage.transactions import Transaction


def publish_after_commit(transaction: Transaction, event: Event) -> None:
    """Queue the event's deliveries as soon as `transaction` commits, not at the dispatcher's
    next run; a transaction that is cancelled never publishes. The publishing is best effort:
    the event stays owed in the outbox until its deliveries are queued, so a crash between the
    commit and the queue costs a minute."""
    pending: list[Event] | None = getattr(transaction, "_rewards_events", None)
    if pending is None:
        pending = []
        transaction._rewards_events = pending  # type: ignore[attr-defined]
        transaction.after_commit(lambda: published(pending))
    pending.append(event)


def published(events: list[Event]) -> None:
    """Hand committed events to the webhook dispatcher (imported here: it imports this)."""
    from chalicelib.domain.events import webhook_deliveries

    webhook_deliveries.publish(events)
