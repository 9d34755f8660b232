"""Open Loyalty registration: logins for sellers and customers, made by an admin (or a seller).

- `POST /api/{storeCode}/seller/register` (admin): `seller[firstName|lastName|email|
  plainPassword|phone|posId|active]` → `{"sellerId", "email"}`; the seller logs in at
  `/api/seller/login_check`. Names, phone and POS are accepted as Open Loyalty sends them; this
  service keeps no seller profile beyond the login.
- `POST /api/{storeCode}/customer/register` (admin or seller): `customer[firstName|lastName|
  email|phone|plainPassword]` → `{"customerId", "email"}`; with `plainPassword` the customer
  can log in at `/api/customer/login_check` at once.
- `POST /api/{storeCode}/admin/customer/{customer}/login` (admin; not in Open Loyalty, which
  mails an activation link): `customer[plainPassword]` gives an existing customer a login (its
  email as username), or a new password → `{"customerId", "email"}`.

A taken email is a 400 on `email` in the form tree, as Open Loyalty answers it. No answer
carries the password.
"""

from __future__ import annotations

from chalicelib.api.openloyalty.errors import openloyalty_routes
from chalicelib.api.openloyalty.registration_schemas import CustomerLogin, SellerRegistered
from chalicelib.api.request import ApiRequest
from chalicelib.domain.access import registration
from chalicelib.domain.access.registration import CustomerForm, PasswordForm, SellerForm
from chalicelib.domain.customers.records import CustomerNotFoundError
from chalicelib.domain.errors import InvalidInputError

FORM_ERRORS = (InvalidInputError,)

routes = openloyalty_routes(__name__)


@routes.route(
    "/api/{storeCode}/seller/register",
    methods=["POST"],
    summary="Register a new seller (a seller login)",
    body_key="seller",
    errors=FORM_ERRORS,
)
def register_seller(request: ApiRequest, storeCode: str, body: SellerForm) -> SellerRegistered:
    return registration.register_seller(request.store_code, body)


@routes.route(
    "/api/{storeCode}/customer/register",
    methods=["POST"],
    summary="Create a new customer, with a login when a password is given",
    body_key="customer",
    errors=FORM_ERRORS,
)
def register_customer(request: ApiRequest, storeCode: str, body: CustomerForm) -> CustomerLogin:
    return registration.register_customer(request.store_code, body)


@routes.route(
    "/api/{storeCode}/admin/customer/{customer}/login",
    methods=["POST"],
    summary="Give a customer a login (its email) or a new password",
    body_key="customer",
    errors=(*FORM_ERRORS, CustomerNotFoundError),
)
def give_customer_login(
    request: ApiRequest, storeCode: str, customer: str, body: PasswordForm
) -> CustomerLogin:
    return registration.give_customer_login(request.store_code, customer, body.plainPassword)
