"""Webhook endpoints: a store registers URLs that receive its events, signed.

`POST /webhooks` `{"url", "events": ["points.spent", ...], "enabled"?}` (admin JWT or store API
key) answers 201 `{"id", "url", "events", "status", "createdAt", "disabledReason", "secret"}`;
the secret is in no other answer. `GET /webhooks?cursor=&limit=` answers
`{"webhooks": [...], "nextCursor"}` (in id order, `limit` 1-100, 50 by default);
`GET|PUT|DELETE /webhooks/{id}` read, replace (same body as the POST) and remove one;
`POST /webhooks/{id}/rotate_secret` answers a new secret, the old one signing too until
`previousSecretExpiresAt`. `GET /webhooks/{id}/deliveries?cursor=` answers
`{"deliveries": [{"eventId", "eventType", "status", "attempts": [...]}], "nextCursor"}`.
A URL that is not https or reaches a private address is a 422 naming `url`; an unknown event
type a 400 `unknown_event_type`.
"""

from __future__ import annotations

from chalicelib.api.admin.webhooks_schemas import (
    DeliveryList,
    WebhookBody,
    WebhookList,
    WebhookWithSecret,
)
from chalicelib.api.idempotency import HEADER as IDEMPOTENCY_HEADER
from chalicelib.api.request import ApiRequest
from chalicelib.api.routes import Routes
from chalicelib.domain.access.auth import STORE_OR_ADMIN
from chalicelib.domain.errors import ConflictError, InvalidInputError, MalformedRequestError
from chalicelib.domain.events import delivery_log, webhooks
from chalicelib.domain.events.delivery_log import DeliveriesQuery
from chalicelib.domain.events.event_log import UnknownEventTypeError
from chalicelib.domain.events.webhooks import WebhookForm, WebhooksQuery

routes = Routes(__name__)
FORM_ERRORS = (InvalidInputError, MalformedRequestError, UnknownEventTypeError)


@routes.route(
    "/webhooks",
    methods=["POST"],
    roles=STORE_OR_ADMIN,
    status=201,
    summary="Register a webhook endpoint; its signing secret is shown once",
    errors=FORM_ERRORS,
    no_store=True,
)
def create_webhook(request: ApiRequest, body: WebhookForm) -> WebhookWithSecret:
    key = request.raw.headers.get(IDEMPOTENCY_HEADER)
    return webhooks.create(request.store_code, body, key)


@routes.route(
    "/webhooks",
    roles=STORE_OR_ADMIN,
    summary="The store's webhook endpoints, a page at a time",
    errors=(InvalidInputError, MalformedRequestError),
)
def list_webhooks(request: ApiRequest, query: WebhooksQuery) -> WebhookList:
    return webhooks.list_webhooks(request.store_code, query)


@routes.route(
    "/webhooks/{webhook_id}",
    roles=STORE_OR_ADMIN,
    summary="One webhook endpoint",
    errors=(webhooks.WebhookNotFoundError,),
)
def get_webhook(request: ApiRequest, webhook_id: str) -> WebhookBody:
    return webhooks.get_webhook(request.store_code, webhook_id)


@routes.route(
    "/webhooks/{webhook_id}",
    methods=["PUT"],
    roles=STORE_OR_ADMIN,
    summary="Replace a webhook endpoint's URL and event types, or turn it on or off",
    errors=(*FORM_ERRORS, webhooks.WebhookNotFoundError),
)
def update_webhook(request: ApiRequest, webhook_id: str, body: WebhookForm) -> WebhookBody:
    return webhooks.update(request.store_code, webhook_id, body)


@routes.route(
    "/webhooks/{webhook_id}",
    methods=["DELETE"],
    roles=STORE_OR_ADMIN,
    summary="Remove a webhook endpoint",
    errors=(webhooks.WebhookNotFoundError,),
)
def delete_webhook(request: ApiRequest, webhook_id: str) -> None:
    webhooks.delete(request.store_code, webhook_id)


@routes.route(
    "/webhooks/{webhook_id}/rotate_secret",
    methods=["POST"],
    roles=STORE_OR_ADMIN,
    summary="A new signing secret; the previous one signs too until the overlap ends",
    errors=(webhooks.WebhookNotFoundError, ConflictError),
    no_store=True,
)
def rotate_secret(request: ApiRequest, webhook_id: str) -> WebhookWithSecret:
    return webhooks.rotate_secret(request.store_code, webhook_id)


@routes.route(
    "/webhooks/{webhook_id}/deliveries",
    roles=STORE_OR_ADMIN,
    summary="An endpoint's deliveries, newest event first, with every attempt",
    errors=(webhooks.WebhookNotFoundError, MalformedRequestError, InvalidInputError),
)
def list_deliveries(request: ApiRequest, webhook_id: str, query: DeliveriesQuery) -> DeliveryList:
    return delivery_log.list_deliveries(request.store_code, webhook_id, query)
