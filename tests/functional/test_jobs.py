"""Bulk jobs: created with their rows inline, run chunk by chunk from SQS, counted, cancelled,
their results downloaded, each row answered as its single call answers it."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest

from chalicelib import aws
from chalicelib.domain import bulk_jobs
from chalicelib.domain.access.auth import Role
from chalicelib.jobs import bulk_chunks
from chalicelib.storage.jobs import QUEUE, JobModel
from tests.fixtures.clients import OTHER_API_KEY, STORE, bearer, body_of, jwt_headers, token_for
from tests.fixtures.jobs import ADDRESS, create, drain, job_of, results


def test_an_instant_job_applies_every_row_and_answers_each_as_the_single_call(
    client: Any,
) -> None:
    rows = [
        {"amount": 100, "email": "a@example.com"},
        {"amount": -500, "email": "a@example.com"},  # refused: only 100
        {"amount": "many", "email": "b@example.com"},  # not the kind's fields
        {"amount": 7, "email": "a@example.com"},
    ]
    created = create(client, "points.instant", rows)
    assert created.status_code == 201
    job = body_of(created)
    assert job["state"] == "queued" and job["rows"] == 4 and job["remaining"] == 4

    assert drain() == 1
    shown = body_of(job_of(client, job["id"]))
    assert shown["state"] == "done"
    assert (shown["applied"], shown["failed"], shown["remaining"]) == (2, 2, 0)
    assert shown["percent"] == 100 and shown["startedAt"] and shown["finishedAt"]

    single = body_of(
        client.post(
            "/api/v1/points/test-api-key-OTHER-0123456789/INSTANT",
            headers=bearer(OTHER_API_KEY),
            body=json.dumps(rows),
        )
    )
    lines = results(client, job["id"])
    assert [line["row"] for line in lines] == [1, 2, 3, 4]
    assert [line["applied"] for line in lines] == [True, False, False, True]
    assert lines[0]["result"] == single[0]
    assert lines[1]["error"] == single[1]["error"]
    assert lines[2]["error"] == single[2]["error"]
    assert lines[3]["result"] == single[3]
    as_csv = results(client, job["id"], "csv")
    assert [row["applied"] for row in as_csv] == ["true", "false", "false", "true"]
    assert json.loads(as_csv[1]["error"])["code"] == "insufficient_points"


def test_rows_are_split_into_chunks_each_one_message_counted_once(client: Any) -> None:
    rows = [{"amount": 1, "email": f"c{i}@example.com"} for i in range(bulk_jobs.CHUNK_ROWS + 5)]
    job = body_of(create(client, "points.instant", rows))

    assert drain(limit=1) == 1
    shown = body_of(job_of(client, job["id"]))
    assert shown["state"] == "running"
    assert (shown["applied"], shown["remaining"], shown["percent"]) == (100, 5, 95)
    assert drain() == 1
    assert body_of(job_of(client, job["id"]))["state"] == "done"


def test_a_recipients_import_creates_each_recipient_and_fails_bad_rows_alone(
    client: Any,
) -> None:
    rows = [
        {**ADDRESS, "email": "r1@example.com", "firstname": "Ann", "surname": "Lee"},
        {**ADDRESS, "email": "not-an-email", "firstname": "Bo", "surname": "Ng"},
        {**ADDRESS, "email": "r1@example.com", "firstname": "Ann", "surname": "Again"},  # taken
        "not an object",
    ]
    job = body_of(create(client, "recipients.import", rows))
    drain()
    shown = body_of(job_of(client, job["id"]))
    assert (shown["state"], shown["applied"], shown["failed"]) == ("done", 1, 3)
    lines = results(client, job["id"])
    assert lines[0]["result"]["email"] == "r1@example.com"
    assert lines[0]["result"]["id"]
    assert (
        lines[1]["error"]["code"] == "validation_failed" and "email" in lines[1]["error"]["errors"]
    )
    assert "email" in lines[2]["error"]["errors"]
    assert lines[3]["error"]["code"] == "validation_failed"


def test_a_cancelled_job_skips_the_chunks_not_yet_started(client: Any) -> None:
    rows = [{"amount": 1, "email": f"x{i}@example.com"} for i in range(bulk_jobs.CHUNK_ROWS * 2)]
    job = body_of(create(client, "points.instant", rows))
    drain(limit=1)

    cancelled = client.post(f"/jobs/{job['id']}/cancel", headers=bearer())
    assert cancelled.status_code == 200
    assert body_of(cancelled)["state"] == "cancelled"
    drain()
    shown = body_of(job_of(client, job["id"]))
    assert (shown["state"], shown["applied"], shown["remaining"]) == ("cancelled", 100, 100)
    assert len(results(client, job["id"])) == 100
    again = client.post(f"/jobs/{job['id']}/cancel", headers=bearer())
    assert again.status_code == 409 and body_of(again)["code"] == "job_ended"


def test_the_whole_job_is_refused_before_any_row_when_over_the_limit_or_of_no_kind(
    client: Any,
) -> None:
    too_many = [{"amount": 1, "email": "a@example.com"}] * (bulk_jobs.MAX_INLINE_ROWS + 1)
    refused = create(client, "points.instant", too_many)
    assert refused.status_code == 422 and body_of(refused)["code"] == "too_many_items"
    unknown = create(client, "points.everything", [])
    assert unknown.status_code == 422 and "kind" in body_of(unknown)["errors"]
    not_rows = create(client, "points.instant", {"amount": 1})
    assert not_rows.status_code == 422
    assert drain() == 0


def test_an_admin_may_run_a_job_and_another_store_never_sees_it(client: Any) -> None:
    admin = jwt_headers(token_for(Role.ADMIN))
    job = body_of(
        create(client, "points.instant", [{"amount": 5, "email": "adm@example.com"}], admin)
    )
    drain()
    assert body_of(job_of(client, job["id"], admin))["applied"] == 1

    for path in (f"/jobs/{job['id']}", f"/jobs/{job['id']}/results"):
        other = client.get(path, headers=bearer(OTHER_API_KEY))
        assert other.status_code == 404
    assert (
        client.post(f"/jobs/{job['id']}/cancel", headers=bearer(OTHER_API_KEY)).status_code == 404
    )
    assert client.get(f"/jobs/{job['id']}").status_code == 401


@pytest.mark.parametrize("form", ["xml"])
def test_results_in_an_unknown_format_are_refused(client: Any, form: str) -> None:
    job = body_of(create(client, "points.instant", []))
    response = client.get(f"/jobs/{job['id']}/results?format={form}", headers=bearer())
    assert response.status_code == 422


def test_a_claims_job_creates_each_claim_once_even_when_its_chunk_runs_twice(
    client: Any,
) -> None:
    from chalicelib.storage.claims import ClaimModel

    rows = [{"amount": 50, "email": "k@example.com", "expires": 7}, {"amount": 0}, {"amount": 5}]
    job = body_of(create(client, "claims.create", rows))
    sqs = aws.client("sqs")
    message = sqs.receive_message(QueueUrl=aws.queue_url(QUEUE))["Messages"][0]
    record = SimpleNamespace(body=message["Body"], message_id=message["MessageId"], attributes={})
    bulk_chunks.run_one(record)
    # Counted already, the job is done: run its chunk again as if the job were still running.
    JobModel(STORE, job["id"]).update(actions=[JobModel.state.set("running")])
    bulk_chunks.run_one(record)

    shown = body_of(job_of(client, job["id"]))
    assert (shown["state"], shown["applied"], shown["failed"]) == ("done", 2, 1)
    lines = results(client, job["id"])
    assert lines[0]["result"]["claimToken"] and lines[0]["result"]["expires"] == 7
    assert lines[1]["error"]["created"] is False and "amount" in lines[1]["error"]["errors"]
    assert sum(1 for _ in ClaimModel.scan()) == 2  # a test may scan
