"""DynamoDB round trips per operation, counted through botocore's event hooks."""

from __future__ import annotations

import json
from typing import Any

from tests.fixtures.aws import AwsCalls
from tests.fixtures.clients import bearer, body_of
from tests.fixtures.recipients import WALLACE


def test_recipient_reads_and_writes_take_the_calls_they_need(
    aws_calls: AwsCalls, client: Any
) -> None:
    created = client.post("/recipients", headers=bearer(), body=json.dumps(WALLACE))
    recipient_id = body_of(created)["id"]
    aws_calls.reset()

    client.get(f"/recipients/{recipient_id}", headers=bearer())
    # The API key (GetItem) and the recipient (GetItem).
    assert aws_calls.operations == [("dynamodb", "GetItem"), ("dynamodb", "GetItem")]

    aws_calls.reset()
    client.get("/recipients/wallace@example.com", headers=bearer())
    assert aws_calls.operations == [("dynamodb", "GetItem"), ("dynamodb", "Query")]

    aws_calls.reset()
    client.post(
        "/recipients",
        headers=bearer(),
        body=json.dumps({**WALLACE, "email": "g@example.com", "public_key": "g"}),
    )
    # Key, the Imonggo id counter, then one transaction for the record and its two guards
    # (store settings cached).
    assert aws_calls.operations == [
        ("dynamodb", "GetItem"),
        ("dynamodb", "UpdateItem"),
        ("dynamodb", "TransactWriteItems"),
    ]
