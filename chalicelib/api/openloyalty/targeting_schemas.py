"""Answers of the targeting face (chalicelib/api/openloyalty/targeting.py): levels, segments,
campaign categories, segment members, a customer's level, and the customers a campaign is
visible to, each mapped from the domain's value (chalicelib/domain/catalog/targeting/).

Customers are shown with the Open Loyalty document's field names, limited to what this service
keeps of a customer.
"""

from typing import Any

from pydantic import ConfigDict, Field, model_validator

from chalicelib.api.openloyalty.campaigns_schemas import Instant
from chalicelib.api.schemas import Amount, ResponseModel, optional_key
from chalicelib.domain.catalog import targeting, usage

# --- levels, segments, categories -------------------------------------------------------------


class LevelCreated(ResponseModel):
    id: str = Field(validation_alias="level_id", description="The new level's id.")


class Level(ResponseModel):
    levelId: str = Field(validation_alias="level_id")
    name: str
    description: str | None
    active: bool
    conditionValue: Amount | None = Field(
        validation_alias="condition_value", description="Points or spend needed to reach it."
    )
    customersCount: int = Field(
        validation_alias="customers_count", description="How many customers hold the level."
    )
    createdAt: Instant = Field(validation_alias="created_at")
    updatedAt: Instant = Field(validation_alias="updated_at")


class Levels(ResponseModel):
    """A page of the store's levels, lowest condition first."""

    levels: list[Level] = Field(validation_alias="items")
    total: int = Field(description="How many levels the store has.")


class SegmentCreated(ResponseModel):
    segmentId: str = Field(validation_alias="segment_id")


class Segment(ResponseModel):
    segmentId: str = Field(validation_alias="segment_id")
    name: str
    description: str | None
    active: bool
    customersCount: int = Field(
        validation_alias="customers_count", description="How many customers are in the segment."
    )
    createdAt: Instant = Field(validation_alias="created_at")
    updatedAt: Instant = Field(validation_alias="updated_at")


class Segments(ResponseModel):
    """Segments by name: a page of the store's, or all of a customer's."""

    segments: list[Segment] = Field(validation_alias="items")
    total: int


class SegmentMembersAdded(ResponseModel):
    segmentId: str = Field(validation_alias="segment_id")
    added: list[str] = Field(description="The customers that joined.")
    alreadyMembers: list[str] = Field(
        validation_alias="already_members", description="The customers that were in it already."
    )
    customersCount: int = Field(
        validation_alias="customers_count",
        description="How many customers are in the segment now.",
    )


class CampaignCategoryCreated(ResponseModel):
    campaignCategoryId: str = Field(validation_alias="category_id")


class CampaignCategory(ResponseModel):
    campaignCategoryId: str = Field(validation_alias="category_id")
    name: str
    active: bool
    sortOrder: int = Field(validation_alias="sort_order")


class CampaignCategories(ResponseModel):
    """A page of the store's campaign categories, by sort order then name."""

    categories: list[CampaignCategory] = Field(validation_alias="items")
    total: int


# --- customers ----------------------------------------------------------------------------------


class CustomerLevel(ResponseModel):
    customerId: str = Field(validation_alias="customer_id")
    levelId: str | None = Field(
        validation_alias="level_id", description="The customer's level now; null: none."
    )


class LoyaltyCustomerAddress(ResponseModel):
    """Only the parts the customer has are shown."""

    street: str | None = optional_key()
    address1: str | None = optional_key()
    address2: str | None = optional_key()
    city: str | None = optional_key()
    postal: str | None = optional_key()
    country: str | None = optional_key("ISO 3166-1 alpha-2 code, upper case.")


class LoyaltyCustomer(ResponseModel):
    customerId: str = Field(validation_alias="customer_id")
    active: bool
    firstName: str | None = Field(validation_alias="first_name")
    lastName: str | None = Field(validation_alias="last_name")
    email: str | None
    phone: str | None
    createdAt: Instant = Field(validation_alias="created_at")
    updatedAt: Instant = Field(validation_alias="updated_at")
    levelId: str | None = Field(validation_alias="level_id")
    segments: list[str] = Field(description="The ids of the customer's segments.")
    address: LoyaltyCustomerAddress | None = optional_key("Left out when empty.")


class LevelRef(ResponseModel):
    levelId: str


class CampaignRef(ResponseModel):
    campaignId: str


class CouponCode(ResponseModel):
    code: str | None


class CampaignPurchase(ResponseModel):
    purchaseAt: Instant
    costInPoints: int
    campaignId: CampaignRef
    used: bool
    coupon: CouponCode

    @model_validator(mode="before")
    @classmethod
    def _of_purchase(cls, value: Any) -> Any:
        if not isinstance(value, usage.Purchase):
            return value
        return {
            "purchaseAt": value.purchased_at,
            "costInPoints": value.cost_in_points,
            "campaignId": {"campaignId": value.campaign_id},
            "used": value.used,
            "coupon": {"code": value.coupon_code},
        }


class VisibleCustomer(LoyaltyCustomer):
    """The document's customer of `customers/visible`: every field it lists, null (or zero)
    where this service keeps no such data, and the customer's purchases of the campaign."""

    gender: str | None = Field(description="Not kept: null.")
    birthDate: Instant | None = Field(description="Not kept: null.")
    loyaltyCardNumber: str | None = Field(description="Not kept: null.")
    manuallyAssignedLevelId: LevelRef | None = Field(
        description="The level an admin gave the customer (levels are only given by hand)."
    )
    agreement1: bool = Field(description="Not kept: false.")
    agreement2: bool = Field(description="Not kept: false.")
    agreement3: bool = Field(description="Not kept: false.")
    campaignPurchases: list[CampaignPurchase] = Field(
        validation_alias="purchases",
        description="The customer's purchases of this campaign, oldest first.",
    )
    transactionsCount: int = Field(description="No transactions are kept: 0.")
    transactionsAmount: Amount = Field(description="No transactions are kept: 0.")
    transactionsAmountWithoutDeliveryCosts: Amount = Field(
        description="No transactions are kept: 0."
    )
    amountExcludedForLevel: Amount = Field(description="No transactions are kept: 0.")
    averageTransactionAmount: Amount = Field(description="No transactions are kept: 0.")
    lastTransactionDate: Instant | None = Field(description="No transactions are kept: null.")
    currency: str = Field(description="The store's currency, lower case (`eur`).")
    levelPercent: str | None = Field(
        description="The level's discount: levels here carry none, so null."
    )

    @model_validator(mode="before")
    @classmethod
    def _of_customer(cls, value: Any) -> Any:
        """What the service does not keep (gender, birth date, card, agreements,
        transactions) is null, false or zero, always of the same type."""
        if not isinstance(value, targeting.VisibleCustomer):
            return value
        level_id = value.level_id
        return {
            **vars(value),
            "gender": None,
            "birthDate": None,
            "loyaltyCardNumber": None,
            # Levels are only ever given by an admin here (`POST .../customer/{id}/level`).
            "manuallyAssignedLevelId": {"levelId": level_id} if level_id else None,
            "agreement1": False,
            "agreement2": False,
            "agreement3": False,
            "transactionsCount": 0,
            "transactionsAmount": 0,
            "transactionsAmountWithoutDeliveryCosts": 0,
            "amountExcludedForLevel": 0,
            "averageTransactionAmount": 0,
            "lastTransactionDate": None,
            "currency": value.currency.lower(),
            "levelPercent": None,
        }


class VisibleCustomers(ResponseModel):
    """A page of the customers a campaign is offered to, and how many there are in all."""

    # The document's second customer, with what this service keeps.
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "customers": [
                        {
                            "customerId": "00000000-0000-474c-b092-b0dd880c07e2",
                            "active": True,
                            "firstName": "Jane",
                            "lastName": "Doe",
                            "gender": None,
                            "email": "user-temp@example.com",
                            "phone": "111112222",
                            "birthDate": None,
                            "address": {"street": "Test", "city": "Warszawa", "country": "PL"},
                            "loyaltyCardNumber": None,
                            "createdAt": "2016-08-08T10:53:14+0000",
                            "levelId": "e82c96cf-32a3-43bd-9034-4df343e5fd94",
                            "manuallyAssignedLevelId": {
                                "levelId": "e82c96cf-32a3-43bd-9034-4df343e5fd94"
                            },
                            "segments": [],
                            "agreement1": False,
                            "agreement2": False,
                            "agreement3": False,
                            "updatedAt": "2017-10-02T11:49:25+0000",
                            "campaignPurchases": [
                                {
                                    "purchaseAt": "2017-10-02T12:03:34+0000",
                                    "costInPoints": 10,
                                    "campaignId": {
                                        "campaignId": "000096cf-32a3-43bd-9034-4df343e5fd93"
                                    },
                                    "used": False,
                                    "coupon": {"code": "123"},
                                }
                            ],
                            "transactionsCount": 0,
                            "transactionsAmount": 0,
                            "transactionsAmountWithoutDeliveryCosts": 0,
                            "amountExcludedForLevel": 0,
                            "averageTransactionAmount": 0,
                            "lastTransactionDate": None,
                            "currency": "eur",
                            "levelPercent": None,
                        }
                    ],
                    "total": 1,
                }
            ]
        }
    )

    customers: list[VisibleCustomer]
    total: int


class LoyaltyCustomers(ResponseModel):
    """A page of customers and how many there are in all."""

    # The document's example, limited to the fields this service keeps (see the module doc).
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "customers": [
                        {
                            "customerId": "00000000-0000-474c-b092-b0dd880c07e1",
                            "active": True,
                            "firstName": "John",
                            "lastName": "Doe",
                            "email": "user@example.com",
                            "phone": "11111",
                            "createdAt": "2016-08-08T10:53:14+0200",
                            "updatedAt": "2017-09-21T13:54:04+0200",
                            "levelId": "000096cf-32a3-43bd-9034-4df343e5fd93",
                            "segments": [],
                        },
                        {
                            "customerId": "00000000-0000-474c-b092-b0dd880c07e2",
                            "active": True,
                            "firstName": "Jane",
                            "lastName": "Doe",
                            "email": "user-temp@example.com",
                            "phone": "111112222",
                            "createdAt": "2016-08-08T10:53:14+0200",
                            "updatedAt": "2017-10-02T11:49:25+0200",
                            "levelId": "e82c96cf-32a3-43bd-9034-4df343e5fd94",
                            "segments": [],
                            "address": {
                                "street": "Test",
                                "address1": "1",
                                "city": "Warszawa",
                                "postal": "00-000",
                                "country": "PL",
                            },
                        },
                    ],
                    "total": 2,
                }
            ]
        }
    )

    customers: list[LoyaltyCustomer]
    total: int
