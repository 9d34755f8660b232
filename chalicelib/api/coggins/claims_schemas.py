"""Answers of the Coggins point claim endpoints (chalicelib/api/coggins/claims.py), mapped from
the domain's values (`ClaimOutcome`, `ClaimState`, `ClaimResult`)."""

from typing import Any, Literal

from pydantic import ConfigDict, Field, model_validator

from chalicelib.api.schemas import ResponseModel, UtcTime
from chalicelib.domain.points.claim_rules import ClaimResult
from chalicelib.domain.points.claims import ClaimOutcome
from chalicelib.domain.validation import DeferredRootModel

# What a refused item echoes of its request, as given.
ECHOED_FIELDS = ("amount", "email", "customerType", "expires")

EXPIRES_AT = (
    "The instant the claim expires: the start of the day after `expires` days, UTC; "
    "null when it never expires."
)


class ClaimCreated(ResponseModel):
    amount: int
    email: str | None = Field(description="Only this email may claim; null: anyone may.")
    customerType: str | None
    expires: int | None = Field(description="Days the claim stays claimable after today.")
    expiresAt: UtcTime | None = Field(description=EXPIRES_AT)
    claimToken: str = Field(description="The claim's UUID.")
    claimUrl: str = Field(description="The page where the customer claims the points.")
    created: Literal[True]

    @model_validator(mode="before")
    @classmethod
    def _of_outcome(cls, value: Any) -> Any:
        if not isinstance(value, ClaimOutcome):
            return value
        claim = value.claim
        if claim is None:
            raise ValueError("The claim was not created.")  # a `ClaimRefused`
        return {
            "amount": claim.amount,
            "email": claim.email,
            "customerType": claim.customer_type,
            "expires": claim.expires_days,
            "expiresAt": claim.expires_at,
            "claimToken": claim.token,
            "claimUrl": claim.url,
            "created": True,
        }


class ClaimRefused(ResponseModel):
    """A claim request that was not created: its fields echoed as given, and why."""

    amount: Any = None
    email: Any = None
    customerType: Any = None
    expires: Any = None
    created: Literal[False]
    errors: dict[str, list[str]] = Field(description="The messages of each invalid field.")

    @model_validator(mode="before")
    @classmethod
    def _of_outcome(cls, value: Any) -> Any:
        if not isinstance(value, ClaimOutcome):
            return value
        if value.claim is not None:
            raise ValueError("The claim was created.")  # a `ClaimCreated`
        given = value.request if isinstance(value.request, dict) else {}
        echoed = {field: given[field] for field in ECHOED_FIELDS if field in given}
        return {**echoed, "created": False, "errors": value.errors}


class ClaimOutcomes(DeferredRootModel[list[ClaimCreated | ClaimRefused]]):
    """One outcome per claim request, in the order of the request."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                [
                    {
                        "amount": 400,
                        "email": "test012@atest.com",
                        "customerType": "Internal",
                        "expires": 1,
                        "expiresAt": "2024-05-03T00:00:00Z",
                        "claimToken": "6037d53f-4088-43a2-8ab6-b5cdcd6de290",
                        "claimUrl": (
                            "https://store.yourdomain.com/claim/points/"
                            "6037d53f408843a28ab6b5cdcd6de290"
                        ),
                        "created": True,
                    }
                ]
            ]
        }
    )


class Claim(ResponseModel):
    amount: int
    status: Literal["pending", "claimed", "expired"] = Field(
        description="As it stands now: a pending claim past its expiry is expired."
    )
    expiresAt: UtcTime | None = Field(validation_alias="expires_at", description=EXPIRES_AT)
    bound: bool = Field(description="Whether only one email may claim it.")


class Claimed(ResponseModel):
    claimed: Literal[True]
    amount: int
    customerId: str = Field(description="The customer credited; created if the email was new.")
    availablePoints: int = Field(description="The customer's balance after the claim.")

    @model_validator(mode="before")
    @classmethod
    def _of_result(cls, value: Any) -> Any:
        if not isinstance(value, ClaimResult):
            return value
        return {
            "claimed": True,
            "amount": value.amount,
            "customerId": value.customer_id,
            "availablePoints": value.available_points,
        }
