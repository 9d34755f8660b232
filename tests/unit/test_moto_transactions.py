"""The item-by-item rollback of moto transactions behaves like moto's whole-table copy."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from local import moto_transactions


@pytest.fixture
def dynamodb() -> Any:
    moto_transactions.install()
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName="t",
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        yield client


def _item(client: Any, sk: str) -> dict[str, Any] | None:
    return client.get_item(TableName="t", Key={"pk": {"S": "p"}, "sk": {"S": sk}}).get("Item")


def test_a_cancelled_transaction_leaves_every_item_as_it_was(dynamodb: Any) -> None:
    dynamodb.put_item(TableName="t", Item={"pk": {"S": "p"}, "sk": {"S": "a"}, "n": {"N": "1"}})
    with pytest.raises(ClientError) as raised:
        dynamodb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": "t", "Item": {"pk": {"S": "p"}, "sk": {"S": "new"}}}},
                {
                    "Update": {
                        "TableName": "t",
                        "Key": {"pk": {"S": "p"}, "sk": {"S": "a"}},
                        "UpdateExpression": "ADD n :one",
                        "ExpressionAttributeValues": {":one": {"N": "1"}},
                    }
                },
                {
                    "Put": {
                        "TableName": "t",
                        "Item": {"pk": {"S": "p"}, "sk": {"S": "a2"}},
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                },
            ]
        )
    assert raised.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert _item(dynamodb, "new") is None
    assert _item(dynamodb, "a") == {"pk": {"S": "p"}, "sk": {"S": "a"}, "n": {"N": "1"}}


def test_a_committed_transaction_applies_every_item(dynamodb: Any) -> None:
    dynamodb.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": "t", "Item": {"pk": {"S": "p"}, "sk": {"S": sk}}}}
            for sk in ("x", "y")
        ]
    )
    assert _item(dynamodb, "x") is not None and _item(dynamodb, "y") is not None
