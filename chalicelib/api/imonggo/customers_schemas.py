"""Answers of the Imonggo customer endpoints (chalicelib/api/imonggo/customers.py).

A customer is answered in XML or JSON with the same fields, in this order, every key always
(null, or `nil="true"` in XML, when empty): the model maps the domain's `Member` to them once,
and `contract.render` writes them (decimals as the document's `2000.0`). `xml.name` is the XML
root element.
"""

from decimal import Decimal
from typing import Any

from pydantic import ConfigDict, Field, model_validator

from chalicelib.api import xml
from chalicelib.api.schemas import Amount, ResponseModel, UtcTime
from chalicelib.domain.points.spending import Member
from chalicelib.domain.validation import DeferredRootModel

NULL = "Not kept: always null."


def discount_text(discount: Decimal | int) -> str:
    """A type's discount as the document writes it, `0.0%`."""
    return f"{xml.decimal_text(discount)}%"


CUSTOMER_EXAMPLE = {
    "alternate_code": None,
    "available_points": 30511.0,
    "birthday": None,
    "city": None,
    "code": "0098420130000033",
    "company_name": None,
    "country": "PH",
    "customer_type_id": 8,
    "email": None,
    "fax": None,
    "first_name": "Juan",
    "id": 1534,
    "last_name": "Cruz",
    "mobile": None,
    "name": "Juan Cruz",
    "remark": None,
    "state": None,
    "status": None,
    "street": None,
    "tax_exempt": False,
    "telephone": None,
    "tin": None,
    "zipcode": None,
    "customer_type_name": "Gold",
    "discount_text": "0.0%",
    "point_to_amount_ratio": 200.0,
    "birthdate": None,
    "utc_created_at": "2013-05-25T02:24:31Z",
    "utc_updated_at": "2013-07-13T00:52:24Z",
}


class ImonggoCustomer(ResponseModel):
    model_config = ConfigDict(
        json_schema_extra={"xml": {"name": "customer"}, "examples": [CUSTOMER_EXAMPLE]}
    )

    alternate_code: None = Field(description=NULL)
    available_points: Amount
    birthday: None = Field(description=NULL)
    city: str | None
    code: str | None = Field(
        description="The customer's public key (an ID your system recognises)."
    )
    company_name: str | None
    country: str | None = Field(description="Uppercase ISO 3166-1 alpha-2.")
    customer_type_id: int | None
    email: str | None
    fax: None = Field(description=NULL)
    first_name: str | None
    id: int = Field(description="The customer's integer id, unique in the store.")
    last_name: str | None
    mobile: None = Field(description=NULL)
    name: str | None = Field(description="First and last name.")
    remark: None = Field(description=NULL)
    state: None = Field(description=NULL)
    status: None = Field(description=NULL)
    street: str | None
    tax_exempt: bool = Field(description="Not kept: always false.")
    telephone: str | None
    tin: None = Field(description=NULL)
    zipcode: str | None
    customer_type_name: str | None
    discount_text: str = Field(description="The customer type's discount, `0.0%` without one.")
    point_to_amount_ratio: Amount = Field(
        description="Points per unit of money: the customer type's, else the store's."
    )
    birthdate: None = Field(description=NULL)
    utc_created_at: UtcTime | None
    utc_updated_at: UtcTime | None

    @model_validator(mode="before")
    @classmethod
    def _of_member(cls, value: Any) -> Any:
        """The document's customer of the domain's member: an empty or unkept value null, as
        Rails-era clients expect."""
        if not isinstance(value, Member):
            return value
        customer, customer_type = value.customer, value.customer_type

        def text(found: str | None) -> str | None:
            return found or None

        names = [part for part in (customer.firstname, customer.surname) if part]
        return {
            "alternate_code": None,
            "available_points": customer.points_available,
            "birthday": None,
            "city": text(customer.town),
            "code": text(customer.public_key),
            "company_name": text(customer.company),
            "country": text((customer.country_code or "").upper()),
            "customer_type_id": int(customer_type.type_id) if customer_type else None,
            "email": text(customer.email),
            "fax": None,
            "first_name": text(customer.firstname),
            "id": customer.imonggo_id,
            "last_name": text(customer.surname),
            "mobile": None,
            "name": text(" ".join(names)),
            "remark": None,
            "state": None,
            "status": None,
            "street": text(customer.address1),
            "tax_exempt": False,
            "telephone": text(customer.telephone),
            "tin": None,
            "zipcode": text(customer.postcode),
            "customer_type_name": customer_type.name if customer_type else None,
            "discount_text": discount_text(customer_type.discount if customer_type else 0),
            "point_to_amount_ratio": value.point_to_amount_ratio,
            "birthdate": None,
            "utc_created_at": customer.created_at,
            "utc_updated_at": customer.updated_at,
        }


class ImonggoCustomers(DeferredRootModel[list[ImonggoCustomer]]):
    """A page of customers, in integer id order; in XML `<customers type="array">` around one
    `<customer>` each, `<customers type="array"/>` past the end."""

    model_config = ConfigDict(json_schema_extra={"xml": {"name": "customers"}})
