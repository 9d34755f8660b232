"""Customer types (Imonggo's membership definitions): a name, a point-to-amount ratio, a discount.

A customer's `customer_type_id` names its type by id (`8`) or, as point claims store it, by
name (`Gold`); `find_customer_type` accepts either. Names are unique in a store, compared
trimmed and case-insensitively (a guard item in `unique-values`, written in the same
transaction as the type), and may not be all digits, so an id and a name never collide.

Request paths (the customer view, spending) read types from a per-process cache of the store's
whole list (one Query), like `stores.get_store`: an entry lives `CACHE_SECONDS`, and a lookup
that misses reloads it when it is older than `REFRESH_ON_MISS_SECONDS`, so a type made in
another process is seen within seconds, while a changed ratio or discount may take up to
`CACHE_SECONDS` to reach other processes. Admin reads always query.

A deleted type's id is never reused (the counter only grows); customers that still name it
fall back to the store's default ratio.

Coggins items (point claims, instant edits) name a type in `customerType`; one naming no type
of the store is that item's error (`UnknownCustomerTypeError`), the store's list read at most
once for the whole request (`unknown_customer_types`).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from chalicelib.domain.access.stores import get_store
from chalicelib.domain.customers.customer_type_input import CustomerTypeChanges, CustomerTypeInput
from chalicelib.domain.customers.recipients import RecipientNotFoundError, find_recipient
from chalicelib.domain.customers.records import Customer, CustomerNotFoundError
from chalicelib.domain.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    RewardsError,
)
from chalicelib.storage.customer_types import (
    COUNTER_ID,
    FIRST_TYPE_ID,
    CustomerTypeModel,
    customer_type_name_pk,
)
from chalicelib.storage.customers import CustomerModel, UniqueValueModel
from chalicelib.storage.errors import ConditionFailedError, TransactionCancelledError
from chalicelib.storage.transactions import Transaction

CACHE_SECONDS = 60.0
REFRESH_ON_MISS_SECONDS = 5.0


class CustomerTypeNotFoundError(NotFoundError):
    code = "customer_type_not_found"
    default_message = "Customer type not found."


class UnknownCustomerTypeError(InvalidInputError):
    """An item's `customerType` names no type of the store: that item's error, not the
    request's (the other items still go in)."""

    code = "unknown_customer_type"
    default_message = "The customer type does not exist in this store."

    def __init__(self) -> None:
        super().__init__({"customerType": [self.default_message]})


@dataclass(frozen=True)
class CustomerType:
    type_id: str
    name: str
    point_to_amount_ratio: Decimal
    discount: Decimal
    created_at: datetime


@dataclass(frozen=True)
class _StoreTypes:
    loaded_at: float
    by_id: dict[str, CustomerType]
    by_name: dict[str, CustomerType]

    def find(self, ref: str) -> CustomerType | None:
        ref = ref.strip()
        return self.by_id.get(ref) or self.by_name.get(ref.lower())


_cache: dict[str, _StoreTypes] = {}


def _from_model(item: CustomerTypeModel) -> CustomerType:
    return CustomerType(
        type_id=item.type_id,
        name=item.name,
        point_to_amount_ratio=item.point_to_amount_ratio,
        discount=item.discount,
        created_at=item.created_at,
    )


def _load(store_code: str) -> _StoreTypes:
    """The store's types, one (consistent) Query, and remember them for this process."""
    items = CustomerTypeModel.query(
        store_code, CustomerTypeModel.type_id >= FIRST_TYPE_ID, consistent_read=True
    )
    types = sorted((_from_model(item) for item in items), key=lambda t: int(t.type_id))
    loaded = _StoreTypes(
        time.monotonic(),
        {t.type_id: t for t in types},
        {t.name.strip().lower(): t for t in types},
    )
    _cache[store_code] = loaded
    return loaded


def clear_cache() -> None:
    _cache.clear()


def find_customer_type(store_code: str, ref: str | None) -> CustomerType | None:
    """The store's type whose id or name is `ref`, from the cache; None when there is none."""
    if not ref or not ref.strip():
        return None
    loaded = _cache.get(store_code)
    if loaded is None or time.monotonic() - loaded.loaded_at >= CACHE_SECONDS:
        loaded = _load(store_code)
    found = loaded.find(ref)
    if found is None and time.monotonic() - loaded.loaded_at >= REFRESH_ON_MISS_SECONDS:
        found = _load(store_code).find(ref)
    return found


def unknown_customer_types(store_code: str, refs: Iterable[str | None]) -> set[str]:
    """Those of `refs` (ids or names) that name no type of the store. The cached list answers
    when it knows them all; else one Query reads the list again, so a type is refused only on
    a fresh read, and a request costs at most one read however many items it has."""
    wanted = {ref for ref in refs if ref and ref.strip()}
    if not wanted:
        return set()
    loaded = _cache.get(store_code)
    if (
        loaded is None
        or time.monotonic() - loaded.loaded_at >= CACHE_SECONDS
        or any(loaded.find(ref) is None for ref in wanted)
    ):
        loaded = _load(store_code)
    return {ref for ref in wanted if loaded.find(ref) is None}


def type_of(customer: CustomerModel) -> CustomerType | None:
    return find_customer_type(customer.store_code, customer.customer_type_id)


def point_to_amount_ratio(store_code: str, customer_type: CustomerType | None) -> Decimal:
    """Points per unit of money: the type's ratio, else the store's default."""
    if customer_type is not None:
        return customer_type.point_to_amount_ratio
    return get_store(store_code).point_to_amount_ratio


# --- admin ------------------------------------------------------------------------------------


def list_customer_types(store_code: str) -> list[CustomerType]:
    """The store's types in id order; one Query."""
    return list(_load(store_code).by_id.values())


def get_customer_type(store_code: str, ref: str) -> CustomerType:
    found = _load(store_code).find(ref)
    if found is None:
        raise CustomerTypeNotFoundError()
    return found


def _next_type_id(store_code: str) -> str:
    counter = CustomerTypeModel(store_code, COUNTER_ID)
    counter.update(actions=[CustomerTypeModel.last_type_id.add(1)])
    return str(int(counter.last_type_id))


def _name_guard(store_code: str, name: str, type_id: str) -> UniqueValueModel:
    return UniqueValueModel(customer_type_name_pk(store_code, name), owner_id=type_id)


def _raise_name_taken(error: TransactionCancelledError) -> None:
    for failure in error.failures:
        if failure.model is UniqueValueModel and failure.condition_failed:
            raise InvalidInputError({"name": ["The name has already been taken."]}) from error


def create_customer_type(store_code: str, fields: CustomerTypeInput) -> CustomerType:
    item = CustomerTypeModel(
        store_code,
        _next_type_id(store_code),
        name=fields.name,
        point_to_amount_ratio=fields.point_to_amount_ratio,
        discount=fields.discount,
        created_at=datetime.now(UTC),
    )
    transaction = Transaction()
    try:
        with transaction:
            transaction.save(item, condition=CustomerTypeModel.type_id.does_not_exist())
            transaction.save(
                _name_guard(store_code, item.name, item.type_id),
                condition=UniqueValueModel.pk.does_not_exist(),
            )
    except TransactionCancelledError as error:
        _raise_name_taken(error)  # the allocated id stays unused: ids may have gaps
        raise
    _cache.pop(store_code, None)
    return _from_model(item)


def update_customer_type(store_code: str, ref: str, given: CustomerTypeChanges) -> CustomerType:
    """Change only the fields given; a rename moves the name guard in the same transaction."""
    current = get_customer_type(store_code, ref)
    changes = given.model_dump(exclude_unset=True)
    changes = {field: value for field, value in changes.items() if value is not None}
    item = CustomerTypeModel(store_code, current.type_id)
    actions = [getattr(CustomerTypeModel, field).set(value) for field, value in changes.items()]
    # Applies only to the type as read, so a concurrent rename cannot strand a guard.
    condition = CustomerTypeModel.name == current.name
    renamed = "name" in changes and (
        customer_type_name_pk(store_code, changes["name"])
        != customer_type_name_pk(store_code, current.name)
    )
    if not actions:
        return current
    transaction = Transaction()
    try:
        with transaction:
            transaction.update(item, actions=actions, condition=condition)
            if renamed:
                transaction.delete(
                    UniqueValueModel(customer_type_name_pk(store_code, current.name)),
                    condition=UniqueValueModel.owner_id == current.type_id,
                )
                transaction.save(
                    _name_guard(store_code, changes["name"], current.type_id),
                    condition=UniqueValueModel.pk.does_not_exist(),
                )
    except TransactionCancelledError as error:
        _raise_name_taken(error)
        if error.refused():
            raise ConflictError(
                "The customer type changed meanwhile; read it and retry."
            ) from error
        raise
    _cache.pop(store_code, None)
    return get_customer_type(store_code, current.type_id)


def delete_customer_type(store_code: str, ref: str) -> None:
    current = get_customer_type(store_code, ref)
    transaction = Transaction()
    try:
        with transaction:
            transaction.delete(
                CustomerTypeModel(store_code, current.type_id),
                condition=CustomerTypeModel.name == current.name,
            )
            transaction.delete(
                UniqueValueModel(customer_type_name_pk(store_code, current.name)),
                condition=UniqueValueModel.owner_id == current.type_id,
            )
    except TransactionCancelledError as error:
        if error.refused():
            raise CustomerTypeNotFoundError() from error
        raise
    finally:
        _cache.pop(store_code, None)


def _customer(store_code: str, ref: str) -> CustomerModel:
    try:
        return find_recipient(store_code, ref)
    except RecipientNotFoundError as error:
        raise CustomerNotFoundError() from error


def _set_customer_type(
    customer: CustomerModel, type_id: str | None, condition: Any, refused: RewardsError
) -> None:
    """One conditional update of the customer's type; `refused` when the condition fails."""
    action = (
        CustomerModel.customer_type_id.set(type_id)
        if type_id
        else CustomerModel.customer_type_id.remove()
    )
    try:
        customer.update(
            actions=[action, CustomerModel.updated_at.set(datetime.now(UTC))], condition=condition
        )
    except ConditionFailedError as error:
        raise refused from error


@dataclass(frozen=True)
class Membership:
    """A customer and the type it was given."""

    customer: Customer
    customer_type: CustomerType


def assign_customer_type(store_code: str, type_ref: str, customer_ref: str) -> Membership:
    """Give the customer (id, email or public key) this type; one conditional update."""
    customer_type = get_customer_type(store_code, type_ref)
    customer = _customer(store_code, customer_ref)
    _set_customer_type(
        customer,
        customer_type.type_id,
        CustomerModel.customer_id.exists(),
        CustomerNotFoundError(),
    )
    return Membership(Customer.of(customer), customer_type)


def remove_customer_type(store_code: str, type_ref: str, customer_ref: str) -> None:
    """Take this type away from the customer; 404 when the customer does not have it."""
    customer_type = get_customer_type(store_code, type_ref)
    customer = _customer(store_code, customer_ref)
    current = type_of(customer)
    if current is None or current.type_id != customer_type.type_id:
        raise CustomerTypeNotFoundError("The customer does not have this customer type.")
    # Only if nobody changed the customer's type since it was read.
    _set_customer_type(
        customer,
        None,
        CustomerModel.customer_type_id == customer.customer_type_id,
        ConflictError("The customer changed meanwhile; read it and retry."),
    )
