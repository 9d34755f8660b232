"""What a recipient's body may say (Alpha document): every field optional in the model, the
required ones checked on create (`REQUIRED_ON_CREATE`), blank values cleared, each bad field
named in one 422. chalicelib/domain/customers/recipients.py applies them."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, ConfigDict, StringConstraints
from pydantic import ValidationError as PydanticValidationError

from chalicelib.domain.errors import InvalidInputError
from chalicelib.domain.validation import Email, InputModel, SingleLine, errors_of, field_label
from chalicelib.storage.customers import RECIPIENT_FIELDS

REQUIRED_ON_CREATE = ("email", "firstname", "surname", "address1", "town", "postcode")


def _country_code(value: str) -> str:
    import pycountry  # its data loads slowly: only when a country code is checked

    code = value.lower()
    if len(code) != 2 or pycountry.countries.get(alpha_2=code.upper()) is None:
        raise ValueError("The selected country code is invalid.")
    return code


Text = Annotated[str, StringConstraints(max_length=255), SingleLine]
CountryCode = Annotated[str, AfterValidator(_country_code), SingleLine]


class RecipientInput(InputModel):
    """Every field of the document; all optional here, required ones are checked on create."""

    model_config = ConfigDict(str_strip_whitespace=True, coerce_numbers_to_str=True)

    email: Email | None = None
    public_key: Text | None = None
    locale: Annotated[str, StringConstraints(max_length=35), SingleLine] | None = None
    firstname: Text | None = None
    surname: Text | None = None
    company: Text | None = None
    address1: Text | None = None
    address2: Text | None = None
    address3: Text | None = None
    town: Text | None = None
    postcode: Annotated[str, StringConstraints(max_length=32), SingleLine] | None = None
    country_code: CountryCode | None = None
    telephone: Annotated[str, StringConstraints(max_length=64), SingleLine] | None = None
    del_firstname: Text | None = None
    del_surname: Text | None = None
    del_company: Text | None = None
    del_address1: Text | None = None
    del_address2: Text | None = None
    del_address3: Text | None = None
    del_town: Text | None = None
    del_postcode: Annotated[str, StringConstraints(max_length=32), SingleLine] | None = None
    del_country_code: CountryCode | None = None
    del_telephone: Annotated[str, StringConstraints(max_length=64), SingleLine] | None = None


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def parse_recipient(data: Any, required: tuple[str, ...]) -> dict[str, str | None]:
    """The recipient fields present in `data`, validated; blank values become None."""
    if not isinstance(data, dict):
        raise InvalidInputError({"body": ["The request body must be a JSON object."]})
    present = {field: data[field] for field in RECIPIENT_FIELDS if field in data}
    errors: dict[str, list[str]] = {}
    for field in required:
        if _blank(present.get(field)):
            errors[field] = [f"The {field_label(field)} field is required."]
    try:
        parsed = RecipientInput.model_validate(
            {field: value for field, value in present.items() if not _blank(value)}
        )
    except PydanticValidationError as error:
        for field, messages in errors_of(error).items():
            errors.setdefault(field, messages)
        parsed = None
    if errors or parsed is None:
        raise InvalidInputError(errors)
    return {field: getattr(parsed, field) for field in present}
