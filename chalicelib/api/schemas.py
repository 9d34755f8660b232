"""The shapes of the service's answers, one module per face, declared as a route's `response_model`.

A route's answer goes through its model (`chalicelib.api.routes.shaped`) and the same model is
the response schema of the OpenAPI document, so the two cannot drift. Models take the JSON keys
as field names (aliases only where a key is not an identifier) and refuse keys they don't
declare, so a handler answering something undocumented fails its tests.

These modules write their annotations as types, not strings (no `from __future__ import
annotations`): pydantic would compile every string annotation when the app is imported, which a
cold start pays for (bench/cold.py).
"""

from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from chalicelib.domain.validation import DEFERRED

# Points and amounts stay exact (Decimal); on the wire they are JSON numbers, whole ones integers.
Amount = Annotated[Decimal, WithJsonSchema({"type": "number"})]
# Instants are ISO 8601 strings as the handlers format them; the schema says so.
Timestamp = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]
Date = Annotated[str, WithJsonSchema({"type": "string", "format": "date"})]


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


def optional_key(description: str | None = None) -> Any:
    """A key the handler sometimes leaves out: not required, and never null, so its schema
    shows no `default: null` (which the type would refuse)."""
    return Field(None, description=description, json_schema_extra=_no_default)
