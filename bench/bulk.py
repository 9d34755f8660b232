"""Section 4: bulk requests against raw BatchWriteItem of the same items (the floor).

1,000 claims (`POST /api/v1/points`) and 1,000 URL rewards (`POST /api/multi_reward_urls`) in
one request each, timed, with their AWS calls recorded. The floor writes the same items with
plain `BatchWriteItem` calls of 25 to the same embedded AWS: for claims, the app's own batches
sent again; for rewards, every item the app's transactions put, in batches of 25 (the usage
counters the transactions update are left out: the floor does less, never more).
"""

from __future__ import annotations

import json
from typing import Any

from bench.calls import people
from bench.stack import PASSCODE, Call, Stack, bearer, plain_client
from bench.stats import Figure, median, ratio, timed

TARGET = ">= 0.7"
ITEMS = 1000
BATCH = 25


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
    return figures
