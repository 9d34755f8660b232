"""What every route shares: body parsing, content types, methods, and the error shape."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import boto3
import pytest

from tests.fixtures.campaigns import campaign_json
from tests.fixtures.clients import API_KEY, bearer, body_of
from tests.fixtures.factories import RECIPIENT


def _recipients(client: Any) -> list[dict[str, Any]]:
    return body_of(client.get("/recipients", headers=bearer(API_KEY)))["data"]


@pytest.mark.parametrize("body", [b'{"email": ', b"{'a': 1}", b"nope", b'{"a": 1}}'])
def test_malformed_json_is_400(client: Any, body: bytes) -> None:
    response = client.post("/recipients", headers=bearer(API_KEY), body=body)

    assert response.status_code == 400
    assert response.headers["Content-Type"] == "application/json"
    payload = body_of(response)
    assert payload["code"] == "malformed_json"
    assert payload["message"]
    assert _recipients(client) == []


def test_malformed_json_on_a_public_route_is_400(client: Any) -> None:
    response = client.post(
        "/api/admin/login_check", headers={"Content-Type": "application/json"}, body=b"{"
    )

    assert response.status_code == 400
    assert body_of(response)["code"] == "malformed_json"


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", "multipart/form-data"])
def test_unsupported_content_type_is_415_with_a_json_body(client: Any, content_type: str) -> None:
    headers = bearer(API_KEY, **{"Content-Type": content_type})

    response = client.post("/recipients", headers=headers, body=b"email=a@example.com")

    assert response.status_code == 415
    assert response.headers["Content-Type"] == "application/json"
    payload = body_of(response)
    assert set(payload) == {"message", "code"}
    assert payload["code"] == "unsupported_media_type"


def test_wrong_method_is_405_with_a_json_body(client: Any) -> None:
    response = client.request("PATCH", "/health")

    assert response.status_code == 405
    assert response.headers["Content-Type"] == "application/json"
    assert "GET" in response.headers["Allow"]
    payload = body_of(response)
    assert set(payload) == {"message", "code"}
    assert payload["code"] == "method_not_allowed"


def test_wrong_method_on_an_authenticated_route_is_405(client: Any) -> None:
    response = client.request("PATCH", "/recipients", headers=bearer(API_KEY), body=b"{}")

    assert response.status_code == 405
    assert body_of(response)["code"] == "method_not_allowed"


@pytest.mark.parametrize("content_type", ["application/json", "application/x-www-form-urlencoded"])
def test_non_utf8_body_is_400(client: Any, content_type: str) -> None:
    headers = bearer(API_KEY, **{"Content-Type": content_type})

    response = client.post("/recipients", headers=headers, body=b'{"email": "\xff\xfe"}')

    assert response.status_code == 400
    assert body_of(response)["code"] == "malformed_request"
    assert _recipients(client) == []


@pytest.mark.parametrize("body", [b"[]", json.dumps([RECIPIENT]).encode(), b'"text"', b"42"])
def test_a_json_body_that_is_not_an_object_is_422(client: Any, body: bytes) -> None:
    response = client.post("/recipients", headers=bearer(API_KEY), body=body)

    assert response.status_code == 422
    payload = body_of(response)
    assert payload["code"] == "validation_failed"
    assert "body" in payload["errors"]
    assert _recipients(client) == []


def test_missing_fields_are_422_per_field(client: Any) -> None:
    response = client.post(
        "/recipients", headers=bearer(API_KEY), body=json.dumps({"email": "ann@example.com"})
    )

    assert response.status_code == 422
    errors = body_of(response)["errors"]
    assert {"firstname", "surname", "address1", "town", "postcode"} <= set(errors)
    assert "email" not in errors


def test_form_encoded_create_works(client: Any) -> None:
    headers = bearer(API_KEY, **{"Content-Type": "application/x-www-form-urlencoded"})

    response = client.post("/recipients", headers=headers, body=urlencode(RECIPIENT).encode())

    assert response.status_code == 201
    created = body_of(response)
    assert {name: created[name] for name in RECIPIENT} == RECIPIENT
    assert [item["id"] for item in _recipients(client)] == [created["id"]]


CURL_FORM = "application/x-www-form-urlencoded"  # what `curl -d` labels every body with


def _admin_json_as_form() -> dict[str, str]:
    from chalicelib.domain.access.auth import Role
    from tests.fixtures.clients import jwt_headers, token_for

    return jwt_headers(token_for(Role.ADMIN), **{"Content-Type": CURL_FORM})


@pytest.mark.parametrize(
    ("path", "headers", "body", "created"),
    [
        ("/recipients", bearer(API_KEY, **{"Content-Type": CURL_FORM}), RECIPIENT, 201),
        (
            "/api/v1/points",
            bearer(API_KEY, **{"Content-Type": CURL_FORM}),
            [{"email": "ann@example.com", "amount": 5, "expires": 1}],
            200,
        ),
        (
            "/api/DEFAULT/campaign",
            None,  # an admin's token, made once the store exists
            campaign_json(),
            200,
        ),
    ],
    ids=["recipients", "claims", "campaign"],
)
def test_json_sent_with_curls_form_content_type_is_read_as_json(
    client: Any, path: str, headers: dict[str, str] | None, body: Any, created: int
) -> None:
    text = "\n  " + json.dumps(body, indent=2)  # as a here-document would send it

    response = client.post(path, headers=headers or _admin_json_as_form(), body=text.encode())

    assert response.status_code == created, response.body


def test_a_form_starting_with_a_brace_that_is_not_json_is_a_json_error(client: Any) -> None:
    headers = bearer(API_KEY, **{"Content-Type": CURL_FORM})

    response = client.post("/recipients", headers=headers, body=b"{email=a@example.com")

    assert response.status_code == 400
    assert body_of(response)["code"] == "malformed_json"
    assert _recipients(client) == []


def test_form_content_type_with_charset_works(client: Any) -> None:
    headers = bearer(
        API_KEY, **{"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"}
    )
    body = urlencode({**RECIPIENT, "firstname": "Zoë"}).encode()

    response = client.post("/recipients", headers=headers, body=body)

    assert response.status_code == 201
    assert body_of(response)["firstname"] == "Zoë"


def test_json_create_works_and_answers_json(client: Any) -> None:
    response = client.post("/recipients", headers=bearer(API_KEY), body=json.dumps(RECIPIENT))

    assert response.status_code == 201
    assert response.headers["Content-Type"] == "application/json"
    assert body_of(response)["email"] == RECIPIENT["email"]


def test_unknown_route_is_not_a_500(client: Any) -> None:
    response = client.get("/no-such-route")

    assert 400 <= response.status_code < 500


def test_a_server_fault_is_a_json_500_without_details(client: Any) -> None:
    boto3.client("dynamodb", region_name="us-east-1").delete_table(TableName="test-customers")

    response = client.post("/recipients", headers=bearer(API_KEY), body=json.dumps(RECIPIENT))

    assert response.status_code == 500
    assert response.headers["Content-Type"] == "application/json"
    payload = body_of(response)
    assert set(payload) == {"message", "code"}
    assert "Traceback" not in response.body.decode()
    assert "test-customers" not in response.body.decode()
