"""Answers of the registration calls (chalicelib/api/openloyalty/registration.py): who was made,
never the
password (Open Loyalty's seller registration echoes it; this service does not)."""

from pydantic import Field

from chalicelib.api.schemas import ResponseModel


class SellerRegistered(ResponseModel):
    sellerId: str = Field(
        validation_alias="id", description="The seller's id: the subject of the seller's tokens"
    )
    email: str = Field(description="The seller's username at `POST /api/seller/login_check`")


class CustomerLogin(ResponseModel):
    customerId: str = Field(validation_alias="id", description="The customer's id")
    email: str = Field(description="The customer's username at `POST /api/customer/login_check`")
