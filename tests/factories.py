"""Records made straight through the models, for tests about what uses them, not makes them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from pynamodb.transactions import TransactWrite

from chalicelib.domain.catalog import coupons
from chalicelib.domain.customers import customer_types
from chalicelib.domain.customers.customer_type_input import CustomerTypeInput
from chalicelib.domain.customers.records import add_new_customers, new_customer
from chalicelib.domain.points import ledger
from chalicelib.domain.points.ledger import EntryKind, Posting
from chalicelib.domain.validation import validate
from chalicelib.storage.base import connection
from chalicelib.storage.campaigns import CampaignModel
from chalicelib.storage.customers import CustomerModel

STORE = "DEFAULT"
# A valid body for `POST /recipients`, for tests about what surrounds the request.
RECIPIENT = {
    "email": "ann@example.com",
    "firstname": "Ann",
    "surname": "Lee",
    "address1": "1 High Street",
    "town": "Bath",
    "postcode": "BA1 1AA",
}


def make_campaign(
    store_code: str = STORE,
    codes: list[str] | None = None,
    name: str = "Welcome gift",
    **fields: Any,
) -> CampaignModel:
    """An active, unlimited, always-visible campaign (override any field), with `codes`."""
    now = datetime.now(UTC)
    values: dict[str, Any] = {
        "reward": "gift_code",
        "translations": {
            "en": {
                "name": name,
                "shortDescription": "A gift for you",
                "conditionsDescription": "Valid once",
                "usageInstruction": "Show the code at the till",
                "brandDescription": "Acme Stores",
            }
        },
        "active": True,
        "unlimited": True,
        "created_at": now,
        "updated_at": now,
    }
    values.update(fields)
    campaign = CampaignModel(store_code, str(uuid.uuid4()), **values)
    campaign.save()
    if codes:
        coupons.put_codes(store_code, campaign.campaign_id, codes, append=True)
        campaign.refresh()
    return campaign


def make_customer_type(name: str, store_code: str = STORE) -> customer_types.CustomerType:
    """A customer type of the store, for items that name it in `customerType`."""
    fields = validate(CustomerTypeInput, {"name": name, "point_to_amount_ratio": 1})
    return customer_types.create_customer_type(store_code, fields)


def add_customer(store_code: str, email: str | None, **fields: Any) -> CustomerModel:
    """A customer saved as the service saves one: with its guards, counted in its store."""
    customer = new_customer(store_code, email, **fields)
    with TransactWrite(connection=connection()) as transaction:
        add_new_customers(transaction, [customer])
    return customer


def customer_with_points(points: int = 0, store_code: str = STORE, **fields: Any) -> str:
    """The id of a new customer without an email, with `points` earned through the ledger."""
    customer_id = add_customer(store_code, None, **fields).customer_id
    if points:
        ledger.post(Posting(store_code, customer_id, points, EntryKind.EARN))
    return customer_id
