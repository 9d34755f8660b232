"""CloudFormation table resources derived from the PynamoDB models.

The models are the one definition of every table: `infra/template.py` writes these resources
into `infra/resources.json` (deployed with `chalice package --merge-template`) and the local
bootstrap creates the tables from that same file.
"""

from __future__ import annotations

from typing import Any

from pynamodb.models import Model

# Importing the model modules registers their tables.
from chalicelib.storage import (  # noqa: F401
    batches,
    campaigns,
    cashback,
    claims,
    credentials,
    customer_types,
    customers,
    events,
    idempotency,
    jobs,
    ledger,
    rewards,
    stores,
    targeting,
    webhook_deliveries,
    webhooks,
)
from chalicelib.storage.base import MODELS


def logical_id(model: type[Model]) -> str:
    words = model.Meta.table_basename.replace("-", " ").split()  # type: ignore[attr-defined]
    return "".join(word.capitalize() for word in words) + "Table"


def _hash_first(key_schema: list[dict[str, str]]) -> list[dict[str, str]]:
    # CloudFormation (and CreateTable) want the HASH key before the RANGE key.
    return sorted(key_schema, key=lambda key: key["KeyType"] != "HASH")


def table_resource(model: type[Model]) -> dict[str, Any]:
    schema = model._get_schema()
    properties: dict[str, Any] = {
        "TableName": {"Fn::Sub": "${ResourcePrefix}" + model.Meta.table_basename},  # type: ignore[attr-defined]
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": sorted(
            schema["attribute_definitions"], key=lambda item: item["AttributeName"]
        ),
        "KeySchema": _hash_first(schema["key_schema"]),
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
        "SSESpecification": {"SSEEnabled": True},
    }
    indexes = [
        {
            "IndexName": index["index_name"],
            "KeySchema": _hash_first(index["key_schema"]),
            "Projection": index["projection"],
        }
        for index in schema["global_secondary_indexes"]
    ]
    if indexes:
        properties["GlobalSecondaryIndexes"] = sorted(indexes, key=lambda item: item["IndexName"])
    local_indexes = [
        {
            "IndexName": index["index_name"],
            "KeySchema": _hash_first(index["key_schema"]),
            "Projection": index["projection"],
        }
        for index in schema.get("local_secondary_indexes", [])
    ]
    if local_indexes:
        properties["LocalSecondaryIndexes"] = sorted(
            local_indexes, key=lambda item: item["IndexName"]
        )
    ttl = model.Meta.ttl_attribute  # type: ignore[attr-defined]
    if ttl:
        properties["TimeToLiveSpecification"] = {"AttributeName": ttl, "Enabled": True}
    return {"Type": "AWS::DynamoDB::Table", "Properties": properties}


def table_resources() -> dict[str, dict[str, Any]]:
    return {logical_id(model): table_resource(model) for model in MODELS}
