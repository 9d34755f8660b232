"""Webhook deliveries: outbox to queue, attempts recorded, retries with backoff, giving up.

The last test is the issue's "done when": a plain HTTP receiver on the local stage gets every
event type, each signature checked with the docs' `verify_signature`; taken down and up again
it gets the retries, and what it missed is in `GET /events`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import ThreadingHTTPServer
from typing import Any

import pytest

from chalicelib import aws
from chalicelib.domain.events import event_log, webhook_deliveries, webhooks
from chalicelib.domain.events.webhook_deliveries import Message, Outcome
from chalicelib.domain.events.webhook_signature import HEADER, verify_signature
from chalicelib.domain.points import ledger
from chalicelib.domain.points.ledger import EntryKind, Posting
from chalicelib.storage.events import EventModel
from chalicelib.storage.webhook_deliveries import QUEUE, DeliveryModel, webhook_key
from chalicelib.storage.webhooks import WebhookModel
from tests.fixtures.aws import hooked_clients
from tests.fixtures.clients import STORE, bearer, body_of
from tests.fixtures.events import CHANGES
from tests.fixtures.factories import add_customer
from tests.fixtures.receivers import Receiver, local_stage, serving, start, stop


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with serving() as receiver:
        yield receiver


@pytest.fixture(autouse=True)
def on_the_local_stage(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    with local_stage(monkeypatch):
        yield


def register(client: Any, url: str, types: list[str]) -> dict[str, Any]:
    response = client.post(
        "/webhooks", headers=bearer(), body=json.dumps({"url": url, "events": types})
    )
    assert response.status_code == 201, response.body
    return body_of(response)


def queued() -> list[tuple[Message, str]]:
    """Every message on the delivery queue (taken off it), with its receipt handle."""
    sqs = aws.client("sqs")
    url = aws.queue_url(QUEUE)
    found = []
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not got:
            return found
        for message in got:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            found.append((Message.of(message["Body"]), message["ReceiptHandle"]))


def drain(now: datetime | None = None) -> list[Outcome]:
    """Handle each queued message once, as the consumer would, at `now` (what is retried or
    not yet due goes back on the queue)."""
    return [webhook_deliveries.handle(m, now, timeout=1.0) for m, _ in queued()]


@pytest.fixture(autouse=True)
def no_sqs_delay(monkeypatch: pytest.MonkeyPatch) -> None:
    """Messages visible at once: the tests move the clock instead of waiting (`not_before`)."""
    monkeypatch.setattr(webhook_deliveries, "SQS_MAX_DELAY_SECONDS", 0)


def earn(amount: int = 10) -> None:
    ledger.post(Posting(STORE, add_customer(STORE, None).customer_id, amount, EntryKind.EARN))


class Crash(BaseException):
    """The process dying: no handler of the service sees it."""


def die_at_the_queue(model: Any, **_: Any) -> None:
    if model.name == "SendMessageBatch":
        raise Crash("after the commit, before SQS has the deliveries")


def earn_then_die(amount: int = 10) -> None:
    """The change commits with its event, and the process dies before the deliveries are
    queued: the event is left owed, for the dispatcher."""
    with hooked_clients(die_at_the_queue), pytest.raises(Crash):
        earn(amount)


def dispatch_after_grace() -> int:
    """The dispatcher's run once the events owed now are past their publishing's grace."""
    later = datetime.now(UTC) + webhook_deliveries.DISPATCH_GRACE + timedelta(seconds=1)
    return webhook_deliveries.dispatch(later)


def owed() -> list[str]:
    return [e.event_id for e in EventModel.query(STORE) if e.dispatch_shard is not None]


def test_a_committed_events_deliveries_are_queued_at_once(client: Any, receiver: Receiver) -> None:
    hook = register(client, receiver.url, ["points.earned"])
    earn()
    [(message, _)] = queued()  # before any dispatcher run
    assert message.webhook_id == hook["id"]
    assert len(owed()) == 1  # until the consumer has it
    assert webhook_deliveries.handle(message, timeout=1.0) is Outcome.DELIVERED
    assert owed() == []
    assert webhook_deliveries.dispatch() == 0  # nothing left to queue twice


def test_a_crash_between_the_commit_and_the_queue_leaves_the_event_to_the_dispatcher(
    client: Any, receiver: Receiver
) -> None:
    register(client, receiver.url, ["points.earned"])
    earn_then_die()
    assert queued() == [] and len(owed()) == 1  # committed, and still owed
    assert webhook_deliveries.dispatch() == 0  # a publishing may still be in flight
    assert dispatch_after_grace() == 1
    assert len(queued()) == 1 and owed() == []


def test_an_event_no_endpoint_wants_costs_no_read_of_the_endpoints(client: Any) -> None:
    called: list[str] = []

    def calls(model: Any, params: dict[str, Any], **_: Any) -> None:
        table = json.loads(params.get("body") or b"{}").get("TableName", "")
        called.append(f"{model.name} {table}".strip())

    with hooked_clients(calls):
        earn()  # the store's subscriptions are read once, then known for a while
        called.clear()
        earn()
    assert not [call for call in called if "webhooks" in call or "SendMessage" in call], called
    assert len(owed()) == 2  # their marks are the dispatcher's to clear


def test_an_endpoint_another_process_made_gets_the_events_from_the_dispatcher(
    client: Any, receiver: Receiver
) -> None:
    other = register(client, receiver.url, ["points.earned"])
    webhooks.remember_subscriptions(STORE, [])  # as another process's registration leaves it
    earn()
    assert queued() == [] and len(owed()) == 1  # this process knew of no endpoint wanting it
    assert dispatch_after_grace() == 1
    assert [m.webhook_id for m, _ in queued()] == [other["id"]]


def test_dispatch_queues_one_delivery_per_subscribed_enabled_endpoint(
    client: Any, receiver: Receiver
) -> None:
    wanted = register(client, receiver.url, ["points.earned"])
    register(client, receiver.url, ["points.spent"])  # another type
    off = register(client, receiver.url, ["points.earned"])
    client.put(
        f"/webhooks/{off['id']}",
        headers=bearer(),
        body=json.dumps({"url": receiver.url, "events": ["points.earned"], "enabled": False}),
    )
    earn_then_die()

    assert dispatch_after_grace() == 1
    [(message, _)] = queued()
    assert (message.webhook_id, message.attempt) == (wanted["id"], 0)
    assert [e.dispatch_shard for e in EventModel.query(STORE)] == [None]  # cleared
    assert dispatch_after_grace() == 0


def test_an_event_whose_messages_sqs_refused_stays_owed(client: Any, receiver: Receiver) -> None:
    register(client, receiver.url, ["points.earned"])
    earn_then_die()

    def refuse(model: Any, **_: Any) -> None:
        if model.name == "SendMessageBatch":
            raise ConnectionError("SQS unreachable")

    with hooked_clients(refuse), pytest.raises(ConnectionError):
        dispatch_after_grace()
    assert queued() == []
    assert dispatch_after_grace() == 1  # the next run queues it
    assert len(queued()) == 1


def test_a_delivery_and_its_attempts_are_readable(client: Any, receiver: Receiver) -> None:
    hook = register(client, receiver.url, ["points.earned"])
    earn()
    webhook_deliveries.dispatch()

    assert drain() == [Outcome.DELIVERED]

    answer = body_of(client.get(f"/webhooks/{hook['id']}/deliveries", headers=bearer()))
    [delivery] = answer["deliveries"]
    assert delivery["status"] == "succeeded" and delivery["eventType"] == "points.earned"
    [attempt] = delivery["attempts"]
    assert attempt["ok"] and attempt["responseCode"] == 200 and attempt["latencyMs"] >= 0
    assert answer["nextCursor"] is None


def test_a_failed_attempt_is_retried_with_backoff_until_it_succeeds(
    client: Any, receiver: Receiver
) -> None:
    hook = register(client, receiver.url, ["points.earned"])
    earn()
    webhook_deliveries.dispatch()
    receiver.status = 503
    now = datetime.now(UTC)

    assert drain(now) == [Outcome.RETRYING]
    [(retry, _)] = queued()
    assert retry.attempt == 1
    assert retry.not_before == int((now + webhook_deliveries.FIRST_RETRY).timestamp())
    webhook_deliveries.enqueue([retry], now)
    assert drain(now) == [Outcome.WAITING]  # not due yet: back on the queue
    assert drain(now + timedelta(seconds=10)) == [Outcome.WAITING]

    receiver.status = 200
    assert drain(now + timedelta(seconds=31)) == [Outcome.DELIVERED]
    item = DeliveryModel.get(webhook_key(STORE, hook["id"]), retry.event_id)
    assert item.status == "succeeded"
    assert [int(a.response_code) for a in item.attempts] == [503, 200]


def test_the_backoff_doubles_up_to_six_hours() -> None:
    delays = [
        min(webhook_deliveries.FIRST_RETRY * 2**n, webhook_deliveries.MAX_RETRY_DELAY)
        for n in range(12)
    ]
    assert delays[:3] == [timedelta(seconds=30), timedelta(minutes=1), timedelta(minutes=2)]
    assert delays[-1] == timedelta(hours=6)


def test_after_three_days_of_failures_the_endpoint_is_disabled_with_an_event(
    client: Any, receiver: Receiver
) -> None:
    hook = register(client, "http://127.0.0.1:9/hooks", ["points.earned"])  # nobody there
    earn()
    webhook_deliveries.dispatch()
    [(first, _)] = queued()
    late = datetime.fromtimestamp(first.first_at, UTC) + timedelta(days=3)
    message = Message(STORE, hook["id"], first.event_id, 20, first.first_at, 0)

    assert webhook_deliveries.handle(message, late, timeout=1.0) is Outcome.FAILED

    assert WebhookModel.get(STORE, hook["id"]).status == "disabled"
    [disabled] = body_of(client.get("/events?type=webhook.disabled", headers=bearer()))["events"]
    assert disabled["data"]["id"] == hook["id"] and disabled["data"]["status"] == "disabled"
    assert queued() == []  # no retry
    assert webhook_deliveries.handle(message, late) is Outcome.SKIPPED  # and no more attempts


def test_a_delivered_event_is_delivered_again_on_request_only(
    client: Any, receiver: Receiver
) -> None:
    register(client, receiver.url, ["points.earned"])
    earn()
    webhook_deliveries.dispatch()
    [(message, _)] = queued()
    assert webhook_deliveries.handle(message) is Outcome.DELIVERED
    assert webhook_deliveries.handle(message) is Outcome.SKIPPED  # SQS delivered it twice

    answer = client.post(f"/events/{message.event_id}/redeliver", headers=bearer())
    assert answer.status_code == 202
    assert body_of(answer)["webhooks"] == [message.webhook_id]
    assert drain() == [Outcome.DELIVERED]
    assert len(receiver.received) == 2
    unknown = client.post(
        "/events/evt_20260101T000000000000Z_000000000000/redeliver", headers=bearer()
    )
    assert unknown.status_code == 404


def test_the_local_worker_feeds_the_queue_to_the_consumer(client: Any, receiver: Receiver) -> None:
    from app import app
    from local.worker import Worker

    register(client, receiver.url, ["points.earned"])
    earn()
    worker = Worker(app, sqs=aws.client("sqs"))
    assert "deliver_webhooks" in app.handler_map and "dispatch_webhooks" in app.handler_map
    webhook_deliveries.dispatch()  # the schedule's work (the worker runs it every minute)

    worker.run_once()

    [(_, body)] = receiver.received
    assert json.loads(body)["type"] == "points.earned"
    assert queued() == []


def test_done_when_every_event_type_arrives_signed_retries_arrive_and_missed_ones_are_listed(
    client: Any, receiver: Receiver
) -> None:
    everything = sorted(event_log.EVENT_TYPES)
    hook = register(client, receiver.url, everything)
    doomed = register(client, "http://127.0.0.1:9/hooks", ["points.earned"])
    for change in CHANGES.values():
        change.prepare(client)()
    ledger.post(Posting(STORE, add_customer(STORE, None).customer_id, 0, EntryKind.EXPIRE))
    webhook_deliveries.dispatch()
    drain()

    # The receiver goes down: what happens meanwhile is retried, and listed by GET /events.
    stop(receiver.server)
    down_since = datetime.now(UTC) - timedelta(seconds=1)
    earn(77)
    webhook_deliveries.dispatch()
    assert Outcome.RETRYING in drain()
    missed = body_of(
        client.get(
            f"/events?since={event_log.iso(down_since)}&type=points.earned", headers=bearer()
        )
    )["events"]
    assert [e["data"]["amount"] for e in missed] == [77]

    # Up again on the same port: the retries arrive.
    port = int(receiver.url.split(":")[2].split("/")[0])
    receiver.server = ThreadingHTTPServer(("127.0.0.1", port), receiver.handler())
    start(receiver.server)
    later = datetime.now(UTC) + timedelta(minutes=1)  # past the first retry's 30 s
    assert Outcome.DELIVERED in drain(later)

    # The endpoint nobody answers gives up after three days, which is an event too.
    first = int(later.timestamp()) - 3 * 86400
    message = Message(STORE, doomed["id"], missed[0]["id"], 20, first, 0)
    assert webhook_deliveries.handle(message, later, timeout=1.0) is Outcome.FAILED
    webhook_deliveries.dispatch()
    drain(later)

    secret = hook["secret"]
    bodies = [body for _, body in receiver.received]
    assert all(verify_signature(secret, h[HEADER], b) for h, b in receiver.received)
    received = [json.loads(body) for body in bodies]
    assert {event["type"] for event in received} == set(everything)
    assert 77 in [e["data"].get("amount") for e in received if e["type"] == "points.earned"]


def test_an_event_that_expires_while_dispatched_is_not_made_again(
    client: Any, receiver: Receiver
) -> None:
    register(client, receiver.url, ["points.earned"])
    earn_then_die()
    [event] = list(EventModel.query(STORE))

    def expire_first(model: Any, params: dict[str, Any], **_: Any) -> None:
        body = json.loads(params.get("body") or b"{}")
        if model.name == "UpdateItem" and body.get("TableName", "").endswith("events"):
            event.delete()  # the TTL, between the dispatcher's read and its update

    with hooked_clients(expire_first):
        assert dispatch_after_grace() == 1
    assert list(EventModel.query(STORE)) == []  # no stub without its data
