"""Bulk jobs: the job records, their chunk messages on SQS, and their results in S3.

A job (`jobs` table, keyed by store then job id, so a store only ever reads its own) counts its
rows, the rows applied and failed, and the chunks counted so far: `counted` is the set of chunk
numbers whose rows are in the counters. Counting a chunk is one conditional UpdateItem (ADD to
the counters and the set, unless the set holds the chunk already), so a chunk redelivered after
it was counted is never counted twice. Each chunk is one message of the `bulk-jobs` queue; its
outcomes are one JSONL object in the jobs bucket, `results/<store>/<job>/<chunk>.jsonl`, written
before the chunk is counted (a rerun writes the same bytes again).

Outbox of the chunk messages: a job is written queued with `chunks_unsent_shard` set (the sparse
`chunks-unsent-index`), and the attribute is removed once its messages are all sent; a process
that died in between leaves the job in the index, where the sweeper finds it and sends them
(`unsent_jobs`). Ending a job is one transaction with whatever must happen with it (its
`job.finished` event). The results of a large job are also kept as one file per format,
`results/<store>/<job>.jsonl|csv`, handed out as a presigned GET URL (`results_url`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
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
from pynamodb.indexes import GlobalSecondaryIndex, KeysOnlyProjection

from chalicelib import aws
from chalicelib.config import get_settings
from chalicelib.storage.base import shard_of, table
from chalicelib.storage.errors import ConditionFailedError, TransactionCancelledError
from chalicelib.storage.tables import TableModel
from chalicelib.storage.transactions import Transaction

QUEUE = "bulk-jobs"
BUCKET = "jobs"
SEND_BATCH = 10  # SendMessageBatch's limit
UNSENT_SHARDS = 4  # partitions of the chunks-unsent index
PART_BYTES = 8 * 1024 * 1024  # a results file's multipart part (S3: at least 5 MB but the last)

AWAITING_UPLOAD = "awaiting_upload"
QUEUED = "queued"
RUNNING = "running"
DONE = "done"
FAILED = "failed"
CANCELLED = "cancelled"
ENDED = frozenset({DONE, FAILED, CANCELLED})


class JobsWithUnsentChunksIndex(GlobalSecondaryIndex["JobModel"]):
    class Meta:
        index_name = "chunks-unsent-index"
        projection = KeysOnlyProjection()  # the sweeper reads each job it finds

    chunks_unsent_shard = UnicodeAttribute(hash_key=True)
    created_at = UTCDateTimeAttribute(range_key=True)


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
    campaign_id = UnicodeAttribute(null=True)  # the campaign of a coupons or rewards job
    # The outbox: set while its chunk messages may not all be sent (see the module docstring).
    chunks_unsent_shard = UnicodeAttribute(null=True)
    results_kept_at = UTCDateTimeAttribute(null=True)  # when its results files were written

    by_unsent_chunks = JobsWithUnsentChunksIndex()


class JobNotFound(Exception):
    """No job with this id in this store."""


def now() -> datetime:
    return datetime.now(UTC)


def save_new(job: JobModel) -> None:
    """Write a new job; a queued one owes its chunk messages until `chunks_sent`."""
    if job.state == QUEUED:
        job.chunks_unsent_shard = shard_of(job.job_id, UNSENT_SHARDS)
    job.save(condition=JobModel.job_id.does_not_exist())


def chunks_sent(job: JobModel) -> None:
    """Every chunk message of the job is on the queue: it leaves the outbox."""
    _update(job, [JobModel.chunks_unsent_shard.remove()], JobModel.job_id.exists())


def unsent_jobs(before: datetime) -> Iterator[JobModel]:
    """Jobs written before `before` whose chunk messages may not all have been sent."""
    for shard in range(UNSENT_SHARDS):
        yield from JobModel.by_unsent_chunks.query(str(shard), JobModel.created_at < before)


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
    """awaiting_upload -> queued, with its counts, owing its chunk messages; False when it was
    started already."""
    return _update(
        job,
        [
            JobModel.state.set(QUEUED),
            JobModel.rows.set(rows),
            JobModel.chunks.set(chunks),
            JobModel.chunks_unsent_shard.set(shard_of(job.job_id, UNSENT_SHARDS)),
        ],
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


def end(
    job: JobModel,
    state: str,
    from_states: Iterable[str],
    error: Any = None,
    also: Callable[[Transaction], None] | None = None,
) -> bool:
    """Move the job to an end `state` if it is in one of `from_states`, in one transaction with
    what `also` adds to it (the event of its end); False when it was not in one of them."""
    actions = [JobModel.state.set(state), JobModel.finished_at.set(now())]
    if error is not None:
        actions.append(JobModel.error.set(json.dumps(error, separators=(",", ":"))))
    try:
        with Transaction() as transaction:
            transaction.update(job, actions, condition=JobModel.state.is_in(*from_states))
            if also is not None:
                also(transaction)
    except TransactionCancelledError as failed:
        if failed.refused(JobModel):
            return False
        raise
    return True


def mark_results_kept(job: JobModel) -> None:
    _update(job, [JobModel.results_kept_at.set(now())], JobModel.job_id.exists())


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


def _results_file(store_code: str, job_id: str, form: str) -> str:
    return f"results/{store_code}/{job_id}.{form}"


def keep_results_files(
    store_code: str, job_id: str, lines: Iterable[dict[str, Any]], csv_line: Callable[..., str]
) -> None:
    """Write every outcome once more as one JSONL and one CSV file, streamed: multipart uploads
    of `PART_BYTES` parts, so memory stays flat whatever the job's size."""
    s3 = aws.client("s3")
    uploads = {
        form: _Upload(s3, _results_file(store_code, job_id, form), media)
        for form, media in (("jsonl", "application/x-ndjson"), ("csv", "text/csv; charset=utf-8"))
    }
    uploads["csv"].write(csv_line(None).encode("utf-8"))
    for line in lines:
        uploads["jsonl"].write((json.dumps(line, separators=(",", ":")) + "\n").encode("utf-8"))
        uploads["csv"].write(csv_line(line).encode("utf-8"))
    for upload in uploads.values():
        upload.close()


class _Upload:
    """One S3 object written part by part."""

    def __init__(self, s3: Any, key: str, media_type: str) -> None:
        self.s3, self.key = s3, key
        started = s3.create_multipart_upload(Bucket=_bucket(), Key=key, ContentType=media_type)
        self.upload_id = started["UploadId"]
        self.parts: list[dict[str, Any]] = []
        self.pending = bytearray()

    def write(self, data: bytes) -> None:
        self.pending += data
        if len(self.pending) >= PART_BYTES:
            self._flush()

    def _flush(self) -> None:
        number = len(self.parts) + 1
        answer = self.s3.upload_part(
            Bucket=_bucket(),
            Key=self.key,
            UploadId=self.upload_id,
            PartNumber=number,
            Body=bytes(self.pending),
        )
        self.parts.append({"PartNumber": number, "ETag": answer["ETag"]})
        self.pending = bytearray()

    def close(self) -> None:
        if self.pending or not self.parts:
            self._flush()
        self.s3.complete_multipart_upload(
            Bucket=_bucket(),
            Key=self.key,
            UploadId=self.upload_id,
            MultipartUpload={"Parts": self.parts},
        )


def results_url(store_code: str, job_id: str, form: str, expires_in: int) -> str:
    """A presigned GET URL of the job's results file (signed locally: no call to S3)."""
    return str(
        aws.client("s3").generate_presigned_url(
            "get_object",
            Params={"Bucket": _bucket(), "Key": _results_file(store_code, job_id, form)},
            ExpiresIn=expires_in,
        )
    )


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
