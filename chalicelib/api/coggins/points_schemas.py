"""Answers of the Coggins points endpoints (chalicelib/api/coggins/points.py): lookup, instant
edits.

`ErrorBody` is the service's error shape (chalicelib/api/errors.py `default_error_body`) where it
appears inside a 200 answer: an item of a bulk call that was refused.
"""

from typing import Any

from pydantic import ConfigDict, Field

from chalicelib.api.schemas import ResponseModel
from chalicelib.domain.validation import DeferredRootModel


class ErrorBody(ResponseModel):
    message: str
    code: str = Field(description="Stable, machine-readable error code.")
    errors: dict[str, list[str]] | None = Field(
        None, description="Invalid input only: the messages of each invalid field."
    )


class Balance(ResponseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"AvailablePoints": 9906, "UsedPoints": 5120}]}
    )

    AvailablePoints: int
    UsedPoints: int = Field(description="Points spent so far.")


class InstantError(ErrorBody):
    available: int | None = Field(
        None, description="`insufficient_points` only: the points the customer has."
    )
    requested: int | None = Field(
        None, description="`insufficient_points` only: the points the item would take."
    )


class InstantResult(ResponseModel):
    """One item's outcome, in the order of the request."""

    email: Any = Field(description="The item's email: trimmed when valid, else as given.")
    amount: Any = Field(description="The item's amount: as given when the item is invalid.")
    applied: bool
    AvailablePoints: int | None = Field(
        None, description="The balance after the item, whenever the email names a customer."
    )
    UsedPoints: int | None = Field(None, description="As `AvailablePoints`.")
    error: InstantError | None = Field(None, description="Why the item was not applied.")


class InstantResults(DeferredRootModel[list[InstantResult]]):
    pass
