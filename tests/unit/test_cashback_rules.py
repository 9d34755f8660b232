"""Cashback rules without AWS: reading the forms and what points are worth."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from chalicelib.domain.catalog.cashback import (
    CashbackForm,
    Order,
    OwnCashbackForm,
    RewardTooSmallError,
    reward_amount,
)
from chalicelib.domain.errors import InvalidInputError, PermissionDeniedError

BLANK = ["This value should not be blank."]


def read_order(body: Any, customer_id: str | None = None) -> Order:
    """The order of the admin's form, or with `customer_id` of that customer's own."""
    if customer_id is None:
        return Order.of(CashbackForm.read(body))
    return Order.of(OwnCashbackForm.read(body), customer_id)


def errors_of(body: Any, customer_id: str | None = None) -> dict[str, list[str]]:
    with pytest.raises(InvalidInputError) as refused:
        read_order(body, customer_id)
    return refused.value.errors


def test_the_admin_form_as_the_document_sends_it() -> None:
    assert read_order({"customerId": " c1 ", "pointsAmount": "5"}) == Order("c1", 5)
    assert read_order({"customerId": "c1", "pointsAmount": 5, "cashbackId": "k"}) == Order(
        "c1", 5, "k"
    )


def test_every_problem_is_reported_at_once() -> None:
    assert errors_of({}) == {"pointsAmount": BLANK, "customerId": BLANK}
    assert errors_of({"pointsAmount": "five", "customerId": ""}) == {
        "pointsAmount": ["This value should be of type integer."],
        "customerId": BLANK,
    }
    assert errors_of({"customerId": "c1", "pointsAmount": "0"}) == {
        "pointsAmount": ["This value should be greater than or equal to 1."]
    }
    assert errors_of({"customerId": "c1", "pointsAmount": "2.5"})["pointsAmount"]
    assert errors_of(["not", "a", "form"]) == {"form": ["The request body must be an object."]}


def test_the_customer_form_needs_a_cashback_id_and_is_their_own() -> None:
    assert errors_of({"pointsAmount": "5"}, customer_id="me") == {"cashbackId": BLANK}
    assert read_order({"pointsAmount": "5", "cashbackId": "k"}, customer_id="me") == Order(
        "me", 5, "k"
    )
    # Naming themselves is fine; naming anyone else is not.
    own = {"customerId": "me", "pointsAmount": "5", "cashbackId": "k"}
    assert read_order(own, customer_id="me").customer_id == "me"
    with pytest.raises(PermissionDeniedError):
        read_order({**own, "customerId": "someone-else"}, customer_id="me")


@pytest.mark.parametrize(
    ("points", "point_value", "amount"),
    [
        (10, "3.00", Decimal("30.00")),
        (5, "10", Decimal("50")),
        (3, "0.333333", Decimal("0.99")),  # 0.999999, rounded down to the cent
        (1, "0.01", Decimal("0.01")),
        (1_000_000_000, "0.000001", Decimal("1000")),
    ],
)
def test_reward_amount_is_exact_to_the_cent_rounded_down(
    points: int, point_value: str, amount: Decimal
) -> None:
    found = reward_amount(points, Decimal(point_value))
    assert isinstance(found, Decimal) and found == amount


def test_points_worth_less_than_a_cent_are_refused() -> None:
    with pytest.raises(RewardTooSmallError) as refused:
        reward_amount(9, Decimal("0.001"))
    assert refused.value.code == "cashback_reward_too_small"
    assert "pointsAmount" in refused.value.errors
