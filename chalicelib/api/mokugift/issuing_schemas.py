"""Answers of the Mokugift issuing endpoints (chalicelib/api/mokugift/issuing.py), mapped from
the domain's values (`domain.rewards.reward.Reward`, `domain.rewards.issuing.Issued`).

Reward times are UTC to the second, `2025-03-01T09:30:00Z` (`iso_time`).
"""

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, model_validator

from chalicelib.api.errors import default_error_body
from chalicelib.api.schemas import ErrorBody, ResponseModel, Timestamp
from chalicelib.domain.errors import RewardsError
from chalicelib.timefmt import UTC_SECONDS


def iso_time(moment: datetime | None) -> str | None:
    """How every reward time is shown: UTC to the second, `2025-03-01T09:30:00Z`."""
    return None if moment is None else moment.astimezone(UTC).strftime(UTC_SECONDS)


def _shown_time(value: Any) -> Any:
    return iso_time(value) if isinstance(value, datetime) else value


Time = Annotated[Timestamp, BeforeValidator(_shown_time)]


class IssuedReward(ResponseModel):
    rewardId: str = Field(
        validation_alias="reward_id", description="The reward's id, also its coupon id."
    )
    campaignId: str = Field(validation_alias="campaign_id")
    transactionId: str | None = Field(
        validation_alias="issue_transaction",
        description="The issuing call that created it (all its rewards share it).",
    )
    url: str = Field(description="The reward's page: its coupon code and how to use it.")
    couponCode: str | None = Field(
        validation_alias="coupon_code", description="Null when the campaign hands out no coupons."
    )
    email: str | None
    uniqueId: str | None = Field(
        validation_alias="public_key", description="The recipient's ID in your system."
    )
    firstName: str | None = Field(validation_alias="firstname")
    lastName: str | None = Field(validation_alias="surname")
    message: str | None
    senderName: str | None = Field(validation_alias="sender_name")
    status: str = Field(description="`active`, `cancelled` or `expired`.")
    emailStatus: str | None = Field(
        validation_alias="email_status",
        description="`queued`, `sending`, `sent` or `failed`; null when no email is sent.",
    )
    emailError: str | None = Field(
        validation_alias="email_error", description="Why the last email attempt failed."
    )
    used: bool
    openedAt: Time | None = Field(
        validation_alias="first_opened_at", description="When the reward's page was first opened."
    )
    createdAt: Time = Field(validation_alias="created_at")
    validFrom: Time | None = Field(
        validation_alias="active_since", description="When the coupon becomes usable."
    )
    validTo: Time | None = Field(
        validation_alias="active_to",
        description="When the coupon stops being usable; null: never.",
    )


class IssueSucceeded(ResponseModel):
    index: int = Field(description="The recipient's position in the request, from 0.")
    created: Literal[True]
    reward: IssuedReward


class IssueRefused(ErrorBody):
    """A recipient whose reward was not created, with the error that refused it."""

    index: int = Field(description="The recipient's position in the request, from 0.")
    created: Literal[False]

    @model_validator(mode="before")
    @classmethod
    def _of_outcome(cls, value: Any) -> Any:
        """A refused `IssueOutcome` as its place and the service's error body."""
        error = getattr(value, "error", None)
        if not isinstance(error, RewardsError):
            return value
        return {"index": value.index, "created": False, **default_error_body(error)}


class IssueResults(ResponseModel):
    transactionId: str = Field(
        validation_alias="transaction_id",
        description="This call's id, stored on every reward it created.",
    )
    results: list[IssueSucceeded | IssueRefused] = Field(
        validation_alias="outcomes",
        description="One result per recipient, in the order of the request.",
    )
    created: int
    failed: int
