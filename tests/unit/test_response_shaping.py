"""`shaped`: what a route's `response_model` does to the body its handler returns."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import Field, RootModel, ValidationError

from chalicelib.api.routes import shaped
from chalicelib.api.schemas import Amount, ResponseModel


class Balance(ResponseModel):
    points: Amount
    customer_id: str = Field(alias="customerId")
    note: str | None = None


class Balances(RootModel[list[Balance]]):
    pass


def test_keys_the_handler_left_out_stay_out_and_none_stays_null() -> None:
    assert shaped(Balance, {"points": 5, "customerId": "c1"}) == {
        "points": Decimal(5),
        "customerId": "c1",
    }
    assert shaped(Balance, {"points": 5, "customerId": "c1", "note": None})["note"] is None


def test_field_names_are_answered_by_their_alias() -> None:
    assert shaped(Balance, {"points": "1.5", "customer_id": "c1"}) == {
        "points": Decimal("1.5"),
        "customerId": "c1",
    }


def test_a_list_answer_is_shaped_item_by_item() -> None:
    assert shaped(Balances, [{"points": 1, "customerId": "a"}]) == [
        {"points": Decimal(1), "customerId": "a"}
    ]


@pytest.mark.parametrize(
    "body",
    [
        {"points": 5, "customerId": "c1", "secret": "x"},  # undocumented key
        {"customerId": "c1"},  # documented key missing
        {"points": "many", "customerId": "c1"},  # wrong type
    ],
)
def test_an_answer_off_its_schema_is_refused(body: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        shaped(Balance, body)
