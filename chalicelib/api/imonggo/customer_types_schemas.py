"""Answers of the customer type endpoints (chalicelib/api/imonggo/customer_types.py): Imonggo's
customer type (XML or JSON, written by `contract.render`) and the admin API's (JSON)."""

from typing import Any

from pydantic import AliasPath, ConfigDict, Field, model_validator

from chalicelib.api.imonggo.customers_schemas import NULL, discount_text
from chalicelib.api.schemas import Amount, ResponseModel, UtcTime
from chalicelib.domain.customers.customer_types import CustomerType


class ImonggoCustomerType(ResponseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "xml": {"name": "customer_type"},
            "examples": [
                {
                    "id": 8,
                    "name": "Gold",
                    "discount_text": "0.0%",
                    "point_to_amount_ratio": 200.0,
                    "status": None,
                    "utc_created_at": "2013-05-25T02:24:31Z",
                    "utc_updated_at": None,
                }
            ],
        }
    )

    id: int
    name: str
    discount_text: str = Field(description="The type's discount, as a percentage.")
    point_to_amount_ratio: Amount = Field(description="Points per unit of money.")
    status: None = Field(description=NULL)
    utc_created_at: UtcTime
    utc_updated_at: None = Field(description=NULL)

    @model_validator(mode="before")
    @classmethod
    def _of_type(cls, value: Any) -> Any:
        if not isinstance(value, CustomerType):
            return value
        return {
            "id": int(value.type_id),
            "name": value.name,
            "discount_text": discount_text(value.discount),
            "point_to_amount_ratio": value.point_to_amount_ratio,
            "status": None,
            "utc_created_at": value.created_at,
            "utc_updated_at": None,
        }


class CustomerTypeInfo(ResponseModel):
    customerTypeId: str = Field(validation_alias="type_id")
    name: str
    pointToAmountRatio: Amount = Field(
        validation_alias="point_to_amount_ratio", description="Points per unit of money."
    )
    discount: Amount = Field(description="A percentage, 0 to 100.")
    createdAt: UtcTime = Field(validation_alias="created_at")


class CustomerTypeList(ResponseModel):
    items: list[CustomerTypeInfo]
    total: int

    @model_validator(mode="before")
    @classmethod
    def _of_types(cls, value: Any) -> Any:
        """The store's types, in id order, and how many."""
        return {"items": value, "total": len(value)} if isinstance(value, list) else value


class CustomerTypeMembership(ResponseModel):
    customerId: str = Field(validation_alias=AliasPath("customer", "customer_id"))
    customerTypeId: str = Field(validation_alias=AliasPath("customer_type", "type_id"))
    customerTypeName: str = Field(validation_alias=AliasPath("customer_type", "name"))
