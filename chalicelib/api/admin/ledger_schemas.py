"""The answer of the points history endpoint (chalicelib/api/admin/ledger.py)."""

from pydantic import Field

from chalicelib.api.schemas import ResponseModel, Timestamp


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
    createdAt: Timestamp


class LedgerBalance(ResponseModel):
    available: int = Field(description="Spendable now: the other faces' balance.")
    used: int
    pending: int = Field(description="In batches whose start day has not come: not spendable.")
    expired: int = Field(description="Taken by the expiry of batches, in all.")


class PointsHistory(ResponseModel):
    data: list[LedgerEntry] = Field(description="Newest entry first.")
    per_page: int
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null on the last page."
    )
    balance: LedgerBalance
