"""Customer records shared by every face: ids, lookup by email, and new records with guards.

A customer made here (by a claim, an instant credit, a reward) is the same record the
recipients API shows; its email is claimed through the same uniqueness guard.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import fields as dataclass_fields
from datetime import UTC, datetime
from itertools import islice
from typing import Any

from pynamodb.exceptions import DoesNotExist
from pynamodb.transactions import TransactWrite

from chalicelib.domain.errors import InvalidInputError, NotFoundError
from chalicelib.storage.customers import (
    IMONGGO_ID_SHARD,
    CustomerCountModel,
    CustomerModel,
    UniqueValueModel,
    allocate_imonggo_ids,
    customers_by_imonggo_id,
    email_key,
    find_by_imonggo_id,
    public_key_key,
    set_imonggo_id,
    unique_email_pk,
    unique_public_key_pk,
    unnumbered_customers,
)
from chalicelib.storage.customers import normalize_email as normalize_email  # the domain's word

ID_ALPHABET = string.ascii_letters + string.digits
ID_LENGTH = 10
# An Imonggo id is at most this many digits (DynamoDB numbers hold 38; a counter never nears 15).
IMONGGO_ID_DIGITS = 15
MIGRATION_BATCH = 100
PER_PAGE = 100  # Imonggo's default and maximum
MAX_PAGE = 1_000_000
# Shares of a store's customer count: two transactions creating customers at the same moment
# meet on the same item (and one is sent again) once in this many times.
COUNT_SHARES = 16


class CustomerNotFoundError(NotFoundError):
    code = "customer_not_found"
    default_message = "Customer not found."


@dataclass(frozen=True)
class Customer:
    """A customer record as the faces show it (Alpha's recipient, Imonggo's customer): the
    stored record's profile, delivery address, type and balance, read once."""

    store_code: str
    customer_id: str
    imonggo_id: int | None
    active: bool
    email: str | None
    public_key: str | None
    locale: str | None
    firstname: str | None
    surname: str | None
    company: str | None
    address1: str | None
    address2: str | None
    address3: str | None
    town: str | None
    postcode: str | None
    country_code: str | None
    telephone: str | None
    del_firstname: str | None
    del_surname: str | None
    del_company: str | None
    del_address1: str | None
    del_address2: str | None
    del_address3: str | None
    del_town: str | None
    del_postcode: str | None
    del_country_code: str | None
    del_telephone: str | None
    customer_type_id: str | None
    points_available: int
    points_used: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, item: CustomerModel) -> Customer:
        values = {field.name: getattr(item, field.name) for field in dataclass_fields(cls)}
        values["imonggo_id"] = None if item.imonggo_id is None else int(item.imonggo_id)
        values["points_available"] = int(item.points_available or 0)
        values["points_used"] = int(item.points_used or 0)
        return cls(**values)


def new_customer_id() -> str:
    return "".join(secrets.choice(ID_ALPHABET) for _ in range(ID_LENGTH))


def find_by_email(store_code: str, email: str, consistent: bool = False) -> CustomerModel | None:
    """The store's customer with `email`, or None.

    One Query on the email index, which DynamoDB updates eventually; `consistent` reads the
    email guard and then the customer instead (two GetItems), for a caller that has just seen
    the guard refuse a new customer and must find the one that won.
    """
    if not consistent:
        results = CustomerModel.by_email.query(email_key(store_code, email), limit=1)
        return next(iter(results), None)
    try:
        guard = UniqueValueModel.get(unique_email_pk(store_code, email), consistent_read=True)
        return CustomerModel.get(store_code, guard.owner_id, consistent_read=True)
    except DoesNotExist:
        return None


def find_by_public_key(store_code: str, public_key: str) -> CustomerModel | None:
    """One Query on the public-key index; None when the store has no such customer."""
    results = CustomerModel.by_public_key.query(public_key_key(store_code, public_key), limit=1)
    return next(iter(results), None)


def get_customer(store_code: str, customer_id: str) -> CustomerModel:
    try:
        return CustomerModel.get(store_code, customer_id)
    except DoesNotExist as error:
        raise CustomerNotFoundError() from error


def find_imonggo_customer(store_code: str, ref: str, consistent: bool = False) -> CustomerModel:
    """The customer an Imonggo client names, with its integer id.

    `ref` is the integer id (one Query on the index; then one consistent GetItem when
    `consistent`, as a spend needs the fresh balance), or the customer id the other faces show,
    which clients of the string ids still send (one GetItem). A customer without an integer id
    yet (made before ids were given, and not reached by `number_customers`) gets one now.
    """
    customer: CustomerModel | None = None
    numeric = ref.isascii() and ref.isdigit() and len(ref) <= IMONGGO_ID_DIGITS
    if numeric:
        customer = find_by_imonggo_id(store_code, int(ref))
        if customer is not None and consistent:
            customer = _get(store_code, customer.customer_id)
    # A customer id is ten letters and digits, rarely digits only: then try it as one too.
    if customer is None and (not numeric or len(ref) == ID_LENGTH):
        customer = _get(store_code, ref, consistent)
    if customer is None:
        raise CustomerNotFoundError()
    if customer.imonggo_id is None and not number_customer(customer):
        customer = _get(store_code, customer.customer_id)  # numbered meanwhile, or deleted
        if customer is None:
            raise CustomerNotFoundError()
    return customer


@dataclass(frozen=True)
class CustomerListing:
    """A page of Imonggo's customer list and its filters."""

    page: int = 1
    per_page: int = PER_PAGE
    active_only: bool = False
    q: str | None = None  # part of the name or the email, any case
    after: datetime | None = None  # updated since

    def matches(self, customer: CustomerModel) -> bool:
        if self.active_only and not customer.active:
            return False
        if self.after is not None and customer.updated_at <= self.after:
            return False
        if self.q:
            name = " ".join(part for part in (customer.firstname, customer.surname) if part)
            if self.q not in name.lower() and self.q not in (customer.email or "").lower():
                return False
        return True


def _whole(value: Any, field: str, low: int, high: int, errors: dict[str, list[str]]) -> int:
    text = str(value).strip()
    if not (text.isascii() and text.isdigit()) or not low <= int(text) <= high:
        label = field.replace("_", " ")
        errors[field] = [f"The {label} must be a whole number from {low} to {high}."]
        return low
    return int(text)


def _since(value: str, errors: dict[str, list[str]]) -> datetime | None:
    try:
        since = datetime.fromisoformat(value.strip())
    except ValueError:
        errors["after"] = ["The after field must be a date or time (2013-07-13T00:52:24Z)."]
        return None
    return since if since.tzinfo else since.replace(tzinfo=UTC)


def customer_listing(params: Mapping[str, str]) -> CustomerListing:
    """The listing a query string asks for, or one 422 naming every bad parameter. A
    `per_page` above 100 is taken as 100, as Imonggo's clients may ask for more."""
    errors: dict[str, list[str]] = {}
    page = _whole(params.get("page", "1"), "page", 1, MAX_PAGE, errors)
    per_page = _whole(params.get("per_page", str(PER_PAGE)), "per_page", 1, MAX_PAGE, errors)
    after = _since(params["after"], errors) if params.get("after") else None
    if errors:
        raise InvalidInputError(errors)
    return CustomerListing(
        page=page,
        per_page=min(per_page, PER_PAGE),
        active_only=params.get("active_only", "").strip().lower() in ("1", "true"),
        q=(params.get("q") or "").strip().lower() or None,
        after=after,
    )


def list_imonggo_customers(store_code: str, listing: CustomerListing) -> list[Customer]:
    """One page of the store's numbered customers in integer id order, past the end empty.

    Read in id order from the index by Query (never a scan), a page of DynamoDB at a time, up
    to the end of the asked page: page N reads the customers before it (the filters are
    applied as they come), so the cost grows with the page, not with the store's other data.
    """
    unfiltered = not (listing.active_only or listing.q or listing.after)
    page_size = listing.page * listing.per_page if unfiltered else PER_PAGE
    found = (
        customer
        for customer in customers_by_imonggo_id(store_code, min(page_size, PER_PAGE * 10))
        if listing.matches(customer)
    )
    start = (listing.page - 1) * listing.per_page
    return [Customer.of(item) for item in islice(found, start, start + listing.per_page)]


def _get(store_code: str, customer_id: str, consistent: bool = True) -> CustomerModel | None:
    try:
        return CustomerModel.get(store_code, customer_id, consistent_read=consistent)
    except DoesNotExist:
        return None


def number_customer(customer: CustomerModel) -> bool:
    """Give `customer` an Imonggo id: two UpdateItems (the counter, then the customer under a
    condition). False when it got one meanwhile or no longer exists (the id stays unused)."""
    (number,) = allocate_imonggo_ids(customer.store_code, 1)
    if not set_imonggo_id(customer, number):
        return False
    customer.imonggo_id = number
    return True


def number_customers(store_code: str) -> int:
    """The migration: give every customer of the store without an Imonggo id one, oldest first
    within each batch; reads the store's partition by Query, allocates a batch's ids with one
    UpdateItem. Safe to run again, and alongside requests; returns how many it numbered."""
    numbered = 0
    batch: list[CustomerModel] = []
    for customer in unnumbered_customers(store_code, MIGRATION_BATCH):
        batch.append(customer)
        if len(batch) == MIGRATION_BATCH:
            numbered += _number_batch(batch)
            batch = []
    return numbered + (_number_batch(batch) if batch else 0)


def _number_batch(batch: list[CustomerModel]) -> int:
    batch.sort(key=lambda customer: customer.created_at)
    numbers = allocate_imonggo_ids(batch[0].store_code, len(batch))
    return sum(set_imonggo_id(c, n) for c, n in zip(batch, numbers, strict=True))


def new_customer(store_code: str, email: str | None, **fields: Any) -> CustomerModel:
    """An unsaved customer with a fresh id; `email_guard` gives the item that claims its email."""
    now = datetime.now(UTC)
    customer = CustomerModel(
        store_code, new_customer_id(), active=True, created_at=now, updated_at=now, **fields
    )
    if email:
        customer.email = email.strip()
        customer.email_key = email_key(store_code, email)
    if customer.public_key:
        customer.public_key_key = public_key_key(store_code, customer.public_key)
    return customer


def email_guard(customer: CustomerModel) -> UniqueValueModel:
    assert customer.email, "only a customer with an email has an email guard"
    return UniqueValueModel(
        unique_email_pk(customer.store_code, customer.email), owner_id=customer.customer_id
    )


def guards(customer: CustomerModel) -> list[UniqueValueModel]:
    """The items that claim a new customer's email and public key within its store."""
    items = [email_guard(customer)] if customer.email else []
    if customer.public_key:
        items.append(
            UniqueValueModel(
                unique_public_key_pk(customer.store_code, customer.public_key),
                owner_id=customer.customer_id,
            )
        )
    return items


def add_new_customers(
    transaction: TransactWrite, customers: list[CustomerModel], guard_values: str | None = None
) -> None:
    """The items creating `customers` (of one store) in `transaction`: each record and its
    guards, refused when the id or a guarded value is taken, and their number added to the
    store's customer count. `guard_values="ALL_OLD"` makes a refused guard name its owner.
    Each customer gets its Imonggo integer id first (one UpdateItem for them all); a retried
    transaction keeps the ids it was given."""
    unnumbered = [customer for customer in customers if customer.imonggo_id is None]
    if unnumbered:
        numbers = allocate_imonggo_ids(unnumbered[0].store_code, len(unnumbered))
        for customer, number in zip(unnumbered, numbers, strict=True):
            customer.imonggo_id = number
    for customer in customers:
        transaction.save(customer, condition=CustomerModel.customer_id.does_not_exist())
        for guard in guards(customer):
            transaction.save(
                guard, condition=UniqueValueModel.pk.does_not_exist(), return_values=guard_values
            )
    if customers:
        count_customers(transaction, customers[0].store_code, len(customers))


def count_customers(transaction: TransactWrite, store_code: str, change: int) -> None:
    """Adds `change` to the store's customer count in `transaction`, on one share at random."""
    transaction.update(
        CustomerCountModel(store_code, secrets.randbelow(COUNT_SHARES)),
        actions=[CustomerCountModel.customers.add(change)],
    )


def customers_count(store_code: str) -> int:
    """How many customers the store has: the sum of its count's shares, one Query."""
    shares = CustomerCountModel.query(
        store_code, CustomerCountModel.shard > IMONGGO_ID_SHARD, consistent_read=True
    )
    return sum(int(share.customers) for share in shares)
