"""Bulk jobs: many rows of one kind of call, applied in chunks from a queue, resumable.

Creating a job checks the whole request first (its kind, its rows being at most
`MAX_INLINE_ROWS`): a refusal writes nothing. Inline rows are kept as one JSONL object in S3;
without rows the job waits for a CSV or JSONL file uploaded to a presigned URL, and starting it
reads the file once, as a stream, to check its header (a CSV's columns must be fields of the
kind, its required ones included), its size (`MAX_UPLOAD_BYTES`) and its row count
(`MAX_FILE_ROWS`): any of these wrong fails the job before a row is applied. Either way the rows
are split into chunks of at most `CHUNK_ROWS` rows (a blank line is no row; a CSV row is one
line), and each chunk is queued as one message naming its byte range of the file, so a message
stays small whatever the rows hold and a chunk worker reads one chunk at a time.

A chunk applies its rows with the kind's own single-call code (`Apply`), which records each
row's answer in the transaction that applies it (`BulkProgress`, one progress per chunk): a
chunk run again after a crash, or delivered twice, answers the rows already applied as recorded
and applies only the rest. Its outcomes are then kept (`storage.jobs.put_results`) and counted
once (`storage.jobs.count_chunk`); the job is done when every chunk is counted. A cancelled job's
chunks not yet started are skipped. A row that does not fit its kind fails only itself.
"""

from __future__ import annotations

import csv
import json
import math
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from chalicelib.domain.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PayloadTooLargeError,
    RewardsError,
    TooManyItemsError,
    error_record,
)
from chalicelib.domain.validation import InputModel, validate
from chalicelib.storage import jobs
from chalicelib.storage.idempotency import BulkProgress
from chalicelib.storage.jobs import JobModel
from chalicelib.timefmt import UTC_SECONDS

MAX_INLINE_ROWS = 1000
MAX_FILE_ROWS = 100_000
MAX_UPLOAD_BYTES = 100 * 1024 * 1024
UPLOAD_URL_SECONDS = 3600
CHUNK_ROWS = 100
# A chunk's row answers are kept as long as SQS may still deliver its message (14 days).
PROGRESS_TTL_SECONDS = 15 * 24 * 3600


class JobNotFoundError(NotFoundError):
    default_message = "No job with this id."


class JobEndedError(ConflictError):
    code = "job_ended"
    default_message = "The job has ended already."


class JobStartedError(ConflictError):
    code = "job_started"
    default_message = "The job is not awaiting its file: started, cancelled or failed already."


class NothingUploadedError(ConflictError):
    code = "nothing_uploaded"
    default_message = "No file has been uploaded to the job's upload URL yet."


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


def present_fields(row: dict[str, str]) -> dict[str, Any]:
    """A CSV row as its single call's body: an empty cell is a field not given."""
    return {name: value for name, value in row.items() if value != ""}


@dataclass(frozen=True)
class Kind:
    """A kind of job: how a chunk's rows are applied, the fields (CSV columns) of its single
    call, those a CSV must have, and how a CSV row becomes that call's body."""

    apply: Apply
    fields: frozenset[str]
    required: frozenset[str]
    from_csv: Callable[[dict[str, str]], dict[str, Any]] = present_fields


@dataclass(frozen=True)
class ChunkMessage:
    """One chunk as queued: its job, number, first row (from 0), and the byte range of the
    file `key` holding its rows; `header`, a CSV's columns (None: JSONL)."""

    store_code: str
    job_id: str
    chunk: int
    first: int
    start: int
    end: int
    key: str
    header: list[str] | None = None

    def body(self) -> dict[str, Any]:
        return {
            "storeCode": self.store_code,
            "jobId": self.job_id,
            "chunk": self.chunk,
            "first": self.first,
            "start": self.start,
            "end": self.end,
            "key": self.key,
            "header": self.header,
        }

    @classmethod
    def parse(cls, text: str) -> ChunkMessage:
        data = json.loads(text)
        header = data.get("header")
        return cls(
            str(data["storeCode"]),
            str(data["jobId"]),
            int(data["chunk"]),
            int(data["first"]),
            int(data["start"]),
            int(data["end"]),
            str(data["key"]),
            None if header is None else [str(name) for name in header],
        )


def _is_row(line: bytes) -> bool:
    return bool(line.strip())


def _split(
    job: JobModel, lines: Iterable[bytes], offset: int, header: list[str] | None, limit: int
) -> tuple[list[ChunkMessage], int]:
    """The chunk messages covering `lines` (from byte `offset` of the job's file), and the
    rows; more than `limit` rows is `TooManyItemsError`. Reads the lines once."""
    messages: list[ChunkMessage] = []
    rows = 0
    start = offset
    in_chunk = 0
    for line in lines:
        offset += len(line)
        if not _is_row(line):
            continue
        rows += 1
        in_chunk += 1
        if rows > limit:
            raise TooManyItemsError(
                {"rows": [f"At most {limit} rows a job; the file has more."]},
                f"Too many rows: at most {limit} a job.",
            )
        if in_chunk == CHUNK_ROWS:
            messages.append(_message(job, len(messages), rows - in_chunk, start, offset, header))
            start, in_chunk = offset, 0
    if in_chunk:
        messages.append(_message(job, len(messages), rows - in_chunk, start, offset, header))
    return messages, rows


def _message(
    job: JobModel, number: int, first: int, start: int, end: int, header: list[str] | None
) -> ChunkMessage:
    assert job.input_key is not None  # set when the job is made
    return ChunkMessage(
        job.store_code, job.job_id, number, first, start, end, job.input_key, header
    )


def create_job(
    store_code: str, actor: str, data: Any, kinds: Mapping[str, Kind]
) -> tuple[JobModel, str | None]:
    """Check a job request and make the job: with its rows, kept and queued (the job starts at
    once); without, awaiting its file, with the presigned URL to upload it to."""
    request = validate(JobRequest, data)
    if request.kind not in kinds:
        raise InvalidInputError({"kind": [f"The kind must be one of: {', '.join(sorted(kinds))}."]})
    rows = request.rows
    if rows is not None and len(rows) > MAX_INLINE_ROWS:
        raise TooManyItemsError(
            {"rows": [f"At most {MAX_INLINE_ROWS} rows inline; {len(rows)} given."]},
            f"Too many rows: at most {MAX_INLINE_ROWS} inline; upload a file for more.",
        )
    job_id = uuid.uuid4().hex
    job = JobModel(
        store_code,
        job_id,
        kind=request.kind,
        format=request.format,
        state=jobs.AWAITING_UPLOAD if rows is None else jobs.QUEUED,
        actor=actor,
        rows=0,
        chunks=0,
        applied=0,
        failed=0,
        created_at=jobs.now(),
        input_key=jobs.input_key(store_code, job_id, request.format if rows is None else "jsonl"),
    )
    if rows is None:
        jobs.save_new(job)
        return job, jobs.upload_url(job.input_key, UPLOAD_URL_SECONDS)
    lines = [json.dumps(row, separators=(",", ":")).encode("utf-8") + b"\n" for row in rows]
    messages, job.rows = _split(job, lines, 0, None, MAX_INLINE_ROWS)
    job.chunks = len(messages)
    jobs.put_input(job.input_key, b"".join(lines))
    jobs.save_new(job)
    _queue(job, messages)
    return get_job(store_code, job_id), None


def _queue(job: JobModel, messages: list[ChunkMessage]) -> None:
    if not messages:
        jobs.end(job, jobs.DONE, [jobs.QUEUED])
    jobs.send_chunks(message.body() for message in messages)


def _header(line: bytes, kind: Kind) -> list[str]:
    """A CSV's columns, checked against the kind's fields."""
    try:
        header = [name.strip() for name in next(csv.reader([line.decode("utf-8-sig")]))]
    except (UnicodeDecodeError, StopIteration, csv.Error):
        header = []
    unknown = [name for name in header if name not in kind.fields]
    missing = sorted(kind.required - set(header))
    problems = []
    if not header:
        problems.append("The file must start with a header line naming its columns.")
    if unknown:
        problems.append(f"Unknown columns: {', '.join(unknown)}.")
    if missing:
        problems.append(f"Missing columns: {', '.join(missing)}.")
    if len(set(header)) != len(header):
        problems.append("A column is named twice.")
    if problems:
        raise InvalidInputError({"header": problems}, "The file's header does not match its kind.")
    return header


def start_job(store_code: str, job_id: str, kinds: Mapping[str, Kind]) -> JobModel:
    """Check the uploaded file (size, header, rows) and queue its chunks. A file that fails a
    check fails the job, with no row applied, and the refusal is raised."""
    job = get_job(store_code, job_id)
    if job.state != jobs.AWAITING_UPLOAD or job.input_key is None:
        raise JobStartedError()
    size = jobs.input_size(job.input_key)
    if size is None:
        raise NothingUploadedError()
    try:
        if size > MAX_UPLOAD_BYTES:
            raise PayloadTooLargeError(f"The file is over {MAX_UPLOAD_BYTES} bytes.")
        lines = jobs.input_lines(job.input_key)
        offset, header = 0, None
        if job.format == "csv":
            for line in lines:
                offset += len(line)
                if _is_row(line):
                    header = _header(line, kinds[job.kind])
                    break
            if header is None:
                _header(b"", kinds[job.kind])
        messages, rows = _split(job, lines, offset, header, MAX_FILE_ROWS)
    except RewardsError as error:
        jobs.end(job, jobs.FAILED, [jobs.AWAITING_UPLOAD], error_record(error))
        raise
    if not jobs.mark_queued(job, rows, len(messages)):
        raise JobStartedError()
    _queue(get_job(store_code, job_id), messages)
    return get_job(store_code, job_id)


def get_job(store_code: str, job_id: str) -> JobModel:
    try:
        return jobs.get_job(store_code, job_id)
    except jobs.JobNotFound as error:
        raise JobNotFoundError() from error


def cancel_job(store_code: str, job_id: str) -> JobModel:
    """Stop a job: its chunks not yet started are skipped (one running finishes); a job
    awaiting its file will not start."""
    job = get_job(store_code, job_id)
    if not jobs.end(job, jobs.CANCELLED, [jobs.AWAITING_UPLOAD, jobs.QUEUED, jobs.RUNNING]):
        raise JobEndedError()
    return get_job(store_code, job_id)


def results(store_code: str, job_id: str) -> Iterator[dict[str, Any]]:
    """Every row's outcome kept so far (`RowOutcome.line`), in row order."""
    return jobs.read_results(store_code, job_id)


def _rows(data: bytes, header: list[str] | None, kind: Kind) -> list[Any]:
    """A chunk's rows as its single call's bodies; a line that cannot be read is passed as it
    is, for the call to refuse (that row only)."""
    rows: list[Any] = []
    for line in data.splitlines():
        if not _is_row(line):
            continue
        text = line.decode("utf-8", errors="replace")
        if header is None:
            try:
                rows.append(json.loads(text))
            except ValueError:
                rows.append(text)
            continue
        try:
            values = next(csv.reader([text]))
        except csv.Error:
            values = []
        rows.append(
            kind.from_csv(dict(zip(header, values, strict=True)))
            if len(values) == len(header)
            else text
        )
    return rows


def run_chunk(message: ChunkMessage, kinds: Mapping[str, Kind]) -> str:
    """Apply one chunk's rows (those not applied before), keep and count their outcomes, and
    end the job with its last chunk. Safe to run again, whatever step a run died at."""
    job = get_job(message.store_code, message.job_id)
    if job.state in jobs.ENDED:
        return "skipped"
    if job.state == jobs.QUEUED:
        jobs.mark_running(job)
    kind = kinds[job.kind]
    data = jobs.read_input(message.key, message.start, message.end)
    rows = _rows(data, message.header, kind)
    progress = BulkProgress(
        f"job#{message.store_code}#{message.job_id}#{message.chunk}",
        PROGRESS_TTL_SECONDS,
        resumed=True,  # any run of a chunk may follow one that died
    )
    chunk = Chunk(message.store_code, message.job_id, job.actor, progress)
    outcomes = kind.apply(chunk, rows)
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
    shown: dict[str, Any] = {
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
    if job.error is not None:
        shown["error"] = json.loads(job.error)
    return shown


def _time(value: Any) -> str | None:
    return None if value is None else value.strftime(UTC_SECONDS)
