"""The answers of the webhook endpoints (chalicelib/api/admin/webhooks.py).

An endpoint's wire form is the domain's own (`Webhook.body()`): the `webhook.disabled` event
shows the endpoint with it too.
"""

from typing import Any

from pydantic import Field, model_validator

from chalicelib.api.admin.events_schemas import Instant
from chalicelib.api.schemas import ResponseModel, Timestamp, optional_key
from chalicelib.domain.events.webhooks import Registration, Webhook


class WebhookBody(ResponseModel):
    id: str
    url: str
    events: list[str] = Field(description="The event types delivered to the URL.")
    status: str = Field(description="`enabled` or `disabled`.")
    createdAt: Timestamp
    disabledReason: str | None = Field(description="Why the service disabled it, if it did.")
    previousSecretExpiresAt: Timestamp = optional_key(
        "During a rotation's overlap: until when the previous secret signs too."
    )

    @model_validator(mode="before")
    @classmethod
    def _of_webhook(cls, value: Any) -> Any:
        if isinstance(value, Registration):
            return {**value.webhook.body(), "secret": value.secret}
        return value.body() if isinstance(value, Webhook) else value


class WebhookWithSecret(WebhookBody):
    secret: str = Field(
        description="The signing secret, shown only in this answer: keep it. "
        "Deliveries carry `Rewards-Signature: t=<unix seconds>,v1=<HMAC-SHA256 hex>`."
    )


class WebhookList(ResponseModel):
    webhooks: list[WebhookBody] = Field(description="In id order.")
    nextCursor: str | None = Field(
        validation_alias="next_cursor",
        description="Pass as `cursor` for the next page; null on the last page.",
    )


class AttemptBody(ResponseModel):
    at: Instant
    ok: bool = Field(description="Whether the endpoint answered 2xx in time.")
    latencyMs: int = Field(validation_alias="latency_ms")
    responseCode: int | None = Field(
        validation_alias="response_code", description="The endpoint's HTTP status, if it answered."
    )
    error: str | None = Field(description="Why no answer: timed out, refused address, ...")


class DeliveryBody(ResponseModel):
    eventId: str = Field(validation_alias="event_id")
    eventType: str = Field(validation_alias="event_type")
    status: str = Field(description="`pending` (retrying), `succeeded` or `failed`.")
    attempts: list[AttemptBody]
    createdAt: Instant = Field(validation_alias="created_at")
    updatedAt: Instant = Field(validation_alias="updated_at")


class DeliveryList(ResponseModel):
    deliveries: list[DeliveryBody] = Field(description="Newest event first.")
    nextCursor: str | None = Field(validation_alias="next_cursor")
