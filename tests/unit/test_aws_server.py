"""The embedded AWS: one call at a time over real HTTP, and state that survives a restart."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from local.aws_server import AwsServer, start_in_thread

THREADS = 20
INCREMENTS = 1


@pytest.fixture(autouse=True)
def _credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)


@pytest.fixture
def recording(tmp_path: Path) -> Path:
    return tmp_path / "aws-recording.jsonl"


@pytest.fixture
def server(recording: Path) -> Iterator[AwsServer]:
    handle = start_in_thread(0, recording)
    yield handle
    handle.stop()


def client(server: AwsServer, service: str) -> Any:
    # Enough pooled connections for every test thread; no retries hiding a failure.
    config = Config(max_pool_connections=THREADS + 5, retries={"max_attempts": 1})
    return boto3.client(service, endpoint_url=server.url, region_name="us-east-1", config=config)


def make_table(ddb: Any, name: str = "counters") -> None:
    ddb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )


class ConcurrencyProbe:
    """Wraps moto's app and notes the most calls ever inside it at once."""

    def __init__(self, inner: Callable[..., Any]) -> None:
        self.inner = inner
        self.active = 0
        self.most = 0
        self._count = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        with self._count:
            self.active += 1
            self.most = max(self.most, self.active)
        try:
            time.sleep(0.001)  # widen the window an unlocked server would interleave in
            return self.inner(environ, start_response)
        finally:
            with self._count:
                self.active -= 1


def test_concurrent_read_check_write_loses_no_update(server: AwsServer) -> None:
    ddb = client(server, "dynamodb")
    make_table(ddb)
    ddb.put_item(TableName="counters", Item={"pk": {"S": "c"}, "n": {"N": "0"}})
    probe = ConcurrencyProbe(server.app.inner)
    server.app.inner = probe
    errors: list[BaseException] = []

    def increment() -> None:
        try:
            done = 0
            while done < INCREMENTS:
                key = {"pk": {"S": "c"}}
                item = ddb.get_item(TableName="counters", Key=key, ConsistentRead=True)["Item"]
                old = item["n"]["N"]
                try:
                    ddb.update_item(
                        TableName="counters",
                        Key=key,
                        UpdateExpression="SET n = :new",
                        ConditionExpression="n = :old",
                        ExpressionAttributeValues={
                            ":old": {"N": old},
                            ":new": {"N": str(int(old) + 1)},
                        },
                    )
                    done += 1
                except ClientError as error:
                    if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                        raise
        except BaseException as error:  # surfaced in the main thread
            errors.append(error)

    threads = [threading.Thread(target=increment) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    item = ddb.get_item(TableName="counters", Key={"pk": {"S": "c"}})["Item"]
    assert int(item["n"]["N"]) == THREADS * INCREMENTS
    assert probe.most == 1


def test_state_survives_restart(recording: Path) -> None:
    first = start_in_thread(0, recording)
    ddb = client(first, "dynamodb")
    make_table(ddb)
    for pk in ("a", "b"):
        ddb.put_item(TableName="counters", Item={"pk": {"S": pk}, "n": {"N": "1"}})
    ddb.update_item(
        TableName="counters",
        Key={"pk": {"S": "a"}},
        UpdateExpression="ADD n :one",
        ExpressionAttributeValues={":one": {"N": "1"}},
    )
    ddb.delete_item(TableName="counters", Key={"pk": {"S": "b"}})
    s3 = client(first, "s3")
    s3.create_bucket(Bucket="media")
    s3.put_object(Bucket="media", Key="photos/x_y.png", Body=b"png", Metadata={"my_key": "v"})
    first.stop()

    second = start_in_thread(0, recording)
    try:
        ddb = client(second, "dynamodb")
        items = ddb.scan(TableName="counters")["Items"]
        assert items == [{"pk": {"S": "a"}, "n": {"N": "2"}}]
        found = client(second, "s3").get_object(Bucket="media", Key="photos/x_y.png")
        assert found["Body"].read() == b"png"
        assert found["Metadata"] == {"my_key": "v"}
    finally:
        second.stop()


def test_deleted_sqs_messages_stay_deleted_after_restarts(recording: Path) -> None:
    first = start_in_thread(0, recording)
    sqs = client(first, "sqs")
    url = sqs.create_queue(QueueName="jobs")["QueueUrl"]
    for body in ("one", "two"):
        sqs.send_message(QueueUrl=url, MessageBody=body)
    sqs.send_message_batch(
        QueueUrl=url,
        Entries=[{"Id": "3", "MessageBody": "three"}, {"Id": "4", "MessageBody": "four"}],
    )
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    by_body = {m["Body"]: m["ReceiptHandle"] for m in got}
    sqs.delete_message(QueueUrl=url, ReceiptHandle=by_body["one"])
    sqs.delete_message_batch(QueueUrl=url, Entries=[{"Id": "x", "ReceiptHandle": by_body["three"]}])
    first.stop()

    second = start_in_thread(0, recording)
    sqs = client(second, "sqs")
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert sorted(m["Body"] for m in got) == ["four", "two"]
    # A message re-sent by replay keeps its identity: deleting it now is remembered too.
    two = next(m for m in got if m["Body"] == "two")
    sqs.delete_message(QueueUrl=url, ReceiptHandle=two["ReceiptHandle"])
    second.stop()

    third = start_in_thread(0, recording)
    try:
        got = client(third, "sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10)
        assert [m["Body"] for m in got["Messages"]] == ["four"]
    finally:
        third.stop()


def recorded_operations(recording: Path) -> list[str]:
    operations = []
    for line in recording.read_text().splitlines():
        record = json.loads(line)
        if "sqs_deleted" in record:
            operations.append("sqs_deleted")
            continue
        headers = dict(record["headers"])
        operations.append(headers.get("X-Amz-Target", record["method"]).rpartition(".")[2])
    return operations


def test_only_state_changing_calls_are_recorded(server: AwsServer, recording: Path) -> None:
    ddb = client(server, "dynamodb")
    make_table(ddb)
    ddb.put_item(TableName="counters", Item={"pk": {"S": "a"}})
    ddb.get_item(TableName="counters", Key={"pk": {"S": "a"}})
    ddb.scan(TableName="counters")
    ddb.query(
        TableName="counters",
        KeyConditionExpression="pk = :a",
        ExpressionAttributeValues={":a": {"S": "a"}},
    )
    ddb.describe_table(TableName="counters")
    with pytest.raises(ClientError):  # a failed conditional write changed nothing
        ddb.put_item(
            TableName="counters",
            Item={"pk": {"S": "a"}},
            ConditionExpression="attribute_not_exists(pk)",
        )
    sqs = client(server, "sqs")
    url = sqs.create_queue(QueueName="jobs")["QueueUrl"]
    sqs.get_queue_url(QueueName="jobs")
    assert "Messages" not in sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0)
    s3 = client(server, "s3")
    s3.create_bucket(Bucket="media")
    s3.list_objects_v2(Bucket="media")

    assert recorded_operations(recording) == ["CreateTable", "PutItem", "CreateQueue", "PUT"]


def test_long_poll_does_not_hold_the_lock(server: AwsServer) -> None:
    sqs = client(server, "sqs")
    url = sqs.create_queue(QueueName="jobs")["QueueUrl"]
    started = time.monotonic()
    sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5)
    assert time.monotonic() - started < 2


def test_moto_reset_clears_the_recording(server: AwsServer, recording: Path) -> None:
    make_table(client(server, "dynamodb"))
    assert recording.read_text()
    import requests

    assert requests.post(f"{server.url}/moto-api/reset", timeout=10).status_code == 200
    assert recording.read_text() == ""


def test_nothing_is_kept_without_a_recording() -> None:
    first = start_in_thread(0, None)
    make_table(client(first, "dynamodb"))
    first.stop()
    second = start_in_thread(0, None)
    try:
        assert client(second, "dynamodb").list_tables()["TableNames"] == []
    finally:
        second.stop()
