"""The reward email queue's producer: ten per call, and a failed call spoils only its ten."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from chalicelib import aws
from chalicelib.mail import outbox
from chalicelib.storage.rewards import RewardModel
from tests.fixtures.clients import STORE


def _rewards(count: int) -> list[RewardModel]:
    return [RewardModel(STORE, f"reward-{n:02}") for n in range(count)]


def _queued() -> list[str]:
    sqs, url = aws.client("sqs"), aws.queue_url(outbox.QUEUE)
    ids = []
    while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
        for message in batch:
            ids.append(json.loads(message["Body"])["rewardId"])
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return sorted(ids)


def test_messages_go_ten_per_call(aws_calls: Any, store: str) -> None:
    outbox.enqueue(_rewards(25), correlation_id="c-1")

    assert aws_calls.count("SendMessageBatch", service="sqs") == 3
    assert _queued() == [f"reward-{n:02}" for n in range(25)]


def test_a_call_that_raises_fails_its_ten_and_the_rest_still_go(store: str) -> None:
    calls = []

    def throttle_first(**_: Any) -> None:
        calls.append(1)
        if len(calls) == 1:
            raise ClientError({"Error": {"Code": "ThrottlingException"}}, "SendMessageBatch")

    events = aws.client("sqs").meta.events  # the process-wide client: unhook it after
    events.register("before-call.sqs.SendMessageBatch", throttle_first)
    try:
        with pytest.raises(outbox.EnqueueError) as raised:
            outbox.enqueue(_rewards(15))
    finally:
        events.unregister("before-call.sqs.SendMessageBatch", throttle_first)

    assert raised.value.reward_ids == [f"reward-{n:02}" for n in range(10)]
    assert _queued() == [f"reward-{n:02}" for n in range(10, 15)]
