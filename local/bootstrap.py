"""Creates the AWS resources of the merge template `infra/resources.json`, for local runs.

On AWS, `chalice package` and CloudFormation create them. Locally the embedded AWS starts empty,
so this reads the same template and makes each table, queue, bucket and sender identity with
boto3 against whatever endpoint the environment names (AWS_ENDPOINT_URL; moto in-process in the
tests). Resources that already exist are left alone, so running it twice is harmless. A table
kept from an earlier run (the AWS recording) whose key or indexes the code has since changed
stops the start with what to do, rather than failing request by request later.

Only what the template needs is understood: `Ref` (parameters, pseudo parameters, resources),
`Fn::Sub` and `Fn::GetAtt`.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import ClientError

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[1]
TEMPLATE_PATH = REPO_ROOT / "infra" / "resources.json"
ACCOUNT_ID = "123456789012"  # moto's default account
DEFAULT_PREFIX = "rewards-local-"

Attrs = dict[str, dict[str, str]]  # logical id -> {"Ref": ..., "Arn": ...}
Clients = Callable[[str], Any]
Maker = Callable[[Clients, str, dict[str, Any]], tuple[str, bool, dict[str, str]]]


def load_template(path: str | Path | None = None) -> dict[str, Any]:
    """The merge template (default `infra/resources.json` of this repository)."""
    return json.loads(Path(path or TEMPLATE_PATH).read_text())


def env_parameters(template: Mapping[str, Any]) -> dict[str, str]:
    """Template parameters the local environment sets (the sender address)."""
    sender = os.environ.get("REWARDS_EMAIL_SENDER")
    if sender and "EmailSender" in template.get("Parameters", {}):
        return {"EmailSender": sender}
    return {}


# -- intrinsic functions -------------------------------------------------------------------
def _lookup(name: str, params: Mapping[str, str], attrs: Attrs) -> str:
    if name in params:
        return str(params[name])
    if name in attrs:
        return attrs[name]["Ref"]
    logical, _, attribute = name.partition(".")
    if attribute and logical in attrs and attribute in attrs[logical]:
        return attrs[logical][attribute]
    raise ValueError(f"cannot resolve {name!r} locally")


def resolve(value: Any, params: Mapping[str, str], attrs: Attrs) -> Any:
    """`value` with every Ref / Fn::Sub / Fn::GetAtt replaced by its value."""
    if isinstance(value, list):
        return [resolve(v, params, attrs) for v in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        ((key, arg),) = value.items()
        if key == "Ref":
            return _lookup(arg, params, attrs)
        if key == "Fn::GetAtt":
            logical, attribute = arg if isinstance(arg, list) else arg.split(".", 1)
            return _lookup(f"{logical}.{attribute}", params, attrs)
        if key == "Fn::Sub":
            text, extra = (arg, {}) if isinstance(arg, str) else arg
            scope = {**params, **{k: resolve(v, params, attrs) for k, v in extra.items()}}
            return re.sub(
                r"\$\{(!?)([^}]+)\}",
                lambda m: "${" + m[2] + "}" if m[1] else _lookup(m[2], scope, attrs),
                text,
            )
        if key.startswith("Fn::"):
            raise ValueError(f"{key} is not supported locally")
    return {k: resolve(v, params, attrs) for k, v in value.items()}


def _references(value: Any) -> set[str]:
    """Logical ids (or parameter names) that `value` refers to."""
    found: set[str] = set()
    if isinstance(value, list):
        for item in value:
            found |= _references(item)
    elif isinstance(value, dict):
        for key, arg in value.items():
            if key == "Ref":
                found.add(arg)
            elif key == "Fn::GetAtt":
                found.add(arg[0] if isinstance(arg, list) else arg.split(".", 1)[0])
            elif key == "Fn::Sub":
                text = arg if isinstance(arg, str) else arg[0]
                found |= {m.split(".", 1)[0] for m in re.findall(r"\$\{([^!}][^}]*)\}", text)}
                found |= _references(arg[1:] if isinstance(arg, list) else [])
            else:
                found |= _references(arg)
    return found


def creation_order(resources: Mapping[str, Any]) -> list[str]:
    """Logical ids, each after the resources it refers to (e.g. the DLQ before its queue)."""
    order: list[str] = []
    visiting: set[str] = set()

    def visit(logical: str) -> None:
        if logical in order:
            return
        if logical in visiting:
            raise ValueError(f"circular reference at {logical}")
        visiting.add(logical)
        resource = resources[logical]
        depends = resource.get("DependsOn", [])
        needed = _references(resource.get("Properties", {})) | set(
            [depends] if isinstance(depends, str) else depends
        )
        for other in sorted(needed & set(resources)):
            visit(other)
        visiting.discard(logical)
        order.append(logical)

    for logical in sorted(resources):
        visit(logical)
    return order


# -- resources -----------------------------------------------------------------------------
_TABLE_KEYS = (
    "TableName",
    "AttributeDefinitions",
    "KeySchema",
    "LocalSecondaryIndexes",
    "GlobalSecondaryIndexes",
    "BillingMode",
    "ProvisionedThroughput",
    "Tags",
    "TableClass",
    "DeletionProtectionEnabled",
)
_INDEX_KEYS = ("IndexName", "KeySchema", "Projection", "ProvisionedThroughput")
_QUEUE_ATTRIBUTES = (
    "DelaySeconds",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
    "VisibilityTimeout",
    "RedrivePolicy",
    "RedriveAllowPolicy",
    "FifoQueue",
    "ContentBasedDeduplication",
    "DeduplicationScope",
    "FifoThroughputLimit",
    "KmsMasterKeyId",
    "KmsDataKeyReusePeriodSeconds",
    "SqsManagedSseEnabled",
)


def _error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _table_kwargs(props: dict[str, Any]) -> dict[str, Any]:
    """create_table arguments from CloudFormation properties (CFN-only keys dropped)."""
    kwargs = {k: props[k] for k in _TABLE_KEYS if k in props}
    for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        if key in kwargs:
            kwargs[key] = [{k: i[k] for k in _INDEX_KEYS if k in i} for i in kwargs[key]]
    if "SSESpecification" in props:  # CFN says SSEEnabled, the API says Enabled
        sse = props["SSESpecification"]
        kwargs["SSESpecification"] = {"Enabled": bool(sse.get("SSEEnabled", False))}
        for key in ("SSEType", "KMSMasterKeyId"):
            if key in sse:
                kwargs["SSESpecification"][key] = sse[key]
    if "StreamSpecification" in props:
        view = props["StreamSpecification"]["StreamViewType"]
        kwargs["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": view}
    return kwargs


class StaleTableError(RuntimeError):
    """A table kept from an earlier run has another key or other indexes than the code wants."""


def _shape(table: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """A table's key and index names, in the API's and the template's words alike."""
    key = [f"{k['AttributeName']} {k['KeyType']}" for k in table["KeySchema"]]
    indexes = sorted(i["IndexName"] for i in table.get("GlobalSecondaryIndexes") or [])
    return key, indexes


def _make_table(clients: Clients, logical: str, props: dict[str, Any]) -> tuple[str, bool, Any]:
    ddb = clients("dynamodb")
    name = props["TableName"]
    try:
        table = ddb.describe_table(TableName=name)["Table"]
    except ddb.exceptions.ResourceNotFoundException:
        pass
    else:
        if _shape(table) != _shape(props):
            raise StaleTableError(
                f"table {name} was made by an earlier version (key and indexes {_shape(table)}, "
                f"now {_shape(props)}): delete the AWS recording (.local/aws-recording.jsonl) "
                "to start afresh"
            )
        return name, False, {"Ref": name, "Arn": table["TableArn"]}
    arn = ddb.create_table(**_table_kwargs(props))["TableDescription"]["TableArn"]
    ddb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1})
    ttl = props.get("TimeToLiveSpecification")
    if ttl and ttl.get("Enabled"):
        ddb.update_time_to_live(
            TableName=name,
            TimeToLiveSpecification={"AttributeName": ttl["AttributeName"], "Enabled": True},
        )
    # Point-in-time recovery is backup policy, of no use locally.
    return name, True, {"Ref": name, "Arn": arn}


def _queue_attribute(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


def _make_queue(clients: Clients, logical: str, props: dict[str, Any]) -> tuple[str, bool, Any]:
    sqs = clients("sqs")
    name = props["QueueName"]
    created = False
    try:
        url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
    except sqs.exceptions.QueueDoesNotExist:
        attributes = {k: _queue_attribute(props[k]) for k in _QUEUE_ATTRIBUTES if k in props}
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        created = True
    found = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    arn = found["Attributes"]["QueueArn"]
    return name, created, {"Ref": url, "Arn": arn, "QueueName": name, "QueueUrl": url}


def _make_bucket(clients: Clients, logical: str, props: dict[str, Any]) -> tuple[str, bool, Any]:
    s3 = clients("s3")
    name = props["BucketName"]
    attrs = {"Ref": name, "Arn": f"arn:aws:s3:::{name}"}
    try:
        s3.head_bucket(Bucket=name)
        return name, False, attrs
    except ClientError as error:
        if _error_code(error) not in {"404", "NoSuchBucket", "NotFound"}:
            raise
    region = s3.meta.region_name
    if region == "us-east-1":  # the one region that rejects a location constraint
        s3.create_bucket(Bucket=name)
    else:
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
    if "PublicAccessBlockConfiguration" in props:
        s3.put_public_access_block(
            Bucket=name, PublicAccessBlockConfiguration=props["PublicAccessBlockConfiguration"]
        )
    if "BucketEncryption" in props:
        # CFN says ServerSideEncryptionByDefault, the API ApplyServerSideEncryptionByDefault.
        rules = [
            {("Apply" + k if k == "ServerSideEncryptionByDefault" else k): v for k, v in r.items()}
            for r in props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        ]
        s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": rules})
    return name, True, attrs


def _make_identity(clients: Clients, logical: str, props: dict[str, Any]) -> tuple[str, bool, Any]:
    ses = clients("ses")
    identity = props["EmailIdentity"]
    pages = ses.get_paginator("list_identities").paginate()
    known = {name for page in pages for name in page["Identities"]}
    if identity in known:
        return identity, False, {"Ref": identity}
    # moto marks identities verified at once; SES would send a confirmation email.
    if "@" in identity:
        ses.verify_email_identity(EmailAddress=identity)
    else:
        ses.verify_domain_identity(Domain=identity)
    return identity, True, {"Ref": identity}


def _make_configuration_set(
    clients: Clients, logical: str, props: dict[str, Any]
) -> tuple[str, bool, Any]:
    """The set the identity sends through (moto publishes none of its events: the worker
    stands in, `local.ses_feedback`)."""
    ses = clients("ses")
    name = props["Name"]
    known = {s["Name"] for s in ses.list_configuration_sets().get("ConfigurationSets", [])}
    if name not in known:
        ses.create_configuration_set(ConfigurationSet={"Name": name})
    return name, name not in known, {"Ref": name}


MAKERS: dict[str, Maker] = {
    "AWS::DynamoDB::Table": _make_table,
    "AWS::SQS::Queue": _make_queue,
    "AWS::S3::Bucket": _make_bucket,
    "AWS::SES::EmailIdentity": _make_identity,
    "AWS::SES::ConfigurationSet": _make_configuration_set,
}


def create_resources(
    template: Mapping[str, Any],
    prefix: str,
    parameters: Mapping[str, str] | None = None,
    session: boto3.session.Session | None = None,
) -> list[str]:
    """Create every resource of `template` that does not exist yet; returns the names created.

    `prefix` is the ResourcePrefix parameter; `parameters` overrides other parameter defaults.
    """
    session = session or boto3.session.Session(
        region_name=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    )
    region = session.region_name or "us-east-1"
    cache: dict[str, Any] = {}

    def clients(service: str) -> Any:
        if service not in cache:
            cache[service] = session.client(service, region_name=region)
        return cache[service]

    params = {k: str(v.get("Default", "")) for k, v in template.get("Parameters", {}).items()}
    params.update(parameters or {})
    params["ResourcePrefix"] = prefix
    params.update({"AWS::Region": region, "AWS::AccountId": ACCOUNT_ID, "AWS::Partition": "aws"})
    params["AWS::URLSuffix"] = "amazonaws.com"

    resources = template.get("Resources", {})
    attrs: Attrs = {}
    created: list[str] = []
    for logical in creation_order(resources):
        kind = resources[logical].get("Type")
        if kind is None:
            continue  # a fragment merged into a resource `chalice package` generates
        maker = MAKERS.get(kind)
        if maker is None:
            log.warning("%s: %s is not created locally", logical, kind)
            continue
        props = resolve(resources[logical].get("Properties", {}), params, attrs)
        name, was_created, attrs[logical] = maker(clients, logical, props)
        if was_created:
            log.info("created %s %s", kind, name)
            created.append(name)
    return created


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="bootstrap: %(message)s")
    log.setLevel(logging.INFO)
    template = load_template(sys.argv[1] if len(sys.argv) > 1 else None)
    prefix = os.environ.get("REWARDS_RESOURCE_PREFIX", DEFAULT_PREFIX)
    created = create_resources(template, prefix, env_parameters(template))
    print(f"{len(created)} resource(s) created" + "".join(f"\n  {n}" for n in created))


if __name__ == "__main__":
    main()
