"""Answers of the Mokugift rewards endpoints (chalicelib/api/mokugift/issuing.py).

Reward times are UTC to the second, `2025-03-01T09:30:00Z`.
"""

from typing import Literal

from pydantic import Field

from chalicelib.api.coggins.points_schemas import ErrorBody
from chalicelib.api.schemas import ResponseModel, Timestamp


class IssuedReward(ResponseModel):
    rewardId: str = Field(description="The reward's id, also its coupon id.")
    campaignId: str
    transactionId: str | None = Field(
        description="The issuing call that created it (all its rewards share it)."
    )
    url: str = Field(description="The reward's page: its coupon code and how to use it.")
    couponCode: str | None = Field(description="Null when the campaign hands out no coupons.")
    email: str | None
    uniqueId: str | None = Field(description="The recipient's ID in your system.")
    firstName: str | None
    lastName: str | None
    message: str | None
    senderName: str | None
    status: str = Field(description="`active`, `cancelled` or `expired`.")
    emailStatus: str | None = Field(
        description="`queued`, `sending`, `sent` or `failed`; null when no email is sent."
    )
    emailError: str | None = Field(description="Why the last email attempt failed.")
    used: bool
    openedAt: Timestamp | None = Field(description="When the reward's page was first opened.")
    createdAt: Timestamp
    validFrom: Timestamp | None = Field(description="When the coupon becomes usable.")
    validTo: Timestamp | None = Field(
        description="When the coupon stops being usable; null: never."
    )


class IssueSucceeded(ResponseModel):
    index: int = Field(description="The recipient's position in the request, from 0.")
    created: Literal[True]
    reward: IssuedReward


class IssueRefused(ErrorBody):
    """A recipient whose reward was not created, with the error that refused it."""

    index: int = Field(description="The recipient's position in the request, from 0.")
    created: Literal[False]


class IssueResults(ResponseModel):
    transactionId: str = Field(description="This call's id, stored on every reward it created.")
    results: list[IssueSucceeded | IssueRefused] = Field(
        description="One result per recipient, in the order of the request."
    )
    created: int
    failed: int


class ListedReward(IssuedReward):
    treeCount: int = Field(description="The units of value it carries (the original's trees).")


class RewardsSummary(ResponseModel):
    rewardCount: int = Field(description="The rewards in this answer.")
    treeCount: int = Field(description="Their units of value, summed.")


class RewardsPage(ResponseModel):
    summary: RewardsSummary
    rewards: list[ListedReward] = Field(description="Oldest first.")
    nextCursor: str | None = Field(
        description=(
            "Pass as `cursor` for the rest: after a page (`limit`), or when every reward would "
            "not fit one answer; null when nothing follows."
        )
    )


class Passcode(ResponseModel):
    campaignId: str
    passcode: str = Field(description="Shown once; the previous passcode stops working.")


class PublicQueries(ResponseModel):
    campaignId: str
    publicQueries: bool = Field(description="Whether anyone may query the campaign's rewards.")
