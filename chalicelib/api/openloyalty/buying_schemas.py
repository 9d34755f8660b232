"""The answers of buying (chalicelib/api/openloyalty/buying.py): what a customer can buy, and what
they got.

An available campaign is the catalog's campaign, mapped by `Campaign`
(chalicelib/api/openloyalty/campaigns_schemas.py), with the customer's own
`usageLeftForCustomer` and `canBeBoughtByCustomer` right after `usageLeft`, where the document
shows them.
"""

from typing import Any

from pydantic import ConfigDict, Field, model_validator

from chalicelib.api.openloyalty.campaigns_schemas import (
    CAMPAIGN_EXAMPLE,
    Campaign,
    CampaignKeys,
    CampaignMore,
    CampaignTerms,
    Texts,
)
from chalicelib.api.schemas import ResponseModel
from chalicelib.domain.catalog import buying

AVAILABLE_EXAMPLE: dict[str, Any] = {
    **CAMPAIGN_EXAMPLE,
    "usageLeftForCustomer": 1,
    "canBeBoughtByCustomer": True,
}


class ForCustomer(ResponseModel):
    """What the customer of the request can still get of a campaign."""

    usageLeftForCustomer: int | None = Field(
        description="How many more this customer can get: the campaign's `usageLeft` bounded "
        "by what the customer's `limitPerUser` leaves them; null when nothing bounds it."
    )
    canBeBoughtByCustomer: bool = Field(
        description="Whether buying one would go through now (balance, limits, codes left); "
        "with `additionalPoints`, on the balance plus those points."
    )


class AvailableCampaign(CampaignMore, ForCustomer, CampaignTerms, Texts, CampaignKeys):
    """A campaign the customer can see now, as `Campaign` shows it, with what they can still
    get of it."""

    model_config = ConfigDict(json_schema_extra={"examples": [AVAILABLE_EXAMPLE]})

    @model_validator(mode="before")
    @classmethod
    def _of_available(cls, value: Any) -> Any:
        """The campaign as `Campaign` maps it, with the customer's own two keys."""
        if not isinstance(value, buying.AvailableCampaign):
            return value
        campaign = Campaign.model_validate(value.campaign, from_attributes=True)
        return {
            **{name: getattr(campaign, name) for name in campaign.model_fields_set},
            "usageLeftForCustomer": value.usage_left_for_customer,
            "canBeBoughtByCustomer": value.can_be_bought,
        }


class AvailableCampaigns(ResponseModel):
    """A page of the campaigns the customer can see now."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"campaigns": [AVAILABLE_EXAMPLE], "total": 1}]}
    )

    campaigns: list[AvailableCampaign]
    total: int = Field(description="Available campaigns on every page.")


class BoughtCoupon(ResponseModel):
    code: str | None = Field(
        description="The coupon code; null when the campaign has no codes to hand out."
    )
    id: str = Field(description="The coupon's id, as the bought list and its paths name it.")


class BoughtCoupons(ResponseModel):
    """One coupon per unit bought (`quantity`)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"coupons": [{"code": "123", "id": "ceb169c7-4fe2-4b49-9f2a-5a18634d7236"}]}
            ]
        }
    )

    coupons: list[BoughtCoupon]
