"""The answers of the Open Loyalty campaign catalog (chalicelib/api/openloyalty/campaigns.py).

One campaign has one shape wherever it is shown, mapped here from the domain's value
(`views.CampaignView`): the admin's view carries the coupon codes and the internal counters,
the seller's and the public lists leave them out (the value has None for them). A model answers
its fields in the order they are declared, and pydantic declares an inherited field in reverse
order of the bases; so `Campaign` is put together from its parts (`CampaignKeys`, `Texts`,
`CampaignTerms`, `CampaignMore`) to keep the document's order, and the buying face puts a
customer's own fields after `usageLeft`, where the document shows them.
"""

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, ConfigDict, Field, model_validator

from chalicelib.api.schemas import Amount, OpenLoyaltyTimestamp, ResponseModel, optional_key
from chalicelib.domain.catalog.views import time_of
from chalicelib.storage.campaigns import REWARD_TYPES


def _instant(value: Any) -> Any:
    return time_of(value) if isinstance(value, datetime) else value


# A domain instant as the document writes it, in UTC: `2017-10-05T10:59:00+0000`.
Instant = Annotated[OpenLoyaltyTimestamp, BeforeValidator(_instant)]
ADMIN_ONLY = "Admin views only (`GET /campaign`, `GET /campaign/{campaign}`)."

# An empty map is an empty array on the wire, as the document's server answers it.
EmptyArray = Annotated[list[str], Field(max_length=0)]
Names = Annotated[dict[str, str] | EmptyArray, BeforeValidator(lambda names: names or [])]


class CampaignId(ResponseModel):
    """The campaign created or changed."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"campaignId": "3062c881-93f3-496b-9669-4238c0a62be8"}]}
    )

    campaignId: str

    @model_validator(mode="before")
    @classmethod
    def _of_id(cls, value: Any) -> Any:
        return {"campaignId": value} if isinstance(value, str) else value


class CampaignLabel(ResponseModel):
    key: str
    value: str


class CampaignActivity(ResponseModel):
    """When the campaign can be bought; the bounds only when it is not active all the time."""

    allTimeActive: bool = Field(validation_alias="always")
    activeFrom: Instant | None = optional_key(validation_alias="start")
    activeTo: Instant | None = optional_key(validation_alias="end")


class CampaignVisibility(ResponseModel):
    """When the campaign is shown; the bounds only when it is not visible all the time."""

    allTimeVisible: bool = Field(validation_alias="always")
    visibleFrom: Instant | None = optional_key(validation_alias="start")
    visibleTo: Instant | None = optional_key(validation_alias="end")


class Texts(ResponseModel):
    """The translatable fields, each left out when it has no text."""

    name: str | None = optional_key()
    shortDescription: str | None = optional_key()
    conditionsDescription: str | None = optional_key()
    usageInstruction: str | None = optional_key()
    brandDescription: str | None = optional_key()


class CampaignTranslation(Texts):
    """The campaign's texts in one locale."""

    id: int = Field(
        description="The translation's number: stable, derived from the campaign and the locale."
    )
    locale: str


class CampaignPhoto(ResponseModel):
    photoId: str = Field(
        validation_alias="photo_id",
        description="Get the image at `.../campaign/{campaign}/photo/{photoId}`.",
    )
    path: str = Field(description="Where the image is kept (a storage key, not a URL).")
    orginalName: str | None = Field(
        validation_alias="original_name",
        description="The uploaded file's name (sic: the document's spelling).",
    )
    mimeType: str = Field(validation_alias="mime_type")


class CampaignKeys(ResponseModel):
    """A campaign's first fields: targeting, codes, id and type."""

    levels: list[str] = Field(description="Ids of the levels the campaign targets.")
    segments: list[str] = Field(description="Ids of the segments the campaign targets.")
    coupons: list[str] | None = optional_key(
        f"Every code of the coupon pool, used or not. {ADMIN_ONLY} Left out with `withoutCoupons`."
    )
    campaignId: str = Field(validation_alias="campaign_id")
    reward: Literal[REWARD_TYPES]


class CampaignTerms(ResponseModel):
    """A campaign's fields after its texts, up to `usageLeft`: price, limits, windows."""

    active: bool
    costInPoints: int = Field(validation_alias="cost_in_points")
    singleCoupon: bool = Field(
        validation_alias="single_coupon", description="Every reward shares one code."
    )
    unlimited: bool
    limit: int | None = optional_key("Rewards the campaign gives in all; when set.")
    limitPerUser: int | None = optional_key(
        "Rewards one customer may get; when set.", validation_alias="limit_per_user"
    )
    daysValid: int = Field(
        validation_alias="days_valid",
        description="Days a coupon is valid once active; 0 is forever.",
    )
    daysInactive: int = Field(
        validation_alias="days_inactive",
        description="Days after the purchase before a coupon is active.",
    )
    campaignActivity: CampaignActivity = Field(validation_alias="activity")
    campaignVisibility: CampaignVisibility = Field(validation_alias="visibility")
    labels: list[CampaignLabel]
    segmentNames: Names = Field(
        validation_alias="segment_names",
        description="Names of the targeted segments by id; `[]` when there are none.",
    )
    levelNames: Names = Field(
        validation_alias="level_names",
        description="Names of the targeted levels by id; `[]` when there are none.",
    )
    will_be_active_from: Instant | None = optional_key(
        "The start of the activity window, for a campaign not active now that has one."
    )
    will_be_active_to: Instant | None = optional_key(
        "The end of the activity window, for a campaign not active now that has one."
    )
    usageLeft: int | None = Field(
        validation_alias="usage_left",
        description="How many more rewards the campaign can give (its limit less what it gave, "
        "or its unused codes); null when nothing bounds it.",
    )


class CampaignMore(ResponseModel):
    """A campaign's fields after `usageLeft`: counters, images, all texts, flags, extras."""

    visibleForCustomersCount: int | None = optional_key(
        f"Customers the campaign is offered to. {ADMIN_ONLY}",
        validation_alias="visible_for_customers_count",
    )
    usersWhoUsedThisCampaignCount: int | None = optional_key(
        f"Customers who got a reward of the campaign. {ADMIN_ONLY}", validation_alias="users_count"
    )
    hasPhoto: bool = Field(validation_alias="has_photo")
    photos: list[CampaignPhoto]
    translations: list[CampaignTranslation] = Field(description="The texts of every locale.")
    categories: list[str] = Field(description="Ids of the campaign's categories.")
    isFeatured: bool = Field(validation_alias="featured")
    public: bool = Field(description="Listed by `GET /campaign/public/available`.")
    pushNotificationText: str | None = optional_key(
        "When set.", validation_alias="push_notification_text"
    )
    pointValue: Amount | None = optional_key(
        "Cashback: money paid per point; when set.", validation_alias="point_value"
    )
    cashbackProvider: str | None = optional_key(
        "Cashback: who pays out; when set.", validation_alias="cashback_provider"
    )
    emailSubject: str | None = optional_key(
        "The reward email's subject template; when set.", validation_alias="email_subject"
    )
    emailBody: str | None = optional_key(
        "The reward email's opening template; when set.", validation_alias="email_body"
    )
    rewardValue: Amount | None = optional_key(
        "What the reward is worth; when set.", validation_alias="reward_value"
    )
    tax: Amount | None = optional_key("The reward's tax rate in percent (0 to 99); when set.")
    taxPriceValue: Amount | None = optional_key(
        "The reward's price with tax; when set.", validation_alias="tax_price_value"
    )
    moreInformationLink: str | None = optional_key(
        "A URL telling more about the reward; when set.", validation_alias="more_information_link"
    )
    transactionPercentageValue: int | None = optional_key(
        "A percentage discount code's percentage of the transaction (0 to 99).",
        validation_alias="transaction_percentage_value",
    )


# The document's "Get campaign details" example, as the service answers it.
CAMPAIGN_EXAMPLE: dict[str, Any] = {
    "levels": ["e82c96cf-32a3-43bd-9034-4df343e5fd94", "000096cf-32a3-43bd-9034-4df343e5fd94"],
    "segments": [],
    "coupons": ["testCoupon", "DiscountCoupon"],
    "campaignId": "3062c881-93f3-496b-9669-4238c0a62be8",
    "reward": "discount_code",
    "name": "Discount Code Campaign 1",
    "shortDescription": "A short description of discount code campaign",
    "conditionsDescription": "Discount code for registration",
    "usageInstruction": "Use discount code as you like",
    "active": True,
    "costInPoints": 100,
    "singleCoupon": False,
    "unlimited": False,
    "limit": 10,
    "limitPerUser": 1,
    "daysValid": 1,
    "daysInactive": 0,
    "campaignActivity": {
        "allTimeActive": False,
        "activeFrom": "2017-09-05T08:59:00+0000",
        "activeTo": "2017-12-05T09:59:00+0000",
    },
    "campaignVisibility": {
        "allTimeVisible": False,
        "visibleFrom": "2017-10-05T08:59:00+0000",
        "visibleTo": "2018-10-05T08:59:00+0000",
    },
    "labels": [{"key": "type", "value": "promotion"}],
    "segmentNames": [],
    "levelNames": {
        "e82c96cf-32a3-43bd-9034-4df343e5fd94": "level1",
        "000096cf-32a3-43bd-9034-4df343e5fd94": "level2",
    },
    "usageLeft": 2,
    "visibleForCustomersCount": 0,
    "usersWhoUsedThisCampaignCount": 0,
    "hasPhoto": True,
    "photos": [
        {
            "photoId": "e82c96cf-32a3-43bd-9034-4df343e5f23e",
            "path": "campaign_photos/DEFAULT/3062c881-93f3-496b-9669-4238c0a62be8/"
            "e82c96cf-32a3-43bd-9034-4df343e5f23e",
            "orginalName": "my_image.png",
            "mimeType": "image/png",
        }
    ],
    "translations": [
        {
            "name": "Discount Code Campaign 1",
            "shortDescription": "A short description of discount code campaign",
            "id": 32,
            "locale": "en",
        },
        {
            "name": "Discount Code Campaign 1 in polish",
            "shortDescription": "A short description of discount code campaign in polish",
            "id": 33,
            "locale": "pl",
        },
    ],
    "categories": [],
    "isFeatured": False,
    "public": True,
}


class Campaign(CampaignMore, CampaignTerms, Texts, CampaignKeys):
    """A reward campaign: the admin's view, or (without its codes and counters) anyone's.

    The texts (`name`, `shortDescription`, ...) are in the locale asked with `_locale` (else the
    default one), each falling back to the default locale's; with `format=html` the
    descriptions are HTML. `translations` holds every locale's texts as saved.
    """

    model_config = ConfigDict(json_schema_extra={"examples": [CAMPAIGN_EXAMPLE]})


class Campaigns(ResponseModel):
    """A page of campaigns."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"campaigns": [CAMPAIGN_EXAMPLE], "total": 1}]}
    )

    campaigns: list[Campaign]
    total: int = Field(description="Campaigns on every page.")


class ActiveCampaign(ResponseModel):
    id: str
    name: str | None = optional_key("In the asked locale; left out when it has none.")


class ActiveCampaigns(ResponseModel):
    """A page of the campaigns active now, as ids and names."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "campaigns": [
                        {
                            "id": "000096cf-6361-4d70-e169-676e00000001",
                            "name": "Test configured campaign",
                        },
                        {"id": "fce61034-a48e-39f5-af3b-c8aa294601f9"},
                    ],
                    "total": 2,
                }
            ]
        }
    )

    campaigns: list[ActiveCampaign]
    total: int = Field(description="Active campaigns on every page.")


class CouponsChange(ResponseModel):
    """What a replace or an append did to the campaign's coupon pool."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "campaignId": "000096cf-32a3-43bd-9034-4df343e5fd93",
                    "added": 3,
                    "duplicates": ["123"],
                    "removed": 1,
                    "available": 3,
                    "total": 5,
                }
            ]
        }
    )

    campaignId: str = Field(validation_alias="campaign_id")
    added: int = Field(description="Codes put in the pool.")
    duplicates: list[str] = Field(description="Codes given twice, or already in the pool.")
    removed: int = Field(description="Unused codes a replace took out of the pool.")
    available: int = Field(description="Unused codes in the pool now.")
    total: int = Field(description="Codes in the pool now, used or not.")
