"""Validation of request data with pydantic, reported as per-field messages.

Messages follow the recipients document ("The email field is required."), the shape every face
uses unless its own document prescribes another.

Amounts and points of every face are read by one grammar (`plain_number`): ASCII digits, a
sign only where a value may be negative, one decimal point only where fractions are allowed.
Python's own `int()` / `Decimal()` also take `1_0`, Arabic-Indic or fullwidth digits, `1e3`,
`NaN` and spaces; a face never does.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Any, Generic, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    RootModel,
    StringConstraints,
)
from pydantic import ValidationError as PydanticValidationError
from pydantic_core import PydanticCustomError

from chalicelib.domain.errors import InvalidInputError

T = TypeVar("T", bound=BaseModel)


# A model's validator is built on first use, not at import, so a cold start pays only for the
# models of the route it serves (bench/cold.py).
DEFERRED = ConfigDict(defer_build=True)


class InputModel(BaseModel):
    """What a request may carry (its validator built on first use)."""

    model_config = DEFERRED


Root = TypeVar("Root")


class DeferredRootModel(RootModel[Root], Generic[Root]):
    """A body that is one value, an array most often (its validator built on first use: a
    plain `RootModel[...]` builds its own at once)."""

    model_config = DEFERRED


def _email(value: str) -> str:
    from email_validator import EmailNotValidError, validate_email

    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise ValueError("The email must be a valid email address.") from error


# Characters a one-line field (a name, an email, a code, a label, a reference) never holds:
# they end a header or a CSV row, or end a C string, wherever the value is written next.
NOT_IN_A_LINE = frozenset("\x00\r\n")


def is_single_line(text: str) -> bool:
    return NOT_IN_A_LINE.isdisjoint(text)


def _single_line(value: Any) -> Any:
    # Before any stripping: a trailing line break is refused too, not trimmed away.
    if isinstance(value, str) and not is_single_line(value):
        raise PydanticCustomError("single_line", "Value should be one line, without NUL")
    return value


# Metadata for a str field that is one line of text: last in its `Annotated[str, ...]`, so
# that it runs first (pydantic runs a before-validator ahead of what precedes it).
SingleLine = BeforeValidator(_single_line)

# An email address as every face accepts it: checked, normalised (unicode allowed).
Email = Annotated[str, StringConstraints(max_length=255), SingleLine, AfterValidator(_email)]


class JsonNumber(Decimal):
    """A JSON number with a fraction or an exponent, exact, with the text it was written as (so
    that `1e3` and `1000.0` stay told apart); the request parser makes these instead of floats."""

    text: str

    def __new__(cls, text: str) -> JsonNumber:
        number = super().__new__(cls, text)
        number.text = text
        return number


# Far more digits than any amount the service bounds a field to; `int()` of longer text is slow.
MAX_DIGITS = 30


def _grammar(signed: bool, fraction: bool) -> re.Pattern[str]:
    # Unsigned fields read a minus too, so that their bounds refuse a negative in their words.
    sign = "[+-]?" if signed else "-?"
    places = rf"(?:\.[0-9]{{1,{MAX_DIGITS}}})?" if fraction else ""
    # `[0-9]`, not `\d`: `\d` matches every script's digits.
    return re.compile(rf"{sign}[0-9]{{1,{MAX_DIGITS}}}{places}")


_GRAMMARS = {(s, f): _grammar(s, f) for s in (False, True) for f in (False, True)}


def plain_number(
    value: Any, *, signed: bool = False, fraction: bool = False, text: bool = True
) -> int | Decimal:
    """`value` as an exact int (`fraction=False`) or Decimal, when it is written as plain ASCII
    decimal digits: a sign only if `signed`, one decimal point only if `fraction`, text only if
    `text` (else a JSON number alone). Anything else (booleans, floats, underscores, other
    scripts' digits, exponents, NaN, Infinity, inner spaces, empty) raises pydantic's
    `int_parsing` / `decimal_parsing` error, which each face words in its own way."""
    kind, noun = ("decimal_parsing", "a number") if fraction else ("int_parsing", "an integer")
    refusal = PydanticCustomError(kind, f"Input should be {noun} in plain decimal digits")
    if isinstance(value, bool):
        raise refusal
    if isinstance(value, int) and value < 0 and not signed:
        # A JSON integer below zero: the field's bounds say what is wrong with it.
        return Decimal(value) if fraction else value
    if isinstance(value, int):
        written = str(value)
    elif isinstance(value, JsonNumber):
        written = value.text
    elif isinstance(value, str) and text:
        written = value.strip(" \t")
    else:
        raise refusal
    if not _GRAMMARS[(signed, fraction)].fullmatch(written):
        raise refusal
    return Decimal(written) if fraction else int(written)


def number_type(kind: type, *, signed: bool = False, text: bool = True, **bounds: Any) -> Any:
    """An amount or points field read by `plain_number`: `int` or `Decimal`, with pydantic's
    bounds (`ge`, `le`, `gt`, `max_digits`, ...) checked on the number."""
    fraction = kind is Decimal

    def parse(value: Any) -> int | Decimal:
        return plain_number(value, signed=signed, fraction=fraction, text=text)

    return Annotated[kind, BeforeValidator(parse), Field(**bounds)]


def field_label(field: str) -> str:
    return field.replace("_", " ")


def _message(field: str, error: dict[str, Any]) -> str:
    label = field_label(field)
    kind = error["type"]
    context = error.get("ctx") or {}
    if kind == "missing":
        return f"The {label} field is required."
    if kind == "value_error":
        return str(context.get("error", error["msg"]))
    if kind == "string_type":
        return f"The {label} must be a string."
    if kind == "single_line":
        return f"The {label} must be one line of text, without line breaks or NUL characters."
    if kind == "string_too_long":
        return f"The {label} may not be greater than {context.get('max_length')} characters."
    if kind == "string_too_short":
        return f"The {label} field is required."
    if kind in {"int_type", "int_parsing", "int_from_float"}:
        return f"The {label} must be an integer."
    if kind in {"decimal_type", "decimal_parsing", "float_parsing"}:
        return f"The {label} must be a number."
    if kind in {"bool_type", "bool_parsing"}:
        return f"The {label} field must be true or false."
    if kind == "extra_forbidden":
        return f"The {label} field is not allowed."
    return f"The {label} is invalid: {error['msg']}."


def errors_of(error: PydanticValidationError) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for item in error.errors():
        field = ".".join(str(part) for part in item["loc"]) or "body"
        errors.setdefault(field, []).append(
            _message(str(item["loc"][-1]) if item["loc"] else field, item)
        )
    return errors


def validate(model: type[T], data: Any) -> T:
    """Parse `data` into `model` or raise `InvalidInputError` naming every bad field."""
    if not isinstance(data, dict):
        raise InvalidInputError({"body": ["The request body must be an object."]})
    try:
        return model.model_validate(data)
    except PydanticValidationError as error:
        raise InvalidInputError(errors_of(error)) from error
