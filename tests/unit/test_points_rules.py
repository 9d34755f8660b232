"""The rules of instant edits and history paging, without any AWS."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.domain.errors import InvalidInputError
from chalicelib.domain.points.accounts import (
    MAX_INSTANT_AMOUNT,
    MAX_INSTANT_ITEMS,
    Balance,
    HistoryQuery,
    TooManyItemsError,
    instant_items,
    parse_instant_item,
)
from chalicelib.domain.validation import validate


def _errors(item: Any) -> dict[str, list[str]]:
    with pytest.raises(InvalidInputError) as raised:
        parse_instant_item(item)
    return raised.value.errors


def test_an_item_is_trimmed_and_keeps_its_sign() -> None:
    edit = parse_instant_item({"amount": -100, "email": "  atest2@corderindustries.com ", "x": 1})

    assert (edit.amount, edit.email) == (-100, "atest2@corderindustries.com")


@pytest.mark.parametrize(
    ("item", "errors"),
    [
        ({"amount": 0, "email": "a@x.com"}, {"amount": ["The amount must not be zero."]}),
        ({"amount": 1.5, "email": "a@x.com"}, {"amount": ["The amount must be an integer."]}),
        ({"amount": 10.0, "email": "a@x.com"}, {"amount": ["The amount must be an integer."]}),
        ({"amount": "10", "email": "a@x.com"}, {"amount": ["The amount must be an integer."]}),
        ({"amount": True, "email": "a@x.com"}, {"amount": ["The amount must be an integer."]}),
        (
            {"amount": MAX_INSTANT_AMOUNT + 1, "email": "a@x.com"},
            {
                "amount": [
                    f"The amount must be between -{MAX_INSTANT_AMOUNT} and {MAX_INSTANT_AMOUNT}."
                ]
            },
        ),
        ({"amount": 5}, {"email": ["The email field is required."]}),
        ({"amount": 5, "email": None}, {"email": ["The email must be a string."]}),
        ({"amount": 5, "email": "a@"}, {"email": ["The email must be a valid email address."]}),
        (
            {},
            {
                "amount": ["The amount field is required."],
                "email": ["The email field is required."],
            },
        ),
        ([1], {"item": ["Each item must be an object."]}),
    ],
)
def test_a_bad_item_names_its_fields(item: Any, errors: dict[str, list[str]]) -> None:
    assert _errors(item) == errors


def test_the_largest_amounts_are_allowed() -> None:
    for amount in (MAX_INSTANT_AMOUNT, -MAX_INSTANT_AMOUNT):
        assert parse_instant_item({"amount": amount, "email": "a@x.com"}).amount == amount


@pytest.mark.parametrize("data", [None, {}, "[]", 5])
def test_the_body_must_be_a_list(data: Any) -> None:
    with pytest.raises(InvalidInputError) as raised:
        instant_items(data)
    assert raised.value.errors == {"body": ["The request body must be a JSON array."]}


def test_at_most_1000_items() -> None:
    assert len(instant_items([{}] * MAX_INSTANT_ITEMS)) == 1000
    with pytest.raises(TooManyItemsError) as raised:
        instant_items([{}] * (MAX_INSTANT_ITEMS + 1))
    assert raised.value.code == "too_many_items"


def test_an_adjustment_moves_only_the_available_points() -> None:
    assert Balance(10, 7).plus(-4) == Balance(6, 7)


@pytest.mark.parametrize(
    ("query", "per_page"), [({}, 25), ({"per_page": "1"}, 1), ({"per_page": "100"}, 100)]
)
def test_history_page_size(query: dict[str, str], per_page: int) -> None:
    assert validate(HistoryQuery, query).per_page == per_page


@pytest.mark.parametrize("value", ["0", "101", "-1"])
def test_history_page_size_out_of_range(value: str) -> None:
    with pytest.raises(InvalidInputError) as raised:
        validate(HistoryQuery, {"per_page": value})
    assert raised.value.errors == {"per_page": ["The per page must be between 1 and 100."]}
