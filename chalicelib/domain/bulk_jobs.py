"""Bulk jobs: many rows of one kind of call, applied in chunks from a queue, resumable.

Creating a job checks the whole request first (its kind, its rows being at most
`MAX_INLINE_ROWS`): a refusal writes nothing. The rows are kept as one JSONL object in S3,
split into chunks of at most `CHUNK_ROWS` rows, and each chunk is queued as one message naming
its byte range, so a message stays small whatever the rows hold and a chunk worker holds one
chunk at a time.

A chunk applies its rows with the kind's own single-call code (`Apply`), which records each
row's answer in the transaction that applies it (`BulkProgress`, one progress per chunk): a
chunk run again after a crash, or delivered twice, answers the rows already applied as recorded
and applies only the rest. Its outcomes are then kept (`storage.jobs.put_results`) and counted
once (`storage.jobs.count_chunk`); the job is done when every chunk is counted. A cancelled job's
chunks not yet started are skipped. A row that does not fit its kind fails only itself.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from chalicelib.domain.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    TooManyItemsError,
)
from chalicelib.domain.validation import InputModel, validate
from chalicelib.storage import jobs
from chalicelib.storage.idempotency import BulkProgress
from chalicelib.storage.jobs import JobModel

MAX_INLINE_ROWS = 1000
CHUNK_ROWS = 100
# A chunk's row answers are kept as long as SQS may still deliver its message (14 days).
PROGRESS_TTL_SECONDS = 15 * 24 * 3600


class JobNotFoundError(NotFoundError):
    default_message = "No job with this id."


class JobEndedError(ConflictError):
    code = "job_ended"
    default_message = "The job has ended already."


class JobRequest(InputModel):
    kind: str
    format: Literal["csv", "jsonl"] = "jsonl"
    rows: list[Any] | None = None


@dataclass(frozen=True)
class RowOutcome:
    """One row's answer: the single call's result when applied, else its error body."""

    applied: bool
    body: dict[str, Any]

    def line(self, row: int) -> dict[str, Any]:
        return {
            "row": row,
            "applied": self.applied,
            "result" if self.applied else "error": self.body,
        }


@dataclass(frozen=True)
class Chunk:
    """What a chunk's rows are applied with: who, for which job, and where answers are kept."""

    store_code: str
    job_id: str
    actor: str
    progress: BulkProgress

    @property
    def reference(self) -> str:
        """The reference of what the job writes (ledger entries): the job."""
        return f"job:{self.job_id}"


Apply = Callable[[Chunk, list[Any]], list[RowOutcome]]


@dataclass(frozen=True)
class ChunkMessage:
    """One chunk as queued: its job, number, first row (from 0) and byte range of the input."""

    store_code: str
    job_id: str
    chunk: int
    first: int
    start: int
    end: int

    def body(self) -> dict[str, Any]:
        return {
            "storeCode": self.store_code,
            "jobId": self.job_id,
            "chunk": self.chunk,
            "first": self.first,
            "start": self.start,
            "end": self.end,
        }

    @classmethod
    def parse(cls, text: str) -> ChunkMessage:
        data = json.loads(text)
        return cls(
            str(data["storeCode"]),
            str(data["jobId"]),
            int(data["chunk"]),
            int(data["first"]),
            int(data["start"]),
            int(data["end"]),
        )


def _chunks(store_code: str, job_id: str, rows: list[Any]) -> tuple[bytes, list[ChunkMessage]]:
    """The rows as JSONL, and the chunk messages covering them."""
    lines = [json.dumps(row, separators=(",", ":")).encode("utf-8") + b"\n" for row in rows]
    messages = []
    offset = 0
    for number, first in enumerate(range(0, len(lines), CHUNK_ROWS)):
        size = sum(len(line) for line in lines[first : first + CHUNK_ROWS])
        messages.append(ChunkMessage(store_code, job_id, number, first, offset, offset + size))
        offset += size
    return b"".join(lines), messages


def create_job(store_code: str, actor: str, data: Any, kinds: Collection[str]) -> JobModel:
    """Check a job request, keep its rows and queue its chunks: the job starts at once."""
    request = validate(JobRequest, data)
    if request.kind not in kinds:
        raise InvalidInputError({"kind": [f"The kind must be one of: {', '.join(sorted(kinds))}."]})
    if request.rows is None:
        raise InvalidInputError({"rows": ["The rows field is required."]})
    rows = request.rows
    if len(rows) > MAX_INLINE_ROWS:
        raise TooManyItemsError(
            {"rows": [f"At most {MAX_INLINE_ROWS} rows inline; {len(rows)} given."]},
            f"Too many rows: at most {MAX_INLINE_ROWS} inline.",
        )
    job_id = uuid.uuid4().hex
    body, messages = _chunks(store_code, job_id, rows)
    job = JobModel(
        store_code,
        job_id,
        kind=request.kind,
        format=request.format,
        state=jobs.QUEUED,
        actor=actor,
        rows=len(rows),
        chunks=len(messages),
        applied=0,
        failed=0,
        created_at=jobs.now(),
    )
    jobs.put_input(store_code, job_id, body)
    jobs.save_new(job)
    if not messages:
        jobs.end(job, jobs.DONE, [jobs.QUEUED])
    jobs.send_chunks(message.body() for message in messages)
    return get_job(store_code, job_id)


def get_job(store_code: str, job_id: str) -> JobModel:
    try:
        return jobs.get_job(store_code, job_id)
    except jobs.JobNotFound as error:
        raise JobNotFoundError() from error


def cancel_job(store_code: str, job_id: str) -> JobModel:
    """Stop a job: its chunks not yet started are skipped (one running finishes)."""
    job = get_job(store_code, job_id)
    if not jobs.end(job, jobs.CANCELLED, [jobs.QUEUED, jobs.RUNNING]):
        raise JobEndedError()
    return get_job(store_code, job_id)


def results(store_code: str, job_id: str) -> Iterator[dict[str, Any]]:
    """Every row's outcome kept so far (`RowOutcome.line`), in row order."""
    return jobs.read_results(store_code, job_id)


def run_chunk(message: ChunkMessage, kinds: Mapping[str, Apply]) -> str:
    """Apply one chunk's rows (those not applied before), keep and count their outcomes, and
    end the job with its last chunk. Safe to run again, whatever step a run died at."""
    job = get_job(message.store_code, message.job_id)
    if job.state in jobs.ENDED:
        return "skipped"
    if job.state == jobs.QUEUED:
        jobs.mark_running(job)
    data = jobs.read_input(message.store_code, message.job_id, message.start, message.end)
    rows = [json.loads(line) for line in data.splitlines() if line]
    progress = BulkProgress(
        f"job#{message.store_code}#{message.job_id}#{message.chunk}",
        PROGRESS_TTL_SECONDS,
        resumed=True,  # any run of a chunk may follow one that died
    )
    chunk = Chunk(message.store_code, message.job_id, job.actor, progress)
    outcomes = kinds[job.kind](chunk, rows)
    jobs.put_results(
        message.store_code,
        message.job_id,
        message.chunk,
        [outcome.line(message.first + index + 1) for index, outcome in enumerate(outcomes)],
    )
    applied = sum(1 for outcome in outcomes if outcome.applied)
    jobs.count_chunk(job, message.chunk, applied, len(outcomes) - applied)
    _finish_if_complete(message.store_code, message.job_id)
    return "applied"


def _finish_if_complete(store_code: str, job_id: str) -> None:
    """Done once every chunk is counted (checked by every chunk's run, the last one wins)."""
    job = get_job(store_code, job_id)
    if len(job.counted or ()) >= job.chunks:
        jobs.end(job, jobs.DONE, [jobs.RUNNING, jobs.QUEUED])


def view(job: JobModel) -> dict[str, Any]:
    """The job as `GET /jobs/{id}` shows it."""
    handled = int(job.applied) + int(job.failed)
    rows = int(job.rows)
    return {
        "id": job.job_id,
        "kind": job.kind,
        "state": job.state,
        "rows": rows,
        "applied": int(job.applied),
        "failed": int(job.failed),
        "remaining": rows - handled,
        "percent": 100 if rows == 0 else math.floor(handled * 100 / rows),
        "startedAt": _time(job.started_at),
        "finishedAt": _time(job.finished_at),
    }


def _time(value: Any) -> str | None:
    return None if value is None else value.strftime("%Y-%m-%dT%H:%M:%SZ")
