"""Levels: a store's tiers of customers, and the level each customer holds.

A customer's level is `level_id` on the customer plus `level_key` for the level index, set in
one transaction with a check that the level exists; the levels' customer counts move with it
(chalicelib/domain/catalog/audiences.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Annotated, ClassVar

from pydantic import AfterValidator, Field, StringConstraints

from chalicelib.domain.catalog import audiences
from chalicelib.domain.catalog.targeting.sets import (
    ATTEMPTS,
    LEVELS,
    MAX_ID_LENGTH,
    Description,
    FormInput,
    LevelInUseError,
    Name,
    Page,
    all_items,
    create_item,
    delete_item,
    get_item,
    is_id,
    now,
    replace_item,
)
from chalicelib.domain.customers.records import CustomerNotFoundError, get_customer
from chalicelib.domain.errors import ConflictError, InvalidInputError
from chalicelib.domain.paging import page_of
from chalicelib.domain.validation import number_type
from chalicelib.storage.customers import CustomerModel, level_key
from chalicelib.storage.errors import TransactionCancelledError
from chalicelib.storage.targeting import LevelModel
from chalicelib.storage.transactions import Transaction

MAX_CONDITION_VALUE = Decimal(10) ** 13


@dataclass(frozen=True)
class Level:
    """A level as the admin sees it, with how many customers hold it."""

    level_id: str
    name: str
    description: str | None
    active: bool
    condition_value: Decimal | None
    customers_count: int
    created_at: datetime
    updated_at: datetime


def _condition_value(value: Decimal) -> Decimal:
    exponent = value.as_tuple().exponent
    if not value.is_finite() or value < 0 or value >= MAX_CONDITION_VALUE or exponent < -2:
        raise ValueError(
            f"The condition value must be a number from 0 to under {MAX_CONDITION_VALUE:,}, "
            "with at most 2 decimal places."
        )
    return value


class LevelInput(FormInput):
    form_key: ClassVar[str] = "level"

    name: Name
    description: Description | None = None
    active: bool = True
    condition_value: Annotated[number_type(Decimal), AfterValidator(_condition_value)] | None = (
        Field(None, alias="conditionValue")
    )


def level_customers_count(store_code: str, level_id: str) -> int:
    """How many customers hold the level: one COUNT Query on the level index."""
    return CustomerModel.by_level.count(level_key(store_code, level_id))


def level_member_ids(store_code: str, level_id: str) -> list[str]:
    """The ids of the customers holding the level: one Query on the level index (paged)."""
    customers = CustomerModel.by_level.query(
        level_key(store_code, level_id), attributes_to_get=["customer_id"]
    )
    return [customer.customer_id for customer in customers]


def _level(item: LevelModel) -> Level:
    return Level(
        item.level_id,
        item.name,
        item.description,
        item.active,
        item.condition_value,
        level_customers_count(item.store_code, item.level_id),
        item.created_at,
        item.updated_at,
    )


def _fields(form: LevelInput) -> dict[str, object]:
    fields = form.model_dump()
    fields["description"] = fields["description"] or None
    return fields


def create_level(store_code: str, form: LevelInput) -> Level:
    # A new level is held by no one: counted from the start.
    return _level(create_item(LEVELS, store_code, {**_fields(form), "counted": True}))


def get_level(store_code: str, level_id: str) -> Level:
    return _level(get_item(LEVELS, store_code, level_id))


def level_items(store_code: str) -> list[LevelModel]:
    """The store's levels from the lowest condition up, then by name."""
    return sorted(
        all_items(LEVELS, store_code),
        key=lambda level: (level.condition_value or Decimal(0), level.name.lower()),
    )


def list_levels(store_code: str, page: int, per_page: int) -> Page[Level]:
    """One page of the store's levels, lowest condition first (counted for the page only)."""
    items = level_items(store_code)
    return Page([_level(item) for item in page_of(items, page, per_page)], len(items))


def update_level(store_code: str, level_id: str, form: LevelInput) -> Level:
    """Full update, as the document's forms are: fields left out take their defaults."""
    return _level(replace_item(LEVELS, store_code, level_id, _fields(form)))


def delete_level(store_code: str, level_id: str) -> None:
    """Refused while any customer holds the level (one Query on the level index, limit 1)."""
    get_item(LEVELS, store_code, level_id)
    if next(iter(CustomerModel.by_level.query(level_key(store_code, level_id), limit=1)), None):
        raise LevelInUseError()
    delete_item(LEVELS, store_code, level_id)


class LevelChoice(FormInput):
    """`levelId`; empty takes the customer's level away."""

    level_id: Annotated[str, StringConstraints(max_length=MAX_ID_LENGTH)] | None = Field(
        None, alias="levelId"
    )


@dataclass(frozen=True)
class CustomerLevel:
    customer_id: str
    level_id: str | None


def set_customer_level(store_code: str, customer_id: str, choice: LevelChoice) -> CustomerLevel:
    """Give the customer a level (`levelId`), or none when it is empty.

    One transaction: the level must exist, and so must the customer, still holding the level
    read before; the old level's count goes down and the new one's up with it. A level changed
    meanwhile is read again.
    """
    if not is_id(customer_id):
        raise CustomerNotFoundError()
    level_id = choice.level_id or None
    if level_id is None:
        actions = [CustomerModel.level_id.remove(), CustomerModel.level_key.remove()]
    else:
        actions = [
            CustomerModel.level_id.set(level_id),
            CustomerModel.level_key.set(level_key(store_code, level_id)),
        ]
    for _ in range(ATTEMPTS):
        old = get_customer(store_code, customer_id).level_id
        held = (
            CustomerModel.level_id.does_not_exist()
            if old is None
            else CustomerModel.level_id == old
        )
        transaction = Transaction()
        try:
            with transaction:
                if level_id is not None and level_id == old:
                    transaction.condition_check(
                        LevelModel, store_code, level_id, condition=LevelModel.level_id.exists()
                    )
                elif level_id is not None:
                    audiences.move_level(transaction, store_code, level_id, 1)
                if old is not None and old != level_id:
                    audiences.move_level(transaction, store_code, old, -1)
                transaction.update(
                    CustomerModel(store_code, customer_id),
                    actions=[*actions, CustomerModel.updated_at.set(now())],
                    condition=CustomerModel.customer_id.exists() & held,
                )
            return CustomerLevel(customer_id, level_id)
        except TransactionCancelledError as error:
            failures = error.failures
            if any(
                failure.model is LevelModel and failure.key["level_id"] == level_id
                for failure in failures
            ):
                raise InvalidInputError(
                    {"levelId": ["No level with this id in this store."]}
                ) from error
            if not any(failure.model is CustomerModel for failure in failures):
                raise
    raise ConflictError("The customer's level changed meanwhile; retry.")
