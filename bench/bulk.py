"""Section 4: bulk requests against raw BatchWriteItem of the same items (the floor).

1,000 claims (`POST /api/v1/points`) and 1,000 URL rewards (`POST /api/multi_reward_urls`) in
one request each, timed, with their AWS calls recorded. The floor writes the same items with
plain `BatchWriteItem` calls of 25 to the same embedded AWS: for claims, the app's own batches
sent again; for rewards, every item the app's transactions put, in batches of 25 (the usage
counters the transactions update are left out: the floor does less, never more).

Rewards are issued in conditional transactions (issue 4: all or nothing per recipient, the
campaign's limit), which no BatchWriteItem can stand for. So they are also measured against
their own transactions sent again by a plain client, conditions and all, to a fresh copy of the
tables (`FLOOR_PREFIX`) holding the campaign as it was before the request: what the same
writes cost without any of the app's work.
"""

from __future__ import annotations

import json
import os
from typing import Any

from bench.calls import people
from bench.stack import PASSCODE, Call, Stack, bearer, plain_client
from bench.stats import Figure, median, ratio, timed

TARGET = ">= 0.7"
ITEMS = 1000
BATCH = 25
FLOOR_PREFIX = "benchfloor-"


def _claims_request(stack: Stack) -> Any:
    body = json.dumps([{"amount": n + 1, "expires": 1} for n in range(ITEMS)])
    return lambda: stack.client.post("/api/v1/points", headers=bearer(), body=body)


def _rewards_request(stack: Stack) -> Any:

    headers = {"X-Passcode": PASSCODE, "Content-Type": "application/json"}
    path = f"/api/multi_reward_urls/{stack.campaign_id}"
    body = json.dumps({"recipients": people(ITEMS)})
    return lambda: stack.client.post(path, headers=headers, body=body)


def put_requests(calls: list[Call]) -> list[tuple[str, dict[str, Any]]]:
    """(table, item) of every item the calls put, by BatchWriteItem or in a transaction."""
    items: list[tuple[str, dict[str, Any]]] = []
    for call in calls:
        body = json.loads(call.body or b"{}")
        for table, requests in body.get("RequestItems", {}).items():
            if isinstance(requests, list):
                items += [(table, r["PutRequest"]["Item"]) for r in requests if "PutRequest" in r]
        for entry in body.get("TransactItems", []):
            if "Put" in entry:
                items.append((entry["Put"]["TableName"], entry["Put"]["Item"]))
    return items


def raw_batch_write(items: list[tuple[str, dict[str, Any]]]) -> None:
    """The floor: the items in BatchWriteItem calls of 25, unprocessed ones sent again."""
    dynamodb = plain_client("dynamodb")
    for start in range(0, len(items), BATCH):
        request: dict[str, list[Any]] = {}
        for table, item in items[start : start + BATCH]:
            request.setdefault(table, []).append({"PutRequest": {"Item": item}})
        while request:
            request = dynamodb.batch_write_item(RequestItems=request).get("UnprocessedItems")


def on_floor_tables(body: dict[str, Any], prefix: str) -> dict[str, Any]:
    """A TransactWriteItems body with every table named under `FLOOR_PREFIX` instead (and no
    idempotency token: it is a new request, which DynamoDB would otherwise refuse)."""
    items = []
    for entry in body["TransactItems"]:
        ((kind, operation),) = entry.items()
        table = FLOOR_PREFIX + operation["TableName"].removeprefix(prefix)
        items.append({kind: {**operation, "TableName": table}})
    kept = {key: value for key, value in body.items() if key != "ClientRequestToken"}
    return {**kept, "TransactItems": items}


class TransactionReplay:
    """The rewards' second floor: their transactions again, on a fresh copy of the tables."""

    def __init__(self, prefix: str) -> None:
        from local import bootstrap

        self.prefix = prefix
        self.dynamodb = plain_client("dynamodb")
        bootstrap.create_resources(bootstrap.load_template(), FLOOR_PREFIX)

    def set_campaigns(self) -> None:
        """The floor's campaigns as the app's are now (before the request to replay)."""
        scan = self.dynamodb.get_paginator("scan").paginate(TableName=self.prefix + "campaigns")
        for page in scan:
            for item in page["Items"]:
                self.dynamodb.put_item(TableName=FLOOR_PREFIX + "campaigns", Item=item)

    def replay(self, calls: list[Call]) -> None:
        for call in calls:
            if call.operation == "TransactWriteItems":
                body = on_floor_tables(json.loads(call.body), self.prefix)
                self.dynamodb.transact_write_items(**body)


def _rewards_against_transactions(stack: Stack, repetitions: int) -> Figure:
    replay = TransactionReplay(os.environ["REWARDS_RESOURCE_PREFIX"])
    app_seconds, floor_seconds, transactions = [], [], 0
    for _ in range(repetitions):
        request = _rewards_request(stack)
        replay.set_campaigns()
        with stack.log.record() as made:
            app_seconds.append(timed(request))
        transactions = sum(call.operation == "TransactWriteItems" for call in made)
        floor_seconds.append(timed(lambda made=made: replay.replay(made)))
    app, floor = median(app_seconds), median(floor_seconds)
    detail = (
        f"{ITEMS / app:.0f} vs {ITEMS / floor:.0f} items/s (app {app:.2f} s, its "
        f"{transactions} TransactWriteItems sent again {floor:.2f} s), n={repetitions}"
    )
    value = ratio(ITEMS / app, ITEMS / floor)
    return Figure("4 bulk", "1,000 URL rewards, own transactions", value, TARGET, detail)


def measure(stack: Stack, repetitions: int) -> list[Figure]:
    figures = []
    for name, make in (("1,000 claims", _claims_request), ("1,000 URL rewards", _rewards_request)):
        app_seconds, floor_seconds, written = [], [], 0
        for _ in range(repetitions):
            request = make(stack)  # new recipients each time: nobody is known yet
            with stack.log.record() as made:
                app_seconds.append(timed(request))
            items = put_requests(made)
            written = len(items)
            floor_seconds.append(timed(lambda items=items: raw_batch_write(items)))
        app_rate, floor_rate = ITEMS / median(app_seconds), ITEMS / median(floor_seconds)
        detail = (
            f"{app_rate:.0f} vs {floor_rate:.0f} items/s (app {median(app_seconds):.2f} s, "
            f"raw BatchWriteItem of its {written} put items {median(floor_seconds):.2f} s), "
            f"n={repetitions}"
        )
        figures.append(Figure("4 bulk", name, ratio(app_rate, floor_rate), TARGET, detail))
    figures.append(_rewards_against_transactions(stack, repetitions))
    return figures
