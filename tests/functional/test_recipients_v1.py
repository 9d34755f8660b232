"""The Alpha recipients as the document's clients call them: under `/api/v1/`, with or without
a trailing slash, and with `_method` for clients that can only POST."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest

from tests.fixtures.clients import API_KEY, bearer, body_of
from tests.fixtures.recipients import WALLACE, created
from tests.fixtures.tables import stored_items

V1 = "/api/v1/recipients"


@pytest.mark.parametrize("collection", [V1, f"{V1}/"])
def test_every_recipients_route_answers_under_api_v1(client: Any, collection: str) -> None:
    made = client.post(collection, headers=bearer(), body=json.dumps(WALLACE))
    assert made.status_code == 201, made.body
    recipient = body_of(made)
    one = f"{V1}/{recipient['id']}"

    listed = body_of(client.get(collection, headers=bearer()))
    found = client.get(f"{V1}/wallace@example.com/", headers=bearer())
    updated = client.put(one, headers=bearer(), body=json.dumps({"town": "Bolton"}))
    patched = client.patch(f"{one}/", headers=bearer(), body=json.dumps({"town": "Leigh"}))

    assert [r["id"] for r in listed["data"]] == [recipient["id"]]
    assert body_of(found) == recipient
    assert body_of(updated)["town"] == "Bolton"
    assert body_of(patched)["town"] == "Leigh"
    # The same recipient as the bare paths show it.
    assert (
        body_of(client.get(f"/recipients/{recipient['id']}", headers=bearer()))["town"] == "Leigh"
    )
    assert client.delete(f"{one}/", headers=bearer()).status_code == 204
    assert client.get(one, headers=bearer()).status_code == 404


@pytest.mark.parametrize("path", [V1, f"{V1}/", f"{V1}/wallace@example.com"])
def test_a_wrong_api_key_is_401_under_api_v1(client: Any, path: str) -> None:
    created(client)
    for headers in (bearer("not-a-real-key-000000"), {}):
        response = client.get(path, headers=headers)
        assert response.status_code == 401
        assert body_of(response)["code"]
    wrong = client.put(path, headers=bearer("not-a-real-key-000000"), body=json.dumps(WALLACE))
    assert wrong.status_code == 401


def test_the_trailing_slash_over_http(local_api: str) -> None:
    """As `make run` serves it (and API Gateway routes it): `/api/v1/recipients/` is the
    collection, not an unknown path."""

    def call(method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
        request = urllib.request.Request(
            local_api + path,
            method=method,
            headers=bearer(API_KEY),
            data=json.dumps(body).encode() if body is not None else None,
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")

    status, recipient = call("POST", f"{V1}/", WALLACE)
    assert status == 201
    assert call("GET", f"{V1}/")[1]["data"][0]["id"] == recipient["id"]
    assert call("GET", f"{V1}/{recipient['id']}/") == (200, recipient)


def stored_anywhere(text: str) -> bool:
    """Whether any item of any table holds `text`."""
    return any(text in json.dumps(item) for _, item in stored_items())


@pytest.mark.parametrize("prefix", ["", "/api/v1"])
def test_method_put_in_json_updates(client: Any, prefix: str) -> None:
    recipient = created(client)
    body = {"_method": "PUT", "company": "Top Bun Traditional Bakery"}

    response = client.post(
        f"{prefix}/recipients/{recipient['id']}", headers=bearer(), body=json.dumps(body)
    )

    assert response.status_code == 200, response.body
    assert body_of(response)["company"] == "Top Bun Traditional Bakery"
    assert "_method" not in body_of(response)
    assert not stored_anywhere("_method")
    found = body_of(client.get(f"/recipients/{recipient['id']}", headers=bearer()))
    assert found == body_of(response)


def test_method_in_a_form_updates_and_deletes(client: Any) -> None:
    recipient = created(client)
    form = {**bearer(), "Content-Type": "application/x-www-form-urlencoded"}
    one = f"{V1}/{recipient['email']}"

    updated = client.post(one, headers=form, body="_method=patch&town=Bolton")
    deleted = client.post(one, headers=form, body="_method=DELETE")

    assert updated.status_code == 200, updated.body
    assert body_of(updated)["town"] == "Bolton"
    assert deleted.status_code == 204, deleted.body
    assert client.get(f"{V1}/{recipient['id']}", headers=bearer()).status_code == 404


def test_method_delete_in_json_deletes_and_then_404s(client: Any) -> None:
    recipient = created(client)
    one = f"/recipients/{recipient['public_key']}"
    body = json.dumps({"_method": "DELETE"})

    assert client.post(one, headers=bearer(), body=body).status_code == 204
    again = client.post(one, headers=bearer(), body=body)
    assert (again.status_code, body_of(again)) == (404, {"message": ""})


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/recipients/{id}", {"town": "Bolton"}),  # a POST to a recipient must say its method
        ("/recipients/{id}", {"_method": "GET"}),
        ("/recipients/{id}", {"_method": ["PUT"]}),
        (V1, {**WALLACE, "email": "gromit@example.com", "public_key": "g", "_method": "DELETE"}),
    ],
)
def test_a_missing_or_unknown_method_is_422_and_changes_nothing(
    client: Any, path: str, body: dict[str, Any]
) -> None:
    recipient = created(client)

    response = client.post(path.format(id=recipient["id"]), headers=bearer(), body=json.dumps(body))

    assert response.status_code == 422, response.body
    assert list(body_of(response)["errors"]) == ["_method"]
    listed = body_of(client.get("/recipients", headers=bearer()))["data"]
    assert listed == [recipient]


def test_method_put_on_the_collection_creates(client: Any) -> None:
    body = {**WALLACE, "_method": "PUT"}
    response = client.post(f"{V1}/", headers=bearer(), body=json.dumps(body))
    assert response.status_code == 201
    assert not stored_anywhere("_method")


def test_a_wrong_key_on_a_spoofed_post_is_401(client: Any) -> None:
    recipient = created(client)
    body = json.dumps({"_method": "DELETE"})
    response = client.post(
        f"{V1}/{recipient['id']}", headers=bearer("not-a-real-key-00"), body=body
    )
    assert response.status_code == 401
    assert client.get(f"{V1}/{recipient['id']}", headers=bearer()).status_code == 200
