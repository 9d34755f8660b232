"""Local bootstrap: the merge template's resources are created, in order, and only once."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from local.bootstrap import (
    TEMPLATE_PATH,
    StaleTableError,
    create_resources,
    creation_order,
    load_template,
    resolve,
)

SENDER = "rewards@example.com"


def small_template() -> dict[str, Any]:
    def name(suffix: str) -> dict[str, str]:
        return {"Fn::Sub": "${ResourcePrefix}" + suffix}

    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Parameters": {
            "ResourcePrefix": {"Type": "String", "Default": "rewards-dev-"},
            "EmailSender": {"Type": "String", "Default": SENDER},
        },
        "Resources": {
            # Named so that alphabetical order would create the queue before its DLQ.
            "AQueue": {
                "Type": "AWS::SQS::Queue",
                "Properties": {
                    "QueueName": name("reward-email"),
                    "VisibilityTimeout": 360,
                    "MessageRetentionPeriod": 1209600,
                    "SqsManagedSseEnabled": True,
                    "RedrivePolicy": {
                        "deadLetterTargetArn": {"Fn::GetAtt": ["ZDeadLetters", "Arn"]},
                        "maxReceiveCount": 5,
                    },
                },
            },
            "ZDeadLetters": {
                "Type": "AWS::SQS::Queue",
                "Properties": {"QueueName": name("reward-email-dlq")},
            },
            "Customers": {
                "Type": "AWS::DynamoDB::Table",
                "Properties": {
                    "TableName": name("customers"),
                    "AttributeDefinitions": [
                        {"AttributeName": "pk", "AttributeType": "S"},
                        {"AttributeName": "email", "AttributeType": "S"},
                    ],
                    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                    "GlobalSecondaryIndexes": [
                        {
                            "IndexName": "email-index",
                            "KeySchema": [{"AttributeName": "email", "KeyType": "HASH"}],
                            "Projection": {"ProjectionType": "ALL"},
                        }
                    ],
                    "BillingMode": "PAY_PER_REQUEST",
                    "TimeToLiveSpecification": {"AttributeName": "expires", "Enabled": True},
                    "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
                    "SSESpecification": {"SSEEnabled": True},
                },
            },
            "Media": {
                "Type": "AWS::S3::Bucket",
                "Properties": {
                    "BucketName": name("media"),
                    "PublicAccessBlockConfiguration": {
                        "BlockPublicAcls": True,
                        "BlockPublicPolicy": True,
                        "IgnorePublicAcls": True,
                        "RestrictPublicBuckets": True,
                    },
                    "BucketEncryption": {
                        "ServerSideEncryptionConfiguration": [
                            {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
                        ]
                    },
                },
            },
            "Sender": {
                "Type": "AWS::SES::EmailIdentity",
                "Properties": {"EmailIdentity": {"Ref": "EmailSender"}},
            },
        },
    }


@pytest.fixture
def moto() -> Iterator[None]:
    with mock_aws():
        yield


def test_small_template_is_created_in_dependency_order(moto: None) -> None:
    created = create_resources(small_template(), "t-")

    assert sorted(created) == sorted(
        ["t-reward-email", "t-reward-email-dlq", "t-customers", "t-media", SENDER]
    )
    assert created.index("t-reward-email-dlq") < created.index("t-reward-email")

    ddb = boto3.client("dynamodb")
    table = ddb.describe_table(TableName="t-customers")["Table"]
    assert [i["IndexName"] for i in table["GlobalSecondaryIndexes"]] == ["email-index"]
    ttl = ddb.describe_time_to_live(TableName="t-customers")["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires"}

    sqs = boto3.client("sqs")
    dlq_url = sqs.get_queue_url(QueueName="t-reward-email-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])
    url = sqs.get_queue_url(QueueName="t-reward-email")["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes["VisibilityTimeout"] == "360"
    assert json.loads(attributes["RedrivePolicy"]) == {
        "deadLetterTargetArn": dlq_arn["Attributes"]["QueueArn"],
        "maxReceiveCount": 5,
    }

    s3 = boto3.client("s3")
    block = s3.get_public_access_block(Bucket="t-media")["PublicAccessBlockConfiguration"]
    assert all(block.values())
    rules = s3.get_bucket_encryption(Bucket="t-media")["ServerSideEncryptionConfiguration"]
    assert rules["Rules"][0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"

    assert SENDER in boto3.client("ses").list_identities()["Identities"]


def test_second_run_creates_nothing(moto: None) -> None:
    assert create_resources(small_template(), "t-")
    assert create_resources(small_template(), "t-") == []


def test_parameters_override_defaults(moto: None) -> None:
    create_resources(small_template(), "t-", {"EmailSender": "shop@example.org"})
    assert boto3.client("ses").list_identities()["Identities"] == ["shop@example.org"]


def test_resolve_supports_the_intrinsics_the_template_uses() -> None:
    params = {"ResourcePrefix": "p-", "AWS::Region": "us-east-1"}
    attrs = {"Dlq": {"Ref": "https://q/dlq", "Arn": "arn:aws:sqs:us-east-1:1:dlq"}}

    assert resolve({"Fn::Sub": "${ResourcePrefix}x-${AWS::Region}"}, params, attrs) == (
        "p-x-us-east-1"
    )
    assert resolve({"Fn::Sub": ["${A}/${!Literal}", {"A": "a"}]}, params, attrs) == ("a/${Literal}")
    assert resolve({"Ref": "Dlq"}, params, attrs) == "https://q/dlq"
    assert resolve([{"Fn::GetAtt": ["Dlq", "Arn"]}], params, attrs) == [
        "arn:aws:sqs:us-east-1:1:dlq"
    ]
    with pytest.raises(ValueError):
        resolve({"Fn::Join": ["", ["a", "b"]]}, params, attrs)
    with pytest.raises(ValueError):
        resolve({"Ref": "Missing"}, params, attrs)


def test_creation_order_follows_references_and_depends_on() -> None:
    resources = {
        "A": {"Type": "X", "DependsOn": "B"},
        "B": {"Type": "X", "Properties": {"Q": {"Fn::Sub": "${C.Arn}"}}},
        "C": {"Type": "X"},
    }
    assert creation_order(resources) == ["C", "B", "A"]
    with pytest.raises(ValueError):
        creation_order({"A": {"DependsOn": "B"}, "B": {"DependsOn": "A"}})


@pytest.mark.skipif(not TEMPLATE_PATH.exists(), reason="infra/resources.json not written yet")
def test_real_template_bootstraps_twice(moto: None) -> None:
    template = load_template()
    created = create_resources(template, "real-")
    assert create_resources(template, "real-") == []

    params = {"ResourcePrefix": "real-"}
    resources = template["Resources"].values()
    tables = {
        resolve(r["Properties"]["TableName"], params, {})
        for r in resources
        if r.get("Type") == "AWS::DynamoDB::Table"
    }
    queues = {
        resolve(r["Properties"]["QueueName"], params, {})
        for r in resources
        if r.get("Type") == "AWS::SQS::Queue"
    }
    assert tables and queues
    assert tables | queues <= set(created)
    assert tables <= set(boto3.client("dynamodb").list_tables()["TableNames"])
    sqs = boto3.client("sqs")
    for queue in queues:
        assert sqs.get_queue_url(QueueName=queue)["QueueUrl"]


def _kept_customers_table(**changes: Any) -> None:
    """The customers table as an earlier version made it: the template's, with `changes` (None:
    without that property)."""
    resource = small_template()["Resources"]["Customers"]
    properties = {k: v for k, v in {**resource["Properties"], **changes}.items() if v is not None}
    create_resources({"Resources": {"Customers": {**resource, "Properties": properties}}}, "t-")


def test_a_kept_table_whose_key_changed_stops_the_start(moto: None) -> None:
    by_pk = {
        "IndexName": "email-index",
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "Projection": {"ProjectionType": "ALL"},
    }
    _kept_customers_table(
        KeySchema=[{"AttributeName": "email", "KeyType": "HASH"}], GlobalSecondaryIndexes=[by_pk]
    )

    with pytest.raises(StaleTableError, match="t-customers was made by an earlier version"):
        create_resources(small_template(), "t-")


def test_a_kept_table_without_a_new_index_stops_the_start(moto: None) -> None:
    _kept_customers_table(
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        GlobalSecondaryIndexes=None,
    )

    with pytest.raises(StaleTableError, match="email-index"):
        create_resources(small_template(), "t-")
