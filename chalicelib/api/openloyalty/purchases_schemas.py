"""Answers of one customer's purchases (chalicelib/api/openloyalty/purchases.py): their bought
list, and
many coupons marked used at once."""

from typing import Any

from pydantic import Field, model_validator

from chalicelib.api.openloyalty.bought_schemas import BoughtCampaign, Instant
from chalicelib.api.openloyalty.campaigns_schemas import Campaign
from chalicelib.api.schemas import ResponseModel, optional_key


class CustomerBoughtCampaign(BoughtCampaign):
    """One of the customer's bought rewards, as the store's bought list shows it."""

    campaign: Campaign | None = optional_key(
        "With `includeDetails=true`: the campaign as the caller's role sees it "
        "(left out when the campaign was deleted)."
    )


class CustomerBoughtCampaigns(ResponseModel):
    """A page of the customer's bought rewards and how many match."""

    campaigns: list[CustomerBoughtCampaign] = Field(validation_alias="rows")
    total: int


class MarkedCoupon(ResponseModel):
    customerId: str = Field(validation_alias="customer_id")
    campaignId: str = Field(validation_alias="campaign_id")
    couponId: str = Field(validation_alias="coupon_id")
    code: str
    used: bool
    usageDate: Instant | None = Field(
        validation_alias="usage_date",
        description="When it was marked used; null when marked unused.",
    )


class MarkedCoupons(ResponseModel):
    """Every coupon sent, as it is now (all were changed, in one transaction)."""

    coupons: list[MarkedCoupon]

    @model_validator(mode="before")
    @classmethod
    def _of_marked(cls, value: Any) -> Any:
        return {"coupons": value} if isinstance(value, list) else value
