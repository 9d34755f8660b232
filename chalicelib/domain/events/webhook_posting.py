"""One delivery attempt: POST an event to a webhook endpoint, signed, bounded in time and size.

The URL is checked again as the attempt starts (`webhooks.checked_url`: DNS may have changed
since registration) and the connection goes to the address that check approved, with the URL's
host for TLS (SNI and certificate) and the Host header, so a name that resolves to a public
address for the check and a private one for the connection (DNS rebinding) reaches nothing.
Every socket operation has `TIMEOUT_SECONDS`, and at most `MAX_RESPONSE_BYTES` of the answer
are read: a slow or chatty endpoint costs one short attempt, never a held consumer. Redirects
are not followed (a 3xx is a failed attempt), as a redirect could lead anywhere.
"""

from __future__ import annotations

import http.client
import json
import socket
import ssl
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from chalicelib.domain.errors import InvalidInputError
from chalicelib.domain.events import webhooks
from chalicelib.domain.events.event_log import Event
from chalicelib.domain.events.webhook_signature import HEADER, signature_header
from chalicelib.storage.webhooks import WebhookModel

TIMEOUT_SECONDS = 5.0
MAX_RESPONSE_BYTES = 4096
USER_AGENT = "Rewards-Webhooks/1"


@dataclass(frozen=True)
class Attempt:
    """What one attempt gave: `ok` for a 2xx; else the response code or the error."""

    ok: bool
    latency_ms: int
    response_code: int | None = None
    error: str | None = None
    response_excerpt: str | None = None  # the first bytes of the answer, for the log


def event_body(event: Event) -> bytes:
    """The exact bytes a delivery sends, and signs."""
    return json.dumps(event.body(), separators=(",", ":")).encode("utf-8")


class _PinnedConnection(http.client.HTTPSConnection):
    """An HTTP(S) connection to an address already checked, speaking to the URL's host."""

    def __init__(self, host: str, port: int, address: str, tls: bool, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self.address = address
        self.tls = tls

    def connect(self) -> None:
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host) if self.tls else sock  # type: ignore[attr-defined]


def post(
    url: str,
    body: bytes,
    headers: dict[str, str],
    timeout: float = TIMEOUT_SECONDS,
) -> Attempt:
    """POST `body` to `url` once; never raises for what the endpoint or the network does."""
    started = time.monotonic()

    def elapsed() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        host, port, addresses = webhooks.checked_url(url)
    except InvalidInputError as error:
        return Attempt(False, elapsed(), error=f"refused: {error.errors['url'][0]}")
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connection = _PinnedConnection(host, port, addresses[0], parts.scheme == "https", timeout)
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        excerpt = response.read(MAX_RESPONSE_BYTES).decode("utf-8", "replace")
    except (OSError, http.client.HTTPException) as error:
        reason = "timed out" if isinstance(error, TimeoutError) else type(error).__name__
        return Attempt(False, elapsed(), error=reason)
    finally:
        connection.close()
    ok = 200 <= response.status < 300
    return Attempt(ok, elapsed(), response.status, response_excerpt=excerpt[:500])


def deliver(
    webhook: WebhookModel,
    event: Event,
    now: datetime | None = None,
    timeout: float = TIMEOUT_SECONDS,
) -> Attempt:
    """One signed attempt of `event` to `webhook`, with every secret that signs now."""
    now = now or datetime.now(UTC)
    body = event_body(event)
    signature = signature_header(webhooks.signing_secrets(webhook, now), body, int(now.timestamp()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        HEADER: signature,
        "Rewards-Event-Id": event.id,
        "Rewards-Event-Type": event.type,
    }
    return post(webhook.url, body, headers, timeout)
