"""Spending points by a money amount (Imonggo's reward API): `amount * ratio` points, one debit.

Rules, all in Decimal arithmetic (never float):

- `amount` is a decimal number in plain ASCII digits (`10`, `10.05`; `validation.plain_number`):
  greater than 0, at most `MAX_AMOUNT`, with at most two decimal places (money, to the cent).
- The ratio is the customer type's `point_to_amount_ratio`, else the store's default.
- Points are whole numbers. `amount * ratio` is computed exactly; when it is not whole (ratio
  0.5 and amount 3: 1.5 points) the spend is refused with a 422 `amount_not_convertible`
  rather than rounded, so neither the store nor the customer loses part of a point silently.
- `reference` is stored on the ledger entry; as the document says, its uniqueness is not
  enforced: two spends with one reference both apply. A retry that must apply once carries an
  `Idempotency-Key`.

DynamoDB per spend: one consistent GetItem (the customer: its type and balance) and one
conditional transaction (`ledger.post`), which refuses a debit the balance does not cover. The
customer type and the store's ratio come from per-process caches. `points-available` in the
answer is the balance read minus the points spent: a change made by someone else between the
read and the transaction is not reflected, except that an impossible (negative) figure is
re-read once.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Context, Decimal, Inexact
from typing import Any

from pydantic_core import PydanticCustomError

from chalicelib.domain.customers import customer_types
from chalicelib.domain.customers.customer_types import CustomerType
from chalicelib.domain.customers.records import (
    Customer,
    CustomerListing,
    find_imonggo_customer,
    list_imonggo_customers,
)
from chalicelib.domain.errors import InvalidInputError
from chalicelib.domain.points import ledger
from chalicelib.domain.points.ledger import EntryKind, Posting
from chalicelib.domain.validation import is_single_line, plain_number

MAX_AMOUNT = Decimal("1000000000")
AMOUNT_PLACES = 2
MAX_REFERENCE_LENGTH = 255
# Precise enough for any amount * ratio within the limits; Inexact would mean a rounded product.
_EXACT = Context(prec=60, traps=[Inexact])


class AmountNotConvertibleError(InvalidInputError):
    """`amount * ratio` is not a whole number of points."""

    code = "amount_not_convertible"

    def __init__(self, amount: Decimal, ratio: Decimal, points: Decimal) -> None:
        super().__init__(
            {
                "amount": [
                    f"{amount} at {ratio} points per unit is {points} points; points are whole "
                    "numbers, so use an amount that converts to whole points."
                ]
            },
            message="The amount does not convert to a whole number of points.",
        )


@dataclass(frozen=True)
class Member:
    """A customer with the membership that prices its points."""

    customer: Customer
    customer_type: CustomerType | None
    point_to_amount_ratio: Decimal


@dataclass(frozen=True)
class SpendOrder:
    customer_id: str
    amount: Decimal
    reference: str | None


@dataclass(frozen=True)
class Spent:
    points_spent: int
    amount_spent: Decimal
    points_available: int


def find_member(store_code: str, customer_ref: str, consistent: bool = False) -> Member:
    """The store's customer by Imonggo id (or customer id) with its type and ratio
    (`customers.find_imonggo_customer`; types are cached)."""
    return member_of(Customer.of(find_imonggo_customer(store_code, customer_ref, consistent)))


def member_of(customer: Customer) -> Member:
    """The customer with its type and ratio (both cached per process)."""
    customer_type = customer_types.find_customer_type(
        customer.store_code, customer.customer_type_id
    )
    ratio = customer_types.point_to_amount_ratio(customer.store_code, customer_type)
    return Member(customer, customer_type, ratio)


def list_members(store_code: str, listing: CustomerListing) -> list[Member]:
    """A page of Imonggo's customer list (`records.list_imonggo_customers`), with their types."""
    return [member_of(customer) for customer in list_imonggo_customers(store_code, listing)]


def _text(value: Any) -> str | None:
    """A parameter as text: numbers from JSON bodies are accepted, booleans and objects not."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str | int | float):
        return str(value).strip()
    return None


def parse_amount(value: Any) -> Decimal:
    """The amount of money to spend; ValueError with the message for the caller."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValueError("The amount field is required.")
    try:
        amount = Decimal(plain_number(value, fraction=True))
    except PydanticCustomError as error:
        raise ValueError("The amount must be a number.") from error
    if amount <= 0:
        raise ValueError("The amount must be greater than 0.")
    if amount > MAX_AMOUNT:
        raise ValueError(f"The amount may not be greater than {MAX_AMOUNT}.")
    if amount != round(amount, AMOUNT_PLACES):  # `10.050` is fine, `10.005` is not
        raise ValueError(f"The amount may have at most {AMOUNT_PLACES} decimal places.")
    return amount


def spend_order(customer_id: Any, amount: Any, reference: Any) -> SpendOrder:
    """The validated parameters of a spend, or one 422 naming every bad field."""
    errors: dict[str, list[str]] = {}
    customer = _text(customer_id)
    if not customer:
        errors["customer_id"] = ["The customer id field is required."]
    parsed_amount = Decimal(0)
    try:
        parsed_amount = parse_amount(amount)
    except ValueError as error:
        errors["amount"] = [str(error)]
    reference_text = _text(reference) or None
    if reference is not None and (
        isinstance(reference, bool) or not isinstance(reference, str | int)
    ):
        errors["reference"] = ["The reference must be a string."]
    elif reference_text and len(reference_text) > MAX_REFERENCE_LENGTH:
        errors["reference"] = [
            f"The reference may not be greater than {MAX_REFERENCE_LENGTH} characters."
        ]
    elif isinstance(reference, str) and not is_single_line(reference):
        errors["reference"] = [
            "The reference must be one line of text, without line breaks or NUL characters."
        ]
    if errors:
        raise InvalidInputError(errors)
    assert customer is not None
    return SpendOrder(customer, parsed_amount, reference_text)


def points_for(amount: Decimal, ratio: Decimal) -> int:
    """`amount * ratio` as whole points, computed exactly; refused when not whole."""
    try:
        points = _EXACT.multiply(amount, ratio)
    except Inexact as error:
        raise AmountNotConvertibleError(amount, ratio, amount * ratio) from error
    if points != points.to_integral_value():
        raise AmountNotConvertibleError(amount, ratio, points.normalize())
    return int(points)


def spend(store_code: str, order: SpendOrder, actor: str | None = None) -> Spent:
    """Debit `order.amount * ratio` points from the customer: one read, one transaction."""
    customer = find_imonggo_customer(store_code, order.customer_id, consistent=True)
    member = member_of(Customer.of(customer))
    points = points_for(order.amount, member.point_to_amount_ratio)
    ledger.post(
        Posting(
            store_code,
            customer.customer_id,
            -points,
            EntryKind.SPEND,
            reference=order.reference,
            actor=actor,
        )
    )
    available = member.customer.points_available - points
    if available < 0:
        # Only possible when points arrived between the read and the transaction.
        customer.refresh(consistent_read=True)
        available = int(customer.points_available)
    return Spent(points, order.amount, available)
