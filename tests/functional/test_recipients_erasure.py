"""`DELETE /recipients/{ref}` is the right to erasure: the person's data goes from every table,
their remaining points are forfeited with a ledger entry, and the email can be used again."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib.domain.customers.records import customers_count
from tests.fixtures.clients import STORE, bearer, body_of
from tests.fixtures.recipients import PERSONAL, WALLACE, created, entries, grant, held_anywhere


@pytest.mark.parametrize("ref", ["{id}", "wallace@example.com", "dQw4w9WgXcQ"])
def test_erasure_leaves_no_personal_data_and_forfeits_the_points(client: Any, ref: str) -> None:
    recipient = created(client)
    grant(client, WALLACE["email"], 700)
    assert held_anywhere(PERSONAL) == PERSONAL

    response = client.delete(
        f"/api/v1/recipients/{ref.format(id=recipient['id'])}", headers=bearer()
    )

    assert response.status_code == 204, response.body
    assert held_anywhere(PERSONAL) == []
    # The ledger keeps the amounts under the bare id, and adds up to the balance: nothing.
    kept = entries(recipient["id"])
    assert [(entry.kind, int(entry.amount)) for entry in kept] == [
        ("adjust", 700),
        ("expire", -700),
    ]
    assert kept[-1].reference == "erasure"
    assert kept[-1].actor.startswith("store:")  # the key that asked for it
    assert sum(int(entry.amount) for entry in kept) == 0
    assert customers_count(STORE) == 0


def test_an_erased_recipient_is_404_by_every_identifier_everywhere(client: Any) -> None:
    recipient = created(client)
    client.delete(f"/recipients/{recipient['id']}", headers=bearer())

    for ref in (recipient["id"], "wallace@example.com", "dQw4w9WgXcQ"):
        for prefix in ("", "/api/v1"):
            path = f"{prefix}/recipients/{ref}"
            for method in ("GET", "DELETE"):
                response = client.request(method, path, headers=bearer())
                assert (response.status_code, body_of(response)) == (404, {"message": ""})
            update = client.put(path, headers=bearer(), body=json.dumps({"town": "Bolton"}))
            assert update.status_code == 404
    assert body_of(client.get("/recipients", headers=bearer()))["data"] == []


def test_the_email_and_public_key_can_be_used_again(client: Any) -> None:
    first = created(client)
    grant(client, WALLACE["email"], 50)
    client.delete(f"/recipients/{first['id']}", headers=bearer())

    again = created(client)

    assert again["id"] != first["id"]
    assert again["balance"] == 0
    assert body_of(client.get("/recipients/dQw4w9WgXcQ", headers=bearer()))["id"] == again["id"]
    # New points go to the new recipient, not to the erased one's account.
    grant(client, WALLACE["email"], 5)
    assert body_of(client.get(f"/recipients/{again['id']}", headers=bearer()))["balance"] == 5
    assert sum(int(entry.amount) for entry in entries(first["id"])) == 0


def test_erasure_without_points_writes_no_ledger_entry(client: Any) -> None:
    recipient = created(client)
    assert client.delete(f"/recipients/{recipient['id']}", headers=bearer()).status_code == 204
    assert entries(recipient["id"]) == []
