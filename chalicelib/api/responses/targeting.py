"""Answers of the targeting face (chalicelib/api/targeting.py): levels, segments, campaign
categories, segment members, a customer's level, and the customers a campaign is visible to.

Customers are shown with the Open Loyalty document's field names, limited to what this service
keeps of a customer.
"""

from pydantic import ConfigDict, Field

from chalicelib.api.responses import Amount, OpenLoyaltyTimestamp, ResponseModel

# --- levels, segments, categories -------------------------------------------------------------


class LevelCreated(ResponseModel):
    id: str = Field(description="The new level's id.")


class Level(ResponseModel):
    levelId: str
    name: str
    description: str | None
    active: bool
    conditionValue: Amount | None = Field(description="Points or spend needed to reach it.")
    customersCount: int = Field(description="How many customers hold the level.")
    createdAt: OpenLoyaltyTimestamp
    updatedAt: OpenLoyaltyTimestamp


class Levels(ResponseModel):
    """A page of the store's levels, lowest condition first."""

    levels: list[Level]
    total: int = Field(description="How many levels the store has.")


class SegmentCreated(ResponseModel):
    segmentId: str


class Segment(ResponseModel):
    segmentId: str
    name: str
    description: str | None
    active: bool
    customersCount: int = Field(description="How many customers are in the segment.")
    createdAt: OpenLoyaltyTimestamp
    updatedAt: OpenLoyaltyTimestamp


class Segments(ResponseModel):
    """Segments by name: a page of the store's, or all of a customer's."""

    segments: list[Segment]
    total: int


class SegmentMembersAdded(ResponseModel):
    segmentId: str
    added: list[str] = Field(description="The customers that joined.")
    alreadyMembers: list[str] = Field(description="The customers that were in it already.")
    customersCount: int = Field(description="How many customers are in the segment now.")


class CampaignCategoryCreated(ResponseModel):
    campaignCategoryId: str


class CampaignCategory(ResponseModel):
    campaignCategoryId: str
    name: str
    active: bool
    sortOrder: int


class CampaignCategories(ResponseModel):
    """A page of the store's campaign categories, by sort order then name."""

    categories: list[CampaignCategory]
    total: int


# --- customers ----------------------------------------------------------------------------------


class CustomerLevel(ResponseModel):
    customerId: str
    levelId: str | None = Field(description="The customer's level now; null: none.")


class LoyaltyCustomerAddress(ResponseModel):
    """Only the parts the customer has are shown."""

    street: str | None = None
    address1: str | None = None
    address2: str | None = None
    city: str | None = None
    postal: str | None = None
    country: str | None = Field(None, description="ISO 3166-1 alpha-2 code, upper case.")


class LoyaltyCustomer(ResponseModel):
    customerId: str
    active: bool
    firstName: str | None
    lastName: str | None
    email: str | None
    phone: str | None
    createdAt: OpenLoyaltyTimestamp
    updatedAt: OpenLoyaltyTimestamp
    levelId: str | None
    segments: list[str] = Field(description="The ids of the customer's segments.")
    address: LoyaltyCustomerAddress | None = Field(None, description="Left out when empty.")


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
