"""DynamoDB round trips per operation, counted through botocore's event hooks."""

from __future__ import annotations

import json
from typing import Any

from tests.fixtures.aws import AwsCalls
from tests.fixtures.buying import admin_buy, customer_with
from tests.fixtures.clients import bearer, body_of
from tests.fixtures.factories import make_campaign
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


def test_a_buy_reads_campaign_customer_and_usage_in_one_batch_get(
    aws_calls: AwsCalls, client: Any
) -> None:
    campaign = make_campaign(
        codes=["B1", "B2", "B3"], reward="discount_code", cost_in_points=10, limit_per_user=5
    )
    admin_buy(client, customer_with(points=100), campaign.campaign_id)  # store settings cached
    customer_id = customer_with(points=100)
    for _ in range(2):  # the first use (no usage item yet), then a later one
        aws_calls.reset()
        bought = admin_buy(client, customer_id, campaign.campaign_id)
        assert bought.status_code == 200, bought.body
        # The reads in one call; a free coupon (its index); the batches the points come
        # from; one transaction. The JWT needs no read.
        assert aws_calls.operations == [
            ("dynamodb", "BatchGetItem"),
            ("dynamodb", "Query"),
            ("dynamodb", "Query"),
            ("dynamodb", "TransactWriteItems"),
        ]
