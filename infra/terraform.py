"""The Terraform form of infra/template.py's resources (`resources.tf.json`, and the SQS
subscriptions in `chalice_override.tf.json`), for `chalice package --pkg-format terraform`, which
refuses a merge template. Tables are translated from the CloudFormation ones, so each is
defined once.
"""

from __future__ import annotations

from typing import Any

from infra.template import (
    CONFIGURATION_SET_BASENAME,
    FOURTEEN_DAYS,
    JOBS_BASENAME,
    MEDIA_BASENAME,
    NOTIFICATION_QUEUE_BASENAME,
    NOTIFICATION_TOPIC_BASENAME,
    QUEUES,
    SES_EVENTS,
    UNKNOWN_ROUTE_BODY,
    ConsumerQueue,
    build_template,
)


def _terraform_name(basename: str) -> str:
    return basename.replace("-", "_")


def _prefixed(basename: str) -> str:
    return "${local.resource_prefix}" + basename


def _terraform_index(index: dict[str, Any]) -> dict[str, Any]:
    """A CloudFormation index (global or local) as a Terraform index block."""
    keys = {key["KeyType"]: key["AttributeName"] for key in index["KeySchema"]}
    block: dict[str, Any] = {
        "name": index["IndexName"],
        "hash_key": keys["HASH"],
        "projection_type": index["Projection"]["ProjectionType"],
    }
    if "RANGE" in keys:
        block["range_key"] = keys["RANGE"]
    if index["Projection"].get("NonKeyAttributes"):
        block["non_key_attributes"] = index["Projection"]["NonKeyAttributes"]
    return block


def _terraform_table(properties: dict[str, Any]) -> dict[str, Any]:
    """The `aws_dynamodb_table` of a CloudFormation table (schema.table_resource)."""
    basename = properties["TableName"]["Fn::Sub"].removeprefix("${ResourcePrefix}")
    keys = {key["KeyType"]: key["AttributeName"] for key in properties["KeySchema"]}
    table: dict[str, Any] = {
        "name": _prefixed(basename),
        "billing_mode": properties["BillingMode"],
        "hash_key": keys["HASH"],
        "attribute": [
            {"name": item["AttributeName"], "type": item["AttributeType"]}
            for item in properties["AttributeDefinitions"]
        ],
        "point_in_time_recovery": {
            "enabled": properties["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"]
        },
        "server_side_encryption": {"enabled": properties["SSESpecification"]["SSEEnabled"]},
    }
    if "RANGE" in keys:
        table["range_key"] = keys["RANGE"]
    if properties.get("GlobalSecondaryIndexes"):
        table["global_secondary_index"] = [
            _terraform_index(index) for index in properties["GlobalSecondaryIndexes"]
        ]
    if properties.get("LocalSecondaryIndexes"):
        # A local index shares the table's hash key; Terraform names only its range key.
        table["local_secondary_index"] = [
            {k: v for k, v in _terraform_index(index).items() if k != "hash_key"}
            for index in properties["LocalSecondaryIndexes"]
        ]
    ttl = properties.get("TimeToLiveSpecification")
    if ttl:
        table["ttl"] = {"attribute_name": ttl["AttributeName"], "enabled": ttl["Enabled"]}
    return table


def _terraform_queues(queue: ConsumerQueue) -> list[tuple[str, dict[str, Any]]]:
    """A consumer's queue and its dead-letter queue, as Terraform resources."""
    dead_letter_ref = f"aws_sqs_queue.{_terraform_name(queue.dead_letter_basename)}"
    return [
        (
            _terraform_name(queue.dead_letter_basename),
            {
                "name": _prefixed(queue.dead_letter_basename),
                "message_retention_seconds": FOURTEEN_DAYS,
                "sqs_managed_sse_enabled": True,
            },
        ),
        (
            _terraform_name(queue.basename),
            {
                "name": _prefixed(queue.basename),
                "visibility_timeout_seconds": queue.visibility_timeout,
                "message_retention_seconds": FOURTEEN_DAYS,
                "sqs_managed_sse_enabled": True,
                "redrive_policy": "${jsonencode({deadLetterTargetArn = "
                f"{dead_letter_ref}.arn, maxReceiveCount = {queue.max_receives}}})}}",
            },
        ),
    ]


def _terraform_email_notifications() -> dict[str, Any]:
    """The configuration set, topic and subscription of `template._email_notification_resources`."""
    queue = f"aws_sqs_queue.{_terraform_name(NOTIFICATION_QUEUE_BASENAME)}"
    topic = f"aws_sns_topic.{_terraform_name(NOTIFICATION_TOPIC_BASENAME)}"
    name = _terraform_name(CONFIGURATION_SET_BASENAME)
    return {
        "aws_ses_configuration_set": {name: {"name": _prefixed(CONFIGURATION_SET_BASENAME)}},
        "aws_ses_event_destination": {
            "notifications": {
                "name": "notifications",
                "configuration_set_name": f"${{aws_ses_configuration_set.{name}.name}}",
                "enabled": True,
                "matching_types": list(SES_EVENTS),
                "sns_destination": {"topic_arn": f"${{{topic}.arn}}"},
            }
        },
        # The sender identity, sending through the set by default (only SES v2's resource can).
        "aws_sesv2_email_identity": {
            "email_sender": {
                "email_identity": "${var.email_sender}",
                "configuration_set_name": f"${{aws_ses_configuration_set.{name}.name}}",
            }
        },
        "aws_sns_topic": {
            _terraform_name(NOTIFICATION_TOPIC_BASENAME): {
                "name": _prefixed(NOTIFICATION_TOPIC_BASENAME)
            }
        },
        "aws_sns_topic_subscription": {
            "email_notifications": {
                "topic_arn": f"${{{topic}.arn}}",
                "protocol": "sqs",
                "endpoint": f"${{{queue}.arn}}",
                "raw_message_delivery": True,
            }
        },
        "aws_sqs_queue_policy": {
            "email_notifications": {
                "queue_url": f"${{{queue}.id}}",
                "policy": '${jsonencode({Version = "2012-10-17", Statement = [{Effect = '
                '"Allow", Principal = {Service = "sns.amazonaws.com"}, Action = '
                f'"sqs:SendMessage", Resource = {queue}.arn, Condition = {{ArnEquals = '
                f'{{"aws:SourceArn" = {topic}.arn}}}}}}]}})}}',
            }
        },
    }


def build_terraform() -> dict[str, Any]:
    """`resources.tf.json`: the resources of `build_template()` for chalice's Terraform."""
    cloudformation = build_template()["Resources"]
    tables = {
        _terraform_name(
            resource["Properties"]["TableName"]["Fn::Sub"].removeprefix("${ResourcePrefix}")
        ): _terraform_table(resource["Properties"])
        for resource in cloudformation.values()
        if resource.get("Type") == "AWS::DynamoDB::Table"
    }
    buckets = [_terraform_name(MEDIA_BASENAME), _terraform_name(JOBS_BASENAME)]
    public_access = cloudformation["MediaBucket"]["Properties"]["PublicAccessBlockConfiguration"]
    return {
        "variable": {
            "email_sender": {
                "type": "string",
                "default": "rewards@example.com",
                "description": "Address reward emails are sent from (REWARDS_EMAIL_SENDER).",
            }
        },
        # The functions find their resources as `rewards-<stage>-<name>` (config.py), and the
        # stage's IAM policy names them so: the prefix follows the stage chalice packaged.
        "locals": {"resource_prefix": "rewards-${data.null_data_source.chalice.outputs.stage}-"},
        "resource": {
            "aws_dynamodb_table": tables,
            "aws_sqs_queue": {
                name: queue for consumer in QUEUES for name, queue in _terraform_queues(consumer)
            },
            "aws_s3_bucket": {
                _terraform_name(MEDIA_BASENAME): {"bucket": _prefixed(MEDIA_BASENAME)},
                _terraform_name(JOBS_BASENAME): {"bucket": _prefixed(JOBS_BASENAME)},
            },
            "aws_s3_bucket_public_access_block": {
                bucket: {
                    "bucket": f"${{aws_s3_bucket.{bucket}.id}}",
                    "block_public_acls": public_access["BlockPublicAcls"],
                    "block_public_policy": public_access["BlockPublicPolicy"],
                    "ignore_public_acls": public_access["IgnorePublicAcls"],
                    "restrict_public_buckets": public_access["RestrictPublicBuckets"],
                }
                for bucket in buckets
            },
            "aws_s3_bucket_server_side_encryption_configuration": {
                bucket: {
                    "bucket": f"${{aws_s3_bucket.{bucket}.id}}",
                    "rule": {
                        "apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}
                    },
                }
                for bucket in buckets
            },
            **_terraform_email_notifications(),
            "aws_api_gateway_gateway_response": {
                "unknown_route": {
                    # `rest_api` is the API resource chalice's Terraform generates.
                    "rest_api_id": "${aws_api_gateway_rest_api.rest_api.id}",
                    "response_type": "MISSING_AUTHENTICATION_TOKEN",
                    "status_code": "404",
                    "response_templates": {"application/json": UNKNOWN_ROUTE_BODY},
                }
            },
        },
    }


def build_terraform_override() -> dict[str, Any]:
    """`chalice_override.tf.json`: the SQS subscriptions as the CloudFormation ones are merged."""
    return {
        "resource": {
            "aws_lambda_event_source_mapping": {
                f"{queue.consumer}-sqs-event-source": {
                    "event_source_arn": f"${{aws_sqs_queue.{_terraform_name(queue.basename)}.arn}}",
                    "function_response_types": ["ReportBatchItemFailures"],
                }
                for queue in QUEUES
            }
        }
    }
