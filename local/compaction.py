"""The embedded AWS's state as the fewest calls that recreate it, read from moto's backends.

The recording (`local.aws_server.Recorder`) keeps every call that changed state, so replaying it
takes as long as the history, not the data. Compacting reads what moto holds now, in-process,
and writes it back as calls in the recording's own format: per DynamoDB table a CreateTable
(indexes, streams, encryption, tags), its TTL setting and BatchWriteItem of 25 items; per SQS
queue a CreateQueue with its attributes and tags (dead-letter queues first) and SendMessageBatch
of its messages, each still known by the id it was first sent with; per S3 bucket a CreateBucket,
its public access block and encryption, and a PutObject per object (latest version, headers as
stored); the SES identities. Calls of other services (and SES sends and templates) cannot be
rebuilt from here and are kept as recorded, replayed after the state they may depend on.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote, urlencode

import xmltodict
from moto.backends import get_backend
from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models.utilities import DynamoJsonEncoder

Record = dict[str, Any]

ITEMS_PER_BATCH = 25  # BatchWriteItem's limit
MESSAGES_PER_BATCH = 10  # SendMessageBatch's limit
MESSAGE_BATCH_BYTES = 200_000  # under SendMessageBatch's 256 KiB payload limit
_DYNAMODB_TARGET = "DynamoDB_20120810"
_SQS_TARGET = "AmazonSQS"
_TARGET_SERVICES = {_DYNAMODB_TARGET: "dynamodb", _SQS_TARGET: "sqs"}
# SES calls whose effect `_ses` rebuilds; every other SES call (sends above all) is kept.
_SES_IDENTITY_OPERATIONS = {
    "VerifyEmailIdentity",
    "VerifyEmailAddress",
    "VerifyDomainIdentity",
    "DeleteIdentity",
    "DeleteVerifiedEmailAddress",
}
# Queue attributes moto computes rather than keeps.
_COMPUTED_QUEUE_ATTRIBUTES = {
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesDelayed",
    "ApproximateNumberOfMessagesNotVisible",
    "CreatedTimestamp",
    "LastModifiedTimestamp",
    "QueueArn",
}
# Object headers moto keeps that describe the upload, not the object.
_UPLOAD_HEADERS = {"x-amz-content-sha256", "content-md5", "x-amz-decoded-content-length"}


class NotCompactable(Exception):
    """The state or the recording holds something compaction cannot rebuild faithfully."""


# -- what a recorded call was --------------------------------------------------------------
def record_service(record: Record) -> str:
    """The service a recorded call went to, as moto routes it (its signing scope)."""
    headers = {str(k).lower(): str(v) for k, v in record["headers"]}
    authorization = headers.get("authorization", "")
    if authorization:
        try:
            scope = authorization.split(",")[0].split()[1]
            _, _, _, service, _ = scope.split("/")
        except (IndexError, ValueError) as error:
            raise NotCompactable(f"unsigned call {record['method']} {record['uri']}") from error
        service = service.lower()
        path = record["uri"].split("?", 1)[0]
        if service == "s3" and path.startswith("/v20180820/"):
            return "s3control"
        if service == "ses" and path.startswith("/v2/"):
            return "sesv2"
        return service
    target = headers.get("x-amz-target", "").split(".", 1)[0]
    if target in _TARGET_SERVICES:
        return _TARGET_SERVICES[target]
    raise NotCompactable(f"call of an unknown service: {record['method']} {record['uri']}")


def _ses_operation(record: Record) -> str:
    body = base64.b64decode(record["body"]).decode("utf-8", "replace")
    query = record["uri"].partition("?")[2]
    for source in (body, query):
        for pair in source.split("&"):
            name, _, value = pair.partition("=")
            if name == "Action":
                return value
    return ""


def superseded(record: Record) -> bool:
    """Whether the state `state_records` writes holds what `record` did."""
    service = record_service(record)
    if service in {"dynamodb", "sqs", "s3"}:
        return True
    return service == "ses" and _ses_operation(record) in _SES_IDENTITY_OPERATIONS


# -- calls, in the recording's format ------------------------------------------------------
def _authorization(service: str, region: str) -> str:
    # moto routes by the credential scope and checks no signature.
    scope = f"testing/20200101/{region}/{service}/aws4_request"
    return f"AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders=host, Signature=0"


def _call(
    service: str,
    region: str,
    method: str,
    uri: str,
    body: bytes = b"",
    headers: list[tuple[str, str]] | None = None,
) -> Record:
    return {
        "method": method,
        "uri": uri,
        "headers": [
            ["Host", "localhost"],
            ["Authorization", _authorization(service, region)],
            *[[k, v] for k, v in headers or []],
        ],
        "body": base64.b64encode(body).decode("ascii"),
    }


def _json_call(service: str, target: str, region: str, operation: str, params: Any) -> Record:
    content_type = "application/x-amz-json-1.0"
    headers = [("X-Amz-Target", f"{target}.{operation}"), ("Content-Type", content_type)]
    # moto's own encoder: binary attributes go base64, as DynamoDB sends them.
    body = json.dumps(params, separators=(",", ":"), cls=DynamoJsonEncoder).encode()
    return _call(service, region, "POST", "/", body, headers)


def _chunks(values: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _regions(service: str) -> Iterator[tuple[str, Any]]:
    """(region, backend) of the default account; state in any other account is refused."""
    for account, regions in get_backend(service).items():  # type: ignore[no-untyped-call]
        for region, backend in regions.items():
            if account == DEFAULT_ACCOUNT_ID:
                yield region, backend
            elif _holds_state(service, backend):
                raise NotCompactable(f"{service} state in account {account}")


def _holds_state(service: str, backend: Any) -> bool:
    return bool(
        {
            "dynamodb": lambda: backend.tables,
            "sqs": lambda: backend.queues,
            "s3": lambda: backend.buckets,
            "ses": lambda: backend.email_identities,
        }[service]()
    )


# -- DynamoDB ------------------------------------------------------------------------------
def _create_table(table: Any) -> dict[str, Any]:
    provisioned = table.billing_mode != "PAY_PER_REQUEST"
    throughput = {
        "ReadCapacityUnits": table.throughput["ReadCapacityUnits"],
        "WriteCapacityUnits": table.throughput["WriteCapacityUnits"],
    }

    def index(described: dict[str, Any], with_throughput: bool) -> dict[str, Any]:
        kept = {k: described[k] for k in ("IndexName", "KeySchema", "Projection")}
        if with_throughput:
            pt = described.get("ProvisionedThroughput", throughput)
            kept["ProvisionedThroughput"] = {k: pt[k] for k in throughput}
        return kept

    params: dict[str, Any] = {
        "TableName": table.name,
        "AttributeDefinitions": table.attr,
        "KeySchema": table.schema,
    }
    if provisioned:
        params["ProvisionedThroughput"] = throughput
    else:
        params["BillingMode"] = "PAY_PER_REQUEST"
    if table.global_indexes:
        params["GlobalSecondaryIndexes"] = [
            index(i.describe(), provisioned) for i in table.global_indexes
        ]
    if table.indexes:
        params["LocalSecondaryIndexes"] = [index(i.describe(), False) for i in table.indexes]
    stream = table.stream_specification
    if stream and stream.get("StreamEnabled"):
        params["StreamSpecification"] = {
            "StreamEnabled": True,
            "StreamViewType": stream["StreamViewType"],
        }
    sse = table.sse_specification
    if sse and sse.get("Enabled"):
        params["SSESpecification"] = {k: v for k, v in sse.items() if v is not None}
    if table.tags:
        params["Tags"] = table.tags
    if table.deletion_protection_enabled:
        params["DeletionProtectionEnabled"] = True
    return params


def _dynamodb() -> Iterator[Record]:
    def call(region: str, operation: str, params: dict[str, Any]) -> Record:
        return _json_call("dynamodb", _DYNAMODB_TARGET, region, operation, params)

    for region, backend in _regions("dynamodb"):
        for table in list(backend.tables.values()):
            yield call(region, "CreateTable", _create_table(table))
            if table.ttl.get("TimeToLiveStatus") in {"ENABLED", "ENABLING"}:
                ttl = {"AttributeName": table.ttl["AttributeName"], "Enabled": True}
                yield call(
                    region,
                    "UpdateTimeToLive",
                    {"TableName": table.name, "TimeToLiveSpecification": ttl},
                )
            items = [item.to_json()["Attributes"] for item in table.all_items()]
            for batch in _chunks(items, ITEMS_PER_BATCH):
                puts = [{"PutRequest": {"Item": item}} for item in batch]
                yield call(region, "BatchWriteItem", {"RequestItems": {table.name: puts}})


# -- SQS -----------------------------------------------------------------------------------
def _queue_attributes(queue: Any) -> dict[str, str]:
    return {
        name: str(value)
        for name, value in queue.attributes.items()
        if name not in _COMPUTED_QUEUE_ATTRIBUTES and value is not None
    }


def _dead_letter_queues_first(queues: list[Any]) -> list[Any]:
    """Queues ordered so that each dead-letter queue exists before the queue naming it."""
    ordered: list[Any] = []
    pending = list(queues)
    while pending:
        made = {queue.queue_arn for queue in ordered}
        ready = [
            q
            for q in pending
            if not q.redrive_policy or q.redrive_policy.get("deadLetterTargetArn") in made
        ]
        ready = ready or pending[:1]  # a target outside the state: moto will say so on replay
        ordered += ready
        pending = [q for q in pending if q not in ready]
    return ordered


def _message_entry(number: int, message: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {"Id": str(number), "MessageBody": message.body}
    if message.message_attributes:
        entry["MessageAttributes"] = message.message_attributes
    if message.group_id:
        entry["MessageGroupId"] = message.group_id
    if message.deduplication_id:
        entry["MessageDeduplicationId"] = message.deduplication_id
    return entry


def _message_batches(messages: list[Any]) -> Iterator[list[tuple[dict[str, Any], Any]]]:
    """Entries in batches within SendMessageBatch's count and payload limits."""
    batch: list[tuple[dict[str, Any], Any]] = []
    size = 0
    for number, message in enumerate(messages):
        entry = _message_entry(number, message)
        entry_size = len(json.dumps(entry))
        if batch and (len(batch) == MESSAGES_PER_BATCH or size + entry_size > MESSAGE_BATCH_BYTES):
            yield batch
            batch, size = [], 0
        batch.append((entry, message))
        size += entry_size
    if batch:
        yield batch


def _sqs(first_id: Callable[[str], str]) -> Iterator[Record]:
    def call(region: str, operation: str, params: dict[str, Any]) -> Record:
        return _json_call("sqs", _SQS_TARGET, region, operation, params)

    for region, backend in _regions("sqs"):
        for queue in _dead_letter_queues_first(list(backend.queues.values())):
            params: dict[str, Any] = {
                "QueueName": queue.name,
                "Attributes": _queue_attributes(queue),
            }
            if queue.tags:
                params["tags"] = queue.tags
            yield call(region, "CreateQueue", params)
            url = f"http://localhost/{queue.account_id}/{queue.name}"
            for batch in _message_batches(list(queue._messages)):
                entries = [entry for entry, _ in batch]
                record = call(region, "SendMessageBatch", {"QueueUrl": url, "Entries": entries})
                # The id deletes name: the one the message had when first sent.
                record["sqs_sent"] = {entry["Id"]: first_id(m.id) for entry, m in batch}
                yield record


# -- S3 ------------------------------------------------------------------------------------
def _xml(root: str, content: Any) -> bytes:
    return xmltodict.unparse({root: content}).encode()


def _refuse_unsupported_settings(bucket: Any) -> None:
    """Bucket settings the service never makes are not rebuilt: such a state is not compacted."""
    settings = {
        "policy": bucket.policy,
        "CORS": bucket.cors,
        "lifecycle": bucket.rules,
        "website": bucket.website_configuration,
        "versioning": bucket.versioning_status,
        "notifications": bucket.notification_configuration,
        "logging": bucket.logging,
    }
    found = [name for name, value in settings.items() if value]
    if found:
        raise NotCompactable(f"bucket {bucket.name} has {', '.join(found)} settings")


def _s3() -> Iterator[Record]:
    for _, backend in _regions("s3"):
        for bucket in list(backend.buckets.values()):
            _refuse_unsupported_settings(bucket)
            region, path = bucket.region_name, f"/{quote(bucket.name)}"
            location = b""
            if region != "us-east-1":
                location = _xml("CreateBucketConfiguration", {"LocationConstraint": region})
            yield _call("s3", region, "PUT", path, location)
            block = bucket.public_access_block
            if block is not None:
                flags = {
                    k[0].upper() + k[1:]: str(v).lower() for k, v in block.to_config_dict().items()
                }
                body = _xml("PublicAccessBlockConfiguration", flags)
                yield _call("s3", region, "PUT", f"{path}?publicAccessBlock=", body)
            if bucket.encryption:
                rules = {k: v for k, v in bucket.encryption.items() if not k.startswith("@")}
                body = _xml("ServerSideEncryptionConfiguration", rules)
                yield _call("s3", region, "PUT", f"{path}?encryption=", body)
            for key in list(bucket.keys.values()):
                headers = [
                    (name, str(value))
                    for name, value in key.metadata.items()
                    if name.lower() not in _UPLOAD_HEADERS
                ]
                uri = f"{path}/{quote(key.name, safe='/~')}"
                yield _call("s3", region, "PUT", uri, key.value, headers)


# -- SES -----------------------------------------------------------------------------------
def _ses() -> Iterator[Record]:
    for region, backend in _regions("ses"):
        for identity in list(backend.email_identities):
            if "@" in identity:
                form = {"Action": "VerifyEmailIdentity", "EmailAddress": identity}
            else:
                form = {"Action": "VerifyDomainIdentity", "Domain": identity}
            body = urlencode({**form, "Version": "2010-12-01"}).encode()
            content_type = ("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
            yield _call("ses", region, "POST", "/", body, [content_type])


def state_records(first_id: Callable[[str], str]) -> list[Record]:
    """Calls that recreate the state of DynamoDB, SQS, S3 and SES identities held now.

    `first_id` maps a message's id now to the id it was first sent with (see the recorder).
    """
    return [*_dynamodb(), *_sqs(first_id), *_s3(), *_ses()]
