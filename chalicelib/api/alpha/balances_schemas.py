"""Answers of the Alpha balances endpoints (chalicelib/api/alpha/balances.py), mapped from
the domain's `AlphaBalance` and `BatchView`."""

from pydantic import ConfigDict, Field

from chalicelib.api.alpha.recipients_schemas import RecipientTime
from chalicelib.api.schemas import ResponseModel
from chalicelib.domain.validation import DeferredRootModel


class Balance(ResponseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"balance": 234, "redeemed": 123, "pending": 0}]}
    )

    balance: int = Field(description="Spendable now: the recipient's `balance`.")
    redeemed: int = Field(description="Points spent so far.")
    pending: int = Field(description="In batches whose start day has not come: not spendable.")
    expired: int = Field(description="Points that expired, in all.")


class BatchChange(ResponseModel):
    time: RecipientTime
    message: str | None
    balance_change: int


class Batch(ResponseModel):
    batch_id: str = Field(
        description="The expiry day (`YYYY-MM-DD`) or `never`, `~p<day>` after it while pending."
    )
    balance: int = Field(description="What the batch holds (locked while pending).")
    redeemed: int
    expired: int
    expiry: str | None = Field(
        validation_alias="expires_on",
        description="The last day its points last (UTC); null: never.",
    )
    pending_until: str | None = Field(description="The day its points become spendable.")
    history: list[BatchChange] = Field(description="Its latest changes, oldest first.")


class Batches(DeferredRootModel[list[Batch]]):
    """Soonest expiry first."""
