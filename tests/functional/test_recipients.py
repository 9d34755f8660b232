"""The Alpha recipients document over HTTP: create, find by ID / email / public key, update,
delete, list, its error shapes, and tenancy between stores."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.fixtures.clients import OTHER_API_KEY, bearer, body_of
from tests.fixtures.recipients import WALLACE, create, created

DOCUMENT_FIELDS = [
    "id", "email", "public_key", "active", "locale", "firstname", "surname", "company",
    "address1", "address2", "address3", "town", "postcode", "country_code", "telephone",
    "del_firstname", "del_surname", "del_company", "del_address1", "del_address2",
    "del_address3", "del_town", "del_postcode", "del_country_code", "del_telephone",
    "created_at", "updated_at", "balance",
]  # fmt: skip
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")


def test_create_returns_the_document_shape(client: Any) -> None:
    response = create(client, WALLACE)

    assert response.status_code == 201
    body = body_of(response)
    assert set(body) == set(DOCUMENT_FIELDS)
    assert re.fullmatch(r"[A-Za-z0-9]{10}", body["id"])
    for field, value in WALLACE.items():
        assert body[field] == value
    assert body["active"] == 1
    assert body["balance"] == 0
    assert body["address2"] is None and body["del_town"] is None
    assert TIMESTAMP.match(body["created_at"]) and TIMESTAMP.match(body["updated_at"])


def test_put_on_the_collection_also_creates(client: Any) -> None:
    response = client.put("/recipients", headers=bearer(), body=json.dumps(WALLACE))
    assert response.status_code == 201
    assert body_of(response)["email"] == WALLACE["email"]


@pytest.mark.parametrize(
    "ref",
    ["{id}", "wallace@example.com", "wallace%40example.com", "WALLACE@Example.com", "dQw4w9WgXcQ"],
)
def test_find_by_id_email_or_public_key(client: Any, ref: str) -> None:
    recipient = created(client)

    response = client.get(f"/recipients/{ref.format(id=recipient['id'])}", headers=bearer())

    assert response.status_code == 200
    assert body_of(response) == recipient


def test_unknown_recipient_is_404_with_empty_message(client: Any) -> None:
    for ref in ("NoSuchId00", "nobody@example.com", "unknown-public-key"):
        response = client.get(f"/recipients/{ref}", headers=bearer())
        assert response.status_code == 404
        assert body_of(response) == {"message": ""}


def test_empty_create_gets_the_documents_422(client: Any) -> None:
    response = create(client, {"country_code": "uk"})

    assert response.status_code == 422
    assert body_of(response) == {
        "message": "The given data was invalid.",
        "code": "validation_failed",
        "errors": {
            "email": ["The email field is required."],
            "firstname": ["The firstname field is required."],
            "surname": ["The surname field is required."],
            "address1": ["The address1 field is required."],
            "town": ["The town field is required."],
            "postcode": ["The postcode field is required."],
            "country_code": ["The selected country code is invalid."],
        },
    }
    assert body_of(client.get("/recipients", headers=bearer()))["data"] == []


@pytest.mark.parametrize("code", ["uk", "xx", "gbr", "g", "12"])
def test_country_codes_not_in_iso_3166_are_refused(client: Any, code: str) -> None:
    response = create(client, {**WALLACE, "country_code": code})
    assert response.status_code == 422
    assert body_of(response)["errors"] == {
        "country_code": ["The selected country code is invalid."]
    }


@pytest.mark.parametrize(("given", "stored"), [("je", "je"), ("gg", "gg"), ("IM", "im")])
def test_crown_dependencies_have_their_own_codes(client: Any, given: str, stored: str) -> None:
    assert created(client, country_code=given)["country_code"] == stored


def test_country_defaults_to_the_stores_setting(client: Any) -> None:
    data = {key: value for key, value in WALLACE.items() if key != "country_code"}
    response = create(client, data)
    assert body_of(response)["country_code"] == "gb"


def test_delivery_country_is_checked_too(client: Any) -> None:
    response = create(client, {**WALLACE, "del_country_code": "uk"})
    assert response.status_code == 422
    assert "del_country_code" in body_of(response)["errors"]


def test_invalid_email_and_overlong_fields(client: Any) -> None:
    response = create(client, {**WALLACE, "email": "not-an-email", "town": "x" * 256})
    errors = body_of(response)["errors"]
    assert response.status_code == 422
    assert errors["email"] == ["The email must be a valid email address."]
    assert errors["town"] == ["The town may not be greater than 255 characters."]


def test_unicode_email_is_accepted(client: Any) -> None:
    recipient = created(client, email="wallace@exämple.com", public_key=None)
    found = client.get("/recipients/wallace@exämple.com", headers=bearer())
    assert body_of(found)["id"] == recipient["id"]


def test_email_is_unique_within_the_store_case_insensitively(client: Any) -> None:
    created(client)
    response = create(client, {**WALLACE, "email": "Wallace@EXAMPLE.com", "public_key": "other"})
    assert response.status_code == 422
    assert body_of(response)["errors"] == {"email": ["The email has already been taken."]}


def test_public_key_is_unique_within_the_store(client: Any) -> None:
    created(client)
    response = create(client, {**WALLACE, "email": "gromit@example.com"})
    assert response.status_code == 422
    assert body_of(response)["errors"] == {"public_key": ["The public key has already been taken."]}
    assert len(body_of(client.get("/recipients", headers=bearer()))["data"]) == 1


def test_the_same_email_may_exist_in_another_store(client: Any) -> None:
    created(client)
    assert create(client, WALLACE, key=OTHER_API_KEY).status_code == 201


def test_update_changes_only_the_given_fields(client: Any) -> None:
    recipient = created(client)
    response = client.put(
        f"/recipients/{recipient['id']}",
        headers=bearer(),
        body=json.dumps({"company": "Top Bun Traditional Bakery", "telephone": "01942 112142"}),
    )

    assert response.status_code == 200
    updated = body_of(response)
    assert updated["company"] == "Top Bun Traditional Bakery"
    assert updated["telephone"] == "01942 112142"
    for field in set(DOCUMENT_FIELDS) - {"company", "telephone", "updated_at"}:
        assert updated[field] == recipient[field]
    assert body_of(client.get(f"/recipients/{recipient['id']}", headers=bearer())) == updated


def test_update_by_email_and_null_clears_an_optional_field(client: Any) -> None:
    created(client)
    response = client.put(
        "/recipients/wallace@example.com",
        headers=bearer(),
        body=json.dumps({"company": None, "del_town": "Bolton"}),
    )
    assert body_of(response)["company"] is None
    assert body_of(response)["del_town"] == "Bolton"


def test_update_refuses_blank_required_fields_and_bad_values(client: Any) -> None:
    recipient = created(client)
    response = client.put(
        f"/recipients/{recipient['id']}",
        headers=bearer(),
        body=json.dumps({"firstname": "", "country_code": "uk"}),
    )
    assert response.status_code == 422
    assert body_of(response)["errors"] == {
        "firstname": ["The firstname field is required."],
        "country_code": ["The selected country code is invalid."],
    }
    assert body_of(client.get(f"/recipients/{recipient['id']}", headers=bearer())) == recipient


def test_changing_email_moves_the_uniqueness(client: Any) -> None:
    recipient = created(client)
    response = client.put(
        f"/recipients/{recipient['id']}",
        headers=bearer(),
        body=json.dumps({"email": "w.wensleydale@example.com", "public_key": "new-key"}),
    )
    assert response.status_code == 200
    assert client.get("/recipients/wallace@example.com", headers=bearer()).status_code == 404
    moved = client.get("/recipients/w.wensleydale@example.com", headers=bearer())
    assert body_of(moved)["id"] == recipient["id"]
    assert body_of(client.get("/recipients/new-key", headers=bearer()))["id"] == recipient["id"]
    # The old email and public key are free again.
    assert create(client, WALLACE).status_code == 201


def test_update_cannot_take_another_recipients_email(client: Any) -> None:
    created(client)
    gromit = created(client, email="gromit@example.com", public_key="gromit")
    response = client.put(
        f"/recipients/{gromit['id']}",
        headers=bearer(),
        body=json.dumps({"email": "WALLACE@example.com"}),
    )
    assert response.status_code == 422
    assert body_of(response)["errors"] == {"email": ["The email has already been taken."]}
    after = body_of(client.get(f"/recipients/{gromit['id']}", headers=bearer()))
    assert after == gromit


def test_update_and_delete_of_unknown_recipient_are_404(client: Any) -> None:
    put = client.put("/recipients/NoSuchId00", headers=bearer(), body=json.dumps({"town": "X"}))
    delete = client.delete("/recipients/NoSuchId00", headers=bearer())
    assert (put.status_code, body_of(put)) == (404, {"message": ""})
    assert (delete.status_code, body_of(delete)) == (404, {"message": ""})


def test_delete_removes_the_recipient_and_frees_its_email(client: Any) -> None:
    recipient = created(client)

    response = client.delete(f"/recipients/{recipient['id']}", headers=bearer())

    assert response.status_code == 204
    assert client.get(f"/recipients/{recipient['id']}", headers=bearer()).status_code == 404
    assert client.get("/recipients/dQw4w9WgXcQ", headers=bearer()).status_code == 404
    assert create(client, WALLACE).status_code == 201


def test_list_pages_through_every_recipient_once(client: Any) -> None:
    ids = {created(client, email=f"r{n}@example.com", public_key=f"pk{n}")["id"] for n in range(5)}
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        query = "per_page=2" + (f"&cursor={cursor}" if cursor else "")
        page = body_of(client.get(f"/recipients?{query}", headers=bearer()))
        seen += [recipient["id"] for recipient in page["data"]]
        pages += 1
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted(ids)
    assert pages == 3


@pytest.mark.parametrize(
    ("query", "status"), [("cursor=%%%", 400), ("cursor=e30", 400), ("per_page=0", 422)]
)
def test_list_refuses_bad_paging(client: Any, query: str, status: int) -> None:
    response = client.get(f"/recipients?{query}", headers=bearer())
    assert response.status_code == status
    assert body_of(response)["code"]


def test_another_store_can_neither_see_nor_change_a_recipient(client: Any) -> None:
    recipient = created(client)
    other = bearer(OTHER_API_KEY)
    for ref in (recipient["id"], "wallace@example.com", "dQw4w9WgXcQ"):
        assert client.get(f"/recipients/{ref}", headers=other).status_code == 404
    update = client.put(
        f"/recipients/{recipient['id']}", headers=other, body=json.dumps({"town": "Elsewhere"})
    )
    assert update.status_code == 404
    assert client.delete(f"/recipients/{recipient['id']}", headers=other).status_code == 404
    assert body_of(client.get("/recipients", headers=other))["data"] == []
    assert body_of(client.get(f"/recipients/{recipient['id']}", headers=bearer())) == recipient


def test_recipients_need_a_store_credential(client: Any) -> None:
    assert client.get("/recipients").status_code == 401
    assert create(client, WALLACE, key="not-a-real-key-000000").status_code == 401
    assert body_of(client.get("/recipients", headers=bearer()))["data"] == []
