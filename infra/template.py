"""Builds the infrastructure `chalice package` cannot describe, for both of its formats.

`infra/resources.json` is the CloudFormation merge template (`--merge-template`);
`infra/resources.tf.json` and `infra/chalice_override.tf.json` are the same resources for
`--pkg-format terraform`, which refuses a merge template: they are copied beside chalice's
`chalice.tf.json`. Tables come from the PynamoDB models (`chalicelib.storage.schema`) and the
Terraform tables are translated from the CloudFormation ones, so each table is defined once;
queues, the media bucket and the sender identity are declared here; infra/terraform.py
translates them. Run `python -m infra.template` after changing a model; `--check` (and a test)
fails while a committed file differs.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chalice.package import to_cfn_resource_name

from chalicelib.api.faces import ROUTE_TABLE
from chalicelib.domain.rewards.deliveries import MAX_RECEIVES
from chalicelib.storage.schema import table_resources

TEMPLATE_PATH = Path(__file__).with_name("resources.json")
TERRAFORM_PATH = Path(__file__).with_name("resources.tf.json")
# Terraform merges a file named `*_override.tf.json` into the blocks of the same name in the
# other files: the only way to change a resource chalice's `chalice.tf.json` generates.
TERRAFORM_OVERRIDE_PATH = Path(__file__).with_name("chalice_override.tf.json")

# The consumer Lambda may run up to 60 s; SQS must hide a message longer than that (AWS
# recommends six times the function timeout) or a slow send would be delivered twice.
REWARD_EMAIL_VISIBILITY_TIMEOUT = 360
FOURTEEN_DAYS = 14 * 24 * 3600


# The SQS consumer (chalicelib.jobs.reward_emails), as `chalice package` names it and its event.
CONSUMER = "send_reward_emails"
WEBHOOK_CONSUMER = "deliver_webhooks"  # chalicelib.jobs.webhook_deliveries
QUEUE_BASENAME = "reward-email"
DEAD_LETTER_BASENAME = "reward-email-dlq"
MEDIA_BASENAME = "media"
# Webhook attempts (chalicelib.jobs.webhook_deliveries): one message a call, each attempt at
# most a few seconds; a message the consumer cannot handle goes to its dead-letter queue.
WEBHOOK_QUEUE_BASENAME = "webhook-delivery"
WEBHOOK_DEAD_LETTER_BASENAME = "webhook-delivery-dlq"
WEBHOOK_VISIBILITY_TIMEOUT = 360
WEBHOOK_MAX_RECEIVES = 5
# SES's notifications of reward emails (delivered, bounced, complained, opened): the sender's
# configuration set publishes them to an SNS topic feeding this queue, consumed by
# chalicelib.jobs.email_notifications; one that is not an SES event reaches its dead-letter queue.
NOTIFICATION_CONSUMER = "record_email_notifications"
NOTIFICATION_QUEUE_BASENAME = "email-notification"
NOTIFICATION_DEAD_LETTER_BASENAME = "email-notification-dlq"
NOTIFICATION_VISIBILITY_TIMEOUT = 360
NOTIFICATION_MAX_RECEIVES = 5
CONFIGURATION_SET_BASENAME = "reward-email"
NOTIFICATION_TOPIC_BASENAME = "email-notification"
SES_EVENTS = ("delivery", "bounce", "complaint", "open")
# The bulk job consumer (chalicelib.jobs.bulk_chunks), its queue and the bucket of job files.
JOBS_CONSUMER = "run_bulk_chunks"
JOBS_QUEUE_BASENAME = "bulk-jobs"
JOBS_DEAD_LETTER_BASENAME = "bulk-jobs-dlq"
JOBS_BASENAME = "jobs"
# A chunk runs for up to the function's timeout; hidden six times that, as the emails are.
JOBS_VISIBILITY_TIMEOUT = 360
# A chunk failing this often (an unreadable message) goes to the dead-letter queue.
JOBS_MAX_RECEIVES = 10
UNKNOWN_ROUTE_BODY = json.dumps({"message": "No route here.", "code": "not_found"})
# The Lambda behind every route, as chalice's SAM swagger names it.
API_HANDLER_URI = {
    "Fn::Sub": "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31"
    "/functions/${APIHandler.Arn}/invocations"
}


@dataclass(frozen=True)
class ConsumerQueue:
    """An SQS consumer's queue: its CloudFormation resource, names and redrive."""

    consumer: str
    resource: str
    basename: str
    dead_letter_basename: str
    visibility_timeout: int
    max_receives: int

    @property
    def dead_letter_resource(self) -> str:
        return self.resource.removesuffix("Queue") + "DeadLetterQueue"


QUEUES = (
    # The reward email consumer marks the reward failed on the last receive: one number.
    ConsumerQueue(
        CONSUMER,
        "RewardEmailQueue",
        QUEUE_BASENAME,
        DEAD_LETTER_BASENAME,
        REWARD_EMAIL_VISIBILITY_TIMEOUT,
        MAX_RECEIVES,
    ),
    ConsumerQueue(
        WEBHOOK_CONSUMER,
        "WebhookDeliveryQueue",
        WEBHOOK_QUEUE_BASENAME,
        WEBHOOK_DEAD_LETTER_BASENAME,
        WEBHOOK_VISIBILITY_TIMEOUT,
        WEBHOOK_MAX_RECEIVES,
    ),
    ConsumerQueue(
        NOTIFICATION_CONSUMER,
        "EmailNotificationQueue",
        NOTIFICATION_QUEUE_BASENAME,
        NOTIFICATION_DEAD_LETTER_BASENAME,
        NOTIFICATION_VISIBILITY_TIMEOUT,
        NOTIFICATION_MAX_RECEIVES,
    ),
    ConsumerQueue(
        JOBS_CONSUMER,
        "BulkJobsQueue",
        JOBS_QUEUE_BASENAME,
        JOBS_DEAD_LETTER_BASENAME,
        JOBS_VISIBILITY_TIMEOUT,
        JOBS_MAX_RECEIVES,
    ),
)


def _name(suffix: str) -> dict[str, str]:
    return {"Fn::Sub": "${ResourcePrefix}" + suffix}


def _any_method(parameters: list[dict[str, Any]]) -> dict[str, Any]:
    """API Gateway's `ANY` method of one resource, sent to the app as chalice sends a route."""
    method: dict[str, Any] = {
        "responses": {"200": {"description": "The app's answer (404, 405)."}},
        "x-amazon-apigateway-integration": {
            "type": "aws_proxy",
            "httpMethod": "POST",
            "uri": API_HANDLER_URI,
            "passthroughBehavior": "when_no_match",
            "contentHandling": "CONVERT_TO_TEXT",
        },
    }
    if parameters:
        method["parameters"] = parameters
    return method


def catch_all_paths() -> dict[str, Any]:
    """What API Gateway would answer itself, sent to the app instead (chalicelib/api/errors.py):
    `ANY` on every route's resource, so a method the route lacks is the app's JSON 405 with
    `Allow`, and `ANY` on `/` and a greedy `/{proxy+}`, so a path no route declares is its JSON
    404. API Gateway prefers a route's own method and the most specific resource, so every
    declared route still goes where chalice sends it. Merged into chalice's swagger."""
    paths = {route["path"] for route in json.loads(ROUTE_TABLE.read_text(encoding="utf-8"))}
    merged = {
        path: {
            "x-amazon-apigateway-any-method": _any_method(
                [
                    {"name": name, "in": "path", "required": True, "type": "string"}
                    for name in re.findall(r"{(\w+)}", path)
                ]
            )
        }
        for path in sorted(paths | {"/"})
    }
    proxy = [{"name": "proxy", "in": "path", "required": True, "type": "string"}]
    merged["/{proxy+}"] = {"x-amazon-apigateway-any-method": _any_method(proxy)}
    return merged


def _private_bucket(basename: str) -> dict[str, Any]:
    """A bucket no one reads without a signed URL, encrypted at rest."""
    return {
        "Type": "AWS::S3::Bucket",
        "Properties": {
            "BucketName": _name(basename),
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


def _email_notification_resources() -> dict[str, Any]:
    """SES's configuration set -> SNS topic -> the notification queue (raw SES events)."""
    queue_arn = {"Fn::GetAtt": ["EmailNotificationQueue", "Arn"]}
    return {
        "RewardEmailSet": {
            "Type": "AWS::SES::ConfigurationSet",
            "Properties": {"Name": _name(CONFIGURATION_SET_BASENAME)},
        },
        "EmailNotificationTopic": {
            "Type": "AWS::SNS::Topic",
            "Properties": {"TopicName": _name(NOTIFICATION_TOPIC_BASENAME)},
        },
        "RewardEmailSetEvents": {
            "Type": "AWS::SES::ConfigurationSetEventDestination",
            "Properties": {
                "ConfigurationSetName": {"Ref": "RewardEmailSet"},
                "EventDestination": {
                    "Name": "notifications",
                    "Enabled": True,
                    "MatchingEventTypes": list(SES_EVENTS),
                    "SnsDestination": {"TopicARN": {"Ref": "EmailNotificationTopic"}},
                },
            },
        },
        "EmailNotificationSubscription": {
            "Type": "AWS::SNS::Subscription",
            "Properties": {
                "TopicArn": {"Ref": "EmailNotificationTopic"},
                "Protocol": "sqs",
                "Endpoint": queue_arn,
                "RawMessageDelivery": True,
            },
        },
        "EmailNotificationQueuePolicy": {
            "Type": "AWS::SQS::QueuePolicy",
            "Properties": {
                "Queues": [{"Ref": "EmailNotificationQueue"}],
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "sns.amazonaws.com"},
                            "Action": "sqs:SendMessage",
                            "Resource": queue_arn,
                            "Condition": {
                                "ArnEquals": {"aws:SourceArn": {"Ref": "EmailNotificationTopic"}}
                            },
                        }
                    ],
                },
            },
        },
    }


def build_template() -> dict[str, Any]:
    resources: dict[str, Any] = dict(table_resources())
    for queue in QUEUES:
        resources[queue.dead_letter_resource] = {
            "Type": "AWS::SQS::Queue",
            "Properties": {
                "QueueName": _name(queue.dead_letter_basename),
                "MessageRetentionPeriod": FOURTEEN_DAYS,
                "SqsManagedSseEnabled": True,
            },
        }
        resources[queue.resource] = {
            "Type": "AWS::SQS::Queue",
            "Properties": {
                "QueueName": _name(queue.basename),
                "VisibilityTimeout": queue.visibility_timeout,
                "MessageRetentionPeriod": FOURTEEN_DAYS,
                "SqsManagedSseEnabled": True,
                "RedrivePolicy": {
                    "deadLetterTargetArn": {"Fn::GetAtt": [queue.dead_letter_resource, "Arn"]},
                    "maxReceiveCount": queue.max_receives,
                },
            },
        }
    resources["JobsBucket"] = _private_bucket(JOBS_BASENAME)
    resources["MediaBucket"] = _private_bucket(MEDIA_BASENAME)
    resources["EmailSenderIdentity"] = {
        "Type": "AWS::SES::EmailIdentity",
        "Properties": {
            "EmailIdentity": {"Ref": "EmailSender"},
            # Every email the identity sends publishes its events through this set.
            "ConfigurationSetAttributes": {"ConfigurationSetName": {"Ref": "RewardEmailSet"}},
        },
    }
    resources.update(_email_notification_resources())
    # `RestAPI` is the API resource `chalice package` generates: its swagger gets the
    # catch-all methods. What could still miss them (a method outside `ANY`) gets the
    # service's 404 JSON error, not a 403 "Missing Authentication Token".
    resources["RestAPI"] = {"Properties": {"DefinitionBody": {"paths": catch_all_paths()}}}
    resources["UnknownRouteResponse"] = {
        "Type": "AWS::ApiGateway::GatewayResponse",
        "Properties": {
            "RestApiId": {"Ref": "RestAPI"},
            "ResponseType": "MISSING_AUTHENTICATION_TOKEN",
            "StatusCode": "404",
            "ResponseTemplates": {"application/json": UNKNOWN_ROUTE_BODY},
        },
    }
    # Chalice cannot ask for partial batch responses on an SQS event source; without this
    # Lambda ignores the consumer's `batchItemFailures` and deletes the failed messages too.
    # Chalice subscribes by queue name only (its `Queue` cannot be replaced: the merge would mix
    # both values), so the function waits for the queue: a first deployment fails otherwise.
    for queue in QUEUES:
        resources[to_cfn_resource_name(queue.consumer)] = {
            "DependsOn": [queue.resource],
            "Properties": {
                "Events": {
                    to_cfn_resource_name(f"{queue.consumer}-sqs-event-source"): {
                        "Properties": {"FunctionResponseTypes": ["ReportBatchItemFailures"]}
                    }
                }
            },
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


def _json(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def render() -> str:
    return _json(build_template())


def outputs() -> dict[Path, Callable[[], dict[str, Any]]]:
    """Each generated file and what builds it."""
    # Imported here: infra/terraform.py translates this module's resources (it imports it).
    from infra.terraform import build_terraform, build_terraform_override

    return {
        TEMPLATE_PATH: build_template,
        TERRAFORM_PATH: build_terraform,
        TERRAFORM_OVERRIDE_PATH: build_terraform_override,
    }


def main(argv: list[str]) -> int:
    """Write every generated file, or with `--check` tell (exit 1) whether one is stale."""
    found = outputs()
    stale = [path for path, build in found.items() if _read(path) != _json(build())]
    if "--check" in argv:
        for path in stale:
            print(f"{path.name} is out of date: run `python -m infra.template`", file=sys.stderr)
        return 1 if stale else 0
    for path in stale:
        path.write_text(_json(found[path]()))
    return 0


def _read(path: Path) -> str | None:
    return path.read_text() if path.exists() else None


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
