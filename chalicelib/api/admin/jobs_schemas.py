"""Answers of the bulk job endpoints (chalicelib/api/admin/jobs.py)."""

from typing import Any, Literal

from pydantic import ConfigDict, Field

from chalicelib.api.schemas import ResponseModel


class JobError(ResponseModel):
    code: str
    message: str
    fields: dict[str, Any] = Field(description="The refusal's details (`errors` by field).")


class Job(ResponseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "9f0c4d2e6b1a4f7e8d3c2b1a0f9e8d7c",
                    "kind": "points.instant",
                    "state": "running",
                    "rows": 1000,
                    "applied": 380,
                    "failed": 20,
                    "remaining": 600,
                    "percent": 40,
                    "startedAt": "2026-12-05T22:30:00Z",
                    "finishedAt": None,
                }
            ]
        }
    )

    id: str
    kind: str = Field(
        description="`points.instant`, `claims.create`, `recipients.import`, `coupons.upload`, "
        "`rewards.reward`, `rewards.reward_url` or `rewards.reward_url2`."
    )
    state: Literal["awaiting_upload", "queued", "running", "done", "failed", "cancelled"]
    rows: int
    applied: int = Field(description="Rows applied, as their single call would have.")
    failed: int = Field(description="Rows refused; each one's error is in the results.")
    remaining: int
    percent: int = Field(description="Rows handled (applied or failed) per hundred rows.")
    startedAt: str | None = Field(description="When its first chunk ran (ISO 8601, UTC).")
    finishedAt: str | None = Field(description="When it ended: done, failed or cancelled.")
    error: JobError | None = Field(
        None, description="A failed job only: why its file was refused (no row was applied)."
    )
    uploadUrl: str | None = Field(
        None,
        description="A job created without rows only: where to PUT its CSV or JSONL file "
        "(presigned, valid one hour); then `POST /jobs/{id}/start`.",
    )
    results: list[dict[str, Any]] | None = Field(
        None,
        description="A dry run with rows only: each row's outcome the job would have "
        "(`row`, `applied`, and `result` or `error`), as `GET /jobs/{id}/results` lists them.",
    )
