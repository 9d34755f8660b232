"""What a customer type may be: the admin API's body (name, point-to-amount ratio, discount)
and the `customerType` a Coggins item names one by (chalicelib/domain/customers/customer_types.py
applies them)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, AliasChoices, ConfigDict, Field, StringConstraints

from chalicelib.domain.validation import InputModel, SingleLine, number_type

MAX_REF_LENGTH = 64  # a type's id or name as a Coggins item gives it
MAX_RATIO = Decimal("1000000")
RATIO_PLACES = 4
DISCOUNT_PLACES = 2


def _blank_is_none(value: str) -> str | None:
    return value or None


# `customerType` of a Coggins item: a type's id or name; blank means none.
CustomerTypeRef = Annotated[
    str,
    StringConstraints(max_length=MAX_REF_LENGTH),
    AfterValidator(_blank_is_none),
    SingleLine,
]


def _places(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _ratio(value: Decimal) -> Decimal:
    if value <= 0 or value > MAX_RATIO:
        raise ValueError(
            f"The point to amount ratio must be greater than 0 and at most {MAX_RATIO}."
        )
    if _places(value.normalize()) > RATIO_PLACES:
        raise ValueError(
            f"The point to amount ratio may have at most {RATIO_PLACES} decimal places."
        )
    return value


def _discount(value: Decimal) -> Decimal:
    if not 0 <= value <= 100:
        raise ValueError("The discount must be a percentage between 0 and 100.")
    if _places(value.normalize()) > DISCOUNT_PLACES:
        raise ValueError(f"The discount may have at most {DISCOUNT_PLACES} decimal places.")
    return value


def _name(value: str) -> str:
    if value.isdigit():
        raise ValueError("The name may not be only digits: those are customer type ids.")
    return value


class CustomerTypeInput(InputModel):
    """Every field optional here; `name` and the ratio are required on create."""

    model_config = ConfigDict(str_strip_whitespace=True)

    name: Annotated[
        str, StringConstraints(min_length=1, max_length=255), SingleLine, AfterValidator(_name)
    ]
    point_to_amount_ratio: Annotated[number_type(Decimal), AfterValidator(_ratio)] = Field(
        validation_alias=AliasChoices("pointToAmountRatio", "point_to_amount_ratio")
    )
    discount: Annotated[number_type(Decimal), AfterValidator(_discount)] = Decimal(0)


class CustomerTypeChanges(CustomerTypeInput):
    name: (
        Annotated[
            str, StringConstraints(min_length=1, max_length=255), SingleLine, AfterValidator(_name)
        ]
        | None
    ) = None
    point_to_amount_ratio: Annotated[number_type(Decimal), AfterValidator(_ratio)] | None = Field(
        None, validation_alias=AliasChoices("pointToAmountRatio", "point_to_amount_ratio")
    )
    discount: Annotated[number_type(Decimal), AfterValidator(_discount)] | None = None
