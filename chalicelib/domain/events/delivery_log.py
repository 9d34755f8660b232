"""Reading an endpoint's deliveries: each event sent to it, with every attempt (status, latency,
response code), newest event first, one Query a page (written by `webhook_deliveries`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from chalicelib.domain.errors import MalformedRequestError
from chalicelib.domain.events import event_log, webhooks
from chalicelib.domain.paging import decode_cursor, encode_cursor
from chalicelib.domain.validation import InputModel
from chalicelib.storage.paging import key_values, start_key
from chalicelib.storage.webhook_deliveries import AttemptAttribute, DeliveryModel, webhook_key

PAGE_SIZE = 100


class DeliveriesQuery(InputModel):
    cursor: str | None = None


@dataclass(frozen=True)
class Attempt:
    at: datetime
    ok: bool  # the endpoint answered 2xx in time
    latency_ms: int
    response_code: int | None
    error: str | None

    @classmethod
    def of(cls, attempt: AttemptAttribute) -> Attempt:
        code = int(attempt.response_code) if attempt.response_code else None
        return cls(attempt.at, attempt.ok == "true", int(attempt.latency_ms), code, attempt.error)


@dataclass(frozen=True)
class Delivery:
    event_id: str
    event_type: str
    status: str  # pending (retrying), succeeded or failed
    attempts: list[Attempt]
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, item: DeliveryModel) -> Delivery:
        attempts = [Attempt.of(attempt) for attempt in item.attempts or []]
        return cls(
            item.event_id, item.event_type, item.status, attempts, item.created_at, item.updated_at
        )


@dataclass(frozen=True)
class DeliveryPage:
    deliveries: list[Delivery]
    next_cursor: str | None


def list_deliveries(store_code: str, webhook_id: str, query: DeliveriesQuery) -> DeliveryPage:
    """An endpoint's deliveries, newest event first, with every attempt; one Query a page."""
    hook = webhooks.get_webhook(store_code, webhook_id)
    key = webhook_key(store_code, hook.id)
    start = None
    if query.cursor:
        after = decode_cursor(query.cursor)
        if not event_log.EVENT_ID.fullmatch(after):
            raise MalformedRequestError("The cursor is not valid.", code="invalid_cursor")
        start = start_key(DeliveryModel, webhook_key=key, event_id=after)
    results = DeliveryModel.query(
        key,
        scan_index_forward=False,
        limit=PAGE_SIZE,
        page_size=PAGE_SIZE,
        last_evaluated_key=start,
    )
    found = [Delivery.of(item) for item in results]
    last = key_values(DeliveryModel, results.last_evaluated_key)
    return DeliveryPage(found, encode_cursor(last["event_id"]) if last and found else None)
