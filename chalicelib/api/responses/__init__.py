"""The shapes of the service's answers, one module per face, declared as a route's `response_model`.

A route's answer goes through its model (`chalicelib.api.routes.shaped`) and the same model is
the response schema of the OpenAPI document, so the two cannot drift. Models take the JSON keys
as field names (aliases only where a key is not an identifier) and refuse keys they don't
declare, so a handler answering something undocumented fails its tests.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, WithJsonSchema

# Points and amounts stay exact (Decimal); on the wire they are JSON numbers, whole ones integers.
Amount = Annotated[Decimal, WithJsonSchema({"type": "number"})]
# Instants are ISO 8601 strings as the handlers format them; the schema says so.
Timestamp = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]
Date = Annotated[str, WithJsonSchema({"type": "string", "format": "date"})]


class ResponseModel(BaseModel):
    """An answer's shape: exactly the declared keys."""

    model_config = ConfigDict(extra="forbid", validate_by_name=True, validate_by_alias=True)
