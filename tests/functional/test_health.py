"""`GET /health`: versions and whether every table answers; a missing table is a 503 naming it."""

from __future__ import annotations

from typing import Any

import boto3

from chalicelib.storage.base import MODELS
from tests.fixtures.clients import body_of


def _table_names() -> set[str]:
    return {model.Meta.table_basename for model in MODELS}  # type: ignore[attr-defined]


def test_health_reports_versions_and_every_table(client: Any) -> None:
    response = client.get("/health")

    assert response.status_code == 200
    body = body_of(response)
    assert body["status"] == "ok"
    assert body["stage"] == "test"
    assert {"rewards", "python", "chalice", "boto3", "pynamodb"} <= set(body["versions"])
    assert all(isinstance(value, str) and value for value in body["versions"].values())
    assert set(body["tables"]) == _table_names()
    assert all(value is True for value in body["tables"].values())
    assert body["failing"] == []


def test_health_needs_no_credential(client: Any) -> None:
    response = client.get("/health", headers={"Authorization": "Bearer nonsense"})

    assert response.status_code == 200


def test_a_missing_table_is_a_503_naming_it(client: Any) -> None:
    boto3.client("dynamodb", region_name="us-east-1").delete_table(TableName="test-customers")

    response = client.get("/health")

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    body = body_of(response)
    assert body["status"] == "degraded"
    assert body["failing"] == ["table:customers"]
    assert body["tables"]["customers"] is False
    assert all(value is True for name, value in body["tables"].items() if name != "customers")
