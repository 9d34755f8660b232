"""Mokugift issuing rules that need no AWS: recipients, the request envelope, months, rounds."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib.domain.errors import InvalidInputError
from chalicelib.domain.rewards import issuing, recipients
from chalicelib.domain.rewards.grants import Recipient
from chalicelib.domain.rewards.queries import month_span
from chalicelib.domain.rewards.recipients import (
    Delivery,
    InvalidRecipientError,
    TooManyRecipientsError,
    parse_recipient,
    recipients_of,
)


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
        ({"unique_id": "x", "message": "m" * (recipients.MAX_MESSAGE_LENGTH + 1)}, "message"),
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


# -- the original contract's recipient_list -------------------------------------------------------
def _entries(text: str, delivery: Delivery = Delivery.EMAIL) -> list[Any]:
    return [
        entry.item if isinstance(entry.item, dict) else type(entry.item)
        for entry in recipients.parse_recipient_list(text, delivery)
    ]


def test_a_list_takes_named_and_bare_entries() -> None:
    assert _entries("John Smith <john@smith.com>, sally@chan.com") == [
        {"email": "john@smith.com", "first_name": "John", "last_name": "Smith"},
        {"email": "sally@chan.com"},
    ]


def test_a_list_by_id_takes_ids() -> None:
    assert _entries("John Smith <user1234>, user6789", Delivery.UNIQUE_ID) == [
        {"unique_id": "user1234", "first_name": "John", "last_name": "Smith"},
        {"unique_id": "user6789"},
    ]


def test_a_quoted_name_may_hold_commas_and_escaped_quotes() -> None:
    assert _entries('"Smith, John" <j@x.com>, "Al \\"Bo\\" Co" <a@x.com>, <b@x.com>') == [
        {"email": "j@x.com", "first_name": "John", "last_name": "Smith"},
        {"email": "a@x.com", "first_name": "Al", "last_name": '"Bo" Co'},
        {"email": "b@x.com"},
    ]


def test_whitespace_and_empty_entries_are_ignored() -> None:
    assert _entries("  a@x.com ,\n\t,  Ann   Lee   < b@x.com > ,") == [
        {"email": "a@x.com"},
        {"email": "b@x.com", "first_name": "Ann", "last_name": "Lee"},
    ]


def test_a_repeated_recipient_is_kept_for_a_reward_each() -> None:
    assert _entries("a@x.com, A <a@x.com>") == [
        {"email": "a@x.com"},
        {"email": "a@x.com", "first_name": "A"},
    ]


@pytest.mark.parametrize("bad", ["Bad <", "a <b> <c>", '"unclosed <a@x.com>', "x>y"])
def test_an_entry_in_neither_form_is_refused_alone(bad: str) -> None:
    assert _entries(f"ok@x.com, {bad}") == [{"email": "ok@x.com"}, InvalidRecipientError]


@pytest.mark.parametrize("text", ["", " , ,", None, ["a@x.com"]])
def test_no_entries_is_a_missing_recipient(text: Any) -> None:
    with pytest.raises(recipients.RecipientMissingError):
        recipients.parse_recipient_list(text, Delivery.EMAIL)


def test_at_most_1000_entries() -> None:
    assert (
        len(recipients.parse_recipient_list(", ".join(["a@x.com"] * 1000), Delivery.EMAIL)) == 1000
    )
    with pytest.raises(TooManyRecipientsError):
        recipients.parse_recipient_list(", ".join(["a@x.com"] * 1001), Delivery.EMAIL)
