"""Customers as the targeting views show them (a segment's members, a campaign's audience):
the fields of the Open Loyalty document that this service keeps."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from chalicelib.storage.customers import CustomerModel


@dataclass(frozen=True)
class Address:
    """The document's address parts, from the recipient fields we keep (None: not given)."""

    street: str | None
    address1: str | None
    address2: str | None
    city: str | None
    postal: str | None
    country: str | None  # ISO 3166-1 alpha-2, upper case


@dataclass(frozen=True)
class Customer:
    customer_id: str
    active: bool
    first_name: str | None
    last_name: str | None
    email: str | None
    phone: str | None
    created_at: datetime | None
    updated_at: datetime | None
    level_id: str | None
    segments: list[str]  # ids, sorted
    address: Address | None  # None when no part is given


@dataclass(frozen=True)
class CustomerPage:
    customers: list[Customer]
    total: int


def _address(item: CustomerModel) -> Address | None:
    country = item.country_code.upper() if item.country_code else None
    address = Address(
        item.address1 or None,
        item.address2 or None,
        item.address3 or None,
        item.town or None,
        item.postcode or None,
        country,
    )
    return address if any(vars(address).values()) else None


def customer_of(item: CustomerModel) -> Customer:
    return Customer(
        item.customer_id,
        item.active,
        item.firstname,
        item.surname,
        item.email,
        item.telephone,
        item.created_at,
        item.updated_at,
        item.level_id,
        sorted(item.segment_ids or ()),
        _address(item),
    )


def customers_by_id(store_code: str, ids: list[str]) -> list[CustomerModel]:
    """The customers with these ids, in this order; ids no longer in the store are skipped."""
    found = {
        customer.customer_id: customer
        for customer in CustomerModel.batch_get([(store_code, value) for value in ids])
    }
    return [found[value] for value in ids if value in found]
