"""The dry run's own reading of DynamoDB expressions, as PynamoDB writes them: the update that
gives a planned item, and the condition checked against one."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.storage.expressions import apply_update, holds

ITEM: dict[str, Any] = {
    "pk": {"S": "DEFAULT"},
    "points": {"N": "10"},
    "tags": {"SS": ["a", "b"]},
    "history": {"L": [{"S": "one"}]},
    "meta": {"M": {"count": {"N": "1"}}},
    "gone": {"S": "x"},
}
NAMES = {"#0": "points", "#1": "tags", "#2": "history", "#3": "meta", "#4": "count", "#5": "gone"}


def test_an_update_expression_gives_the_item_dynamodb_would_keep() -> None:
    values = {":0": {"N": "5"}, ":1": {"SS": ["c", "a"]}, ":2": {"L": [{"S": "two"}]}}
    values |= {":3": {"N": "0"}, ":4": {"N": "2.50"}, ":5": {"SS": ["b"]}}
    expression = (
        "SET #0 = #0 + :0, #2 = list_append (#2, :2), #3.#4 = if_not_exists (#3.#4, :3) + :4 "
        "REMOVE #5 ADD #1 :1 DELETE #1 :5"
    )

    updated = apply_update(ITEM, expression, NAMES, values)

    assert updated["points"] == {"N": "15"}
    assert updated["history"] == {"L": [{"S": "one"}, {"S": "two"}]}
    assert updated["meta"] == {"M": {"count": {"N": "3.5"}}}
    assert "gone" not in updated
    assert sorted(updated["tags"]["SS"]) == ["a", "c"]
    assert ITEM["points"] == {"N": "10"}  # the item before is left as it was


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("attribute_exists (#0)", True),
        ("attribute_not_exists (#0)", False),
        ("#0 >= :10", True),
        ("#0 > :10", False),
        ("(#0 = :10 AND contains (#1, :a))", True),
        ("(NOT #0 <> :10)", True),
        ("(#0 < :10 OR begins_with (#5, :x))", True),
        ("#0 BETWEEN :5 AND :10", True),
        ("#0 IN (:5, :a)", False),
        ("size (#2) = :1", True),
        ("attribute_exists (#3.#4)", True),
    ],
)
def test_a_condition_is_checked_as_dynamodb_checks_it(condition: str, expected: bool) -> None:
    values = {":10": {"N": "10"}, ":5": {"N": "5"}, ":1": {"N": "1"}}
    values |= {":a": {"S": "a"}, ":x": {"S": "x"}}

    assert holds(condition, ITEM, NAMES, values) is expected


def test_no_item_fails_what_needs_one() -> None:
    assert holds("attribute_not_exists (#0)", None, NAMES, {}) is True
    assert holds("#0 = :1", None, NAMES, {":1": {"N": "1"}}) is False
