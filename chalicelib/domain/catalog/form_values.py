"""The value types of the catalog's forms, and their errors in the words of the document.

The Open Loyalty document's forms (campaign, buying, bought rewards, cashback) arrive as
urlencoded forms with bracket keys or as the same JSON. Form values are text: "1"/"0" are
booleans, blank means absent. Findings are reported in the document's Symfony words, each under
its field path (`form_errors`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, ClassVar
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)
from pydantic import ValidationError as PydanticValidationError

from chalicelib.domain.errors import InvalidInputError
from chalicelib.domain.validation import InputModel, SingleLine, number_type

BLANK = "This value should not be blank."
TOO_FEW = "This collection should contain 1 element or more."
INVALID = "This value is not valid."
MAX_IDS = 100  # levels, segments, categories: one BatchGetItem checks them all
MAX_LABELS = 50
MAX_NAME_LENGTH = 255
MAX_TEXT_LENGTH = 10_000
MAX_POINTS = 1_000_000_000
MAX_DAYS = 36_500


# -- value types -----------------------------------------------------------------------------
def _blank_to_none(value: Any) -> Any:
    """Form fields sent empty (`campaign[limit]=`) count as not sent."""
    if isinstance(value, str) and not value.strip():
        return None
    return value


def as_list(value: Any) -> Any:
    """A form list with gaps (`levels[1]=a`) parses as a dict, a single value as text."""
    value = _blank_to_none(value)
    if value is None:
        return []
    if isinstance(value, dict) and all(str(key).isdigit() for key in value):
        return [value[key] for key in sorted(value, key=int)]
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        return [value]
    return value


def _codes(value: Any) -> Any:
    return None if value is None else as_list(value)


def parse_moment(value: Any) -> Any:
    """`YYYY-MM-DD HH:mm` in UTC as the document writes it; ISO 8601 (as shown) too."""
    value = _blank_to_none(value)
    if not isinstance(value, str):
        return value
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError as error:
        raise ValueError("This value is not a valid datetime (YYYY-MM-DD HH:mm).") from error
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def parse_labels(value: Any) -> Any:
    """`key:value;key1:value1` into `[{"key": ..., "value": ...}]`; a JSON list passes."""
    value = _blank_to_none(value)
    if value is None:
        return []
    if not isinstance(value, str):
        return as_list(value)
    labels = []
    for part in value.split(";"):
        if not part.strip():
            continue
        key, colon, text = part.partition(":")
        if not colon:
            raise ValueError("Labels are written as key:value;key1:value1.")
        labels.append({"key": key.strip(), "value": text.strip()})
    return labels


Blankable = BeforeValidator(_blank_to_none)
# Unknown fields are ignored, as a form would; validators are built on first use, which keeps
# them out of every cold start that never reads a campaign form.
FORM_CONFIG = ConfigDict(extra="ignore", defer_build=True)


def bounded_text(max_length: int) -> Any:
    return Annotated[str, StringConstraints(strip_whitespace=True, max_length=max_length)]


def line_text(max_length: int) -> Any:
    """Text of one line (a name, a label, an id): no line breaks, no NUL."""
    return Annotated[bounded_text(max_length), SingleLine]


def _email_template(source: str | None) -> str | None:
    """A reward email's subject or text: rendered here with sample values, so one that cannot
    render (refused, too slow, too long) is never saved."""
    if source is not None:
        from chalicelib.mail.reward_email import CampaignTemplateError, check_campaign_text

        try:
            check_campaign_text(source)
        except CampaignTemplateError as error:
            raise ValueError(f"This template is not valid: {error}.") from error
    return source


def email_template(max_length: int) -> Any:
    return Annotated[bounded_text(max_length) | None, Blankable, AfterValidator(_email_template)]


def bounded(kind: type, **bounds: Any) -> Any:
    return Annotated[kind, Field(**bounds)]


# Optional fields: absent, null and blank all mean "not given".
Name = Annotated[line_text(MAX_NAME_LENGTH) | None, Blankable]
Text = Annotated[bounded_text(MAX_TEXT_LENGTH) | None, Blankable]
Flag = Annotated[bool | None, Blankable]
# Numbers in plain ASCII digits (`plain_number`), as text from a form or as JSON numbers.
Count = Annotated[number_type(int, ge=0, le=MAX_POINTS) | None, Blankable]
Limit = Annotated[number_type(int, ge=1, le=MAX_POINTS) | None, Blankable]
Days = Annotated[number_type(int, ge=0, le=MAX_DAYS) | None, Blankable]
Money = Annotated[number_type(Decimal, gt=0, max_digits=14, decimal_places=6) | None, Blankable]
Moment = Annotated[datetime | None, BeforeValidator(parse_moment)]
# Open Loyalty's bounds: a worth or a price is positive and under a billion, to the cent; a tax
# rate is a whole number from 0 to 99 (excluded); a percentage discount 0 to 100 (excluded).
MAX_PRICE = 999_999_999


def _whole(value: Decimal | None) -> Decimal | None:
    """Open Loyalty's tax check: a rate given is an integer."""
    if value is not None and value != value.to_integral_value():
        raise ValueError("This value should be of type integer.")
    return value


Price = Annotated[number_type(Decimal, gt=0, lt=MAX_PRICE, decimal_places=2) | None, Blankable]
TaxRate = Annotated[number_type(Decimal, ge=0, lt=99) | None, Blankable, AfterValidator(_whole)]
Percentage = Annotated[number_type(int, ge=0, lt=100) | None, Blankable]


def _url(value: str | None) -> str | None:
    """An absolute http(s) URL with a host, as Symfony's Url constraint asks."""
    if value is not None:
        parts = urlsplit(value)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ValueError("This value is not a valid URL.")
    return value


Link = Annotated[line_text(2048) | None, Blankable, AfterValidator(_url)]
Id = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64), SingleLine
]
Ids = Annotated[list[Id], BeforeValidator(as_list), Field(max_length=MAX_IDS)]
Locale = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(?:[_-][A-Za-z0-9]{2,8})?$")]


# -- the document's words --------------------------------------------------------------------
BOUNDS = {
    "greater_than_equal": ("greater than or equal to", "ge"),
    "greater_than": ("greater than", "gt"),
    "less_than_equal": ("less than or equal to", "le"),
    "less_than": ("less than", "lt"),
}


def _message(error: dict[str, Any]) -> str:
    """Pydantic's findings in the words of the document's Symfony forms."""
    kind, context = error["type"], error.get("ctx") or {}
    if kind == "value_error":
        return str(context.get("error", error["msg"]))
    if kind in {"int_type", "int_parsing", "int_from_float"}:
        return "This value should be of type integer."
    if kind in {"decimal_type", "decimal_parsing", "float_parsing"}:
        return "This value should be a number."
    if kind in BOUNDS:
        words, bound = BOUNDS[kind]
        return f"This value should be {words} {context.get(bound)}."
    if kind == "single_line":
        return "This value should be one line of text, without line breaks."
    if kind == "string_too_long":
        return f"This value is too long. It should have {context['max_length']} characters or less."
    if kind == "too_long":
        return f"This collection should contain {context['max_length']} elements or less."
    if kind in {"literal_error", "enum"}:
        return "The value you selected is not a valid choice."
    if kind in {"missing", "string_too_short"}:
        return BLANK
    if kind in {"decimal_max_digits", "decimal_max_places", "decimal_whole_digits"}:
        return "This value has too many digits."
    return INVALID


def _path(location: Iterable[Any]) -> str:
    # Pydantic marks a bad dict key as `[key]`; the error belongs to the dict itself.
    return ".".join(str(part) for part in location if part != "[key]") or "form"


def form_errors(error: PydanticValidationError) -> dict[str, list[str]]:
    """Pydantic's findings as {field path: [messages]}, in the document's words."""
    errors: dict[str, list[str]] = {}
    for item in error.errors():
        errors.setdefault(_path(item["loc"]), []).append(_message(item))
    return errors


class DocumentForm(InputModel):
    """A request body that is one of the document's forms: its findings are worded as the
    document's (`form_errors`), whoever validates it, and an empty request is an empty form.
    Only for a whole body: a nested model would report paths from itself."""

    model_config = FORM_CONFIG
    empty_form: ClassVar[bool] = True

    @model_validator(mode="wrap")
    @classmethod
    def _in_document_words(cls, data: Any, handler: Any) -> Any:
        try:
            return handler(data)
        except PydanticValidationError as error:
            raise InvalidInputError(form_errors(error)) from error
