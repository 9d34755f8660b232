"""A bulk job's files: its rows read as records, split into chunk messages, and its results as CSV.

A job's input is one file (JSONL, or CSV with a header line) kept in S3. Starting a job reads it
once, as a stream (`input_messages`): a CSV's header must name fields of the kind, its required
ones included, and the rows are at most `MAX_FILE_ROWS`. The rows are split into chunks of at
most `CHUNK_ROWS` rows (a blank line is no row), each queued as one message naming its byte range
of the file (`ChunkMessage`), so a message stays small whatever the rows hold and a chunk worker
reads one chunk at a time (`chunk_rows`). A CSV record may span lines (RFC 4180: a quoted field
holds line breaks): the file is read as records, not lines (`_records`), for the split and for
each chunk's rows alike.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from chalicelib.domain.errors import InvalidInputError, TooManyItemsError
from chalicelib.storage import jobs
from chalicelib.storage.jobs import JobModel

MAX_FILE_ROWS = 100_000
CHUNK_ROWS = 100
RESULT_COLUMNS = ("row", "applied", "result", "error")


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


def _records(lines: Iterable[bytes], quoted: bool) -> Iterator[bytes]:
    """The file's records: its lines, or with `quoted` (a CSV) its lines joined while a quoted
    field is open, so a field holding a line break stays in its record (RFC 4180)."""
    pending = b""
    for line in lines:
        pending += line
        if not quoted or pending.count(b'"') % 2 == 0:
            yield pending
            pending = b""
    if pending:
        yield pending


def split(
    job: JobModel, records: Iterable[bytes], offset: int, header: list[str] | None, limit: int
) -> tuple[list[ChunkMessage], int]:
    """The chunk messages covering `records` (from byte `offset` of the job's file), and the
    rows; more than `limit` rows is `TooManyItemsError`. Reads the records once."""
    messages: list[ChunkMessage] = []
    rows = 0
    start = offset
    in_chunk = 0
    for record in records:
        offset += len(record)
        if not _is_row(record):
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


def input_messages(
    job: JobModel, fields: frozenset[str], required: frozenset[str]
) -> tuple[list[ChunkMessage], int]:
    """Read the job's file once, as a stream: its header checked (a CSV), its rows split into
    chunk messages."""
    assert job.input_key is not None
    quoted = job.input_key.endswith(".csv")
    records = _records(jobs.input_lines(job.input_key), quoted)
    offset, header = 0, None
    if quoted:
        for record in records:
            offset += len(record)
            if _is_row(record):
                header = _header(record, fields, required)
                break
        if header is None:
            _header(b"", fields, required)
    return split(job, records, offset, header, MAX_FILE_ROWS)


def _header(line: bytes, fields: frozenset[str], required: frozenset[str]) -> list[str]:
    """A CSV's columns, checked against the kind's fields."""
    try:
        header = [name.strip() for name in next(csv.reader([line.decode("utf-8-sig")]))]
    except (UnicodeDecodeError, StopIteration, csv.Error):
        header = []
    unknown = [name for name in header if name not in fields]
    missing = sorted(required - set(header))
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


def chunk_rows(
    data: bytes, header: list[str] | None, from_csv: Callable[[dict[str, str]], dict[str, Any]]
) -> list[Any]:
    """A chunk's rows as its single call's bodies; a record that cannot be read is passed as
    it is, for the call to refuse (that row only)."""
    rows: list[Any] = []
    for record in _records(data.splitlines(keepends=True), header is not None):
        if not _is_row(record):
            continue
        text = record.decode("utf-8", errors="replace")
        if header is None:
            try:
                rows.append(json.loads(text))
            except ValueError:
                rows.append(text)
            continue
        try:
            values = next(csv.reader(io.StringIO(text, newline="")))
        except (csv.Error, StopIteration):
            values = []
        rows.append(
            from_csv(dict(zip(header, values, strict=True)))
            if len(values) == len(header)
            else text.rstrip("\r\n")
        )
    return rows


def csv_line(line: dict[str, Any] | None) -> str:
    """One outcome as a CSV record (None: the header): its result or its error as JSON."""
    out = io.StringIO()
    writer = csv.writer(out)
    if line is None:
        writer.writerow(RESULT_COLUMNS)
        return out.getvalue()
    body = line.get("result") if line["applied"] else line.get("error")
    cell = json.dumps(body, separators=(",", ":"))
    writer.writerow(
        [line["row"], "true" if line["applied"] else "false"]
        + ([cell, ""] if line["applied"] else ["", cell])
    )
    return out.getvalue()
