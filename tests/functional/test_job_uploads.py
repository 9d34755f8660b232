"""Bulk jobs from an uploaded CSV or JSONL file: the presigned URL, the checks that fail the
whole job before any row (header, size, row count), and rows that fail only themselves."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib.domain import bulk_files, bulk_jobs
from tests.fixtures.clients import bearer, body_of
from tests.fixtures.jobs import drain, job_of, new_upload, queued, results, start, upload


def test_a_csv_is_uploaded_started_and_each_bad_row_fails_alone(client: Any) -> None:
    job = new_upload(client, "points.instant", "csv")
    assert job["state"] == "awaiting_upload" and job["uploadUrl"].startswith("http")
    upload(
        job,
        "email,amount\r\n"
        "a@example.com,100\r\n"
        "\r\n"  # a blank line is no row
        "b@example.com,many\r\n"  # not a whole number: that row's validation error
        "c@example.com\r\n"  # a row of another width
        'd@example.com,"+7"\r\n',
    )

    started = start(client, job)
    assert started.status_code == 200, started.body
    assert body_of(started)["state"] == "queued" and body_of(started)["rows"] == 4
    drain()
    shown = body_of(job_of(client, job["id"]))
    assert (shown["state"], shown["applied"], shown["failed"]) == ("done", 2, 2)
    lines = results(client, job["id"], "csv")
    assert [row["applied"] for row in lines] == ["true", "false", "false", "true"]
    assert json.loads(lines[0]["result"])["AvailablePoints"] == 100
    assert "amount" in json.loads(lines[1]["error"])["errors"]
    assert json.loads(lines[2]["error"])["code"] == "validation_failed"
    assert json.loads(lines[3]["result"])["amount"] == 7


def test_a_jsonl_upload_with_an_unreadable_line_fails_that_line_only(client: Any) -> None:
    job = new_upload(client, "recipients.import", "jsonl")
    recipient = {
        "email": "u@example.com",
        "firstname": "U",
        "surname": "V",
        "address1": "1 High St",
        "town": "Leeds",
        "postcode": "LS1 1AA",
    }
    upload(job, json.dumps(recipient) + "\n{not json\n")
    assert start(client, job).status_code == 200
    drain()
    shown = body_of(job_of(client, job["id"]))
    assert (shown["applied"], shown["failed"]) == (1, 1)
    assert [line["applied"] for line in results(client, job["id"])] == [True, False]


@pytest.mark.parametrize(
    ("header", "problem"),
    [
        ("email,points", "Unknown columns: points."),
        ("email", "Missing columns: amount."),
        ("email,amount,email", "A column is named twice."),
    ],
)
def test_a_header_that_does_not_match_fails_the_job_before_any_row(
    client: Any, header: str, problem: str
) -> None:
    job = new_upload(client, "points.instant", "csv")
    upload(job, f"{header}\na@example.com,5\n")
    refused = start(client, job)
    assert refused.status_code == 422
    assert problem in body_of(refused)["errors"]["header"]
    shown = body_of(job_of(client, job["id"]))
    assert shown["state"] == "failed" and shown["error"]["code"] == "validation_failed"
    assert queued() == 0


def test_a_file_over_the_row_limit_fails_the_job_before_any_row(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk_files, "MAX_FILE_ROWS", 3)
    job = new_upload(client, "points.instant", "csv")
    upload(job, "email,amount\n" + "".join(f"r{i}@example.com,1\n" for i in range(4)))
    refused = start(client, job)
    assert refused.status_code == 422 and body_of(refused)["code"] == "too_many_items"
    assert body_of(job_of(client, job["id"]))["state"] == "failed"
    assert queued() == 0


def test_a_file_over_the_size_limit_fails_the_job(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk_jobs, "MAX_UPLOAD_BYTES", 10)
    job = new_upload(client, "points.instant", "jsonl")
    upload(job, json.dumps({"amount": 1, "email": "a@example.com"}) + "\n")
    refused = start(client, job)
    assert refused.status_code == 413
    assert body_of(job_of(client, job["id"]))["state"] == "failed"


def test_starting_before_the_upload_or_twice_is_a_conflict(client: Any) -> None:
    job = new_upload(client, "points.instant", "jsonl")
    early = start(client, job)
    assert early.status_code == 409 and body_of(early)["code"] == "nothing_uploaded"
    assert body_of(job_of(client, job["id"]))["state"] == "awaiting_upload"
    upload(job, json.dumps({"amount": 1, "email": "a@example.com"}) + "\n")
    assert start(client, job).status_code == 200
    again = start(client, job)
    assert again.status_code == 409 and body_of(again)["code"] == "job_started"


def test_a_large_file_is_split_into_chunks_of_byte_ranges(client: Any) -> None:
    job = new_upload(client, "points.instant", "csv")
    rows = bulk_jobs.CHUNK_ROWS * 2 + 1
    upload(job, "email,amount\n" + "".join(f"r{i}@example.com,1\n" for i in range(rows)))
    assert body_of(start(client, job))["rows"] == rows
    assert queued() == 3
    drain()
    shown = body_of(job_of(client, job["id"]))
    assert (shown["state"], shown["applied"]) == ("done", rows)
    assert [line["row"] for line in results(client, job["id"])] == list(range(1, rows + 1))


def test_a_job_awaiting_its_file_may_be_cancelled_and_then_never_starts(client: Any) -> None:
    job = new_upload(client, "points.instant", "jsonl")
    cancelled = client.post(f"/jobs/{job['id']}/cancel", headers=bearer())
    assert cancelled.status_code == 200 and body_of(cancelled)["state"] == "cancelled"
    upload(job, json.dumps({"amount": 1, "email": "a@example.com"}) + "\n")
    refused = start(client, job)
    assert refused.status_code == 409 and body_of(refused)["code"] == "job_started"
    assert queued() == 0
