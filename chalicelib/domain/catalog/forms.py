"""Open Loyalty's small forms (buying, bought coupons, cashback): parsed into their model with
the refusal in the document's Symfony words, whoever parses them (a route's typed `body` or
`query`, or the domain reading a body that may also come from the query string)."""

from __future__ import annotations

from typing import Any, Self

from pydantic import ValidationError as PydanticValidationError
from pydantic import ValidatorFunctionWrapHandler, model_validator

from chalicelib.domain.catalog.campaign_form import FORM_CONFIG, form_errors
from chalicelib.domain.errors import InvalidInputError
from chalicelib.domain.validation import InputModel

NOT_AN_OBJECT = {"form": ["The request body must be an object."]}


class OpenLoyaltyForm(InputModel):
    """A form of the Open Loyalty faces: unknown fields ignored, every bad field reported at
    once as `InvalidInputError` in the document's words (`form_errors`). Only the outermost
    model of a form derives from it, so its paths run from the form's root."""

    model_config = FORM_CONFIG

    @model_validator(mode="wrap")
    @classmethod
    def _in_the_documents_words(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        try:
            return handler(data)
        except PydanticValidationError as error:
            # Not a ValueError: pydantic lets it through to the caller as it is.
            raise InvalidInputError(form_errors(error)) from error

    @classmethod
    def read(cls, data: Any) -> Self:
        """`data` (a body, or the query string; None: empty) as this form."""
        if data is not None and not isinstance(data, dict):
            raise InvalidInputError(NOT_AN_OBJECT)
        return cls.model_validate(data or {})
