"""Coggins points lookup: `GET /api/v1/points/{csapikey}/email/{email}/Full`, one read."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.domain.customers import records
from chalicelib.domain.points import ledger
from chalicelib.domain.points.ledger import EntryKind, Posting
from tests.fixtures.aws import AwsCalls
from tests.fixtures.clients import API_KEY, OTHER_API_KEY, OTHER_STORE, STORE, body_of


def _lookup(client: Any, email: str, key: str = API_KEY) -> Any:
    return client.get(f"/api/v1/points/{key}/email/{email}/Full")


def _customer(store_code: str, email: str, earned: int, spent: int = 0) -> str:
    customer = records.new_customer(store_code, email)
    ledger.post(Posting(store_code, customer.customer_id, earned, EntryKind.EARN), customer)
    if spent:
        ledger.post(Posting(store_code, customer.customer_id, -spent, EntryKind.SPEND))
    return customer.customer_id


@pytest.fixture
def holder(store: str) -> str:
    return _customer(STORE, "Holder@Example.com", 9906 + 5120, 5120)


@pytest.mark.parametrize(
    "email",
    [
        "holder@example.com",
        "Holder@Example.com",
        "HOLDER%40EXAMPLE.COM",
        "holder%40example.com%20",
        "%20holder@example.com",
    ],
)
def test_lookup_answers_available_and_used_points(client: Any, holder: str, email: str) -> None:
    response = _lookup(client, email)

    assert response.status_code == 200
    assert body_of(response) == {"AvailablePoints": 9906, "UsedPoints": 5120}
    assert response.headers["Content-Type"] == "application/json"


@pytest.mark.parametrize("email", ["nobody@example.com", "%20", "holder"])
def test_unknown_email_is_404(client: Any, holder: str, email: str) -> None:
    response = _lookup(client, email)

    assert response.status_code == 404
    assert body_of(response) == {
        "message": "No customer with this email.",
        "code": "customer_not_found",
    }


def test_a_key_of_another_store_never_sees_this_stores_customer(client: Any, holder: str) -> None:
    assert _lookup(client, "holder@example.com", OTHER_API_KEY).status_code == 404

    _customer(OTHER_STORE, "holder@example.com", 7)
    response = _lookup(client, "holder@example.com", OTHER_API_KEY)
    assert body_of(response) == {"AvailablePoints": 7, "UsedPoints": 0}
    assert body_of(_lookup(client, "holder@example.com")) == {
        "AvailablePoints": 9906,
        "UsedPoints": 5120,
    }


def test_an_unknown_key_is_401(client: Any, holder: str) -> None:
    response = _lookup(client, "holder@example.com", "not-a-key-0123456789")

    assert response.status_code == 401
    assert body_of(response)["code"] == "unauthenticated"


def test_the_lookup_is_one_read(aws_calls: AwsCalls, client: Any, holder: str) -> None:
    aws_calls.reset()

    assert _lookup(client, "holder@example.com").status_code == 200

    # The API key (GetItem), then the balance from the email index: nothing else.
    assert aws_calls.operations == [("dynamodb", "GetItem"), ("dynamodb", "Query")]
