"""Answers of one customer's purchases (chalicelib/api/openloyalty/purchases.py): their bought
list, and
many coupons marked used at once."""

from pydantic import Field

from chalicelib.api.openloyalty.bought_schemas import BoughtCampaign
from chalicelib.api.openloyalty.campaigns_schemas import Campaign
from chalicelib.api.schemas import OpenLoyaltyTimestamp, ResponseModel


class CustomerBoughtCampaign(BoughtCampaign):
    """One of the customer's bought rewards, as the store's bought list shows it."""

    campaign: Campaign | None = Field(
        None,
        description="With `includeDetails=true`: the campaign as the caller's role sees it "
        "(left out when the campaign was deleted).",
    )


class CustomerBoughtCampaigns(ResponseModel):
    """A page of the customer's bought rewards and how many match."""

    campaigns: list[CustomerBoughtCampaign]
    total: int


class MarkedCoupon(ResponseModel):
    customerId: str
    campaignId: str
    couponId: str
    code: str
    used: bool
    usageDate: OpenLoyaltyTimestamp | None = Field(
        description="When it was marked used; null when marked unused."
    )


class MarkedCoupons(ResponseModel):
    """Every coupon sent, as it is now (all were changed, in one transaction)."""

    coupons: list[MarkedCoupon]
