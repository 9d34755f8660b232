"""Issue 23's "done when", on the local stack as a user runs it (`python -m local.run`).

A plain HTTP receiver on this machine is registered through the stack's API for every event
type. Every type is then driven: over HTTP where a call makes it, and otherwise (schedules, SES's
notifications, time passing, an endpoint failing for days) by the service's own functions run
in this process against the stack's AWS, as its scheduled functions and consumers would. The
stack's worker delivers: every type arrives, every signature verifies with the secret the
registration answered. The receiver is then taken down: what happens meanwhile is retried by
the worker and arrives once it is up again, and `GET /events` lists what it missed.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests

from chalicelib import aws
from chalicelib.domain.access import auth
from chalicelib.domain.events import event_log
from chalicelib.domain.events.webhook_signature import HEADER, verify_signature
from chalicelib.domain.points import ledger
from chalicelib.domain.points.ledger import EntryKind, Posting
from tests.fixtures.aws import reset_process_state
from tests.fixtures.clients import API_KEY as TEST_API_KEY
from tests.fixtures.clients import STORE
from tests.fixtures.factories import add_customer
from tests.fixtures.receivers import Receiver, serving, start, stop
from tests.fixtures.stacks import Stack, api, start_stack

pytestmark = pytest.mark.e2e

PREFIX = "rewards-local-"
WAIT_SECONDS = 120
RETRY_WAIT_SECONDS = 150  # the first retry comes 30 s after the failed attempt, and the worker
# sees it on its next poll


def wait_for(what: str, done: Callable[[], bool], seconds: float, stack: Stack) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if done():
            return
        time.sleep(1)
    pytest.fail(f"{what} within {seconds} s:\n{stack.output()}")


def on_the_stacks_aws(monkeypatch: pytest.MonkeyPatch, stack: Stack, data_dir: Path) -> None:
    """This process as one of the stack's functions: its AWS, names, stage and secrets."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{stack.aws_port}")
    monkeypatch.setenv("REWARDS_RESOURCE_PREFIX", PREFIX)
    monkeypatch.setenv("REWARDS_STAGE", "local")
    monkeypatch.setenv("REWARDS_DATA_DIR", str(data_dir))
    for name in ("REWARDS_JWT_SECRET", "REWARDS_LINK_TOKEN_SECRET", "REWARDS_WEBHOOK_SECRET"):
        monkeypatch.delenv(name, raising=False)  # the stack's own, made in its data dir
    reset_process_state(fresh_clients=True)
    # The in-process client of the changes below authenticates as the test suite's key.
    auth.create_api_key(STORE, key=TEST_API_KEY)


def drive_every_change(client: Any) -> None:
    """Every change of the functional event tests, each recording its type, on this AWS."""
    from tests.fixtures.events import CHANGES

    for change in CHANGES.values():
        change.prepare(client)()
    ledger.post(Posting(STORE, add_customer(STORE, None).customer_id, 0, EntryKind.EXPIRE))


def open_notification(stack: Stack, message_id: str) -> None:
    """SES's report of an open, as its topic delivers it to the stack's queue (no one reads a
    local email: the worker's stand-in reports deliveries, bounces and complaints only)."""
    event = {
        "eventType": "Open",
        "mail": {"messageId": message_id},
        "open": {"timestamp": datetime.now(UTC).isoformat(), "userAgent": "e2e"},
    }
    sqs = aws.client("sqs")
    sqs.send_message(QueueUrl=aws.queue_url("email-notification"), MessageBody=json.dumps(event))


def received_types(receiver: Receiver) -> set[str]:
    return {json.loads(body)["type"] for _, body in list(receiver.received)}


def test_every_event_type_arrives_signed_and_a_receiver_that_was_down_catches_up(
    tmp_path: Path,
    stacks: list[Stack],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from chalice.test import Client

    from app import app

    data_dir = tmp_path / "data"
    stack = start_stack(data_dir)
    stacks.append(stack)
    on_the_stacks_aws(monkeypatch, stack, data_dir)
    everything = sorted(event_log.EVENT_TYPES)

    with serving() as receiver, Client(app) as in_process:
        registered = api(
            stack, "POST", "/webhooks", json={"url": receiver.url, "events": everything}
        )
        assert registered.status_code == 201, registered.text
        secret = registered.json()["secret"]
        doomed = api(
            stack, "POST", "/webhooks", json={"url": "http://127.0.0.1:9/", "events": everything}
        ).json()

        # Over HTTP: a reward issued, emailed by the worker (SES's stand-in reports it
        # delivered), its link opened.
        issued = requests.post(
            f"{stack.url}/api/reward/demo-welcome-gift",
            headers={"X-Passcode": "demo-passcode"},
            json={
                "email": f"e2e-{uuid.uuid4().hex[:8]}@example.com",
                "first_name": "E",
                "last_name": "2E",
            },
            timeout=30,
        )
        assert issued.status_code == 201, issued.text
        reward = issued.json()

        def sent() -> bool:
            answer = api(stack, "GET", f"/api/{STORE}/rewards/{reward['rewardId']}").json()
            return answer.get("emailStatus") == "sent"

        wait_for("the worker sent the reward's email", sent, WAIT_SECONDS, stack)
        assert requests.get(reward["url"], timeout=30).status_code == 200
        from chalicelib.storage.rewards import RewardModel

        message_id = RewardModel.get(STORE, reward["rewardId"]).email_message_id
        open_notification(stack, str(message_id))

        # Everything else, as the stack's functions would do it, on the stack's AWS.
        drive_every_change(in_process.http)
        from chalicelib.domain.events import webhook_deliveries

        first = int((datetime.now(UTC) - timedelta(days=3, minutes=1)).timestamp())
        any_event = event_log.list_events(STORE, {"limit": "1"}).events[0]
        gave_up = webhook_deliveries.Message(STORE, doomed["id"], any_event.id, 20, first, 0)
        assert webhook_deliveries.handle(gave_up, timeout=1.0) is webhook_deliveries.Outcome.FAILED

        wait_for(
            "every event type reached the receiver",
            lambda: received_types(receiver) >= set(everything),
            WAIT_SECONDS,
            stack,
        )
        assert all(verify_signature(secret, h[HEADER], b) for h, b in list(receiver.received))

        # Down: a spend meanwhile fails to arrive, is retried, and GET /events lists it.
        stop(receiver.server)
        down_since = datetime.now(UTC) - timedelta(seconds=1)
        customer_id = add_customer(STORE, None).customer_id
        ledger.post(Posting(STORE, customer_id, 50, EntryKind.EARN))
        spent = api(stack, "POST", f"/api/rewards.json?q=spend&customer_id={customer_id}&amount=1")
        assert spent.status_code == 200, spent.text
        missed = api(
            stack, "GET", f"/events?type=points.spent&since={event_log.iso(down_since)}"
        ).json()["events"]
        assert [e["data"]["customerId"] for e in missed] == [customer_id]

        # Up again on the same port: the worker's retry brings it.
        port = int(receiver.url.split(":")[2].split("/")[0])
        receiver.server = ThreadingHTTPServer(("127.0.0.1", port), receiver.handler())
        start(receiver.server)

        def caught_up() -> bool:
            return any(json.loads(b)["id"] == missed[0]["id"] for _, b in list(receiver.received))

        wait_for("the retry reached the receiver", caught_up, RETRY_WAIT_SECONDS, stack)
        assert all(verify_signature(secret, h[HEADER], b) for h, b in list(receiver.received))
