"""The local worker: SQS batches and schedules reach the handlers as Lambda would deliver them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from chalice import Chalice, Cron, Rate
from moto import mock_aws

from local.worker import CronSpec, Worker

START = 1_700_000_000.0  # a fixed "now" for the schedule clock


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


class Behaviour:
    """What the test app's SQS handler does with a batch."""

    def __init__(self) -> None:
        self.mode = "ok"
        self.events: list[dict[str, Any]] = []
        self.ticks: list[dict[str, Any]] = []


def make_app(behaviour: Behaviour) -> Chalice:
    app = Chalice(app_name="worker-test")

    @app.on_sqs_message(queue="jobs", batch_size=5)
    def consume(event: Any) -> Any:
        behaviour.events.append(event.to_dict())
        if behaviour.mode == "raise":
            raise RuntimeError("boom")
        if behaviour.mode == "report":
            failures = [
                {"itemIdentifier": record["messageId"]}
                for record in event.to_dict()["Records"]
                if record["body"] == "bad"
            ]
            return {"batchItemFailures": failures}
        return None

    @app.schedule(Rate(1, unit=Rate.MINUTES))
    def tick(event: Any) -> None:
        behaviour.ticks.append(event.to_dict())

    return app


@pytest.fixture
def sqs() -> Iterator[Any]:
    with mock_aws():
        yield boto3.client("sqs", region_name="us-east-1")


@pytest.fixture
def queue_url(sqs: Any) -> str:
    # Visibility 0: what a handler leaves on the queue is visible again at once.
    return sqs.create_queue(QueueName="jobs", Attributes={"VisibilityTimeout": "0"})["QueueUrl"]


def send(sqs: Any, url: str, *bodies: str) -> None:
    for body in bodies:
        sqs.send_message(
            QueueUrl=url,
            MessageBody=body,
            MessageAttributes={"kind": {"DataType": "String", "StringValue": "reward"}},
        )


def bodies_left(sqs: Any, url: str) -> list[str]:
    found = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    return sorted(m["Body"] for m in found)


def test_messages_reach_the_handler_as_a_lambda_event_and_are_deleted(
    sqs: Any, queue_url: str
) -> None:
    behaviour = Behaviour()
    worker = Worker(make_app(behaviour), sqs=sqs, clock=Clock())
    send(sqs, queue_url, "one", "two", "three")

    assert worker.run_once() == 3

    [event] = behaviour.events
    records = event["Records"]
    assert sorted(r["body"] for r in records) == ["one", "three", "two"]
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])
    record = records[0]
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == arn["Attributes"]["QueueArn"]
    assert record["awsRegion"] == "us-east-1"
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert record["messageAttributes"]["kind"]["stringValue"] == "reward"
    assert record["messageAttributes"]["kind"]["dataType"] == "String"
    assert {"messageId", "receiptHandle", "md5OfBody"} <= set(record)
    assert bodies_left(sqs, queue_url) == []


def test_reported_batch_failures_stay_on_the_queue(sqs: Any, queue_url: str) -> None:
    behaviour = Behaviour()
    behaviour.mode = "report"
    worker = Worker(make_app(behaviour), sqs=sqs, clock=Clock())
    send(sqs, queue_url, "good", "bad")

    worker.run_once()

    assert bodies_left(sqs, queue_url) == ["bad"]


def test_a_raising_handler_deletes_nothing(sqs: Any, queue_url: str) -> None:
    behaviour = Behaviour()
    behaviour.mode = "raise"
    worker = Worker(make_app(behaviour), sqs=sqs, clock=Clock())
    send(sqs, queue_url, "one", "two")

    assert worker.run_once() == 2  # logged, not raised
    worker.run_once()

    second = behaviour.events[1]["Records"]
    assert {r["attributes"]["ApproximateReceiveCount"] for r in second} == {"2"}
    assert bodies_left(sqs, queue_url) == ["one", "two"]


def test_a_missing_queue_is_retried_on_the_next_round(sqs: Any) -> None:
    behaviour = Behaviour()
    worker = Worker(make_app(behaviour), sqs=sqs, clock=Clock())
    assert worker.run_once() == 0

    url = sqs.create_queue(QueueName="jobs")["QueueUrl"]
    send(sqs, url, "late")
    assert worker.run_once() == 1


def test_rate_schedule_fires_every_interval(sqs: Any, queue_url: str) -> None:
    behaviour = Behaviour()
    clock = Clock()
    worker = Worker(make_app(behaviour), sqs=sqs, clock=clock)

    worker.run_once()
    assert behaviour.ticks == []  # EventBridge first fires one interval after creation
    clock.now = START + 60
    worker.run_once()
    worker.run_once()
    assert len(behaviour.ticks) == 1
    clock.now = START + 120
    worker.run_once()
    assert len(behaviour.ticks) == 2

    event = behaviour.ticks[0]
    assert event["detail-type"] == "Scheduled Event"
    assert event["source"] == "aws.events"
    assert event["resources"] == ["arn:aws:events:us-east-1:123456789012:rule/tick"]


def test_schedule_scale_speeds_schedules_up(
    sqs: Any, queue_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REWARDS_SCHEDULE_SCALE", "0.1")
    behaviour = Behaviour()
    clock = Clock()
    worker = Worker(make_app(behaviour), sqs=sqs, clock=clock)
    clock.now = START + 6
    worker.run_once()
    assert len(behaviour.ticks) == 1


def test_a_failing_schedule_does_not_stop_the_worker(sqs: Any, queue_url: str) -> None:
    app = Chalice(app_name="failing")
    calls: list[str] = []

    @app.schedule("rate(1 minute)")
    def broken(event: Any) -> None:
        calls.append("broken")
        raise RuntimeError("boom")

    @app.schedule(Rate(1, unit=Rate.MINUTES))
    def fine(event: Any) -> None:
        calls.append("fine")

    clock = Clock()
    worker = Worker(app, sqs=sqs, clock=clock)
    clock.now = START + 60
    worker.run_once()
    assert calls == ["broken", "fine"]


def test_cron_schedules_fire_on_matching_minutes(sqs: Any, queue_url: str) -> None:
    app = Chalice(app_name="cron")
    calls: list[str] = []

    @app.schedule(Cron("0/15", "*", "?", "*", "MON-FRI", "*"))
    def quarterly(event: Any) -> None:
        calls.append(event.to_dict()["time"])

    @app.schedule("cron(0 12 L * ? *)")  # "last day of month": skipped locally
    def monthly(event: Any) -> None:
        calls.append("monthly")

    monday_0815 = datetime(2024, 1, 8, 8, 15, 5, tzinfo=UTC).timestamp()
    clock = Clock()
    worker = Worker(app, sqs=sqs, clock=clock)
    assert [s.name for s in worker.schedules] == ["quarterly"]
    for now in (monday_0815, monday_0815 + 30, monday_0815 + 60):
        clock.now = now
        worker.run_once()
    assert calls == ["2024-01-08T08:15:05Z"]


def test_cron_spec_matches_eventbridge_fields() -> None:
    spec = CronSpec.parse("30 9 ? JAN-MAR SUN,SAT 2024")
    assert spec.matches(datetime(2024, 2, 3, 9, 30, tzinfo=UTC))  # a Saturday
    assert not spec.matches(datetime(2024, 2, 5, 9, 30, tzinfo=UTC))  # a Monday
    assert not spec.matches(datetime(2024, 4, 6, 9, 30, tzinfo=UTC))  # April
    with pytest.raises(ValueError):
        CronSpec.parse("0 12 * *")
