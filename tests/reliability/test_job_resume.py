"""A bulk job whose chunk dies part-way, or whose chunk is delivered twice, applies every row
exactly once and ends as an uninterrupted job does.

A crash is a botocore hook raising a `BaseException` on a chosen AWS call of the chunk worker:
before its first row's transaction, between two rows, before its results are kept, before the
chunk is counted, and before the job is marked done. The message then stays queued and runs
again; the job must end with the counts, results, balances and ledger of the same job run
without a crash in another, identical store.
"""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest

from chalicelib import aws
from chalicelib.domain.bulk_jobs import CHUNK_ROWS
from chalicelib.jobs import bulk_chunks
from chalicelib.storage.customers import CustomerModel
from chalicelib.storage.jobs import QUEUE
from chalicelib.storage.ledger import LedgerEntryModel
from tests.fixtures.aws import hooked_clients
from tests.fixtures.clients import OTHER_API_KEY, OTHER_STORE, STORE, bearer, body_of
from tests.fixtures.crashes import Crash, CrashAt
from tests.fixtures.jobs import ADDRESS, create, drain, job_of, results

ROWS = [
    {"amount": 1000, "email": "a@example.com"},
    {"amount": -5000, "email": "a@example.com"},  # refused: only 1,000 by then
    {"amount": 2000, "email": "b@example.com"},
    {"amount": "many", "email": "c@example.com"},  # invalid
    {"amount": 2000, "email": "a@example.com"},
]


CRASH_POINTS = {
    "before-the-first-row": CrashAt("TransactWriteItems", 0),
    "between-two-rows": CrashAt("TransactWriteItems", 1),
    "before-the-results-are-kept": CrashAt("PutObject", 0, "results/"),
    "before-the-chunk-is-counted": CrashAt("UpdateItem", 1, "-jobs"),
    "before-the-job-is-done": CrashAt("TransactWriteItems", 0, "job.finished"),
}


def _ledger(store_code: str) -> dict[str, tuple[int, int]]:
    """Per customer email: (balance, sum of its ledger entries)."""
    found = {}
    for customer in CustomerModel.query(store_code):
        entries = LedgerEntryModel.query(f"{store_code}#{customer.customer_id}")
        found[customer.email] = (
            int(customer.points_available or 0),
            sum(int(entry.amount) for entry in entries),
        )
    return found


def _uninterrupted(client: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    job = body_of(create(client, "points.instant", ROWS, bearer(OTHER_API_KEY)))
    drain()
    shown = body_of(job_of(client, job["id"], bearer(OTHER_API_KEY)))
    lines = client.get(f"/jobs/{job['id']}/results", headers=bearer(OTHER_API_KEY)).body
    return shown, [json.loads(line) for line in lines.decode().splitlines()]


def _counts(job: dict[str, Any]) -> tuple[Any, ...]:
    return job["state"], job["rows"], job["applied"], job["failed"], job["remaining"]


@pytest.mark.parametrize("point", list(CRASH_POINTS))
def test_a_chunk_that_died_resumes_and_applies_each_row_once(client: Any, point: str) -> None:
    expected_job, expected_lines = _uninterrupted(client)
    job = body_of(create(client, "points.instant", ROWS))
    crash = CRASH_POINTS[point]

    with hooked_clients(CrashAt(crash.operation, crash.at, crash.where)), pytest.raises(Crash):
        drain()
    assert drain() == 1  # the same message, delivered again

    assert _counts(body_of(job_of(client, job["id"]))) == _counts(expected_job)
    assert results(client, job["id"]) == expected_lines
    assert _ledger(STORE) == _ledger(OTHER_STORE)
    assert _ledger(STORE)["a@example.com"] == (3000, 3000)


def test_a_chunk_delivered_twice_is_applied_and_counted_once(client: Any) -> None:
    # Two chunks, so the job is still running when the copy of the first arrives.
    rows = [{"amount": 10, "email": f"d{i % 3}@example.com"} for i in range(CHUNK_ROWS + 1)]
    job = body_of(create(client, "points.instant", rows))
    sqs = aws.client("sqs")
    url = aws.queue_url(QUEUE)
    first = sqs.receive_message(QueueUrl=url)["Messages"][0]
    record = SimpleNamespace(body=first["Body"], message_id=first["MessageId"], attributes={})
    bulk_chunks.run_one(record)
    bulk_chunks.run_one(record)  # SQS delivers at least once: the same chunk again
    sqs.delete_message(QueueUrl=url, ReceiptHandle=first["ReceiptHandle"])
    assert body_of(job_of(client, job["id"]))["applied"] == CHUNK_ROWS

    assert drain() == 1
    shown = body_of(job_of(client, job["id"]))
    assert (shown["state"], shown["applied"], shown["failed"]) == ("done", CHUNK_ROWS + 1, 0)
    assert len(results(client, job["id"])) == CHUNK_ROWS + 1
    assert sum(points for points, _ in _ledger(STORE).values()) == 10 * (CHUNK_ROWS + 1)
    assert {entries for _, entries in _ledger(STORE).values()} == {
        points for points, _ in _ledger(STORE).values()
    }


def test_a_recipient_import_that_died_between_rows_resumes_without_taken_emails(
    client: Any,
) -> None:
    rows = [
        {**ADDRESS, "email": f"s{i}@example.com", "firstname": "A", "surname": "B"}
        for i in range(3)
    ]
    job = body_of(create(client, "recipients.import", rows))
    with hooked_clients(CrashAt("TransactWriteItems", 1)), pytest.raises(Crash):
        drain()
    drain()
    lines = results(client, job["id"])
    # Without the row's record, the rerun would answer row 1 "email already taken".
    assert [line["applied"] for line in lines] == [True, True, True]
    assert body_of(job_of(client, job["id"]))["applied"] == 3
