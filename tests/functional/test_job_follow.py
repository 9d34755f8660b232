"""`python -m chalicelib.cli jobs follow`: a bulk job's progress bar until it ends."""

from __future__ import annotations

import io
from typing import Any

import pytest

from chalicelib import cli
from chalicelib.domain import bulk_jobs
from chalicelib.job_progress import follow, progress_line
from tests.fixtures.clients import STORE, bearer, body_of
from tests.fixtures.jobs import create, drain


def _job(client: Any, rows: int) -> str:
    body = [{"amount": 1, "email": f"f{i}@example.com"} for i in range(rows)]
    job_id: str = body_of(create(client, "points.instant", body))["id"]
    return job_id


def test_the_bar_follows_each_chunk_until_the_job_is_done(client: Any) -> None:
    job_id = _job(client, bulk_jobs.CHUNK_ROWS * 2)
    out = io.StringIO()

    def read() -> dict[str, Any]:
        return bulk_jobs.view(bulk_jobs.get_job(STORE, job_id))

    status = follow(read, out, interval=0, sleep=lambda _: drain(limit=1))

    lines = out.getvalue().splitlines()
    assert status == 0
    assert [line.split("%")[0][-3:].strip() for line in lines] == ["0", "50", "100"]
    assert lines[0].endswith("queued") and lines[-1].endswith("done")
    assert lines[1].startswith("[" + "#" * 15 + "." * 15 + "]")


def test_a_cancelled_job_ends_the_follow_with_status_1(
    client: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    job_id = _job(client, 1)
    client.post(f"/jobs/{job_id}/cancel", headers=bearer())

    assert cli.main(["jobs", "follow", STORE, job_id]) == 1
    assert capsys.readouterr().out.strip().endswith("cancelled")


def test_following_an_unknown_job_is_an_error(
    client: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["jobs", "follow", STORE, "nope"]) == 1
    assert "No job" in capsys.readouterr().err


def test_the_line_counts_rows_applied_and_failed() -> None:
    job = {"percent": 40, "rows": 10, "applied": 3, "failed": 1, "state": "running"}
    assert progress_line(job) == (
        "[############..................]  40%  4/10 rows (3 applied, 1 failed)  running"
    )
