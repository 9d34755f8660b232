"""Section 9: bulk jobs. A grant job (`points.instant`) uploaded as a CSV and run end to end
against its floor, a chunk worker's peak memory at two file sizes, and the time to the first
row applied.

- End to end: `POST /jobs`, the PUT of the file to its presigned URL, `POST /jobs/{id}/start`,
  then every chunk message run as the consumer runs it (`bulk_chunks.run_one`, one after the
  other, as one consumer would) until the job is done. The floor is the same rows written by a
  bare loop of the same writes: every row's TransactWriteItems (and the customer-count
  UpdateItem a new customer adds), sent again in order by a plain client to a fresh copy of the
  tables (`bench.bulk.TransactionReplay`), so what the ratio shows is everything the job does
  beyond its rows' own writes (reading its file and the customers, keeping and counting
  results, the job record and its end, the queue).
- Memory: the peak RSS of a fresh process (`python -m bench.jobs CHUNK_MESSAGE`) that runs the
  job's last chunk, every other chunk counted already (their results written directly), so the
  run also ends the job and streams its results file, for a file of `MEMORY_ROWS` rows each:
  flat when the worker holds one chunk, not the file.
- Time to first row: from the `POST /jobs` of the end-to-end job to the commit of its first
  row's transaction (the upload and the start included; SQS's delivery delay and a cold start
  are not, as the consumer is called at once).

`BENCH_JOB_ROWS` sets the end-to-end job's rows (default 100,000: an hour or more on the
serialized embedded AWS of a loaded 2-CPU machine; the ratio holds at a smaller size).
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from collections import Counter
from types import SimpleNamespace
from typing import Any

from bench.stack import Stack, bearer, body_of, child_answer
from bench.stats import Figure, ratio

ROWS = int(os.environ.get("BENCH_JOB_ROWS", "100000"))
MEMORY_ROWS = (10_000, 100_000)
TARGET = ">= 0.7"
MEMORY_TARGET = "<= 1.2"


def _csv(rows: int, prefix: str) -> bytes:
    lines = "".join(f"{prefix}{n}@example.com,5\n" for n in range(rows))
    return ("email,amount\n" + lines).encode()


def _uploaded_job(stack: Stack, rows: int, prefix: str) -> dict[str, Any]:
    """A started grant job of `rows` rows (its chunk messages queued)."""
    import requests

    created = stack.client.post(
        "/jobs", headers=bearer(), body=json.dumps({"kind": "points.instant", "format": "csv"})
    )
    job = body_of(created)
    requests.put(job["uploadUrl"], data=_csv(rows, prefix), timeout=300).raise_for_status()
    started = stack.client.post(f"/jobs/{job['id']}/start", headers=bearer())
    if started.status_code != 200:
        raise RuntimeError(f"start: {started.status_code} {started.body!r}")
    return job


def _messages() -> list[dict[str, Any]]:
    """Every queued chunk message, taken off the queue."""
    from chalicelib import aws
    from chalicelib.storage.jobs import QUEUE

    sqs, url = aws.client("sqs"), aws.queue_url(QUEUE)
    taken = []
    while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
        for message in batch:
            taken.append(message)
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return taken


def _run(message: dict[str, Any]) -> str:
    from chalicelib.jobs import bulk_chunks

    record = SimpleNamespace(body=message["Body"], message_id=message["MessageId"], attributes={})
    return bulk_chunks.run_one(record)


def _first_commit(after: list[float]) -> Any:
    """A hook noting when the first TransactWriteItems is answered."""

    def noted(**_: Any) -> None:
        if not after:
            after.append(time.perf_counter())

    return noted


def _end_to_end(stack: Stack) -> list[Figure]:
    from bench.bulk import TransactionReplay
    from chalicelib.storage.base import connection

    replay = TransactionReplay(os.environ["REWARDS_RESOURCE_PREFIX"])
    first: list[float] = []
    events = connection().client.meta.events
    hook = _first_commit(first)
    with stack.log.record() as made:
        began = time.perf_counter()
        job = _uploaded_job(stack, ROWS, "e2e")
        events.register("after-call.dynamodb.TransactWriteItems", hook)
        for message in _messages():
            _run(message)
        app_seconds = time.perf_counter() - began
    events.unregister("after-call.dynamodb.TransactWriteItems", hook)
    shown = body_of(stack.client.get(f"/jobs/{job['id']}", headers=bearer()))
    if (shown["state"], shown["applied"]) != ("done", ROWS):
        raise RuntimeError(f"the job did not apply every row: {shown}")
    prefix = os.environ["REWARDS_RESOURCE_PREFIX"]
    rows_writes = _row_writes(made, prefix)
    floor_began = time.perf_counter()
    for call in rows_writes:
        _replay_on_floor(replay, call, prefix)
    floor_seconds = time.perf_counter() - floor_began
    counts = Counter(call.operation for call in rows_writes)
    app_rate, floor_rate = ROWS / app_seconds, ROWS / floor_seconds
    return [
        Figure(
            "9 jobs",
            f"{ROWS:,}-row grant job end to end",
            ratio(app_rate, floor_rate),
            TARGET,
            f"{app_rate:.0f} vs {floor_rate:.0f} rows/s (job {app_seconds:.1f} s; its rows' "
            f"{counts['TransactWriteItems']} TransactWriteItems and "
            f"{counts['UpdateItem']} customer-count UpdateItems in a bare loop "
            f"{floor_seconds:.1f} s)",
        ),
        Figure(
            "9 jobs",
            "time to the first row applied (s)",
            first[0] - began,
            "info",
            "POST /jobs, the file's upload, /start and the first chunk's first transaction",
        ),
    ]


def _row_writes(made: list[Any], prefix: str) -> list[Any]:
    """The writes of the rows themselves, in order: each row's transaction, and the count of
    the store's customers a new customer adds to (not the job's own record and its end)."""
    jobs_table = f'"{prefix}jobs"'.encode()
    counts_table = f'"{prefix}customer-counts"'.encode()
    return [
        call
        for call in made
        if (call.operation == "TransactWriteItems" and jobs_table not in call.body)
        or (call.operation == "UpdateItem" and counts_table in call.body)
    ]


def _replay_on_floor(replay: Any, call: Any, prefix: str) -> None:
    from bench.bulk import FLOOR_PREFIX

    if call.operation == "TransactWriteItems":
        replay.replay([call])
        return
    body = json.loads(call.body)
    body["TableName"] = FLOOR_PREFIX + body["TableName"].removeprefix(prefix)
    replay.dynamodb.update_item(**body)


def _prepared_last_chunk(stack: Stack, rows: int) -> dict[str, Any]:
    """A job of `rows` rows whose chunks are all counted but the last, whose message is
    returned: the other chunks' results are written as a run would have written them."""
    from chalicelib.storage import jobs
    from chalicelib.storage.jobs import JobModel

    job = _uploaded_job(stack, rows, f"m{rows}-")
    messages = sorted(_messages(), key=lambda m: json.loads(m["Body"])["chunk"])
    model = jobs.get_job("BENCH", job["id"])
    for message in messages[:-1]:
        chunk = json.loads(message["Body"])
        lines = [
            {"row": chunk["first"] + n + 1, "applied": True, "result": {"amount": 5}}
            for n in range(100)
        ]
        jobs.put_results("BENCH", job["id"], chunk["chunk"], lines)
    others = {json.loads(m["Body"])["chunk"] for m in messages[:-1]}
    model.update(
        actions=[
            JobModel.state.set(jobs.RUNNING),
            JobModel.applied.add(rows - (rows - 1) % 100 - 1),
            JobModel.counted.add(others),
        ]
    )
    return messages[-1]


def _memory(stack: Stack) -> list[Figure]:
    peaks = {}
    for rows in MEMORY_ROWS:
        message = _prepared_last_chunk(stack, rows)
        answer = child_answer(
            "bench.jobs", [json.dumps(message)], f"the last chunk of {rows} rows", None
        )
        peaks[rows] = float(answer["peak_mb"])
    small, large = MEMORY_ROWS
    return [
        Figure(
            "9 jobs",
            f"chunk worker peak RSS, {large:,} / {small:,} rows",
            ratio(peaks[large], peaks[small]),
            MEMORY_TARGET,
            f"{peaks[small]:.0f} MB vs {peaks[large]:.0f} MB (the last chunk: ends the job and "
            "streams its results files)",
        )
    ]


def measure(stack: Stack) -> list[Figure]:
    return _end_to_end(stack) + _memory(stack)


def main() -> None:
    message = json.loads(sys.argv[1])
    outcome = _run(message)
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux
    print(json.dumps({"status": 200 if outcome == "applied" else 500, "peak_mb": peak_kb / 1024}))


if __name__ == "__main__":
    main()
