"""Webhook endpoints: registration, the URL safety check, and signing secrets never stored.

An endpoint's secret is `whsec_` + HMAC-SHA256(the webhook secret setting, "webhook", store,
id, generation), so it is shown once and made again whenever a delivery is signed, and a copy of
the tables holds none. Rotating moves to the next generation; the previous one keeps signing
until the overlap ends (`ROTATION_OVERLAP`), so a receiver can switch without missing a
delivery. Rotating again within an overlap replaces the new secret and keeps the old one to
its end: a retried rotation never cuts off the secret the receiver still uses.

A URL must be https, with a host whose every address (after DNS) is global: no private,
loopback, link-local, shared, reserved or multicast address, so a webhook cannot reach the
service's own network (SSRF). The `local` stage alone also accepts http and loopback, for a
receiver on the developer's machine. Deliveries check the address again when they connect.

`subscribed_types` keeps, per process and for `SUBSCRIPTIONS_CACHE_SECONDS`, which event types
some enabled endpoint of a store wants: a change whose events no endpoint wants then costs no
read of the endpoints (see `webhook_deliveries.publish`). Changing an endpoint forgets it here;
another process may go on with the old answer that long, which is safe either way: an endpoint
it does not know of gets its deliveries from the dispatcher (within a minute), and one it
still believes in costs a read that finds it gone. So the answer is kept long.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import socket
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from pydantic import Field
from pynamodb.exceptions import DoesNotExist

from chalicelib import secrets_store
from chalicelib.config import get_settings
from chalicelib.domain.errors import (
    ConflictError,
    InvalidInputError,
    MalformedRequestError,
    NotFoundError,
)
from chalicelib.domain.events import event_log
from chalicelib.domain.paging import decode_cursor, encode_cursor
from chalicelib.domain.validation import InputModel, validate
from chalicelib.storage.errors import ConditionFailedError
from chalicelib.storage.paging import key_values, start_key
from chalicelib.storage.webhooks import DISABLED, ENABLED, WebhookModel

ROTATION_OVERLAP = timedelta(hours=24)
SUBSCRIPTIONS_CACHE_SECONDS = 600.0
MAX_URL_LENGTH = 2048
LOCAL_STAGE = "local"


class WebhookNotFoundError(NotFoundError):
    code = "webhook_not_found"
    default_message = "No such webhook."


class WebhookForm(InputModel):
    url: str = Field(max_length=MAX_URL_LENGTH)
    events: list[str] = Field(min_length=1, max_length=len(event_log.EVENT_TYPES))
    enabled: bool = True


@dataclass(frozen=True)
class Webhook:
    id: str
    url: str
    events: list[str]
    status: str
    created_at: datetime
    disabled_reason: str | None = None
    previous_secret_expires_at: datetime | None = None

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": self.id,
            "url": self.url,
            "events": self.events,
            "status": self.status,
            "createdAt": event_log.iso(self.created_at),
            "disabledReason": self.disabled_reason,
        }
        if self.previous_secret_expires_at is not None:
            body["previousSecretExpiresAt"] = event_log.iso(self.previous_secret_expires_at)
        return body

    @classmethod
    def of(cls, item: WebhookModel, now: datetime | None = None) -> Webhook:
        overlap = item.previous_until if in_overlap(item, now) else None
        return cls(
            item.webhook_id,
            item.url,
            sorted(item.event_types),
            item.status,
            item.created_at,
            item.disabled_reason,
            overlap,
        )


# -- secrets -------------------------------------------------------------------------------
def secret(store_code: str, webhook_id: str, generation: int) -> str:
    message = "\0".join(("webhook", store_code, webhook_id, str(generation))).encode("utf-8")
    key = secrets_store.webhook_secret().encode("utf-8")
    mac = hmac.new(key, message, hashlib.sha256).digest()
    return "whsec_" + base64.urlsafe_b64encode(mac).decode("ascii").rstrip("=")


def in_overlap(item: WebhookModel, now: datetime | None = None) -> bool:
    now = now or datetime.now(UTC)
    return item.previous_generation is not None and (item.previous_until or now) > now


def signing_secrets(item: WebhookModel, now: datetime | None = None) -> list[str]:
    """The secrets a delivery is signed with now: the current one, and the previous one
    during an overlap."""
    generations = [int(item.generation)]
    if in_overlap(item, now):
        generations.append(int(item.previous_generation))
    return [secret(item.store_code, item.webhook_id, g) for g in generations]


# -- which types a store's endpoints want (cached) ------------------------------------------
_subscriptions: dict[str, tuple[float, frozenset[str]]] = {}


def remember_subscriptions(store_code: str, items: list[WebhookModel]) -> frozenset[str]:
    """Keep what the store's endpoints `items` (all of them, just read) subscribe to."""
    types = frozenset(t for item in items if item.status == ENABLED for t in item.event_types)
    _subscriptions[store_code] = (time.monotonic(), types)
    return types


def subscribed_types(store_code: str) -> frozenset[str]:
    """The event types some enabled endpoint of the store wants; one Query when not cached."""
    cached = _subscriptions.get(store_code)
    if cached and time.monotonic() - cached[0] < SUBSCRIPTIONS_CACHE_SECONDS:
        return cached[1]
    return remember_subscriptions(store_code, list(WebhookModel.query(store_code)))


def forget_subscriptions(store_code: str | None = None) -> None:
    """After an endpoint of the store changed (or, with None, for every store)."""
    if store_code is None:
        _subscriptions.clear()
    else:
        _subscriptions.pop(store_code, None)


# -- the URL check -------------------------------------------------------------------------
def _resolve(host: str, port: int) -> list[str]:
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise InvalidInputError({"url": ["The URL's host cannot be resolved."]}) from error
    return [str(info[4][0]) for info in found]


def safe_address(address: str, local: bool) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (ip.is_global and not ip.is_multicast) or (local and ip.is_loopback)


def checked_url(url: str) -> tuple[str, int, list[str]]:
    """The URL's host, port and addresses, each one safe to connect to; else a 422 naming
    `url`. Called on registration and again before each delivery (DNS may have changed)."""
    local = get_settings().stage == LOCAL_STAGE
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise InvalidInputError({"url": ["The URL is not valid."]}) from error
    schemes = ("https", "http") if local else ("https",)
    if parts.scheme not in schemes:
        raise InvalidInputError({"url": ["The URL must be https."]})
    if not parts.hostname or parts.username is not None or parts.password is not None:
        raise InvalidInputError({"url": ["The URL needs a host and no user or password."]})
    port = port or (443 if parts.scheme == "https" else 80)
    addresses = _resolve(parts.hostname, port)
    if not addresses or not all(safe_address(a, local) for a in addresses):
        raise InvalidInputError(
            {"url": ["The URL's host must have only public addresses (not private or local)."]}
        )
    return parts.hostname, port, addresses


def _form(body: WebhookForm | dict[str, Any]) -> WebhookForm:
    """The form checked beyond its fields: known types, a safe URL (a dict is parsed first)."""
    form = body if isinstance(body, WebhookForm) else validate(WebhookForm, body)
    for event_type in form.events:
        event_log.check_type(event_type)
    checked_url(form.url)
    return form


# -- the endpoints -------------------------------------------------------------------------
def _key(webhook_id: str) -> str:
    """An id as stored (a UUID); anything else names no webhook (nor reaches DynamoDB)."""
    try:
        return str(uuid.UUID(webhook_id))
    except ValueError as error:
        raise WebhookNotFoundError() from error


def _get(store_code: str, webhook_id: str) -> WebhookModel:
    try:
        return WebhookModel.get(store_code, _key(webhook_id), consistent_read=True)
    except DoesNotExist as error:
        raise WebhookNotFoundError() from error


class Registration(NamedTuple):
    """An endpoint with its secret: the one answer that shows it."""

    webhook: Webhook
    secret: str


def create(
    store_code: str, body: WebhookForm | dict[str, Any], request_key: str | None = None
) -> Registration:
    """A new endpoint and its secret. With the request's Idempotency-Key its id comes from the
    key, so a retry (whose answer, holding a secret, is never kept) finds the endpoint it made
    and answers the same secret instead of registering a second one."""
    form = _form(body)
    now = datetime.now(UTC)
    webhook_id = (
        str(uuid.uuid5(uuid.NAMESPACE_URL, f"webhook:{store_code}:{request_key}"))
        if request_key
        else str(uuid.uuid4())
    )
    item = WebhookModel(
        store_code,
        webhook_id,
        url=form.url,
        event_types=set(form.events),
        status=ENABLED if form.enabled else DISABLED,
        generation=1,
        created_at=now,
        updated_at=now,
    )
    try:
        item.save(condition=WebhookModel.webhook_id.does_not_exist())
    except ConditionFailedError:
        item = _get(store_code, webhook_id)
    forget_subscriptions(store_code)
    return Registration(Webhook.of(item), secret(store_code, webhook_id, int(item.generation)))


class WebhooksQuery(event_log.PageQuery):
    """`GET /webhooks`: a page of the store's endpoints, in id order."""


@dataclass(frozen=True)
class WebhookPage:
    webhooks: list[Webhook]
    next_cursor: str | None


def list_webhooks(store_code: str, query: WebhooksQuery) -> WebhookPage:
    """The store's endpoints in id order, one Query a page; the cursor is the last id."""
    start = None
    if query.cursor:
        try:
            after = str(uuid.UUID(decode_cursor(query.cursor)))
        except ValueError as error:
            raise MalformedRequestError(
                "The cursor is not valid.", code="invalid_cursor"
            ) from error
        start = start_key(WebhookModel, store_code=store_code, webhook_id=after)
    results = WebhookModel.query(
        store_code, limit=query.limit, page_size=query.limit, last_evaluated_key=start
    )
    found = [Webhook.of(item) for item in results]
    last = key_values(WebhookModel, results.last_evaluated_key)
    next_cursor = encode_cursor(last["webhook_id"]) if last and found else None
    return WebhookPage(found, next_cursor)


def get_webhook(store_code: str, webhook_id: str) -> Webhook:
    return Webhook.of(_get(store_code, webhook_id))


def _changed(store_code: str, webhook_id: str, actions: list[Any], condition: Any = None) -> Any:
    item = WebhookModel(store_code, _key(webhook_id))
    exists = WebhookModel.webhook_id.exists()
    try:
        item.update(actions=actions, condition=exists if condition is None else exists & condition)
    except ConditionFailedError as error:
        if condition is None:
            raise WebhookNotFoundError() from error
        raise ConflictError("The webhook changed meanwhile; retry.") from error
    return item


def update(store_code: str, webhook_id: str, body: WebhookForm | dict[str, Any]) -> Webhook:
    """Replace the URL and types; `enabled: true` turns a disabled endpoint on again."""
    form = _form(body)
    actions = [
        WebhookModel.url.set(form.url),
        WebhookModel.event_types.set(set(form.events)),
        WebhookModel.status.set(ENABLED if form.enabled else DISABLED),
        WebhookModel.updated_at.set(datetime.now(UTC)),
    ]
    if form.enabled:
        actions.append(WebhookModel.disabled_reason.remove())
    changed = _changed(store_code, webhook_id, actions)
    forget_subscriptions(store_code)
    return Webhook.of(changed)


def delete(store_code: str, webhook_id: str) -> None:
    try:
        WebhookModel(store_code, _key(webhook_id)).delete(
            condition=WebhookModel.webhook_id.exists()
        )
    except ConditionFailedError as error:
        raise WebhookNotFoundError() from error
    forget_subscriptions(store_code)


def rotate_secret(store_code: str, webhook_id: str) -> Registration:
    """The next generation's secret; the one the receiver holds keeps signing for the overlap."""
    item = _get(store_code, webhook_id)
    now = datetime.now(UTC)
    current = int(item.generation)
    # Within an overlap the older secret stays the previous one (see the module docstring).
    previous = int(item.previous_generation) if in_overlap(item, now) else current
    until = item.previous_until if in_overlap(item, now) else now + ROTATION_OVERLAP
    rotated = _changed(
        store_code,
        item.webhook_id,
        [
            WebhookModel.generation.set(current + 1),
            WebhookModel.previous_generation.set(previous),
            WebhookModel.previous_until.set(until),
            WebhookModel.updated_at.set(now),
        ],
        WebhookModel.generation == current,  # two rotations at once: one wins, one is retried
    )
    return Registration(Webhook.of(rotated, now), secret(store_code, item.webhook_id, current + 1))
