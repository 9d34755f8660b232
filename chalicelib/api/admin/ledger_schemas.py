"""The answer of the points history endpoint (chalicelib/api/admin/ledger.py)."""

from datetime import datetime
from typing import Annotated, Any

from pydantic import BeforeValidator, Field

from chalicelib.api.schemas import ResponseModel, Timestamp


def _isoformat(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


# As this answer has always written an entry's time: ISO 8601 with `+00:00`.
EntryTime = Annotated[Timestamp, BeforeValidator(_isoformat)]


class LedgerEntry(ResponseModel):
    id: str
    kind: str = Field(
        description="`earn`, `claim`, `adjust`, `spend`, `expire`, `buy` or `refund`."
    )
    amount: int = Field(description="Signed whole points: credits positive, debits negative.")
    reference: str | None = Field(
        description="The order or spend reference, ...; for a claim, the SHA-256 (hex) of the "
        "claim token's 32 hex digits, as the token itself is never stored."
    )
    reason: str | None
    actor: str | None = Field(description="`<role>:<subject>` of who caused the entry.")
    createdAt: EntryTime = Field(validation_alias="created_at")


class LedgerBalance(ResponseModel):
    available: int = Field(description="Spendable now: the other faces' balance.")
    used: int
    pending: int = Field(description="In batches whose start day has not come: not spendable.")
    expired: int = Field(description="Taken by the expiry of batches, in all.")


class PointsHistory(ResponseModel):
    data: list[LedgerEntry] = Field(validation_alias="entries", description="Newest entry first.")
    per_page: int
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null on the last page."
    )
    balance: LedgerBalance
