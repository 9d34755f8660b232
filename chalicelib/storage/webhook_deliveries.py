"""Webhook deliveries: one item per (endpoint, event), with every attempt made.

Keyed by (`<store>#<webhook id>`, event_id), so an endpoint's deliveries are one Query, newest
event first. Attempts are appended as they are made; `expires_at` (TTL) keeps the log as long
as the events.
"""

from __future__ import annotations

from pynamodb.attributes import (
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)

from chalicelib.storage.base import table
from chalicelib.storage.tables import TableModel

QUEUE = "webhook-delivery"  # the SQS queue of delivery attempts

PENDING = "pending"
SUCCEEDED = "succeeded"
FAILED = "failed"  # given up: retried for the whole retry period


def webhook_key(store_code: str, webhook_id: str) -> str:
    return f"{store_code}#{webhook_id}"


class AttemptAttribute(MapAttribute[str, object]):
    at = UTCDateTimeAttribute()
    ok = UnicodeAttribute()  # "true" | "false"
    latency_ms = NumberAttribute()
    response_code = NumberAttribute(null=True)
    error = UnicodeAttribute(null=True)


@table("webhook-deliveries", ttl_attribute="expires_at")
class DeliveryModel(TableModel):
    class Meta:
        pass

    webhook_key = UnicodeAttribute(hash_key=True)
    event_id = UnicodeAttribute(range_key=True)
    event_type = UnicodeAttribute()
    status = UnicodeAttribute()
    attempts = ListAttribute(of=AttemptAttribute, default=list)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    expires_at = NumberAttribute()
