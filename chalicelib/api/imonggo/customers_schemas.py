"""Answers of the Imonggo endpoints (chalicelib/api/imonggo/customers.py): customer, spend,
customer types.

The customer and the spend are answered in XML or JSON with the same fields, every key always
(null, or `nil="true"` in XML, when empty); their handlers write the body themselves (decimals
as the document's `2000.0`), so these two models document them without shaping them.
`xml.name` is the XML root element.
"""

from pydantic import ConfigDict, Field

from chalicelib.api.schemas import Amount, ResponseModel, Timestamp
from chalicelib.domain.validation import DeferredRootModel

NULL = "Not kept: always null."

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
    utc_created_at: Timestamp | None
    utc_updated_at: Timestamp | None


class ImonggoCustomers(DeferredRootModel[list[ImonggoCustomer]]):
    """A page of customers, in integer id order; in XML `<customers type="array">` around one
    `<customer>` each, `<customers type="array"/>` past the end."""

    model_config = ConfigDict(json_schema_extra={"xml": {"name": "customers"}})


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
    utc_created_at: Timestamp
    utc_updated_at: None = Field(description=NULL)


class PointsSpent(ResponseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "xml": {"name": "hash"},
            "examples": [
                {"points-spent": 2000.0, "amount-spent": 10.0, "points-available": 28511.0}
            ],
        }
    )

    points_spent: Amount = Field(alias="points-spent", description="`amount` times the ratio.")
    amount_spent: Amount = Field(alias="amount-spent")
    points_available: Amount = Field(
        alias="points-available", description="The balance after the spend."
    )


class CustomerTypeInfo(ResponseModel):
    customerTypeId: str
    name: str
    pointToAmountRatio: Amount = Field(description="Points per unit of money.")
    discount: Amount = Field(description="A percentage, 0 to 100.")
    createdAt: Timestamp


class CustomerTypeList(ResponseModel):
    items: list[CustomerTypeInfo]
    total: int


class CustomerTypeMembership(ResponseModel):
    customerId: str
    customerTypeId: str
    customerTypeName: str
