"""The Alpha recipients as the document's clients call them: under `/api/v1/`, with or without
a trailing slash, and with `_method` for clients that can only POST."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest

from tests.conftest import API_KEY, bearer, body_of
from tests.functional.test_recipients import WALLACE, created

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
