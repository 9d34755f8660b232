"""Validation of request data with pydantic, reported as per-field messages.

Messages follow the recipients document ("The email field is required."), the shape every face
uses unless its own document prescribes another.
"""

from __future__ import annotations

from typing import Annotated, Any, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, RootModel, StringConstraints
from pydantic import ValidationError as PydanticValidationError

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


# An email address as every face accepts it: checked, normalised (unicode allowed).
Email = Annotated[str, StringConstraints(max_length=255), AfterValidator(_email)]


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
