"""A mutating request repeated with the same Idempotency-Key has one effect."""

from __future__ import annotations

import json
import time
from typing import Any

import boto3
import pytest

from tests.fixtures.clients import API_KEY, OTHER_API_KEY, bearer, body_of
from tests.fixtures.factories import RECIPIENT

REPLAYED = "Idempotent-Replayed"


def _post(client: Any, key: str | None, body: dict[str, Any], api_key: str = API_KEY) -> Any:
    headers = bearer(api_key, **({"Idempotency-Key": key} if key is not None else {}))
    return client.post("/recipients", headers=headers, body=json.dumps(body))


def _listed(client: Any, api_key: str = API_KEY) -> list[dict[str, Any]]:
    response = client.get("/recipients", headers=bearer(api_key))
    assert response.status_code == 200
    return body_of(response)["data"]


def _records() -> list[dict[str, Any]]:
    table = boto3.resource("dynamodb", region_name="us-east-1").Table("test-idempotency")
    return table.scan(ConsistentRead=True)["Items"]


def test_a_repeated_create_is_replayed_once(client: Any) -> None:
    first = _post(client, "create-ann-1", RECIPIENT)
    second = _post(client, "create-ann-1", RECIPIENT)

    assert first.status_code == 201
    assert second.status_code == 201
    assert REPLAYED not in first.headers
    assert second.headers[REPLAYED] == "true"
    assert second.headers["Content-Type"] == "application/json"
    assert body_of(second) == body_of(first)
    assert [item["id"] for item in _listed(client)] == [body_of(first)["id"]]


def test_without_a_key_a_repeat_runs_again(client: Any) -> None:
    first = _post(client, None, RECIPIENT)
    second = _post(client, None, {**RECIPIENT, "email": "bob@example.com"})

    assert (first.status_code, second.status_code) == (201, 201)
    assert REPLAYED not in second.headers
    assert len(_listed(client)) == 2


def test_different_keys_are_different_requests(client: Any) -> None:
    first = _post(client, "key-a", RECIPIENT)
    second = _post(client, "key-b", {**RECIPIENT, "email": "bob@example.com"})

    assert (first.status_code, second.status_code) == (201, 201)
    assert REPLAYED not in second.headers
    assert len(_listed(client)) == 2


def test_the_same_key_with_another_body_is_422(client: Any) -> None:
    first = _post(client, "create-ann-2", RECIPIENT)
    second = _post(client, "create-ann-2", {**RECIPIENT, "email": "bob@example.com"})

    assert first.status_code == 201
    assert second.status_code == 422
    assert body_of(second)["code"] == "idempotency_key_reused"
    assert [item["email"] for item in _listed(client)] == ["ann@example.com"]


def test_the_same_key_on_another_path_is_422(client: Any) -> None:
    created = body_of(_post(client, "shared-key", RECIPIENT))

    response = client.put(
        f"/recipients/{created['id']}",
        headers=bearer(API_KEY, **{"Idempotency-Key": "shared-key"}),
        body=json.dumps(RECIPIENT),
    )

    assert response.status_code == 422
    assert body_of(response)["code"] == "idempotency_key_reused"


def test_the_same_key_from_another_store_has_its_own_effect(client: Any) -> None:
    mine = _post(client, "create-ann-3", RECIPIENT)
    theirs = _post(client, "create-ann-3", RECIPIENT, api_key=OTHER_API_KEY)

    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert REPLAYED not in theirs.headers
    assert body_of(theirs)["id"] != body_of(mine)["id"]
    assert [item["id"] for item in _listed(client)] == [body_of(mine)["id"]]
    assert [item["id"] for item in _listed(client, OTHER_API_KEY)] == [body_of(theirs)["id"]]


def test_a_key_in_the_path_scopes_the_idempotency_key(client: Any) -> None:
    # Coggins puts the API key in the path; two stores' keys must not collide there either.
    body = json.dumps([{"amount": 5, "email": "pat@example.com"}])
    headers = {"Content-Type": "application/json", "Idempotency-Key": "instant-1"}
    mine = client.post(f"/api/v1/points/{API_KEY}/INSTANT", headers=headers, body=body)
    theirs = client.post(f"/api/v1/points/{OTHER_API_KEY}/INSTANT", headers=headers, body=body)

    assert (mine.status_code, theirs.status_code) == (200, 200)
    assert REPLAYED not in theirs.headers
    assert body_of(theirs)[0]["applied"] is True


def test_a_key_longer_than_255_characters_is_400(client: Any) -> None:
    response = _post(client, "k" * 256, RECIPIENT)

    assert response.status_code == 400
    assert body_of(response)["code"] == "malformed_request"
    assert _listed(client) == []


def test_a_key_of_255_characters_is_accepted(client: Any) -> None:
    first = _post(client, "k" * 255, RECIPIENT)
    second = _post(client, "k" * 255, RECIPIENT)

    assert (first.status_code, second.status_code) == (201, 201)
    assert second.headers[REPLAYED] == "true"
    assert len(_listed(client)) == 1


def test_get_with_a_key_is_not_replayed(client: Any) -> None:
    headers = bearer(API_KEY, **{"Idempotency-Key": "read-1"})

    before = client.get("/recipients", headers=headers)
    _post(client, None, RECIPIENT)
    after = client.get("/recipients", headers=headers)

    assert body_of(before)["data"] == []
    assert len(body_of(after)["data"]) == 1
    assert REPLAYED not in after.headers
    assert _records() == []


def test_a_repeated_delete_answers_the_stored_204(client: Any) -> None:
    created = body_of(_post(client, None, RECIPIENT))
    headers = bearer(API_KEY, **{"Idempotency-Key": "delete-ann"})

    first = client.delete(f"/recipients/{created['id']}", headers=headers)
    second = client.delete(f"/recipients/{created['id']}", headers=headers)
    unkeyed = client.delete(f"/recipients/{created['id']}", headers=bearer(API_KEY))

    assert first.status_code == 204
    assert second.status_code == 204
    assert second.headers[REPLAYED] == "true"
    assert not second.body
    assert unkeyed.status_code == 404


def test_the_record_is_stored_for_24_hours(client: Any) -> None:
    before = time.time()
    _post(client, "create-ann-4", RECIPIENT)

    records = _records()

    assert len(records) == 1
    record = records[0]
    assert record["status"] == "COMPLETED"
    assert "create-ann-4" not in json.dumps(record, default=str)
    assert API_KEY not in json.dumps(record, default=str)
    assert before + 86400 - 5 <= int(record["expiration"]) <= time.time() + 86400 + 5


@pytest.mark.parametrize("status", [422, 404])
def test_client_errors_are_replayed_too(client: Any, status: int) -> None:
    headers = bearer(API_KEY, **{"Idempotency-Key": f"error-{status}"})
    path, body = (
        ("/recipients", json.dumps({"email": "x"}))
        if status == 422
        else ("/recipients/missing-id", json.dumps({"town": "Bath"}))
    )
    method = client.post if status == 422 else client.put

    first = method(path, headers=headers, body=body)
    second = method(path, headers=headers, body=body)

    assert (first.status_code, second.status_code) == (status, status)
    assert second.headers[REPLAYED] == "true"
    assert body_of(second) == body_of(first)


def test_a_server_fault_is_not_stored_and_a_retry_runs_again(client: Any) -> None:
    boto3.client("dynamodb", region_name="us-east-1").delete_table(TableName="test-customers")

    first = _post(client, "fault-1", RECIPIENT)
    second = _post(client, "fault-1", RECIPIENT)

    assert first.status_code == 500
    assert second.status_code == 500
    assert REPLAYED not in second.headers
    assert [record.get("data") for record in _records()] == [None]  # no answer kept


@pytest.mark.parametrize(
    ("method", "path", "content_type"),
    [("PATCH", "/health", "application/json"), ("POST", "/recipients", "text/plain")],
    ids=["405", "415"],
)
def test_replayed_framework_errors_keep_the_error_shape(
    client: Any, method: str, path: str, content_type: str
) -> None:
    headers = bearer(API_KEY, **{"Content-Type": content_type, "Idempotency-Key": "f-1"})

    first = client.request(method, path, headers=headers, body=b"hi")
    second = client.request(method, path, headers=headers, body=b"hi")

    assert first.status_code == second.status_code
    assert set(body_of(first)) == {"message", "code"}
    assert body_of(second) == body_of(first)
    assert second.headers.get("Content-Type") == "application/json"
