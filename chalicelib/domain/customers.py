"""Customer records shared by every face: ids, lookup by email, and new records with guards.

A customer made here (by a claim, an instant credit, a reward) is the same record the
recipients API shows; its email is claimed through the same uniqueness guard.
"""

from __future__ import annotations

import secrets
import string
from datetime import UTC, datetime
from typing import Any

from pynamodb.exceptions import DoesNotExist
from pynamodb.transactions import TransactWrite

from chalicelib.domain.errors import NotFoundError
from chalicelib.storage.customers import (
    IMONGGO_ID_SHARD,
    CustomerCountModel,
    CustomerModel,
    UniqueValueModel,
    allocate_imonggo_ids,
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
# Shares of a store's customer count: two transactions creating customers at the same moment
# meet on the same item (and one is sent again) once in this many times.
COUNT_SHARES = 16


class CustomerNotFoundError(NotFoundError):
    code = "customer_not_found"
    default_message = "Customer not found."


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
