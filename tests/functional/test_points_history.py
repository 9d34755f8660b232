"""The admin ledger history: `GET /api/{storeCode}/admin/customer/{customer}/points/history`."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib.domain.access import auth
from chalicelib.domain.access.auth import Principal, Role
from chalicelib.domain.customers import records
from chalicelib.domain.points import ledger
from chalicelib.domain.points.ledger import EntryKind, Posting
from tests.fixtures.clients import API_KEY, OTHER_API_KEY, OTHER_STORE, STORE, bearer, body_of
from tests.fixtures.recipients import WALLACE

ENTRY_FIELDS = {"id", "kind", "amount", "reference", "reason", "actor", "createdAt"}


def _history(client: Any, customer: str, query: str = "", **options: str) -> Any:
    store_code = options.get("store_code", STORE)
    headers = bearer(options.get("key", API_KEY))
    return client.get(
        f"/api/{store_code}/admin/customer/{customer}/points/history{query}", headers=headers
    )


@pytest.fixture
def customer_id(store: str) -> str:
    customer = records.new_customer(STORE, "hist@example.com")
    ledger.post(
        Posting(STORE, customer.customer_id, 100, EntryKind.EARN, "order-1", "welcome", "admin:1"),
        new_customer=customer,
    )
    ledger.post(Posting(STORE, customer.customer_id, -30, EntryKind.SPEND, reference="till-7"))
    for amount in (1, 2, 3):
        ledger.post(Posting(STORE, customer.customer_id, amount, EntryKind.ADJUST))
    return customer.customer_id


def test_history_lists_entries_newest_first_with_the_balance(client: Any, customer_id: str) -> None:
    response = _history(client, customer_id)

    assert response.status_code == 200
    body = body_of(response)
    assert body["per_page"] == 25
    assert body["next_cursor"] is None
    assert body["balance"] == {"available": 76, "used": 30, "pending": 0, "expired": 0}
    assert [(e["kind"], e["amount"]) for e in body["data"]] == [
        ("adjust", 3),
        ("adjust", 2),
        ("adjust", 1),
        ("spend", -30),
        ("earn", 100),
    ]
    first = body["data"][-1]
    assert set(first) == ENTRY_FIELDS
    assert (first["reference"], first["reason"], first["actor"]) == (
        "order-1",
        "welcome",
        "admin:1",
    )
    assert first["createdAt"].endswith("+00:00")
    assert sum(e["amount"] for e in body["data"]) == body["balance"]["available"]


def test_history_pages_with_a_cursor(client: Any, customer_id: str) -> None:
    seen: list[int] = []
    cursor = ""
    for _ in range(5):
        body = body_of(_history(client, customer_id, f"?per_page=2{cursor}"))
        assert body["per_page"] == 2
        assert len(body["data"]) <= 2
        seen += [e["amount"] for e in body["data"]]
        if body["next_cursor"] is None:
            break
        cursor = f"&cursor={body['next_cursor']}"

    assert seen == [3, 2, 1, -30, 100]


def test_the_customer_may_be_named_by_email_or_public_key(client: Any) -> None:
    created = body_of(client.post("/recipients", headers=bearer(), body=json.dumps(WALLACE)))
    ledger.post(Posting(STORE, created["id"], 9, EntryKind.EARN))

    for ref in (created["id"], "Wallace%40Example.com", WALLACE["public_key"]):
        body = body_of(_history(client, ref))
        assert [e["amount"] for e in body["data"]] == [9], ref


def test_an_admin_token_may_read_the_history(client: Any, customer_id: str) -> None:
    token = auth.issue_token(Principal(STORE, Role.ADMIN, "admin-1"))

    response = _history(client, customer_id, key=token)

    assert response.status_code == 200
    assert body_of(response)["balance"]["available"] == 76


@pytest.mark.parametrize("role", [Role.SELLER, Role.CUSTOMER])
def test_seller_and_customer_tokens_are_403(client: Any, customer_id: str, role: Role) -> None:
    token = auth.issue_token(Principal(STORE, role, "someone"))

    assert _history(client, customer_id, key=token).status_code == 403


def test_another_stores_key_is_403_on_this_store(client: Any, customer_id: str) -> None:
    response = _history(client, customer_id, key=OTHER_API_KEY)

    assert response.status_code == 403
    assert body_of(response)["code"] == "forbidden"


def test_another_store_never_finds_this_stores_customer(client: Any, customer_id: str) -> None:
    for ref in (customer_id, "hist@example.com"):
        response = _history(client, ref, key=OTHER_API_KEY, store_code=OTHER_STORE)
        assert response.status_code == 404


@pytest.mark.parametrize("ref", ["NoSuchId00", "nobody@example.com", "%20"])
def test_an_unknown_customer_is_404(client: Any, customer_id: str, ref: str) -> None:
    response = _history(client, ref)

    assert response.status_code == 404
    assert body_of(response) == {"message": "Customer not found.", "code": "customer_not_found"}


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?per_page=0", "The per page must be between 1 and 100."),
        ("?per_page=101", "The per page must be between 1 and 100."),
        ("?per_page=many", "The per page must be an integer."),
    ],
)
def test_a_bad_page_size_is_422(client: Any, customer_id: str, query: str, message: str) -> None:
    response = _history(client, customer_id, query)

    assert response.status_code == 422
    assert body_of(response)["errors"] == {"per_page": [message]}


def test_a_bad_cursor_is_400(client: Any, customer_id: str) -> None:
    response = _history(client, customer_id, "?cursor=not-a-cursor")

    assert response.status_code == 400
    assert body_of(response)["code"] == "invalid_cursor"


def test_no_credential_is_401(client: Any, customer_id: str) -> None:
    response = client.get(f"/api/{STORE}/admin/customer/{customer_id}/points/history")

    assert response.status_code == 401
