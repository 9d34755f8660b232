"""A job whose request died after writing it and before sending its chunk messages is found by
the sweeper, which sends them: the job then runs to the end, each row applied once."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from chalicelib.api.admin.job_kinds import KINDS
from chalicelib.domain import bulk_jobs
from chalicelib.storage import jobs
from tests.fixtures.aws import hooked_clients
from tests.fixtures.clients import bearer, body_of
from tests.fixtures.crashes import Crash, CrashAt
from tests.fixtures.jobs import drain, job_of, new_upload, queued, results, start, upload

ROWS = [{"amount": 10, "email": f"s{n}@example.com"} for n in range(bulk_jobs.CHUNK_ROWS + 5)]


def later() -> Any:
    return jobs.now() + bulk_jobs.UNSENT_GRACE + timedelta(seconds=1)


def test_an_inline_job_whose_messages_were_never_sent_is_finished_by_the_sweeper(
    client: Any,
) -> None:
    with hooked_clients(CrashAt("SendMessageBatch", 0)), pytest.raises(Crash):
        client.post(
            "/jobs", headers=bearer(), body=json.dumps({"kind": "points.instant", "rows": ROWS})
        )
    [owing] = list(jobs.unsent_jobs(later()))
    job = jobs.get_job(owing.store_code, owing.job_id)
    assert (job.state, queued()) == ("queued", 0)

    assert bulk_jobs.sweep_unsent(KINDS, now=jobs.now()) == 0  # within the grace period
    assert bulk_jobs.sweep_unsent(KINDS, now=later()) == 1
    assert bulk_jobs.sweep_unsent(KINDS, now=later()) == 0  # sent: out of the outbox
    assert drain() == 2

    shown = body_of(job_of(client, job.job_id))
    assert (shown["state"], shown["applied"]) == ("done", len(ROWS))
    assert [line["row"] for line in results(client, job.job_id)] == list(range(1, len(ROWS) + 1))


def test_a_started_upload_whose_messages_were_never_sent_is_split_again(client: Any) -> None:
    job = new_upload(client, "points.instant", "csv")
    upload(job, "email,amount\n" + "".join(f"{row['email']},1\n" for row in ROWS))

    with hooked_clients(CrashAt("SendMessageBatch", 0)), pytest.raises(Crash):
        start(client, job)
    assert bulk_jobs.sweep_unsent(KINDS, now=later()) == 1
    drain()

    shown = body_of(job_of(client, job["id"]))
    assert (shown["state"], shown["rows"], shown["applied"]) == ("done", len(ROWS), len(ROWS))


def test_a_job_that_sent_its_messages_leaves_the_outbox(client: Any) -> None:
    created = client.post(
        "/jobs", headers=bearer(), body=json.dumps({"kind": "points.instant", "rows": ROWS})
    )

    assert created.status_code == 201
    assert list(jobs.unsent_jobs(later())) == []
    assert bulk_jobs.sweep_unsent(KINDS, now=later()) == 0


def test_a_job_that_died_part_way_through_its_sends_gets_only_the_rest(client: Any) -> None:
    rows = bulk_jobs.CHUNK_ROWS * jobs.SEND_BATCH + 1  # one chunk past the first batch of ten
    job = new_upload(client, "points.instant", "csv")
    upload(job, "email,amount\n" + "".join(f"p{n % 9}@example.com,1\n" for n in range(rows)))

    with hooked_clients(CrashAt("SendMessageBatch", 1)), pytest.raises(Crash):
        start(client, job)
    assert drain() == jobs.SEND_BATCH  # the first batch went out, and ran
    assert body_of(job_of(client, job["id"]))["state"] == "running"

    assert bulk_jobs.sweep_unsent(KINDS, now=later()) == 1
    assert drain() == 1  # the chunks that ran are not sent again

    shown = body_of(job_of(client, job["id"]))
    assert (shown["state"], shown["applied"]) == ("done", rows)
