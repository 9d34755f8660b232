"""The shapes of the service's answers, one module per face, declared as a route's `response_model`.

A route's answer goes through its model (`chalicelib.api.routes.shaped`) and the same model is
the response schema of the OpenAPI document, so the two cannot drift. Models take the JSON keys
as field names (aliases only where a key is not an identifier) and refuse keys they don't
declare, so a handler answering something undocumented fails its tests.

These modules write their annotations as types, not strings (no `from __future__ import
annotations`): pydantic would compile every string annotation when the app is imported, which a
cold start pays for (bench/cold.py).
"""

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

from chalicelib.domain.validation import DEFERRED
from chalicelib.timefmt import UTC_SECONDS

# Points and amounts stay exact (Decimal); on the wire they are JSON numbers, whole ones integers.
Amount = Annotated[Decimal, WithJsonSchema({"type": "number"})]
# Instants are ISO 8601 strings as the handlers format them; the schema says so.
Timestamp = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]
Date = Annotated[str, WithJsonSchema({"type": "string", "format": "date"})]


def utc_text(value: Any) -> Any:
    """An instant given as a datetime, written to the second in UTC: `2013-05-25T02:24:31Z`."""
    return value.strftime(UTC_SECONDS) if isinstance(value, datetime) else value


# A `Timestamp` the model writes itself from the domain's datetime.
UtcTime = Annotated[Timestamp, BeforeValidator(utc_text)]


class ResponseModel(BaseModel):
    """An answer's shape: exactly the declared keys (built on first use, as `InputModel`)."""

    model_config = ConfigDict(
        **DEFERRED, extra="forbid", validate_by_name=True, validate_by_alias=True
    )


# The document's instants: ISO 8601 in UTC with the offset written without a colon
# (`2017-10-05T10:59:00+0000`), so not RFC 3339's `format: date-time`, which needs `+00:00`.
OpenLoyaltyTimestamp = Annotated[
    str,
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{4}$",
            "description": "ISO 8601 with a numeric offset, `2017-10-05T10:59:00+0000`.",
        }
    ),
]


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)
    # `X | None = optional_key()`: None is the key left out, never a null on the wire.
    branches = schema.get("anyOf")
    if branches and {"type": "null"} in branches:
        kept = [branch for branch in branches if branch != {"type": "null"}]
        schema.pop("anyOf")
        if len(kept) == 1:  # the field's own keys (its description) win over the type's
            schema.update({key: value for key, value in kept[0].items() if key not in schema})
        else:
            schema["anyOf"] = kept


class ErrorBody(ResponseModel):
    """The service's error shape (chalicelib/api/errors.py `default_error_body`) where it
    appears inside a 200 answer: an item of a bulk call that was refused."""

    message: str
    code: str = Field(description="Stable, machine-readable error code.")
    errors: dict[str, list[str]] | None = Field(
        None, description="Invalid input only: the messages of each invalid field."
    )


def dump(answer: BaseModel) -> Any:
    """`answer` as JSON-ready data: keys by alias, without what the handler left out (an unset
    field) and without an `optional_key` whose value is None (a domain value has every
    attribute, so its absent keys are its Nones)."""
    return answer.model_dump(by_alias=True, exclude_unset=True, exclude=_absent(answer) or None)


def _absent(value: Any) -> Any:
    """The `exclude` argument of `model_dump` for the `optional_key`s of `value` that are None,
    nested models and lists of them included; None when there are none."""
    if isinstance(value, BaseModel):
        fields = type(value).model_fields
        if "root" in fields and len(fields) == 1:
            return _absent(value.root)
        found: dict[str, Any] = {}
        for name, field in fields.items():
            inner = getattr(value, name)
            if inner is None and field.json_schema_extra is _no_default:
                found[name] = True
            elif (nested := _absent(inner)) is not None:
                found[name] = nested
        return found or None
    if isinstance(value, list):
        found_items = {i: nested for i, item in enumerate(value) if (nested := _absent(item))}
        return found_items or None
    return None


def optional_key(description: str | None = None, **field: Any) -> Any:
    """A key the handler sometimes leaves out (or the domain's value has as None): not
    required, and never null, so its schema shows no `default: null` (which the type would
    refuse). `field`: the rest of the field's declaration (its `validation_alias`, ...)."""
    return Field(None, description=description, json_schema_extra=_no_default, **field)
