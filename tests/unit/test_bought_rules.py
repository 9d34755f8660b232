"""Bought-reward rules without AWS: CSV quoting, date bounds, validity and `canBeUsed`."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.domain.catalog import bought, bought_export, bought_query
from chalicelib.domain.errors import InvalidInputError
from chalicelib.storage.rewards import ACTIVE, CANCELLED, EXPIRED, RewardModel

NOW = datetime(2024, 3, 10, 12, tzinfo=UTC)


# -- CSV -------------------------------------------------------------------------------------------
def test_the_header_is_written_as_the_document_prints_it() -> None:
    text = bought_export.CsvText().rows([bought_export.CSV_HEADER])

    assert text == (
        '0.Name,1.Date,2.Cost,"3.Tax value",4.email,5.phone,6.Firstname,7.Surname,'
        '"8.Points balance","9.Is used"\r\n'
    )


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("gift123", "gift123"),
        ("Percentage discount code", '"Percentage discount code"'),
        ("2019-03-14 10:29:05", '"2019-03-14 10:29:05"'),
        ("a,b", '"a,b"'),
        ('say "hi"', '"say ""hi"""'),
        ("two\nlines", '"two\nlines"'),
        ("tab\there", '"tab\there"'),
        ("", ""),
        (0, "0"),
        (2410, "2410"),
    ],
)
def test_values_are_quoted_like_the_documents_export(value: Any, written: str) -> None:
    assert bought_export.CsvText().rows([[value, "x"]]) == f"{written},x\r\n"


def test_rows_parse_back_to_what_was_written() -> None:
    rows = [
        ['Zoë\'s "gift", 10%', "2019-03-15 08:40:24", "3", "", "a@b.c", "", " Max ", "N\r\nX"],
        ["", "", "", "", "", "", "", ""],
    ]
    text = bought_export.CsvText()

    written = text.rows([bought_export.CSV_HEADER]) + text.rows(rows)

    assert list(csv.reader(io.StringIO(written, newline=""))) == [
        list(bought_export.CSV_HEADER),
        *rows,
    ]


# -- the query -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("given", "low", "high"),
    [
        (
            "2024-03-10",
            datetime(2024, 3, 10, tzinfo=UTC),
            datetime(2024, 3, 10, 23, 59, 59, 999999, tzinfo=UTC),
        ),
        (
            "2024-03-10 15:30",
            datetime(2024, 3, 10, 15, 30, tzinfo=UTC),
            datetime(2024, 3, 10, 15, 30, tzinfo=UTC),
        ),
        (
            "2024-03-10T15:30:00+02:00",
            datetime(2024, 3, 10, 13, 30, tzinfo=UTC),
            datetime(2024, 3, 10, 13, 30, tzinfo=UTC),
        ),
    ],
)
def test_date_bounds_in_the_three_forms(given: str, low: datetime, high: datetime) -> None:
    wanted = bought_query.read_query({"usageDateFrom": given, "usageDateTo": given})

    assert (wanted.usageDateFrom, wanted.usageDateTo) == (low, high)


def test_defaults_and_blanks() -> None:
    wanted = bought_query.read_query({"used": "", "deliveryStatus": "", "sort": "", "page": ""})

    assert (wanted.used, wanted.deliveryStatus, wanted.sort, wanted.page) == (
        None,
        None,
        None,
        None,
    )
    assert bought_query.read_query({"used": "false", "direction": "desc"}).direction == "DESC"
    assert bought_query.read_query({"used": "false"}).used is False


def test_every_bad_value_is_reported_at_once() -> None:
    with pytest.raises(InvalidInputError) as caught:
        bought_query.read_query({"used": "x", "activeToFrom": "nope", "perPage": "1001"})

    assert set(caught.value.errors) == {"used", "activeToFrom", "perPage"}


@pytest.mark.parametrize(
    ("low", "high"),
    [
        (f"{name}From", f"{name}To")
        for name in ("purchasedAt", "usageDate", "activeSince", "activeTo")
    ],
)
def test_an_inverted_range_is_refused(low: str, high: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        bought_query.read_query({low: "2024-03-11", high: "2024-03-10"})

    assert list(caught.value.errors) == [high]
    bought_query.read_query({low: "2024-03-10", high: "2024-03-10"})  # one day is fine


# -- validity --------------------------------------------------------------------------------------
def reward(**fields: Any) -> RewardModel:
    values = {"status": ACTIVE, "used": False, "active_since": NOW - timedelta(days=1)}
    return RewardModel("S", "r", **{**values, **fields})


@pytest.mark.parametrize(
    ("fields", "status", "usable"),
    [
        ({}, ACTIVE, True),
        ({"active_to": NOW + timedelta(seconds=1)}, ACTIVE, True),
        ({"active_to": NOW}, EXPIRED, False),  # due from its active_to on
        ({"active_since": NOW}, ACTIVE, True),
        ({"active_since": NOW + timedelta(seconds=1)}, ACTIVE, False),
        ({"active_since": None}, ACTIVE, True),
        ({"used": True}, ACTIVE, False),
        ({"status": CANCELLED}, CANCELLED, False),
        ({"status": CANCELLED, "active_to": NOW - timedelta(days=1)}, CANCELLED, False),
        ({"status": EXPIRED}, EXPIRED, False),
    ],
)
def test_status_and_can_be_used(fields: dict[str, Any], status: str, usable: bool) -> None:
    item = reward(**fields)

    assert bought.effective_status(item, NOW) == status
    assert bought.can_be_used(item, NOW) is usable
