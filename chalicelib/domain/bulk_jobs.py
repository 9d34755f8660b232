"""Bulk jobs: many rows of one kind of call, applied in chunks from a queue, resumable.

Creating a job checks the whole request first (its kind, its rows being at most
`MAX_INLINE_ROWS`): a refusal writes nothing. Inline rows are kept as one JSONL object in S3;
without rows the job waits for a CSV or JSONL file uploaded to a presigned URL, and starting it
reads the file once (its size at most `MAX_UPLOAD_BYTES`, its header and rows as
chalicelib/domain/bulk_files.py checks them): anything wrong fails the job before a row is
applied. Either way the rows are split into chunks, each queued as one message naming its byte
range of the file (`bulk_files.ChunkMessage`).

A chunk applies its rows with the kind's own single-call code (`Apply`), which records each
row's answer in the transaction that applies it (`BulkProgress`, one progress per chunk): a
chunk run again after a crash, or delivered twice, answers the rows already applied as recorded
and applies only the rest. Its outcomes are then kept (`storage.jobs.put_results`) and counted
once (`storage.jobs.count_chunk`); the job is done when every chunk is counted. A cancelled job's
chunks not yet started are skipped. A row that does not fit its kind fails only itself.

Crash between the job's commit and its chunk messages: the job is written owing its messages
(the outbox of `storage.jobs`); `sweep_unsent` splits the file again and sends them (a chunk
delivered twice is applied once). When the last chunk is counted, the kind's `finish` runs (the
coupons' recount), a job of more than `LINK_ROWS` rows keeps its results as one file per format
(`GET /jobs/{id}/results` then answers a presigned link), and the job ends done in one
transaction with its `job.finished` event; each step is repeated by a redelivered chunk if a
crash cut it short.

In a dry run (chalicelib/dry_run.py) creating a job with inline rows applies them as rehearsal,
chunk by chunk with the kinds' own code, and answers the counts and every row's outcome the job
would have: nothing is kept, queued or applied. A row sees the items earlier rows would write
when it reads them by key, not through a Query (a customer's point batches): rows that spend
what earlier rows of the same job grant are answered as the stored state stands.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from chalicelib import dry_run
from chalicelib.domain import bulk_files
from chalicelib.domain.bulk_files import CHUNK_ROWS, ChunkMessage
from chalicelib.domain.catalog.campaigns import get_campaign
from chalicelib.domain.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PayloadTooLargeError,
    RewardsError,
    TooManyItemsError,
    error_record,
)
from chalicelib.domain.events import event_log
from chalicelib.domain.validation import InputModel, validate
from chalicelib.storage import jobs
from chalicelib.storage.idempotency import BulkProgress
from chalicelib.storage.jobs import JobModel
from chalicelib.timefmt import UTC_SECONDS

MAX_INLINE_ROWS = 1000
MAX_UPLOAD_BYTES = 100 * 1024 * 1024
UPLOAD_URL_SECONDS = 3600
LINK_ROWS = MAX_INLINE_ROWS  # a job of more rows hands out its results as a presigned link
RESULTS_URL_SECONDS = 3600
UNSENT_GRACE = timedelta(minutes=5)  # a job's own request sends its chunks well within this
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
    campaignId: str | None = None  # the campaign of a coupons or rewards job


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
    campaign_id: str | None = None

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
    call, those a CSV must have, and how a CSV row becomes that call's body; `campaign`, whether
    its job names one (`campaignId`); `finish`, what runs once when its last chunk is counted."""

    apply: Apply
    fields: frozenset[str]
    required: frozenset[str]
    from_csv: Callable[[dict[str, str]], dict[str, Any]] = present_fields
    campaign: bool = False
    finish: Callable[[JobModel], None] | None = None


def create_job(
    store_code: str, actor: str, data: Any, kinds: Mapping[str, Kind]
) -> tuple[JobModel, str | None, list[dict[str, Any]] | None]:
    """Check a job request and make the job: with its rows, kept and queued (the job starts at
    once); without, awaiting its file, with the presigned URL to upload it to. In a dry run,
    the job as it would end and its rows' outcomes instead (see the module docstring)."""
    request = validate(JobRequest, data)
    if request.kind not in kinds:
        raise InvalidInputError({"kind": [f"The kind must be one of: {', '.join(sorted(kinds))}."]})
    kind = kinds[request.kind]
    if kind.campaign:
        if request.campaignId is None:
            raise InvalidInputError({"campaignId": [f"A {request.kind} job names its campaign."]})
        get_campaign(store_code, request.campaignId)  # the campaign of this store, or a 404
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
        campaign_id=request.campaignId if kind.campaign else None,
    )
    if rows is None:
        if dry_run.active():
            return job, None, None  # no file will be kept: nowhere to upload it to
        jobs.save_new(job)
        return job, jobs.upload_url(job.input_key, UPLOAD_URL_SECONDS), None
    if dry_run.active():
        return _rehearsed(job, rows, kind)
    lines = [json.dumps(row, separators=(",", ":")).encode("utf-8") + b"\n" for row in rows]
    messages, job.rows = bulk_files.split(job, lines, 0, None, MAX_INLINE_ROWS)
    job.chunks = len(messages)
    jobs.put_input(job.input_key, b"".join(lines))
    jobs.save_new(job)
    _queue(job, messages)
    return get_job(store_code, job_id), None, None


def _rehearsed(
    job: JobModel, rows: list[Any], kind: Kind
) -> tuple[JobModel, None, list[dict[str, Any]]]:
    """The job's rows applied in a dry run, chunk by chunk as its worker would: the job as it
    would end, and every row's outcome."""
    lines: list[dict[str, Any]] = []
    for number, first in enumerate(range(0, len(rows), CHUNK_ROWS)):
        outcomes = kind.apply(_chunk(job, number), rows[first : first + CHUNK_ROWS])
        lines += [outcome.line(first + index + 1) for index, outcome in enumerate(outcomes)]
    job.rows = len(rows)
    job.applied = sum(1 for line in lines if line["applied"])
    job.failed = len(lines) - job.applied
    job.state = jobs.DONE
    return job, None, lines


def _chunk(job: JobModel, number: int) -> Chunk:
    """What chunk `number` of the job applies its rows with."""
    progress = BulkProgress(
        f"job#{job.store_code}#{job.job_id}#{number}",
        PROGRESS_TTL_SECONDS,
        resumed=True,  # any run of a chunk may follow one that died
    )
    return Chunk(job.store_code, job.job_id, job.actor, progress, job.campaign_id)


def _queue(job: JobModel, messages: list[ChunkMessage]) -> None:
    if not messages:
        _end(job, jobs.DONE, [jobs.QUEUED])
    jobs.send_chunks(message.body() for message in messages)
    jobs.chunks_sent(job)


def _end(job: JobModel, state: str, from_states: Iterable[str], error: Any = None) -> bool:
    """End the job, with its `job.finished` event in the same transaction."""

    def finished(transaction: Any) -> None:
        shown = {**view(job), "state": state, "finishedAt": _time(jobs.now())}
        if error is not None:
            shown["error"] = error
        event_log.job_finished(transaction, job.store_code, shown)

    return jobs.end(job, state, from_states, error, also=finished)


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
        kind = kinds[job.kind]
        messages, rows = bulk_files.input_messages(job, kind.fields, kind.required)
    except RewardsError as error:
        _end(job, jobs.FAILED, [jobs.AWAITING_UPLOAD], error_record(error))
        raise
    if not jobs.mark_queued(job, rows, len(messages)):
        raise JobStartedError()
    _queue(get_job(store_code, job_id), messages)
    return get_job(store_code, job_id)


def sweep_unsent(kinds: Mapping[str, Kind], now: datetime | None = None) -> int:
    """Send the chunk messages of every job that has owed them longer than `UNSENT_GRACE` (its
    request died between writing the job and sending them); how many jobs were finished."""
    swept = 0
    for found in jobs.unsent_jobs((now or jobs.now()) - UNSENT_GRACE):
        job = get_job(found.store_code, found.job_id)
        if job.state in (jobs.QUEUED, jobs.RUNNING):
            # Some messages may have gone out (and run) before the crash: the others are sent.
            counted = set(job.counted or ())
            kind = kinds[job.kind]
            messages, _ = bulk_files.input_messages(job, kind.fields, kind.required)
            _queue(job, [message for message in messages if message.chunk not in counted])
            swept += 1
        else:
            jobs.chunks_sent(job)  # ended since: nothing more will run
    return swept


def get_job(store_code: str, job_id: str) -> JobModel:
    try:
        return jobs.get_job(store_code, job_id)
    except jobs.JobNotFound as error:
        raise JobNotFoundError() from error


def cancel_job(store_code: str, job_id: str) -> JobModel:
    """Stop a job: its chunks not yet started are skipped (one running finishes); a job
    awaiting its file will not start."""
    job = get_job(store_code, job_id)
    if not _end(job, jobs.CANCELLED, [jobs.AWAITING_UPLOAD, jobs.QUEUED, jobs.RUNNING]):
        raise JobEndedError()
    return get_job(store_code, job_id)


def results(store_code: str, job_id: str) -> Iterator[dict[str, Any]]:
    """Every row's outcome kept so far (`RowOutcome.line`), in row order."""
    return jobs.read_results(store_code, job_id)


def results_link(job: JobModel, form: str) -> str | None:
    """A presigned URL of the job's results file in `form`, once kept (a large job's)."""
    if job.results_kept_at is None:
        return None
    return jobs.results_url(job.store_code, job.job_id, form, RESULTS_URL_SECONDS)


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
    rows = bulk_files.chunk_rows(data, message.header, kind.from_csv)
    outcomes = kind.apply(_chunk(job, message.chunk), rows)
    jobs.put_results(
        message.store_code,
        message.job_id,
        message.chunk,
        [outcome.line(message.first + index + 1) for index, outcome in enumerate(outcomes)],
    )
    applied = sum(1 for outcome in outcomes if outcome.applied)
    jobs.count_chunk(job, message.chunk, applied, len(outcomes) - applied)
    _finish_if_complete(message.store_code, message.job_id, kind)
    return "applied"


def _finish_if_complete(store_code: str, job_id: str, kind: Kind) -> None:
    """Done once every chunk is counted (checked by every chunk's run, the last one wins):
    the kind's finish, a large job's results files, then the end and its event."""
    job = get_job(store_code, job_id)
    if len(job.counted or ()) < job.chunks:
        return
    if kind.finish is not None:
        kind.finish(job)
    if job.rows > LINK_ROWS and job.results_kept_at is None:
        jobs.keep_results_files(
            store_code, job_id, results(store_code, job_id), bulk_files.csv_line
        )
        jobs.mark_results_kept(job)
    _end(job, jobs.DONE, [jobs.RUNNING, jobs.QUEUED])


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
