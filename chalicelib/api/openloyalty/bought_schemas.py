"""Answers of the bought-rewards face (chalicelib/api/openloyalty/bought.py): the bought list, a
coupon's
usage, its delivery status and the delivery-status choices (Open Loyalty document).

The list's items map the domain's rows (`chalicelib.domain.catalog.bought.BoughtRow`), which
the CSV export writes too.
"""

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AliasPath, BeforeValidator, ConfigDict, Field, model_validator

from chalicelib.api.openloyalty.buying_schemas import BoughtCoupon
from chalicelib.api.schemas import OpenLoyaltyTimestamp, ResponseModel, optional_key
from chalicelib.domain.catalog.bought_query import DELIVERY_STATUSES
from chalicelib.domain.catalog.entries import time_of
from chalicelib.storage.rewards import ACTIVE, CANCELLED, EXPIRED


def _instant(value: Any) -> Any:
    return time_of(value) if isinstance(value, datetime) else value


# An instant of the domain's, written as the document writes them.
Instant = Annotated[OpenLoyaltyTimestamp, BeforeValidator(_instant)]

# Shipping status of a bought reward; "" until one is set.
DeliveryStatusName = Literal[("", *DELIVERY_STATUSES)]


class BoughtTransaction(ResponseModel):
    transactionId: str = Field(description="The ledger entry that took the points.")

    @model_validator(mode="before")
    @classmethod
    def _of_id(cls, value: Any) -> Any:
        return {"transactionId": value} if isinstance(value, str) else value


class DeliveryStatus(ResponseModel):
    status: DeliveryStatusName

    @model_validator(mode="before")
    @classmethod
    def _of_status(cls, value: Any) -> Any:
        return {"status": value} if isinstance(value, str) else value


class BoughtCampaign(ResponseModel):
    """One reward a customer bought with points."""

    canBeUsed: bool = Field(
        validation_alias="can_be_used",
        description="Active, unused and valid now: it can be marked used.",
    )
    rewardCampaignId: str = Field(
        validation_alias="campaign_id", description="The campaign's id (the same as `campaignId`)."
    )
    campaignId: str = Field(validation_alias="campaign_id")
    customerId: str = Field(validation_alias="customer_id")
    purchasedAt: Instant = Field(validation_alias="purchased_at")
    coupon: BoughtCoupon
    campaignType: str | None = Field(
        validation_alias="campaign_type",
        description="The campaign's reward type; null when the campaign was deleted.",
    )
    campaignName: str = Field(validation_alias="campaign_name")
    customerEmail: str = Field(validation_alias=AliasPath("buyer", "email"))
    customerName: str = Field(
        validation_alias=AliasPath("buyer", "firstname"), description="The buyer's first name."
    )
    customerLastname: str = Field(validation_alias=AliasPath("buyer", "surname"))
    campaignShippingAddress: dict[str, Any] = Field(
        validation_alias="shipping_address",
        description="Always empty: no shipping address is kept with a purchase.",
    )
    costInPoints: int = Field(validation_alias="cost_in_points")
    currentPointsAmount: int = Field(
        validation_alias=AliasPath("buyer", "points"),
        description="The buyer's available points now.",
    )
    used: bool
    usageDate: Instant | None = optional_key(
        "When it was marked used.", validation_alias="usage_date"
    )
    status: Literal[ACTIVE, CANCELLED, EXPIRED] = Field(
        description="`expired` once past `activeTo`, even before the expiry job has run."
    )
    transactionId: BoughtTransaction | None = optional_key(validation_alias="transaction_id")
    returnedAmount: int = Field(
        validation_alias="returned_amount", description="Points given back for it; always 0."
    )
    deliveryStatus: DeliveryStatus = Field(validation_alias="delivery_status")
    activeSince: Instant | None = optional_key(
        "When the coupon becomes valid.", validation_alias="active_since"
    )
    activeTo: Instant | None = optional_key(
        "When it stops being valid (excluded).", validation_alias="active_to"
    )


class BoughtCampaigns(ResponseModel):
    """A page of the store's bought rewards and how many match the filters."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "boughtCampaigns": [
                        {
                            "canBeUsed": True,
                            "rewardCampaignId": "000096cf-6361-4d70-e169-676e22222222",
                            "campaignId": "000096cf-6361-4d70-e169-676e22222222",
                            "customerId": "7ae0712b-f029-4839-9c53-278c37c6fd35",
                            "purchasedAt": "2019-03-14T10:29:05+0100",
                            "coupon": {"code": "10", "id": "d481c4f2-fa88-476a-9e12-a39f728d94d8"},
                            "campaignType": "percentage_discount_code",
                            "campaignName": "Percentage discount code",
                            "customerEmail": "maxnowacki690711@test.pl",
                            "customerName": "Max",
                            "customerLastname": "Nowacki",
                            "campaignShippingAddress": {},
                            "costInPoints": 0,
                            "currentPointsAmount": 100,
                            "used": False,
                            "status": "active",
                            "transactionId": {
                                "transactionId": "33fbedb5-ff71-4a18-9711-4352d3b9e317"
                            },
                            "returnedAmount": 0,
                            "deliveryStatus": {"status": ""},
                        },
                        {
                            "canBeUsed": True,
                            "rewardCampaignId": "000096cf-6361-4d70-e169-676e11111111",
                            "campaignId": "000096cf-6361-4d70-e169-676e11111111",
                            "customerId": "6102cef9-d263-46de-974d-ad2e89f6e81d",
                            "purchasedAt": "2019-03-14T13:45:21+0100",
                            "coupon": {"code": "", "id": "6797ed0a-65eb-4a75-b1a2-500b18077dc3"},
                            "campaignType": "cashback",
                            "campaignName": "cashback",
                            "customerEmail": "maxnowacki209528@test.pl",
                            "customerName": "Max",
                            "customerLastname": "Nowacki",
                            "campaignShippingAddress": {},
                            "costInPoints": 0,
                            "currentPointsAmount": 100,
                            "used": False,
                            "status": "active",
                            "returnedAmount": 0,
                            "deliveryStatus": {"status": ""},
                        },
                        {
                            "canBeUsed": True,
                            "rewardCampaignId": "000096cf-6361-4d70-e169-676e22222222",
                            "campaignId": "000096cf-6361-4d70-e169-676e22222222",
                            "customerId": "79b5c229-5f9a-4c4b-9acc-7620fb95b38a",
                            "purchasedAt": "2019-03-14T13:48:11+0100",
                            "coupon": {"code": "40", "id": "1a4d7e14-fffc-4049-be41-60e824b5102e"},
                            "campaignType": "percentage_discount_code",
                            "campaignName": "Percentage discount code",
                            "customerEmail": "test@test.pl",
                            "customerName": "alajna",
                            "customerLastname": "user",
                            "campaignShippingAddress": {},
                            "costInPoints": 0,
                            "currentPointsAmount": 100,
                            "used": False,
                            "status": "active",
                            "transactionId": {
                                "transactionId": "98b15ef5-94ad-43ef-9984-0d41197d14e6"
                            },
                            "returnedAmount": 0,
                            "deliveryStatus": {"status": ""},
                        },
                    ],
                    "total": 3,
                }
            ]
        }
    )

    boughtCampaigns: list[BoughtCampaign] = Field(validation_alias="rows")
    total: int = Field(description="How many bought rewards match, over all pages.")


class CouponUsage(ResponseModel):
    """A bought coupon marked used or unused."""

    used: bool
    usageDate: Instant | None = Field(
        validation_alias="usage_date", description="When it was marked used; null when unused."
    )


class DeliveryStatusChanged(ResponseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"success": "Delivery status changed!"}]}
    )

    success: str


class DeliveryStatusChoices(ResponseModel):
    """The statuses `deliveryStatus[status]` takes."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"choices": list(DELIVERY_STATUSES)}]}
    )

    choices: list[Literal[DELIVERY_STATUSES]]
