"""The point value as the cashback simulate writes it: the document's "3.00"."""

from __future__ import annotations

from decimal import Decimal

import pytest

from chalicelib.api.openloyalty.cashback_schemas import money_text


@pytest.mark.parametrize(
    ("value", "text"),
    [("3", "3.00"), ("3.00", "3.00"), ("0.6", "0.60"), ("0.125", "0.125"), ("1E+1", "10.00")],
)
def test_two_decimals_at_least_and_nothing_lost(value: str, text: str) -> None:
    assert money_text(Decimal(value)) == text
