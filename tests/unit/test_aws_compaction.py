"""Compaction of the embedded AWS's recording: the same state back from far fewer calls, and a
crash while compacting loses nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from local import bootstrap
from local.aws_server import AwsServer, start_in_thread

PREFIX = "t-"
# What the service's own resources look like after some use, plus a table of counters.
UPDATES = 400


@pytest.fixture(autouse=True)
def _credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)


@pytest.fixture
def recording(tmp_path: Path) -> Path:
    return tmp_path / "aws-recording.jsonl"


@pytest.fixture
def servers() -> Iterator[list[AwsServer]]:
    """Servers a test started; any still running at the end are stopped."""
    started: list[AwsServer] = []
    yield started
    for server in started:
        if server.server.socket.fileno() != -1:
            server.stop()


def start(servers: list[AwsServer], recording: Path, **options: Any) -> AwsServer:
    server = start_in_thread(0, recording, **options)
    servers.append(server)
    return server


def client(server: AwsServer, service: str) -> Any:
    config = Config(retries={"max_attempts": 1})
    return boto3.client(service, endpoint_url=server.url, region_name="us-east-1", config=config)


def queue_url(server: AwsServer, name: str) -> str:
    return str(client(server, "sqs").get_queue_url(QueueName=PREFIX + name)["QueueUrl"])


def make_history(server: AwsServer) -> None:
    """The service's resources, then items, messages, objects and a sent email, with most of
    the calls overwritten or undone since."""
    session = boto3.session.Session(region_name="us-east-1")
    original = session.client

    def local_client(service: str, **kwargs: Any) -> Any:
        return original(service, endpoint_url=server.url, **kwargs)

    session.client = local_client  # type: ignore[method-assign]
    bootstrap.create_resources(bootstrap.load_template(), PREFIX, session=session)
    ddb = client(server, "dynamodb")
    customers = f"{PREFIX}customers"
    key_names = [
        k["AttributeName"] for k in ddb.describe_table(TableName=customers)["Table"]["KeySchema"]
    ]
    for n in range(UPDATES):
        item = {name: {"S": f"c{n % 40}"} for name in key_names}
        ddb.put_item(
            TableName=customers, Item={**item, "n": {"N": str(n)}, "b": {"B": b"\x00\x01"}}
        )
    for n in range(30, 40):
        ddb.delete_item(TableName=customers, Key={name: {"S": f"c{n}"} for name in key_names})
    url = queue_url(server, "reward-email")
    sqs = client(server, "sqs")
    attributes = {"kind": {"DataType": "String", "StringValue": "reward"}}
    for n in range(25):
        sqs.send_message(QueueUrl=url, MessageBody=f"m{n}", MessageAttributes=attributes)
    sqs.send_message_batch(
        QueueUrl=url, Entries=[{"Id": str(n), "MessageBody": f"b{n}"} for n in range(10)]
    )
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=600)
    for message in got["Messages"][:4]:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    s3 = client(server, "s3")
    bucket = f"{PREFIX}media"
    for n in range(5):
        s3.put_object(Bucket=bucket, Key="photos/a b.png", Body=b"v%d" % n, ContentType="image/png")
    s3.put_object(Bucket=bucket, Key="x_y", Body=b"\xff" * 300, Metadata={"my_key": "v"})
    s3.put_object(Bucket=bucket, Key="gone", Body=b"g")
    s3.delete_object(Bucket=bucket, Key="gone")
    ses = client(server, "ses")
    sender = ses.list_identities()["Identities"][0]
    ses.send_email(
        Source=sender,
        Destination={"ToAddresses": ["wallace@example.com"]},
        Message={"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "t"}}},
    )


def state(server: AwsServer) -> dict[str, Any]:
    """Everything a client can read: tables (definition and items), queues (attributes and
    messages), objects, identities and the count of emails sent."""
    ddb, sqs, s3, ses = (client(server, s) for s in ("dynamodb", "sqs", "s3", "ses"))
    tables = {}
    for name in ddb.list_tables()["TableNames"]:
        table = ddb.describe_table(TableName=name)["Table"]
        items = ddb.scan(TableName=name)["Items"]
        tables[name] = {
            "keys": table["KeySchema"],
            "attributes": sorted(table["AttributeDefinitions"], key=str),
            "indexes": sorted(
                (i["IndexName"], i["KeySchema"], i["Projection"])
                for i in table.get("GlobalSecondaryIndexes", [])
            ),
            "billing": table["BillingModeSummary"],
            "sse": table.get("SSEDescription"),
            "ttl": ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"],
            "items": sorted(json.dumps(item, sort_keys=True, default=str) for item in items),
        }
    queues = {}
    for url in sqs.list_queues().get("QueueUrls", []):
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        for changing in ("CreatedTimestamp", "LastModifiedTimestamp"):
            attributes.pop(changing)
        messages = []
        while True:
            got = sqs.receive_message(
                QueueUrl=url,
                MaxNumberOfMessages=10,
                VisibilityTimeout=600,
                MessageAttributeNames=["All"],
            ).get("Messages", [])
            if not got:
                break
            messages += [(m["Body"], json.dumps(m.get("MessageAttributes"))) for m in got]
        queues[url.rsplit("/", 1)[1]] = {"attributes": attributes, "messages": sorted(messages)}
    objects = {}
    for bucket in s3.list_buckets()["Buckets"]:
        name = bucket["Name"]
        for listed in s3.list_objects_v2(Bucket=name).get("Contents", []):
            found = s3.get_object(Bucket=name, Key=listed["Key"])
            objects[f"{name}/{listed['Key']}"] = (
                found["Body"].read(),
                found["ContentType"],
                found["Metadata"],
            )
        objects[name] = (
            s3.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"],
            s3.get_bucket_encryption(Bucket=name)["ServerSideEncryptionConfiguration"],
        )
    return {
        "tables": tables,
        "queues": queues,
        "objects": objects,
        "identities": sorted(ses.list_identities()["Identities"]),
        "sent": ses.get_send_quota()["SentLast24Hours"],
    }


def test_a_restart_from_the_compacted_recording_has_the_same_state(
    servers: list[AwsServer], recording: Path, caplog: pytest.LogCaptureFixture
) -> None:
    first = start(servers, recording)
    make_history(first)
    history = recording.stat().st_size
    first.stop()  # compacts
    compacted = recording.read_text().splitlines()
    assert json.loads(compacted[0]) == {"compacted": len(compacted) - 1}
    # a fresh server from the whole history gives the state to compare with
    # (reading the first server's state would receive, and so hide, its messages)
    second = start(servers, recording)
    expected = state(second)
    second.stop()
    assert recording.stat().st_size < history
    caplog.clear()
    third = start(servers, recording)
    assert [r.message for r in caplog.records if "replay of" in r.message] == []
    assert state(third) == expected
    assert expected["tables"][f"{PREFIX}customers"]["items"]  # something was compared
    assert len(expected["queues"][f"{PREFIX}reward-email"]["messages"]) == 31
    assert expected["sent"] == 1


def test_the_compacted_recording_is_much_smaller_than_the_history(
    servers: list[AwsServer], recording: Path
) -> None:
    first = start(servers, recording)
    make_history(first)
    ddb = client(first, "dynamodb")
    table = f"{PREFIX}customers"
    keys = ddb.describe_table(TableName=table)["Table"]["KeySchema"]
    key = {k["AttributeName"]: {"S": "one"} for k in keys}
    for n in range(1000):  # one item, written over and over
        ddb.put_item(TableName=table, Item={**key, "n": {"N": str(n)}})
    history = recording.stat().st_size
    first.stop()
    assert recording.stat().st_size * 10 < history
    second = start(servers, recording)
    assert client(second, "dynamodb").get_item(TableName=table, Key=key)["Item"]["n"] == {
        "N": "999"
    }


class Crash(Exception):
    pass


def crash() -> None:
    raise Crash


def test_a_crash_between_writing_and_renaming_leaves_the_old_recording_whole(
    servers: list[AwsServer], recording: Path
) -> None:
    first = start(servers, recording)
    make_history(first)
    before = recording.read_bytes()
    first.app.recorder.before_replace = crash
    with first.app.lock, pytest.raises(Crash):
        first.app.recorder.compact()
    assert recording.read_bytes() == before
    assert list(recording.parent.iterdir()) == [recording]  # no half-written file left
    # The recording goes on: a call after the failed compaction is kept too.
    url = queue_url(first, "reward-email")
    client(first, "sqs").send_message(QueueUrl=url, MessageBody="after the crash")
    first.stop()  # compacting at shutdown crashes too, and is logged
    assert recording.read_bytes().startswith(before)

    second = start(servers, recording)
    expected = state(second)  # replayed from the whole history
    assert ("after the crash", "null") in expected["queues"][f"{PREFIX}reward-email"]["messages"]


def test_the_recording_is_compacted_when_it_grows_past_the_threshold(
    servers: list[AwsServer], recording: Path
) -> None:
    threshold = 50_000
    first = start(servers, recording, compact_bytes=threshold)
    make_history(first)
    ddb = client(first, "dynamodb")
    table = f"{PREFIX}customers"
    keys = ddb.describe_table(TableName=table)["Table"]["KeySchema"]
    key = {k["AttributeName"]: {"S": "one"} for k in keys}
    largest = 0
    for n in range(600):
        ddb.put_item(TableName=table, Item={**key, "n": {"N": str(n)}})
        largest = max(largest, recording.stat().st_size)
    state_size = len(recording.read_text().splitlines())
    assert "compacted" in json.loads(recording.read_text().splitlines()[0])
    # Never more than twice the state or the threshold, plus the call that crossed it.
    assert largest < 2 * max(threshold, recording.stat().st_size) + 5_000, state_size
    first.server.shutdown()  # no compaction at shutdown: a crash, as far as the file knows
    first.server.server_close()
    second = start(servers, recording)
    assert client(second, "dynamodb").get_item(TableName=table, Key=key)["Item"]["n"] == {
        "N": "599"
    }


def test_messages_deleted_after_a_compaction_stay_deleted(
    servers: list[AwsServer], recording: Path
) -> None:
    first = start(servers, recording)
    sqs = client(first, "sqs")
    url = sqs.create_queue(QueueName="jobs")["QueueUrl"]
    for body in ("one", "two", "three"):
        sqs.send_message(QueueUrl=url, MessageBody=body)
    first.stop()  # compacted: the messages are re-sent by replay with new ids

    second = start(servers, recording)
    sqs = client(second, "sqs")
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=600)
    one = next(m for m in got["Messages"] if m["Body"] == "one")
    sqs.delete_message(QueueUrl=url, ReceiptHandle=one["ReceiptHandle"])
    with second.app.lock:
        assert second.app.recorder.compact()
    two = next(m for m in got["Messages"] if m["Body"] == "two")
    sqs.delete_message(QueueUrl=url, ReceiptHandle=two["ReceiptHandle"])
    second.stop()

    third = start(servers, recording)
    got = client(third, "sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10)
    assert [m["Body"] for m in got["Messages"]] == ["three"]


def test_calls_of_services_it_cannot_rebuild_are_kept_as_recorded(
    servers: list[AwsServer], recording: Path
) -> None:
    first = start(servers, recording)
    ssm = client(first, "ssm")
    ssm.put_parameter(Name="/rewards/jwt", Value="one", Type="SecureString")
    ssm.put_parameter(Name="/rewards/jwt", Value="two", Type="SecureString", Overwrite=True)
    first.stop()
    second = start(servers, recording)
    found = client(second, "ssm").get_parameter(Name="/rewards/jwt", WithDecryption=True)
    assert found["Parameter"]["Value"] == "two"


def test_a_restart_from_a_compacted_recording_does_not_compact_it_again(
    servers: list[AwsServer], recording: Path
) -> None:
    first = start(servers, recording)
    make_history(first)
    first.stop()
    compacted = recording.read_bytes()
    # A threshold below the state's size: only growth past twice the state compacts again.
    second = start(servers, recording, compact_bytes=len(compacted) // 2)
    client(second, "sqs").send_message(QueueUrl=queue_url(second, "reward-email"), MessageBody="x")
    assert recording.read_bytes().startswith(compacted)
    second.stop()
    assert not recording.read_bytes().startswith(compacted)  # compacted at the stop
