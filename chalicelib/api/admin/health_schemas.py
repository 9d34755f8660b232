"""The answer of `GET /health` (chalicelib/api/admin/health.py)."""

from typing import Literal

from pydantic import Field

from chalicelib.api.schemas import ResponseModel


class Health(ResponseModel):
    status: Literal["ok", "degraded"] = Field(
        description="`degraded` (with a 503) when a table does not answer."
    )
    stage: str
    versions: dict[str, str] = Field(
        description="The service's, Python's and the main packages' versions, by name."
    )
    tables: dict[str, bool] = Field(description="Whether each table answers, by table name.")
    failing: list[str] = Field(
        description="The checks that failed, e.g. `table:customers`; empty when `ok`."
    )
