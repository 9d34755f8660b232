"""The answers of the webhook endpoints (chalicelib/api/admin/webhooks.py)."""

from pydantic import Field

from chalicelib.api.schemas import ResponseModel, Timestamp, optional_key


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


class WebhookWithSecret(WebhookBody):
    secret: str = Field(
        description="The signing secret, shown only in this answer: keep it. "
        "Deliveries carry `Rewards-Signature: t=<unix seconds>,v1=<HMAC-SHA256 hex>`."
    )


class WebhookList(ResponseModel):
    webhooks: list[WebhookBody]


class AttemptBody(ResponseModel):
    at: Timestamp
    ok: bool = Field(description="Whether the endpoint answered 2xx in time.")
    latencyMs: int
    responseCode: int | None = Field(description="The endpoint's HTTP status, if it answered.")
    error: str | None = Field(description="Why no answer: timed out, refused address, ...")


class DeliveryBody(ResponseModel):
    eventId: str
    eventType: str
    status: str = Field(description="`pending` (retrying), `succeeded` or `failed`.")
    attempts: list[AttemptBody]
    createdAt: Timestamp
    updatedAt: Timestamp


class DeliveryList(ResponseModel):
    deliveries: list[DeliveryBody] = Field(description="Newest event first.")
    nextCursor: str | None
