"""Spending arithmetic: amounts parsed as Decimal, points = amount * ratio, exactly and whole."""

from __future__ import annotations

from decimal import Decimal

import pytest

from chalicelib.domain.errors import InvalidInputError
from chalicelib.domain.points.spending import (
    AmountNotConvertibleError,
    parse_amount,
    points_for,
    spend_order,
)
from chalicelib.domain.validation import JsonNumber


@pytest.mark.parametrize(
    ("value", "amount"),
    [
        ("10", Decimal(10)),
        ("10.05", Decimal("10.05")),
        (" 10.050 ", Decimal("10.05")),  # trailing zeros are still cents
        (JsonNumber("10.05"), Decimal("10.05")),  # a JSON number
        (7, Decimal(7)),
        ("1000000000", Decimal(1000000000)),
    ],
)
def test_amounts_parse_exactly(value: object, amount: Decimal) -> None:
    assert parse_amount(value) == amount


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (None, "The amount field is required."),
        ("  ", "The amount field is required."),
        ("ten", "The amount must be a number."),
        ("NaN", "The amount must be a number."),
        ("sNaN", "The amount must be a number."),
        ("Infinity", "The amount must be a number."),
        ("-inf", "The amount must be a number."),
        (True, "The amount must be a number."),
        ({"value": 1}, "The amount must be a number."),
        ("0", "The amount must be greater than 0."),
        ("-10", "The amount must be greater than 0."),
        ("0.001", "The amount may have at most 2 decimal places."),
        ("10.005", "The amount may have at most 2 decimal places."),
        ("1000000000.01", "The amount may not be greater than 1000000000."),
        ("1e3", "The amount must be a number."),  # no exponents
        ("1e400", "The amount must be a number."),
        (10.05, "The amount must be a number."),  # never a float
    ],
)
def test_bad_amounts_are_refused_with_a_message(value: object, message: str) -> None:
    with pytest.raises(ValueError) as raised:
        parse_amount(value)
    assert str(raised.value) == message


@pytest.mark.parametrize(
    ("amount", "ratio", "points"),
    [
        ("10", "200", 2000),
        ("10.05", "200", 2010),
        ("0.1", "10", 1),
        ("0.01", "100", 1),
        ("4", "0.5", 2),
        ("33.3", "30", 999),
        ("999999999.99", "1000000", 999999999990000),
    ],
)
def test_points_are_amount_times_ratio_in_decimal(amount: str, ratio: str, points: int) -> None:
    assert points_for(Decimal(amount), Decimal(ratio)) == points


def test_a_float_product_would_be_wrong_where_decimal_is_right() -> None:
    assert 0.1 * 3 != 0.3  # why no float is used
    assert points_for(Decimal("0.1"), Decimal(30)) == 3


@pytest.mark.parametrize(("amount", "ratio"), [("3", "0.5"), ("10.01", "0.5"), ("0.01", "1")])
def test_an_amount_that_is_not_whole_points_is_refused(amount: str, ratio: str) -> None:
    with pytest.raises(AmountNotConvertibleError) as raised:
        points_for(Decimal(amount), Decimal(ratio))
    assert raised.value.code == "amount_not_convertible"
    assert "points are whole numbers" in raised.value.errors["amount"][0]


def test_a_spend_order_names_every_bad_field_at_once() -> None:
    with pytest.raises(InvalidInputError) as raised:
        spend_order(None, "abc", "x" * 256)
    assert raised.value.errors == {
        "customer_id": ["The customer id field is required."],
        "amount": ["The amount must be a number."],
        "reference": ["The reference may not be greater than 255 characters."],
    }


def test_a_spend_order_takes_numbers_from_json_and_an_optional_reference() -> None:
    order = spend_order(1534, 10, None)
    assert (order.customer_id, order.amount, order.reference) == ("1534", Decimal(10), None)
    assert spend_order("1534", "10", " X-1 ").reference == "X-1"
    with pytest.raises(InvalidInputError) as raised:
        spend_order("1534", "10", {"ref": 1})
    assert raised.value.errors == {"reference": ["The reference must be a string."]}
