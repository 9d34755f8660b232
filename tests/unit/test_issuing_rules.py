"""Mokugift issuing rules that need no AWS: recipients, the request envelope, months, rounds."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib.domain import issuing
from chalicelib.domain.errors import InvalidInputError
from chalicelib.domain.issuing import (
    Delivery,
    InvalidRecipientError,
    TooManyRecipientsError,
    month_span,
    parse_recipient,
    recipients_of,
)
from chalicelib.domain.rewards import Recipient


def test_an_email_recipient_is_trimmed_and_keeps_its_optional_fields() -> None:
    recipient = parse_recipient(
        {
            "email": " alice@EXAMPLE.com ",
            "first_name": " Alice ",
            "last_name": "Liddell",
            "message": "",
            "sender_name": "Hatter",
            "passcode": "ignored",
        },
        Delivery.EMAIL,
    )

    assert recipient == Recipient(
        email="alice@example.com", firstname="Alice", surname="Liddell", sender_name="Hatter"
    )


@pytest.mark.parametrize("delivery", [Delivery.EMAIL, Delivery.URL])
def test_email_deliveries_need_email_and_both_names(delivery: Delivery) -> None:
    with pytest.raises(InvalidRecipientError) as raised:
        parse_recipient({"email": "  ", "unique_id": "x"}, delivery)

    assert set(raised.value.errors) == {"email", "first_name", "last_name"}
    assert raised.value.code == "invalid_recipient"


def test_a_unique_id_recipient_needs_only_the_id_and_takes_numbers_as_text() -> None:
    recipient = parse_recipient({"unique_id": 42, "email": "ignored"}, Delivery.UNIQUE_ID)

    assert recipient == Recipient(public_key="42")


@pytest.mark.parametrize(
    ("item", "field"),
    [
        ({"unique_id": "x" * 256}, "unique_id"),
        ({"unique_id": "x", "first_name": ["a"]}, "first_name"),
        ({"unique_id": "x", "message": "m" * (issuing.MAX_MESSAGE_LENGTH + 1)}, "message"),
    ],
)
def test_recipient_fields_are_bounded(item: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidRecipientError) as raised:
        parse_recipient(item, Delivery.UNIQUE_ID)

    assert set(raised.value.errors) == {field}


def test_a_recipient_that_is_not_an_object_is_invalid() -> None:
    with pytest.raises(InvalidRecipientError) as raised:
        parse_recipient("alice@example.com", Delivery.EMAIL)

    assert raised.value.errors == {"body": ["The recipient must be an object."]}


def test_the_envelope_takes_up_to_1000_recipients() -> None:
    assert len(recipients_of({"recipients": [{}] * 1000})) == 1000

    with pytest.raises(TooManyRecipientsError) as raised:
        recipients_of({"recipients": [{}] * 1001})

    assert (raised.value.code, list(raised.value.errors)) == ("too_many_recipients", ["recipients"])


@pytest.mark.parametrize("body", [None, [], {"recipients": []}, {"recipients": {"a": 1}}])
def test_the_envelope_needs_a_non_empty_list(body: Any) -> None:
    with pytest.raises(InvalidInputError) as raised:
        recipients_of(body)

    assert list(raised.value.errors) == ["recipients"]


@pytest.mark.parametrize(
    ("year", "month", "first", "last"),
    [
        (2024, 2, datetime(2024, 2, 1), datetime(2024, 2, 29, 23, 59, 59, 999999)),
        (2023, 12, datetime(2023, 12, 1), datetime(2023, 12, 31, 23, 59, 59, 999999)),
    ],
)
def test_a_month_spans_its_first_to_its_last_microsecond_in_utc(
    year: int, month: int, first: datetime, last: datetime
) -> None:
    assert month_span(year, month) == (first.replace(tzinfo=UTC), last.replace(tzinfo=UTC))


def test_repeated_recipients_go_in_later_rounds_in_order() -> None:
    keys = {0: "a", 1: "b", 2: "a", 4: "a", 5: "c", 6: "b"}

    assert issuing._rounds(keys) == [[0, 1, 5], [2, 6], [4]]
