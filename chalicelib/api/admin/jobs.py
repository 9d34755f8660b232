"""Bulk jobs: `POST /jobs` with the rows inline or a file, its progress, results, cancelling.

`POST /jobs` `{"kind": "points.instant" | "claims.create" | "recipients.import" |
"coupons.upload" | "rewards.reward" | "rewards.reward_url" | "rewards.reward_url2",
"format": "csv" | "jsonl", "campaignId"?, "rows": [...]}` (at most 1,000 rows, each the body of
the kind's single call; `campaignId` for the coupons and rewards kinds) answers 201 with the job,
which starts at once (`domain.bulk_jobs`). Without `rows` the job awaits its file: the answer's
`uploadUrl` takes a PUT of it, then `POST /jobs/{job_id}/start` checks and starts it.
`GET /jobs/{job_id}` shows its state and counts; `GET /jobs/{job_id}/results` every row's outcome
as JSONL or CSV (`format`, default the job's), or for a large job once done a 303 to a presigned
link of its results file; `POST /jobs/{job_id}/cancel` skips the chunks not yet started. Store
API key or admin. With `dryRun=true`, `POST /jobs` with rows answers the job as it would end and
each row's outcome (`results`), applying nothing.
"""

from __future__ import annotations

import json
from typing import Any

from chalice import Response

from chalicelib.api.admin.job_kinds import KINDS
from chalicelib.api.admin.jobs_schemas import Job
from chalicelib.api.request import ApiRequest
from chalicelib.api.routes import Routes
from chalicelib.domain import bulk_files, bulk_jobs
from chalicelib.domain.access.auth import STORE_OR_ADMIN
from chalicelib.domain.errors import InvalidInputError, PayloadTooLargeError, TooManyItemsError

MEDIA_TYPES = {"jsonl": "application/x-ndjson", "csv": "text/csv; charset=utf-8"}

routes = Routes(__name__)


def _principal_actor(request: ApiRequest) -> str:
    assert request.principal is not None  # the routes require one
    return request.principal.actor


@routes.route(
    "/jobs",
    methods=["POST"],
    roles=STORE_OR_ADMIN,
    status=201,
    summary="Create a bulk job of one kind, its rows inline: it starts at once",
    request_model=bulk_jobs.JobRequest,
    response_model=Job,
    errors=(InvalidInputError, TooManyItemsError),
)
def create_job(request: ApiRequest) -> dict[str, Any]:
    job, upload_url, rehearsed = bulk_jobs.create_job(
        request.store_code, _principal_actor(request), request.body, KINDS
    )
    shown = bulk_jobs.view(job)
    if upload_url is not None:
        shown["uploadUrl"] = upload_url
    if rehearsed is not None:
        shown["results"] = rehearsed
    return shown


@routes.route(
    "/jobs/{job_id}/start",
    methods=["POST"],
    roles=STORE_OR_ADMIN,
    summary="Start a bulk job once its file is uploaded: its header and size are checked first",
    response_model=Job,
    errors=(
        bulk_jobs.JobNotFoundError,
        bulk_jobs.JobStartedError,
        bulk_jobs.NothingUploadedError,
        InvalidInputError,
        TooManyItemsError,
        PayloadTooLargeError,
    ),
)
def start_job(request: ApiRequest, job_id: str) -> dict[str, Any]:
    return bulk_jobs.view(bulk_jobs.start_job(request.store_code, job_id, KINDS))


@routes.route(
    "/jobs/{job_id}",
    roles=STORE_OR_ADMIN,
    summary="A bulk job's state, counts and times",
    response_model=Job,
    errors=(bulk_jobs.JobNotFoundError,),
)
def get_job(request: ApiRequest, job_id: str) -> dict[str, Any]:
    return bulk_jobs.view(bulk_jobs.get_job(request.store_code, job_id))


@routes.route(
    "/jobs/{job_id}/cancel",
    methods=["POST"],
    roles=STORE_OR_ADMIN,
    summary="Cancel a bulk job: the chunks not yet started are skipped",
    response_model=Job,
    errors=(bulk_jobs.JobNotFoundError, bulk_jobs.JobEndedError),
)
def cancel_job(request: ApiRequest, job_id: str) -> dict[str, Any]:
    return bulk_jobs.view(bulk_jobs.cancel_job(request.store_code, job_id))


@routes.route(
    "/jobs/{job_id}/results",
    roles=STORE_OR_ADMIN,
    summary="Every row's outcome of a bulk job so far, as JSONL or CSV (`format`); a large "
    "job's, once done, as a 303 to a presigned link of its results file",
    response_type="application/x-ndjson",
    also_answers=("text/csv",),
    errors=(bulk_jobs.JobNotFoundError, InvalidInputError),
)
def job_results(request: ApiRequest, job_id: str) -> Response:
    job = bulk_jobs.get_job(request.store_code, job_id)
    form = request.query.get("format", job.format)
    if form not in MEDIA_TYPES:
        raise InvalidInputError({"format": ["The format must be csv or jsonl."]})
    link = bulk_jobs.results_link(job, form)
    if link is not None:
        # Too large for an answer: the file, kept when the job was done.
        return Response(
            body=json.dumps({"downloadUrl": link}),
            status_code=303,
            headers={"Location": link, "Content-Type": "application/json"},
        )
    lines = bulk_jobs.results(request.store_code, job_id)
    if form == "csv":
        body = bulk_files.csv_line(None) + "".join(bulk_files.csv_line(line) for line in lines)
    else:
        body = "".join(json.dumps(line, separators=(",", ":")) + "\n" for line in lines)
    return Response(
        body=body,
        status_code=200,
        headers={
            "Content-Type": MEDIA_TYPES[form],
            "Content-Disposition": f'attachment; filename="job-{job_id}.{form}"',
        },
    )
