"""Builds `infra/resources.json`, the CloudFormation merge template for `chalice package`.

Tables come from the PynamoDB models (`chalicelib.storage.schema`); queues, the media bucket and
the sender identity are declared here. Run `python -m infra.template` after changing a model;
a test fails while the committed file differs from what this builds.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from chalicelib.domain.deliveries import MAX_RECEIVES
from chalicelib.storage.schema import table_resources

TEMPLATE_PATH = Path(__file__).with_name("resources.json")

# The consumer Lambda may run up to 60 s; SQS must hide a message longer than that (AWS
# recommends six times the function timeout) or a slow send would be delivered twice.
REWARD_EMAIL_VISIBILITY_TIMEOUT = 360
FOURTEEN_DAYS = 14 * 24 * 3600


def _name(suffix: str) -> dict[str, str]:
    return {"Fn::Sub": "${ResourcePrefix}" + suffix}


def build_template() -> dict[str, Any]:
    resources: dict[str, Any] = dict(table_resources())
    resources["RewardEmailDeadLetterQueue"] = {
        "Type": "AWS::SQS::Queue",
        "Properties": {
            "QueueName": _name("reward-email-dlq"),
            "MessageRetentionPeriod": FOURTEEN_DAYS,
            "SqsManagedSseEnabled": True,
        },
    }
    resources["RewardEmailQueue"] = {
        "Type": "AWS::SQS::Queue",
        "Properties": {
            "QueueName": _name("reward-email"),
            "VisibilityTimeout": REWARD_EMAIL_VISIBILITY_TIMEOUT,
            "MessageRetentionPeriod": FOURTEEN_DAYS,
            "SqsManagedSseEnabled": True,
            "RedrivePolicy": {
                "deadLetterTargetArn": {"Fn::GetAtt": ["RewardEmailDeadLetterQueue", "Arn"]},
                # The consumer marks the reward failed on this last receive: one number.
                "maxReceiveCount": MAX_RECEIVES,
            },
        },
    }
    resources["MediaBucket"] = {
        "Type": "AWS::S3::Bucket",
        "Properties": {
            "BucketName": _name("media"),
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
    }
    resources["EmailSenderIdentity"] = {
        "Type": "AWS::SES::EmailIdentity",
        "Properties": {"EmailIdentity": {"Ref": "EmailSender"}},
    }
    # API Gateway answers an unknown path (or method) itself, before Lambda, with a 403
    # "Missing Authentication Token"; give it the service's 404 JSON error instead.
    # `RestAPI` is the API resource `chalice package` generates.
    resources["UnknownRouteResponse"] = {
        "Type": "AWS::ApiGateway::GatewayResponse",
        "Properties": {
            "RestApiId": {"Ref": "RestAPI"},
            "ResponseType": "MISSING_AUTHENTICATION_TOKEN",
            "StatusCode": "404",
            "ResponseTemplates": {
                "application/json": json.dumps(
                    {"message": "No such route.", "code": "route_not_found"}
                )
            },
        },
    }
    # Chalice cannot ask for partial batch responses on an SQS event source; without this
    # Lambda ignores the consumer's `batchItemFailures` and deletes the failed messages too.
    # Names are the ones `chalice package` gives the function and its event.
    resources["SendRewardEmails"] = {
        "Properties": {
            "Events": {
                "SendRewardEmailsSqsEventSource": {
                    "Properties": {"FunctionResponseTypes": ["ReportBatchItemFailures"]}
                }
            }
        }
    }
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Parameters": {
            "ResourcePrefix": {
                "Type": "String",
                "Default": "rewards-dev-",
                "Description": "Prefix of table, queue and bucket names (REWARDS_RESOURCE_PREFIX).",
            },
            "EmailSender": {
                "Type": "String",
                "Default": "rewards@example.com",
                "Description": "Address reward emails are sent from (REWARDS_EMAIL_SENDER).",
            },
        },
        "Resources": resources,
    }


def render() -> str:
    return json.dumps(build_template(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    if "--check" in sys.argv:
        sys.exit(0 if TEMPLATE_PATH.read_text() == render() else 1)
    TEMPLATE_PATH.write_text(render())
