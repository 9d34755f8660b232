"""Answers of the Coggins points endpoints (chalicelib/api/coggins/points.py): the lookup, and
the instant edits, each item answered with its balance or its error (`ErrorBody`, the shared
error shape inside a 200 answer)."""

from typing import Any

from pydantic import AliasPath, ConfigDict, Field, model_validator

from chalicelib.api.errors import default_error_body
from chalicelib.api.schemas import ErrorBody, ResponseModel, optional_key
from chalicelib.domain.errors import RewardsError
from chalicelib.domain.points.ledger import InsufficientPointsError
from chalicelib.domain.validation import DeferredRootModel


class Balance(ResponseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"AvailablePoints": 9906, "UsedPoints": 5120}]}
    )

    AvailablePoints: int = Field(validation_alias="available")
    UsedPoints: int = Field(validation_alias="used", description="Points spent so far.")


class InstantError(ErrorBody):
    available: int | None = Field(
        None, description="`insufficient_points` only: the points the customer has."
    )
    requested: int | None = Field(
        None, description="`insufficient_points` only: the points the item would take."
    )

    @model_validator(mode="before")
    @classmethod
    def _of_error(cls, value: Any) -> Any:
        """The domain's error as the service's error body, with an `insufficient_points`
        refusal's figures."""
        if not isinstance(value, RewardsError):
            return value
        body = default_error_body(value)
        if isinstance(value, InsufficientPointsError):
            body.update(available=value.available, requested=value.requested)
        return body


class InstantResult(ResponseModel):
    """One item's outcome, in the order of the request."""

    email: Any = Field(description="The item's email: trimmed when valid, else as given.")
    amount: Any = Field(description="The item's amount: as given when the item is invalid.")
    applied: bool
    AvailablePoints: int | None = optional_key(
        "The balance after the item, whenever the email names a customer.",
        validation_alias=AliasPath("balance", "available"),
    )
    UsedPoints: int | None = optional_key(
        "As `AvailablePoints`.", validation_alias=AliasPath("balance", "used")
    )
    error: InstantError | None = optional_key("Why the item was not applied.")


class InstantResults(DeferredRootModel[list[InstantResult]]):
    pass
