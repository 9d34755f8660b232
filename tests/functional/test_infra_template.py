"""The committed merge template matches the models, and the queue is set up to survive faults."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from chalicelib.config import get_settings
from chalicelib.storage.base import MODELS
from chalicelib.storage.schema import logical_id
from infra import template
from infra import terraform as terraform_files

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def committed() -> dict[str, Any]:
    return json.loads((ROOT / "infra" / "resources.json").read_text())


def _lambda_timeout() -> int:
    return int(
        json.loads((ROOT / ".chalice" / "config.json").read_text()).get("lambda_timeout", 60)
    )


def test_check_passes_for_the_committed_template() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "infra.template", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr or "infra/resources.json is out of date"


@pytest.mark.parametrize("generated", ["resources.json", "resources.tf.json"])
def test_check_fails_when_a_generated_file_differs(tmp_path: Path, generated: str) -> None:
    copy = tmp_path / "infra"
    shutil.copytree(ROOT / "infra", copy, ignore=shutil.ignore_patterns("__pycache__"))
    stale = (ROOT / "infra" / generated).read_text().replace("PAY_PER_REQUEST", "X", 1)
    (copy / generated).write_text(stale)

    result = subprocess.run(
        [sys.executable, "-m", "infra.template", "--check"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 1, result.stderr
    assert generated in result.stderr
    assert (copy / generated).read_text() == stale  # --check writes nothing


def test_committed_template_equals_the_rendered_one(committed: dict[str, Any]) -> None:
    assert committed == json.loads(template.render())


@pytest.mark.parametrize(
    "model",
    MODELS,
    ids=[model.Meta.table_basename for model in MODELS],  # type: ignore[attr-defined]
)
def test_every_model_has_its_table_with_keys_and_indexes(
    committed: dict[str, Any], model: Any
) -> None:
    resource = committed["Resources"][logical_id(model)]
    properties = resource["Properties"]
    schema = model._get_schema()

    assert resource["Type"] == "AWS::DynamoDB::Table"
    assert properties["TableName"] == {"Fn::Sub": "${ResourcePrefix}" + model.Meta.table_basename}
    assert properties["BillingMode"] == "PAY_PER_REQUEST"
    assert {(key["AttributeName"], key["KeyType"]) for key in properties["KeySchema"]} == {
        (key["AttributeName"], key["KeyType"]) for key in schema["key_schema"]
    }
    assert properties["KeySchema"][0]["KeyType"] == "HASH"
    defined = {
        item["AttributeName"]: item["AttributeType"] for item in properties["AttributeDefinitions"]
    }
    assert defined == {
        item["AttributeName"]: item["AttributeType"] for item in schema["attribute_definitions"]
    }
    indexes = {index["IndexName"]: index for index in properties.get("GlobalSecondaryIndexes", [])}
    expected = {index["index_name"]: index for index in schema["global_secondary_indexes"]}
    assert set(indexes) == set(expected)
    for name, index in indexes.items():
        assert {(key["AttributeName"], key["KeyType"]) for key in index["KeySchema"]} == {
            (key["AttributeName"], key["KeyType"]) for key in expected[name]["key_schema"]
        }
        assert index["KeySchema"][0]["KeyType"] == "HASH"
        assert index["Projection"] == expected[name]["projection"]
    ttl = model.Meta.ttl_attribute
    if ttl:
        assert properties["TimeToLiveSpecification"] == {"AttributeName": ttl, "Enabled": True}
    else:
        assert "TimeToLiveSpecification" not in properties


def test_known_indexes_are_declared(committed: dict[str, Any]) -> None:
    resources = committed["Resources"]

    def index_names(logical: str) -> set[str]:
        return {
            index["IndexName"]
            for index in resources[logical]["Properties"].get("GlobalSecondaryIndexes", [])
        }

    assert "store-index" in index_names("CredentialsTable")
    assert {"email-index", "public-key-index"} <= index_names("CustomersTable")
    ttl = resources["IdempotencyTable"]["Properties"]["TimeToLiveSpecification"]
    assert ttl == {"AttributeName": "expiration", "Enabled": True}


def test_every_table_resource_belongs_to_a_model(committed: dict[str, Any]) -> None:
    tables = {
        logical
        for logical, resource in committed["Resources"].items()
        if resource.get("Type") == "AWS::DynamoDB::Table"
    }

    assert tables == {logical_id(model) for model in MODELS}


def test_queue_redrives_to_the_dead_letter_queue(committed: dict[str, Any]) -> None:
    resources = committed["Resources"]
    queues = {
        logical: resource
        for logical, resource in resources.items()
        if resource.get("Type") == "AWS::SQS::Queue" and "RedrivePolicy" in resource["Properties"]
    }
    assert queues, "no queue with a redrive policy"

    for logical, queue in queues.items():
        properties = queue["Properties"]
        redrive = properties["RedrivePolicy"]
        target = redrive["deadLetterTargetArn"]["Fn::GetAtt"]
        assert target[1] == "Arn"
        dead_letter = resources[target[0]]
        assert dead_letter["Type"] == "AWS::SQS::Queue"
        assert "RedrivePolicy" not in dead_letter["Properties"]
        assert 1 <= int(redrive["maxReceiveCount"]) <= 10, logical
        assert properties["VisibilityTimeout"] >= 6 * 30
        assert properties["VisibilityTimeout"] >= 6 * _lambda_timeout()
        assert (
            dead_letter["Properties"]["MessageRetentionPeriod"]
            >= properties["MessageRetentionPeriod"]
        )


def test_every_sqs_consumer_reports_partial_batch_failures(committed: dict[str, Any]) -> None:
    from chalice.app import SQSEventConfig
    from chalice.package import to_cfn_resource_name

    from app import app

    consumers = [s for s in app.event_sources if isinstance(s, SQSEventConfig)]
    assert consumers
    for source in consumers:
        # The names chalice's app graph and SAM packager give the function and its event.
        function = to_cfn_resource_name(source.name)
        event = to_cfn_resource_name(f"{source.name}-sqs-event-source")
        events = committed["Resources"][function]["Properties"]["Events"]
        assert events[event]["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_the_stage_policy_grants_each_resource_the_code_uses_and_no_wildcard_action(
    committed: dict[str, Any], stage: str
) -> None:
    from fnmatch import fnmatchcase

    policy = json.loads((ROOT / ".chalice" / f"policy-{stage}.json").read_text())
    prefix = f"rewards-{stage}-"

    def allowed(action: str, resource: str) -> bool:
        for statement in policy["Statement"]:
            resources = statement["Resource"]
            resources = [resources] if isinstance(resources, str) else resources
            if action in statement["Action"] and any(fnmatchcase(resource, r) for r in resources):
                return True
        return False

    for statement in policy["Statement"]:
        assert all(not action.endswith("*") for action in statement["Action"]), statement
        assert statement["Resource"] != "*", statement
    for logical, resource in committed["Resources"].items():
        kind, props = resource.get("Type"), resource.get("Properties", {})
        if kind == "AWS::DynamoDB::Table":
            table = props["TableName"]["Fn::Sub"].replace("${ResourcePrefix}", prefix)
            arn = f"arn:aws:dynamodb:eu-west-1:1:table/{table}"
            for action in ("GetItem", "PutItem", "UpdateItem", "Query", "BatchWriteItem"):
                assert allowed(f"dynamodb:{action}", arn), (logical, action)
            assert allowed("dynamodb:Query", f"{arn}/index/any-index"), logical
    queue = f"arn:aws:sqs:eu-west-1:1:{prefix}reward-email"
    for action in ("SendMessage", "GetQueueUrl", "ReceiveMessage", "DeleteMessage"):
        assert allowed(f"sqs:{action}", queue), action
    assert not allowed("sqs:SendMessage", f"arn:aws:sqs:eu-west-1:1:{prefix}other")
    assert allowed("ses:SendEmail", "arn:aws:ses:eu-west-1:1:identity/rewards@example.com")
    for action in ("GetObject", "PutObject", "DeleteObject"):
        assert allowed(f"s3:{action}", f"arn:aws:s3:::{prefix}media/campaign_photos/x")
    assert not allowed("s3:GetObject", "arn:aws:s3:::another-bucket/x")


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_the_stage_policy_lets_the_functions_read_only_their_stages_secrets(stage: str) -> None:
    from fnmatch import fnmatchcase

    policy = json.loads((ROOT / ".chalice" / f"policy-{stage}.json").read_text())

    def allowed(action: str, resource: str) -> bool:
        return any(
            action in statement["Action"] and fnmatchcase(resource, statement["Resource"])
            for statement in policy["Statement"]
            if isinstance(statement["Resource"], str)
        )

    other = "prod" if stage == "dev" else "dev"
    assert allowed("ssm:GetParameter", f"arn:aws:ssm:eu-west-1:1:parameter/rewards/{stage}/jwt")
    assert not allowed("ssm:GetParameter", f"arn:aws:ssm:eu-west-1:1:parameter/rewards/{other}/x")
    assert not allowed("ssm:GetParameters", f"arn:aws:ssm:eu-west-1:1:parameter/rewards/{stage}/x")


@pytest.fixture(scope="module")
def terraform() -> dict[str, Any]:
    return json.loads((ROOT / "infra" / "resources.tf.json").read_text())


def test_committed_terraform_equals_the_rendered_one(terraform: dict[str, Any]) -> None:
    assert terraform == terraform_files.build_terraform()
    override = json.loads((ROOT / "infra" / "chalice_override.tf.json").read_text())
    assert override == terraform_files.build_terraform_override()


@pytest.mark.parametrize(
    "model",
    MODELS,
    ids=[model.Meta.table_basename for model in MODELS],  # type: ignore[attr-defined]
)
def test_every_model_has_its_terraform_table_with_keys_and_indexes(
    terraform: dict[str, Any], model: Any
) -> None:
    basename = model.Meta.table_basename
    table = terraform["resource"]["aws_dynamodb_table"][basename.replace("-", "_")]
    schema = model._get_schema()
    keys = {key["KeyType"]: key["AttributeName"] for key in schema["key_schema"]}

    assert table["name"] == "${local.resource_prefix}" + basename
    assert table["billing_mode"] == "PAY_PER_REQUEST"
    assert table["hash_key"] == keys["HASH"]
    assert table.get("range_key") == keys.get("RANGE")
    assert {(a["name"], a["type"]) for a in table["attribute"]} == {
        (a["AttributeName"], a["AttributeType"]) for a in schema["attribute_definitions"]
    }
    assert table["point_in_time_recovery"] == {"enabled": True}
    assert table["server_side_encryption"] == {"enabled": True}
    indexes = {index["name"]: index for index in table.get("global_secondary_index", [])}
    expected = {index["index_name"]: index for index in schema["global_secondary_indexes"]}
    assert set(indexes) == set(expected)
    for name, index in indexes.items():
        index_keys = {k["KeyType"]: k["AttributeName"] for k in expected[name]["key_schema"]}
        assert index["hash_key"] == index_keys["HASH"]
        assert index.get("range_key") == index_keys.get("RANGE")
        assert index["projection_type"] == expected[name]["projection"]["ProjectionType"]
    ttl = model.Meta.ttl_attribute
    if ttl:
        assert table["ttl"] == {"attribute_name": ttl, "enabled": True}
    else:
        assert "ttl" not in table


def test_terraform_queue_redrives_and_the_consumer_reports_partial_failures(
    terraform: dict[str, Any],
) -> None:
    from chalice.app import SQSEventConfig

    from app import app

    queues = terraform["resource"]["aws_sqs_queue"]
    queue = queues["reward_email"]
    assert queue["visibility_timeout_seconds"] >= 6 * _lambda_timeout()
    assert "aws_sqs_queue.reward_email_dlq.arn" in queue["redrive_policy"]
    assert "redrive_policy" not in queues["reward_email_dlq"]
    override = json.loads((ROOT / "infra" / "chalice_override.tf.json").read_text())
    mappings = override["resource"]["aws_lambda_event_source_mapping"]
    consumers = [s for s in app.event_sources if isinstance(s, SQSEventConfig)]
    assert consumers
    for source in consumers:
        # The name chalice's Terraform packager gives the subscription (SQSEventSource).
        mapping = mappings[f"{source.name}-sqs-event-source"]
        assert mapping["function_response_types"] == ["ReportBatchItemFailures"]
        queue = source.queue.removeprefix(get_settings().resource_prefix).replace("-", "_")
        assert mapping["event_source_arn"] == f"${{aws_sqs_queue.{queue}.arn}}"
