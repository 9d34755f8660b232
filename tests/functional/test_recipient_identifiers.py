"""A recipient's identifiers (ID, email, public key) share one namespace within a store.

A public key equal to another recipient's ID, email or public key, or an email equal to
another recipient's public key, is a 422 on the field that collides, on create and on update;
nothing of the refused request is written, and /recipients/{value} answers only the recipient
that owns the value.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest

from chalicelib.domain.customers.records import customers_count
from tests.fixtures.clients import STORE, bearer, body_of
from tests.fixtures.recipients import WALLACE, create, created

GROMIT = {**WALLACE, "email": "gromit@example.com", "public_key": "gromit-1", "firstname": "G"}


def get(client: Any, ref: str) -> Any:
    return client.get(f"/recipients/{quote(ref)}", headers=bearer())


def put(client: Any, ref: str, data: dict[str, Any]) -> Any:
    return client.put(f"/recipients/{quote(ref)}", headers=bearer(), body=json.dumps(data))


def taken(response: Any, field: str) -> None:
    assert response.status_code == 422, response.body
    assert body_of(response)["errors"] == {
        field: [f"The {field.replace('_', ' ')} has already been taken."]
    }


def owner_answers(client: Any, ref: str, owner: dict[str, Any]) -> None:
    found = get(client, ref)
    assert found.status_code == 200
    assert body_of(found) == owner


# Which value of the victim (Wallace) the newcomer's field takes: (field, value of Wallace).
COLLISIONS = [
    pytest.param("public_key", lambda w: w["email"], id="public_key=other's email"),
    pytest.param("public_key", lambda w: w["email"].upper(), id="public_key=other's EMAIL"),
    pytest.param("public_key", lambda w: w["id"], id="public_key=other's id"),
    pytest.param("public_key", lambda w: w["public_key"], id="public_key=other's public_key"),
    pytest.param("email", lambda w: w["public_key"], id="email=other's public_key"),
    pytest.param("email", lambda w: w["public_key"].upper(), id="email=other's PUBLIC_KEY"),
]


@pytest.mark.parametrize(("field", "value_of"), COLLISIONS)
def test_create_cannot_take_another_recipients_identifier(
    client: Any, field: str, value_of: Any
) -> None:
    wallace = created(client, public_key="wallace@keys.example.com")
    value = value_of(wallace)
    count = customers_count(STORE)

    taken(create(client, {**GROMIT, field: value}), field)

    owner_answers(client, value, wallace)
    assert customers_count(STORE) == count
    # Nothing of the refused create holds its other identifiers: they are free to take.
    other = "public_key" if field == "email" else "email"
    assert get(client, GROMIT[other]).status_code == 404
    assert create(client, GROMIT).status_code == 201


@pytest.mark.parametrize(("field", "value_of"), COLLISIONS)
def test_update_cannot_take_another_recipients_identifier(
    client: Any, field: str, value_of: Any
) -> None:
    wallace = created(client, public_key="wallace@keys.example.com")
    gromit = body_of(create(client, GROMIT))
    value = value_of(wallace)

    for ref in (gromit["id"], gromit["email"], gromit["public_key"]):
        taken(put(client, ref, {field: value, "firstname": "Changed"}), field)

    owner_answers(client, value, wallace)
    owner_answers(client, gromit["id"], gromit)  # unchanged, not even its first name
    owner_answers(client, gromit["email"], gromit)
    owner_answers(client, gromit["public_key"], gromit)
    # Putting by the value changes its owner only.
    assert put(client, value, {"firstname": "Still Wallace"}).status_code == 200
    assert body_of(get(client, wallace["id"]))["firstname"] == "Still Wallace"
    assert body_of(get(client, gromit["id"]))["firstname"] == gromit["firstname"]


def test_a_recipient_may_use_its_own_email_or_id_as_its_public_key(client: Any) -> None:
    wallace = created(client, public_key=WALLACE["email"].upper())
    assert body_of(get(client, WALLACE["email"]))["id"] == wallace["id"]

    changed = put(client, wallace["id"], {"public_key": wallace["id"]})

    assert changed.status_code == 200, changed.body
    owner_answers(client, wallace["id"], body_of(changed))


def test_swapping_email_and_public_key_in_one_update(client: Any) -> None:
    wallace = created(client, email="a@example.com", public_key="b@example.com")

    changed = put(client, wallace["id"], {"email": "b@example.com", "public_key": "A@example.com"})

    assert changed.status_code == 200, changed.body
    for ref in ("a@example.com", "b@example.com", "A@example.com"):
        assert body_of(get(client, ref))["id"] == wallace["id"]
    # The old values moved with the recipient: another may not take them.
    taken(create(client, {**GROMIT, "email": "a@example.com"}), "email")


def test_an_identifier_freed_by_an_update_or_delete_can_be_taken(client: Any) -> None:
    wallace = created(client, public_key="wallace@keys.example.com")
    assert put(client, wallace["id"], {"public_key": "w-2"}).status_code == 200

    gromit = create(client, {**GROMIT, "email": "wallace@keys.example.com"})

    assert gromit.status_code == 201, gromit.body
    assert body_of(get(client, "wallace@keys.example.com"))["id"] == body_of(gromit)["id"]
    assert client.delete(f"/recipients/{wallace['id']}", headers=bearer()).status_code in (200, 204)
    assert put(client, body_of(gromit)["id"], {"public_key": "w-2"}).status_code == 200
