"""Section 8: what the event outbox adds to a write, and how fast webhooks are delivered.

Outbox: a spend, a buy and an issue each write their event in their own transaction (one more
item of the same TransactWriteItems). Each request is timed with its events and without them,
interleaved, against the same embedded AWS: `without_events` replaces `event_log.record`, in
this process only, by one that makes the event and writes nothing (the bench-only switch; the
service has none). Figure: the ratio of the medians (goal <= 1.15), with the AWS calls of each.
First with no webhook endpoint in the store (the outbox alone), then with an endpoint
subscribed to the three types, where the commit is followed by the publishing (one Query of
the endpoints, the SendMessageBatch, the clearing of the mark).

Delivery throughput: `DELIVERIES` events handed one at a time to the consumer's own code
(`webhook_deliveries.handle`: the endpoint, the event and its delivery read, a signed POST, the
attempt recorded), against a bare loop POSTing the same bodies to the same local receiver with
`http.client` (a connection each, as a delivery makes). Figure: deliveries per second over the
bare loop's posts per second (shown for reference: a delivery does more than a post).
"""

from __future__ import annotations

import contextlib
import http.client
import os
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from unittest import mock

from bench import calls as operations
from bench.stack import STORE, Stack, counted
from bench.stats import Figure, interleaved, median, ratio

TARGET = "<= 1.15"
OPERATIONS = ("spend", "buy", "issue reward (1)")
DELIVERIES = 200
PUBLIC_URL = "https://93.184.216.34/hooks"  # a global address: registering needs no DNS


@contextlib.contextmanager
def without_events() -> Iterator[None]:
    """The service as if it recorded no event: each recorder makes its event, writes nothing."""
    from chalicelib.domain.events import event_log

    def unrecorded(
        transaction: Any, store_code: str, event_type: str, data: Any, now: Any = None
    ) -> Any:
        return event_log.new_event(store_code, event_type, data, now)

    with mock.patch.object(event_log, "record", unrecorded):
        yield


def _without(request: Callable[[], Any]) -> Callable[[], Any]:
    def call() -> Any:
        with without_events():
            return request()

    return call


def _calls(stack: Stack, request: Callable[[], Any]) -> str:
    with stack.log.record() as made:
        request()
    taken = counted(made)
    listed = ", ".join(f"{name.removeprefix('dynamodb:')} {n}" for name, n in sorted(taken.items()))
    return f"{sum(taken.values())} calls ({listed})"


def _overhead(stack: Stack, repetitions: int, label: str) -> list[Figure]:
    figures = []
    for name in OPERATIONS:
        request = operations.OPERATIONS[name](stack)
        request()  # warm, as a warm container
        _without(request)()
        with_calls, without_calls = _calls(stack, request), _calls(stack, _without(request))
        samples = interleaved({"events": request, "none": _without(request)}, repetitions)
        events, none = median(samples["events"]), median(samples["none"])
        detail = (
            f"median {events * 1000:.1f} vs {none * 1000:.1f} ms without events; "
            f"{with_calls} vs {without_calls}; n={repetitions}"
        )
        figures.append(Figure("8 outbox", f"{name}{label}", ratio(events, none), TARGET, detail))
    return figures


def _subscribe() -> str:
    from chalicelib.domain.events import event_log, webhooks

    types = [event_log.POINTS_SPENT, event_log.CAMPAIGN_BOUGHT, event_log.REWARD_CREATED]
    return webhooks.create(STORE, {"url": PUBLIC_URL, "events": types}).webhook.id


# -- delivery throughput --------------------------------------------------------------------
class _Receiver(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@contextlib.contextmanager
def _local_stage() -> Iterator[None]:
    """The local stage's URL rules (http and loopback), for a receiver on this machine."""
    from chalicelib.config import reset_settings

    stage = os.environ.get("REWARDS_STAGE")
    os.environ["REWARDS_STAGE"] = "local"
    reset_settings()
    try:
        yield
    finally:
        os.environ["REWARDS_STAGE"] = stage or ""
        reset_settings()


def _throughput(stack: Stack) -> list[Figure]:
    from chalicelib.domain.events import event_log, webhook_deliveries, webhook_posting, webhooks
    from chalicelib.domain.points import ledger
    from chalicelib.domain.points.ledger import EntryKind, Posting

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    try:
        with _local_stage():
            hook = webhooks.create(STORE, {"url": url, "events": [event_log.POINTS_EARNED]})
            customer_id, _ = operations.new_recipient(stack)
            for _ in range(DELIVERIES):
                ledger.post(Posting(STORE, customer_id, 1, EntryKind.EARN))
            query = {"type": event_log.POINTS_EARNED, "limit": str(event_log.MAX_PAGE_SIZE)}
            events: list[event_log.Event] = []
            cursor = None
            while len(events) < DELIVERIES:
                page = event_log.list_events(
                    STORE, {**query, **({"cursor": cursor} if cursor else {})}
                )
                events += page.events
                cursor = page.next_cursor
                if cursor is None:
                    break
            events = events[:DELIVERIES]
            now = int(datetime.now(UTC).timestamp())
            messages = [
                webhook_deliveries.Message(STORE, hook.webhook.id, e.id, 0, now, 0, True)
                for e in events
            ]
            started = time.perf_counter()
            outcomes = [webhook_deliveries.handle(message) for message in messages]
            delivering = time.perf_counter() - started
            bodies = [webhook_posting.event_body(e) for e in events]
            started = time.perf_counter()
            for body in bodies:
                connection = http.client.HTTPConnection("127.0.0.1", server.server_address[1])
                connection.request("POST", "/hooks", body=body)
                connection.getresponse().read()
                connection.close()
            posting = time.perf_counter() - started
    finally:
        server.shutdown()
        server.server_close()
    delivered = sum(1 for o in outcomes if o is webhook_deliveries.Outcome.DELIVERED)
    rate, bare = delivered / delivering, len(bodies) / posting
    detail = (
        f"{rate:.0f} deliveries/s ({delivered} of {len(messages)} delivered) vs "
        f"{bare:.0f} bare POSTs/s to the same receiver"
    )
    return [Figure("8 outbox", "webhook deliveries vs bare POST loop", rate / bare, "info", detail)]


def measure(stack: Stack, repetitions: int) -> list[Figure]:
    figures = _overhead(stack, repetitions, "")
    _subscribe()
    figures += _overhead(stack, repetitions, " (an endpoint subscribed)")
    return figures + _throughput(stack)
