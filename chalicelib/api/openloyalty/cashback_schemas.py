"""Answers of the cashback face (chalicelib/api/openloyalty/cashback.py): a quote (simulate), a
redemption
and a payout provider's callback, as the Open Loyalty document shows them.

The document's examples are copied with what this service adds: the `cashbackId` of the
campaign used in every quote, the payout's id and status after redeeming and a callback.
"""

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, ConfigDict, Field

from chalicelib.api.schemas import Amount, ResponseModel
from chalicelib.storage.cashback import ACCEPTED, FAILED, PAID, PENDING, REQUESTED

PayoutStatus = Literal[PENDING, REQUESTED, ACCEPTED, PAID, FAILED]
PAYOUT_STATUS = (
    "Where the money stands: `pending` (recorded, paid by hand), `requested` (handed to the "
    "provider), `accepted`, `paid`, or `failed` (the points were given back)."
)
EXAMPLE_CASHBACK_ID = "972012b8-633d-41e8-be5a-5125c1a5be63"
EXAMPLE_PAYOUT_ID = "1c50ef53-ab5b-4d24-9d03-f93c7ec042fe"
EXAMPLE_CUSTOMER_ID = "f0b9914e-cd54-4a85-bc3f-d36e0c37edaa"


def money_text(value: Decimal) -> str:
    """`3` → "3.00", `0.125` → "0.125": two decimals at least, none of the value's lost."""
    exponent = value.normalize().as_tuple().exponent
    places = max(2, -exponent if isinstance(exponent, int) else 2)
    return f"{value:.{places}f}"


def _money_text(value: Any) -> Any:
    return money_text(value) if isinstance(value, Decimal) else value


class CashbackQuote(ResponseModel):
    """What the points bring through a cashback campaign (simulated: nothing is written)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "customerId": "5bfded09-0931-4eac-baad-0d663cfd8976",
                    "pointsAmount": 10,
                    "pointValue": "3.00",
                    "rewardAmount": 30,
                    "cashbackId": EXAMPLE_CASHBACK_ID,
                }
            ]
        }
    )

    customerId: str = Field(validation_alias="customer_id")
    pointsAmount: int = Field(validation_alias="points")
    # The document's simulate writes the point value as a decimal string ("3.00"); its redeem
    # answers a number.
    pointValue: Annotated[str, BeforeValidator(_money_text)] = Field(
        validation_alias="point_value",
        description="Money per point, as the campaign sets it, written as the document shows it: "
        'a decimal string with at least two decimals (`"3.00"`).',
        pattern=r"^\d+\.\d{2,}$",
    )
    rewardAmount: Amount = Field(
        validation_alias="reward_amount",
        description="`pointsAmount * pointValue` in the store's currency, rounded down to the "
        "cent.",
    )
    cashbackId: str = Field(
        validation_alias="cashback_id",
        description="The cashback campaign used (given, or the best one).",
    )


class CashbackRedemption(CashbackQuote):
    """The points taken and the payout recorded."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "customerId": "6102cef9-d263-46de-974d-ad2e89f6e81d",
                    "pointsAmount": 5,
                    "pointValue": 10,
                    "rewardAmount": 100,
                    "cashbackId": EXAMPLE_CASHBACK_ID,
                    "payoutId": EXAMPLE_PAYOUT_ID,
                    "status": "requested",
                },
                {
                    "customerId": "6102cef9-d263-46de-974d-ad2e89f6e81d",
                    "pointsAmount": 5,
                    "pointValue": 10,
                    "rewardAmount": 50,
                    "cashbackId": EXAMPLE_CASHBACK_ID,
                    "payoutId": EXAMPLE_PAYOUT_ID,
                    "status": "requested",
                },
            ]
        }
    )

    # A number here: the document's redeem answers it so (its simulate, a string).
    pointValue: Amount = Field(
        validation_alias="point_value", description="Money per point, as the campaign sets it."
    )
    payoutId: str = Field(
        validation_alias="payout_id", description="The payout: its provider's callback names it."
    )
    status: PayoutStatus = Field(description=PAYOUT_STATUS)


class CashbackSettlement(ResponseModel):
    """A payout after its provider's callback."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "couponId": EXAMPLE_PAYOUT_ID,
                    "id": f"{EXAMPLE_CUSTOMER_ID}_{EXAMPLE_PAYOUT_ID}",
                    "customerId": EXAMPLE_CUSTOMER_ID,
                    "code": "ACCEPTED",
                    "message": "ACCEPTED",
                    "provider": "paytm",
                    "failed": False,
                    "status": "accepted",
                }
            ]
        }
    )

    couponId: str = Field(
        validation_alias="payout_id", description="The payout's id (`payoutId` of the redemption)."
    )
    id: str = Field(
        validation_alias="order_id",
        description="The provider's order id: `<customerId>_<payoutId>`.",
    )
    customerId: str = Field(validation_alias="customer_id")
    code: str | None = Field(description="The provider's status code, as it sent it.")
    message: str | None = Field(description="The provider's status message.")
    provider: str
    failed: bool = Field(description="The payout failed; its points were given back.")
    status: PayoutStatus = Field(description=PAYOUT_STATUS)
