"""Bulk jobs: the job records, their chunk messages on SQS, and their results in S3.

A job (`jobs` table, keyed by store then job id, so a store only ever reads its own) counts its
rows, the rows applied and failed, and the chunks counted so far: `counted` is the set of chunk
numbers whose rows are in the counters. Counting a chunk is one conditional UpdateItem (ADD to
the counters and the set, unless the set holds the chunk already), so a chunk redelivered after
it was counted is never counted twice. Each chunk is one message of the `bulk-jobs` queue; its
outcomes are one JSONL object in the jobs bucket, `results/<store>/<job>/<chunk>.jsonl`, written
before the chunk is counted (a rerun writes the same bytes again).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError
from pynamodb.attributes import (
    NumberAttribute,
    NumberSetAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.exceptions import DoesNotExist

from chalicelib import aws
from chalicelib.config import get_settings
from chalicelib.storage.base import table
from chalicelib.storage.errors import ConditionFailedError
from chalicelib.storage.tables import TableModel

QUEUE = "bulk-jobs"
BUCKET = "jobs"
SEND_BATCH = 10  # SendMessageBatch's limit

AWAITING_UPLOAD = "awaiting_upload"
QUEUED = "queued"
RUNNING = "running"
DONE = "done"
FAILED = "failed"
CANCELLED = "cancelled"
ENDED = frozenset({DONE, FAILED, CANCELLED})


@table("jobs")
class JobModel(TableModel):
    class Meta:
        pass

    store_code = UnicodeAttribute(hash_key=True)
    job_id = UnicodeAttribute(range_key=True)
    kind = UnicodeAttribute()
    format = UnicodeAttribute()
    state = UnicodeAttribute()
    actor = UnicodeAttribute()  # who created it: the ledger entries' actor
    rows = NumberAttribute(default=0)
    chunks = NumberAttribute(default=0)
    applied = NumberAttribute(default=0)
    failed = NumberAttribute(default=0)
    counted = NumberSetAttribute(null=True)  # chunk numbers already in the counters
    created_at = UTCDateTimeAttribute()
    started_at = UTCDateTimeAttribute(null=True)
    finished_at = UTCDateTimeAttribute(null=True)
    error = UnicodeAttribute(null=True)  # JSON: why the whole job failed
    input_key = UnicodeAttribute(null=True)  # the S3 key of its rows (inline or uploaded)


class JobNotFound(Exception):
    """No job with this id in this store."""


def now() -> datetime:
    return datetime.now(UTC)


def save_new(job: JobModel) -> None:
    job.save(condition=JobModel.job_id.does_not_exist())


def get_job(store_code: str, job_id: str) -> JobModel:
    try:
        return JobModel.get(store_code, job_id, consistent_read=True)
    except DoesNotExist as error:
        raise JobNotFound() from error


def _update(job: JobModel, actions: list[Any], condition: Any) -> bool:
    """Apply `actions` when `condition` holds; False when it did not (nothing written)."""
    try:
        job.update(actions=actions, condition=condition)
    except ConditionFailedError:
        return False
    return True


def mark_queued(job: JobModel, rows: int, chunks: int) -> bool:
    """awaiting_upload -> queued, with its counts; False when it was started already."""
    return _update(
        job,
        [JobModel.state.set(QUEUED), JobModel.rows.set(rows), JobModel.chunks.set(chunks)],
        JobModel.state == AWAITING_UPLOAD,
    )


def mark_running(job: JobModel) -> bool:
    """queued -> running, with its start time; False when it had left `queued` already."""
    return _update(
        job,
        [JobModel.state.set(RUNNING), JobModel.started_at.set(now())],
        JobModel.state == QUEUED,
    )


def count_chunk(job: JobModel, chunk: int, applied: int, failed: int) -> bool:
    """Add one chunk's outcomes to the counters, once: False when it was counted before."""
    return _update(
        job,
        [
            JobModel.applied.add(applied),
            JobModel.failed.add(failed),
            JobModel.counted.add({chunk}),
        ],
        JobModel.counted.does_not_exist() | ~JobModel.counted.contains(chunk),
    )


def end(job: JobModel, state: str, from_states: Iterable[str], error: Any = None) -> bool:
    """Move the job to an end `state` if it is in one of `from_states`."""
    actions = [JobModel.state.set(state), JobModel.finished_at.set(now())]
    if error is not None:
        actions.append(JobModel.error.set(json.dumps(error, separators=(",", ":"))))
    return _update(job, actions, JobModel.state.is_in(*from_states))


# --- the queue ---------------------------------------------------------------------------------


def send_chunks(messages: Iterable[dict[str, Any]]) -> None:
    """Queue each message (a chunk), ten a call."""
    sqs = aws.client("sqs")
    url = aws.queue_url(QUEUE)
    batch: list[dict[str, Any]] = []
    for message in messages:
        batch.append({"Id": str(len(batch)), "MessageBody": json.dumps(message)})
        if len(batch) == SEND_BATCH:
            _send(sqs, url, batch)
            batch = []
    if batch:
        _send(sqs, url, batch)


def _send(sqs: Any, url: str, batch: list[dict[str, Any]]) -> None:
    answer = sqs.send_message_batch(QueueUrl=url, Entries=batch)
    if answer.get("Failed"):
        raise RuntimeError(f"{len(answer['Failed'])} chunk message(s) not queued")


# --- the results -------------------------------------------------------------------------------


def _bucket() -> str:
    return get_settings().bucket_name(BUCKET)


def _results_prefix(store_code: str, job_id: str) -> str:
    return f"results/{store_code}/{job_id}/"


def put_results(store_code: str, job_id: str, chunk: int, lines: list[dict[str, Any]]) -> None:
    """Keep one chunk's outcomes, a JSON object a line."""
    body = "".join(json.dumps(line, separators=(",", ":")) + "\n" for line in lines)
    aws.client("s3").put_object(
        Bucket=_bucket(),
        Key=f"{_results_prefix(store_code, job_id)}{chunk:06d}.jsonl",
        Body=body.encode("utf-8"),
        ContentType="application/x-ndjson",
    )


def read_results(store_code: str, job_id: str) -> Iterator[dict[str, Any]]:
    """Every outcome kept for the job, chunk by chunk in order, read a chunk at a time."""
    s3 = aws.client("s3")
    pages = s3.get_paginator("list_objects_v2").paginate(
        Bucket=_bucket(), Prefix=_results_prefix(store_code, job_id)
    )
    for page in pages:  # S3 lists keys in order: the zero-padded chunk numbers
        for item in page.get("Contents", []):
            body = s3.get_object(Bucket=_bucket(), Key=item["Key"])["Body"]
            for line in body.iter_lines():
                if line:
                    yield json.loads(line)


# --- the input ---------------------------------------------------------------------------------


def input_key(store_code: str, job_id: str, format: str) -> str:
    return f"input/{store_code}/{job_id}.{format}"


def put_input(key: str, body: bytes) -> None:
    """Keep a job's inline rows, a JSON value a line; chunks read their byte ranges of it."""
    aws.client("s3").put_object(
        Bucket=_bucket(), Key=key, Body=body, ContentType="application/x-ndjson"
    )


def upload_url(key: str, expires_in: int) -> str:
    """A presigned PUT URL for the job's file (signed locally: no call to S3)."""
    return str(
        aws.client("s3").generate_presigned_url(
            "put_object", Params={"Bucket": _bucket(), "Key": key}, ExpiresIn=expires_in
        )
    )


def input_size(key: str) -> int | None:
    """The size of an uploaded file in bytes; None when nothing was uploaded."""
    try:
        answer = aws.client("s3").head_object(Bucket=_bucket(), Key=key)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None
        raise
    return int(answer["ContentLength"])


def input_lines(key: str) -> Iterator[bytes]:
    """The file's lines, each with its line ending, read as a stream (memory flat in its size)."""
    body = aws.client("s3").get_object(Bucket=_bucket(), Key=key)["Body"]
    pending = b""
    for block in body.iter_chunks(64 * 1024):
        pending += block
        *lines, pending = pending.split(b"\n")
        for line in lines:
            yield line + b"\n"
    if pending:
        yield pending


def read_input(key: str, start: int, end: int) -> bytes:
    """Bytes `start` to `end` (excluded) of a job's rows: one chunk, whatever the file's size."""
    answer = aws.client("s3").get_object(
        Bucket=_bucket(), Key=key, Range=f"bytes={start}-{end - 1}"
    )
    data: bytes = answer["Body"].read()
    return data
