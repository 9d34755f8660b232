"""Logins made over HTTP, as Open Loyalty's registration calls make them: a seller's, a new
customer's (with or without a login), and a login for a customer who has none.

A login's username is its email; its password is stored hashed (chalicelib/domain/access/secrets.py)
and never answered. A customer and its login are written in one transaction: a refused email
leaves neither.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, ClassVar

from pydantic import ConfigDict, Field, StringConstraints, model_validator

from chalicelib.domain.access import auth
from chalicelib.domain.access.auth import Role
from chalicelib.domain.customers import records
from chalicelib.domain.errors import ConflictError, InvalidInputError
from chalicelib.domain.validation import Email, InputModel
from chalicelib.storage.credentials import CredentialModel
from chalicelib.storage.customers import UniqueValueModel
from chalicelib.storage.errors import TransactionCancelledError
from chalicelib.storage.transactions import Transaction

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, max_length=32)]
Password = Annotated[
    str, StringConstraints(min_length=auth.MIN_PASSWORD_LENGTH, max_length=1024)
]  # not stripped: every character counts


class WrappedForm(InputModel):
    """A form sent wrapped under its name (`seller[email]`, `{"seller": {...}}`) or bare."""

    key: ClassVar[str] = ""  # the name it is wrapped under

    @model_validator(mode="before")
    @classmethod
    def _unwrapped(cls, data: Any) -> Any:
        return data.get(cls.key, data) if isinstance(data, dict) else data


class SellerForm(WrappedForm):
    """`seller[...]` of `POST /api/{storeCode}/seller/register`."""

    model_config = ConfigDict(defer_build=True, extra="forbid")
    key: ClassVar[str] = "seller"

    firstName: Name
    lastName: Name
    email: Email
    plainPassword: Password
    phone: Phone | None = None
    posId: Annotated[str, StringConstraints(max_length=64)] | None = None
    active: bool = True


class CustomerForm(WrappedForm):
    """`customer[...]` of `POST /api/{storeCode}/customer/register`; with `plainPassword`, the
    customer gets a login at once."""

    model_config = ConfigDict(defer_build=True, extra="forbid")
    key: ClassVar[str] = "customer"

    firstName: Name
    lastName: Name
    email: Email
    phone: Phone | None = None
    plainPassword: Password | None = None


class PasswordForm(WrappedForm):
    """`customer[plainPassword]` of `POST /api/{storeCode}/admin/customer/{customer}/login`."""

    model_config = ConfigDict(defer_build=True, extra="forbid")
    key: ClassVar[str] = "customer"

    plainPassword: Password = Field(description="The customer's password from now on")


@dataclass(frozen=True)
class Login:
    """Who was given a login: their id (a seller's is the subject of its tokens) and their
    username, the email. Never the password."""

    id: str
    email: str


def _email_taken() -> InvalidInputError:
    return InvalidInputError({"email": ["This email is already taken."]})


def register_seller(store_code: str, form: SellerForm) -> Login:
    """A seller login (inactive: made, but refused at login until activated)."""
    try:
        seller_id = auth.create_user(
            store_code, Role.SELLER, form.email, form.plainPassword, active=form.active
        )
    except ConflictError as error:
        raise _email_taken() from error
    return Login(seller_id, form.email)


def register_customer(store_code: str, form: CustomerForm) -> Login:
    """A new customer, and its login when the form has a password, in one transaction."""
    customer = records.new_customer(
        store_code,
        form.email,
        firstname=form.firstName,
        surname=form.lastName,
        telephone=form.phone,
    )
    login = None
    if form.plainPassword is not None:
        login = auth.new_user(
            store_code, Role.CUSTOMER, form.email, form.plainPassword, customer.customer_id
        )
    transaction = Transaction()
    try:
        with transaction:
            records.add_new_customers(transaction, [customer])
            if login is not None:
                transaction.save(login, condition=CredentialModel.pk.does_not_exist())
    except TransactionCancelledError as error:
        taken = {UniqueValueModel, CredentialModel}
        if any(failure.model in taken for failure in error.failures):
            raise _email_taken() from error
        raise
    return Login(customer.customer_id, customer.email)


def give_customer_login(store_code: str, customer_id: str, password: str) -> Login:
    """The customer's login (username: its email): made, or its password set when it has one."""
    customer = records.get_customer(store_code, customer_id)
    if not customer.email:
        raise InvalidInputError({"email": ["The customer has no email to log in with."]})
    auth.ensure_user(store_code, Role.CUSTOMER, customer.email, password, customer.customer_id)
    return Login(customer.customer_id, customer.email)
