"""One delivery attempt against a plain HTTP receiver: signed, bounded, and SSRF-checked again."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain.events import webhook_posting, webhooks
from chalicelib.domain.events.event_log import Event
from chalicelib.domain.events.webhook_signature import HEADER, signature_header, verify_signature
from chalicelib.storage.webhooks import WebhookModel
from tests.fixtures.clients import STORE
from tests.fixtures.receivers import Receiver, local_stage, serving

EVENT = Event(
    "evt_20261205T000000000000Z_000000000001",
    "points.spent",
    datetime(2026, 12, 5, tzinfo=UTC),
    STORE,
    {"amount": -40, "customerId": "c-1"},
)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with serving() as receiver:
        yield receiver


@pytest.fixture(autouse=True)
def on_the_local_stage(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    with local_stage(monkeypatch):
        yield


def registered(store: str, url: str) -> tuple[WebhookModel, str]:
    webhook, secret = webhooks.create(store, {"url": url, "events": ["points.spent"]})
    return WebhookModel.get(store, webhook.id), secret


def test_a_delivery_is_the_event_signed_with_the_secret(store: str, receiver: Receiver) -> None:
    webhook, secret = registered(store, receiver.url)

    attempt = webhook_posting.deliver(webhook, EVENT)

    assert attempt.ok and attempt.response_code == 200 and attempt.error is None
    [(headers, body)] = receiver.received
    assert json.loads(body) == EVENT.body()
    assert headers["Content-Type"] == "application/json"
    assert headers["Rewards-Event-Id"] == EVENT.id
    assert verify_signature(secret, headers[HEADER], body)
    assert not verify_signature(secret + "x", headers[HEADER], body)
    assert not verify_signature(secret, headers[HEADER], body + b" ")


def test_during_an_overlap_both_secrets_verify(store: str, receiver: Receiver) -> None:
    webhook, old = registered(store, receiver.url)
    _, new = webhooks.rotate_secret(store, webhook.webhook_id)

    webhook_posting.deliver(WebhookModel.get(store, webhook.webhook_id), EVENT)

    [(headers, body)] = receiver.received
    assert headers[HEADER].count("v1=") == 2
    assert verify_signature(old, headers[HEADER], body)
    assert verify_signature(new, headers[HEADER], body)


def test_an_old_or_malformed_signature_does_not_verify() -> None:
    body = b'{"id":"evt_1"}'
    old = int((datetime.now(UTC) - timedelta(minutes=10)).timestamp())
    assert not verify_signature("s", signature_header(["s"], body, old), body)
    assert verify_signature("s", signature_header(["s"], body, old), body, tolerance=900)
    for header in ("", "v1=abc", "t=x,v1=abc", f"t={old},t={old},v1=abc"):
        assert not verify_signature("s", header, body)


@pytest.mark.parametrize("status", [500, 404, 302])
def test_a_non_2xx_answer_is_a_failed_attempt(store: str, receiver: Receiver, status: int) -> None:
    receiver.status = status
    webhook, _ = registered(store, receiver.url)
    attempt = webhook_posting.deliver(webhook, EVENT)
    assert (attempt.ok, attempt.response_code) == (False, status)
    assert len(receiver.received) == 1  # a redirect is not followed


def test_only_the_first_bytes_of_the_answer_are_read(store: str, receiver: Receiver) -> None:
    receiver.answer = b"x" * 5_000_000
    webhook, _ = registered(store, receiver.url)
    attempt = webhook_posting.deliver(webhook, EVENT)
    assert attempt.ok
    assert attempt.response_excerpt is not None and len(attempt.response_excerpt) <= 500


def test_a_slow_endpoint_costs_one_short_attempt(store: str, receiver: Receiver) -> None:
    receiver.delay = 2.0
    webhook, _ = registered(store, receiver.url)
    attempt = webhook_posting.deliver(webhook, EVENT, timeout=0.3)
    assert (attempt.ok, attempt.error) == (False, "timed out")
    assert attempt.latency_ms < 1500


def test_an_endpoint_that_is_down_is_a_failed_attempt(store: str) -> None:
    webhook, _ = registered(store, "http://127.0.0.1:9/hooks")  # the discard port: closed
    attempt = webhook_posting.deliver(webhook, EVENT)
    assert not attempt.ok and attempt.response_code is None and attempt.error


def test_the_address_is_checked_again_at_delivery(
    store: str, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    webhook, _ = registered(store, receiver.url)  # fine on the local stage
    monkeypatch.setenv("REWARDS_STAGE", "test")  # ... and on no other
    from chalicelib.config import reset_settings

    reset_settings()
    attempt = webhook_posting.deliver(webhook, EVENT)
    assert not attempt.ok and attempt.error is not None and attempt.error.startswith("refused")
    assert receiver.received == []
