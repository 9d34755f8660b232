"""Answers of the Alpha recipients endpoints (chalicelib/api/alpha/recipients.py), mapped from
the domain's `records.Customer` and `recipients.RecipientPage`."""

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, ConfigDict, Field

from chalicelib.api.schemas import ResponseModel
from chalicelib.timefmt import SPACED_SECONDS


def _time_text(value: Any) -> Any:
    return value.strftime(SPACED_SECONDS) if isinstance(value, datetime) else value


# The document's time format: UTC, `2020-01-24 15:14:05` (written from the domain's datetime).
RecipientTime = Annotated[
    str, BeforeValidator(_time_text), Field(description="UTC, `YYYY-MM-DD HH:MM:SS`.")
]
CountryCode = Annotated[str | None, Field(description="Lowercase ISO 3166-1 alpha-2.")]

EXAMPLE = {
    "id": "OLMKne7Y3N",
    "email": "wallace@example.com",
    "public_key": "dQw4w9WgXcQ",
    "active": 1,
    "locale": None,
    "firstname": "Wallace",
    "surname": "Wensleydale",
    "company": "Anti-Pesto Pest Control",
    "address1": "62 West Wallaby Street",
    "address2": None,
    "address3": None,
    "town": "Wigan",
    "postcode": "WG7 7FU",
    "country_code": "gb",
    "telephone": "01942 992143",
    "del_firstname": None,
    "del_surname": None,
    "del_company": None,
    "del_address1": None,
    "del_address2": None,
    "del_address3": None,
    "del_town": None,
    "del_postcode": None,
    "del_country_code": None,
    "del_telephone": None,
    "created_at": "2020-01-24 15:14:05",
    "updated_at": "2020-03-24 22:20:10",
    "balance": 234,
}


class Recipient(ResponseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE]})

    id: str = Field(validation_alias="customer_id")
    email: str | None
    public_key: str | None = Field(description="An ID your own system recognises.")
    locale: str | None
    firstname: str | None
    surname: str | None
    company: str | None
    address1: str | None
    address2: str | None
    address3: str | None
    town: str | None
    postcode: str | None
    country_code: CountryCode
    telephone: str | None
    del_firstname: str | None
    del_surname: str | None
    del_company: str | None
    del_address1: str | None
    del_address2: str | None
    del_address3: str | None
    del_town: str | None
    del_postcode: str | None
    del_country_code: CountryCode
    del_telephone: str | None
    active: Annotated[Literal[0, 1], BeforeValidator(int)]
    created_at: RecipientTime
    updated_at: RecipientTime
    balance: int = Field(validation_alias="points_available", description="Available points.")


class RecipientsPage(ResponseModel):
    data: list[Recipient] = Field(validation_alias="recipients", description="In ID order.")
    per_page: int
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null on the last page."
    )
