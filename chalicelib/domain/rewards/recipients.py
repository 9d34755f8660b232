"""Who a Mokugift issuing call is for: its recipients, parsed from either contract.

A recipient is given either by email (with first and last name) or by `unique_id`, the ID the
caller's own system knows them by. The JSON contract sends objects (`recipients` in bulk); the
original Mokugift contract names its recipients in one `recipient_list` field
(`parse_recipient_list`): comma-separated entries, each `address` or `Name <address>`, the name
in double quotes when it holds a comma (`"Smith, John" <john@example.com>`); whitespace around
entries is ignored, and so are empty entries (`a@x.com,,b@x.com`, a trailing comma). An entry
that is neither form is refused alone (the other entries are issued); a recipient listed twice
gets a reward per mention, as in the JSON contract. Its names are optional; `Name` becomes the
first name (its first word) and the last name (the rest), `"Last, First"` as written.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any

from pydantic import ConfigDict, Field, StringConstraints
from pydantic import ValidationError as PydanticValidationError

from chalicelib.domain.errors import InvalidInputError, RewardsError, TooManyItemsError
from chalicelib.domain.rewards.grants import Recipient
from chalicelib.domain.validation import Email, InputModel, SingleLine, errors_of

MAX_RECIPIENTS = 1000
MAX_MESSAGE_LENGTH = 2000


class InvalidRecipientError(InvalidInputError):
    code = "invalid_recipient"
    default_message = "The recipient is invalid."


class RecipientMissingError(InvalidRecipientError):
    """No email (or unique ID) for the recipient; the same code, told apart by Mokugift."""


class InvalidEmailError(InvalidRecipientError):
    """The recipient's email is not an address; the same code, told apart by Mokugift."""


class TooManyRecipientsError(TooManyItemsError):
    code = "too_many_recipients"


class Delivery(StrEnum):
    """How a reward reaches its recipient, and so who the recipient is."""

    EMAIL = "email"  # emailed now: /reward, /multi_rewards
    URL = "url"  # the caller passes the URL on: /reward_url, /multi_reward_urls
    UNIQUE_ID = "unique_id"  # URL, recipient known by the caller's ID: /reward_url2, ...2


# -- recipients ----------------------------------------------------------------------------
Text = Annotated[str, StringConstraints(max_length=255), SingleLine]
Message = Annotated[str, StringConstraints(max_length=MAX_MESSAGE_LENGTH)]


class _RecipientInput(InputModel):
    # Numbers are taken as text: callers' IDs are often numeric. Unknown fields are ignored.
    model_config = ConfigDict(str_strip_whitespace=True, coerce_numbers_to_str=True)

    message: Message | None = None
    sender_name: Text | None = None


class EmailRecipientInput(_RecipientInput):
    email: Email
    first_name: Text
    last_name: Text


class AddressRecipientInput(EmailRecipientInput):
    """The original contract's recipient by email: the name is optional."""

    first_name: Text | None = None
    last_name: Text | None = None


class UniqueIdRecipientInput(_RecipientInput):
    unique_id: Text
    first_name: Text | None = None
    last_name: Text | None = None


class EmailRecipients(InputModel):
    """A bulk request by email: up to `MAX_RECIPIENTS`, each answered in its place."""

    recipients: Annotated[list[EmailRecipientInput], Field(max_length=MAX_RECIPIENTS)]


class UniqueIdRecipients(InputModel):
    """A bulk request by unique ID: up to `MAX_RECIPIENTS`, each answered in its place."""

    recipients: Annotated[list[UniqueIdRecipientInput], Field(max_length=MAX_RECIPIENTS)]


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _model(delivery: Delivery, named: bool) -> type[_RecipientInput]:
    if delivery is Delivery.UNIQUE_ID:
        return UniqueIdRecipientInput
    return EmailRecipientInput if named else AddressRecipientInput


def parse_recipient(item: Any, delivery: Delivery, named: bool = True) -> Recipient:
    """The recipient of one reward, validated; blank fields count as missing. `named`: the
    JSON contract's email recipients need a first and a last name. An item that is already an
    error (a `recipient_list` entry that did not parse) is that recipient's refusal."""
    if isinstance(item, RewardsError):
        raise item
    if not isinstance(item, dict):
        raise InvalidRecipientError({"body": ["The recipient must be an object."]})
    try:
        parsed = _model(delivery, named).model_validate(
            {k: v for k, v in item.items() if not _blank(v)}
        )
    except PydanticValidationError as error:
        errors = errors_of(error)
        who = "unique_id" if delivery is Delivery.UNIQUE_ID else "email"
        if who in errors and _blank(item.get(who)):
            raise RecipientMissingError(errors) from error
        if "email" in errors:
            raise InvalidEmailError(errors) from error
        raise InvalidRecipientError(errors) from error
    return Recipient(
        email=getattr(parsed, "email", None),
        public_key=getattr(parsed, "unique_id", None),
        firstname=parsed.first_name,
        surname=parsed.last_name,
        message=parsed.message,
        sender_name=parsed.sender_name,
    )


def parse_recipients(
    items: Sequence[Any], delivery: Delivery, named: bool = True
) -> list[Recipient | InvalidRecipientError]:
    """Each item's recipient (`parse_recipient`), or why it is none: each refused alone."""
    parsed: list[Recipient | InvalidRecipientError] = []
    for item in items:
        try:
            parsed.append(parse_recipient(item, delivery, named))
        except InvalidRecipientError as error:
            parsed.append(error)
    return parsed


def recipients_of(body: Any) -> list[Any]:
    """The `recipients` list of a bulk request; more than `MAX_RECIPIENTS` writes nothing."""
    recipients = body.get("recipients") if isinstance(body, dict) else None
    if not isinstance(recipients, list) or not recipients:
        raise InvalidInputError({"recipients": ["The recipients field must be a non-empty list."]})
    if len(recipients) > MAX_RECIPIENTS:
        raise TooManyRecipientsError(
            {"recipients": [f"At most {MAX_RECIPIENTS} recipients per request."]},
            f"Too many recipients: {len(recipients)}; nothing was created.",
        )
    return recipients


@dataclass(frozen=True)
class ListEntry:
    """One entry of a `recipient_list`: its text, and the recipient item or why it is none."""

    text: str
    address: str | None
    item: dict[str, str] | RewardsError


# `Name <address>` or `"Name, with comma" <address>` (backslash escapes in quotes).
_ENTRY = re.compile(
    r'\s*(?:"(?P<quoted>(?:[^"\\]|\\.)*)"|(?P<plain>[^<>"]*?))\s*<(?P<address>[^<>"]*)>\s*'
)
_BARE = re.compile(r'[^<>"]+')
_ESCAPE = re.compile(r"\\(.)")


def _split_entries(text: str) -> list[str]:
    """Split at the commas outside double quotes (no address holds a comma)."""
    entries, current, quoted, escaped = [], [], False, False
    for char in text:
        if escaped:
            escaped = False
        elif quoted and char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            entries.append("".join(current))
            current = []
            continue
        current.append(char)
    entries.append("".join(current))
    return [entry.strip() for entry in entries if entry.strip()]


def split_name(name: str | None) -> dict[str, str]:
    """`John Smith` (and `Smith, John`) as first name `John`, last name `Smith`; no name, no
    fields."""
    last, comma, first = (name or "").partition(",")
    if not comma:
        first, _, last = (name or "").strip().partition(" ")
    return {k: v.strip() for k, v in (("first_name", first), ("last_name", last)) if v.strip()}


def recipient_item(address: str | None, name: str | None, delivery: Delivery) -> dict[str, str]:
    """The recipient item of the original contract's `recipient_*` fields (or a list entry)."""
    who = "unique_id" if delivery is Delivery.UNIQUE_ID else "email"
    return {who: (address or "").strip(), **split_name(name)}


def _entry(text: str, delivery: Delivery) -> ListEntry:
    match = _ENTRY.fullmatch(text)
    if match is not None:
        quoted = match.group("quoted")
        name = _ESCAPE.sub(r"\1", quoted) if quoted is not None else match.group("plain")
        address = match.group("address").strip()
        return ListEntry(text, address, recipient_item(address, name, delivery))
    if _BARE.fullmatch(text):
        return ListEntry(text, text, recipient_item(text, None, delivery))
    error = InvalidRecipientError(
        {"recipient_list": [f"The entry is neither `address` nor `Name <address>`: {text[:80]}"]}
    )
    return ListEntry(text, None, error)


def parse_recipient_list(text: Any, delivery: Delivery) -> list[ListEntry]:
    """The entries of a `recipient_list` (see the module docstring), in order; none, or more
    than `MAX_RECIPIENTS`, refuses the call."""
    entries = _split_entries(text) if isinstance(text, str) else []
    if not entries:
        raise RecipientMissingError({"recipient_list": ["The recipient list field is required."]})
    if len(entries) > MAX_RECIPIENTS:
        raise TooManyRecipientsError(
            {"recipient_list": [f"At most {MAX_RECIPIENTS} recipients per request."]},
            f"Too many recipients: {len(entries)}; nothing was created.",
        )
    return [_entry(entry, delivery) for entry in entries]
