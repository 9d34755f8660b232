"""Webhook endpoints: where a store wants its events POSTed, and which generation signs them.

Keyed by (store_code, webhook_id): a store's endpoints are one Query. No secret is stored: a
signing secret is made again from the service's secret, the endpoint and its generation
(`domain.events.webhooks`); the item keeps the generation numbers and when the previous one stops.
"""

from __future__ import annotations

from pynamodb.attributes import (
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
)

from chalicelib.storage.base import table
from chalicelib.storage.tables import TableModel

ENABLED = "enabled"
DISABLED = "disabled"


@table("webhooks")
class WebhookModel(TableModel):
    class Meta:
        pass

    store_code = UnicodeAttribute(hash_key=True)
    webhook_id = UnicodeAttribute(range_key=True)
    url = UnicodeAttribute()
    event_types = UnicodeSetAttribute()
    status = UnicodeAttribute(default=ENABLED)
    generation = NumberAttribute(default=1)  # of the current signing secret
    previous_generation = NumberAttribute(null=True)  # still signs until previous_until
    previous_until = UTCDateTimeAttribute(null=True)
    disabled_reason = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
