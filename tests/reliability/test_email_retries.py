"""Reward emails through the real queue when SES fails: retried, then dead-lettered, one email.

Completes tests/functional/test_reward_emails.py (one message delivered twice; one SES failure
in a batch; the dead-letter queue after SES refuses every time) with what it leaves out: the
reward's status read at every step, including while SES is being called, SES throttling that
clears, SES not answering at all, and two messages queued for one reward. The queue is moto's
with the redrive policy of infra/resources.json and no visibility timeout, so each receive is a
redelivery.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from chalicelib import aws
from chalicelib.domain.rewards.deliveries import MAX_RECEIVES
from chalicelib.mail import outbox
from chalicelib.storage.rewards import EMAIL_FAILED, EMAIL_QUEUED, EMAIL_SENDING, EMAIL_SENT
from local.worker import Worker
from tests.fixtures.emails import (
    DLQ,
    consume,
    issue,
    queue_url,
    receive,
    reload,
    sent_emails,
    statuses,
    waiting,
)

THROTTLED = "Throttling: Maximum sending rate exceeded."


class Ses:
    """A hook on the SES client: refuses the first `refusals` emails with `error`, and records
    the email status the reward had in the table at each call."""

    def __init__(self, refusals: int, error: Exception) -> None:
        self.refusals = refusals
        self.error = error
        self.seen: list[str] = []
        self.reward: Any = None

    def __call__(self, **_: Any) -> None:
        self.seen.append(reload(self.reward).email_status)
        if len(self.seen) <= self.refusals:
            raise self.error


@pytest.fixture
def ses(store: str) -> Iterator[Ses]:
    """SES throttling every email unless a test says otherwise."""
    error = ClientError(
        {"Error": {"Code": "Throttling", "Message": "Maximum sending rate exceeded."}}, "SendEmail"
    )
    hook = Ses(refusals=MAX_RECEIVES, error=error)
    events = aws.client("ses").meta.events
    events.register("before-parameter-build.ses.SendEmail", hook)
    try:
        yield hook
    finally:
        events.unregister("before-parameter-build.ses.SendEmail", hook)


def test_ses_throttling_is_retried_then_failed_and_dead_lettered_telling_each_step(
    ses: Ses, redelivered: None
) -> None:
    [reward] = issue(1)
    ses.reward = reward

    for receive_count in range(1, MAX_RECEIVES + 1):
        [message] = receive(1)
        assert message["Attributes"]["ApproximateReceiveCount"] == str(receive_count)

        assert consume([message]) == [message["MessageId"]]  # batchItemFailures: retry it

        stored = reload(reward)
        last = receive_count == MAX_RECEIVES
        assert stored.email_status == (EMAIL_FAILED if last else EMAIL_QUEUED)
        assert (stored.email_attempts, stored.email_error) == (receive_count, THROTTLED)
        assert (waiting(), waiting(DLQ)) == (1, 0)  # back in the queue, not dead yet

    # The next receive finds it past maxReceiveCount: SQS moves it to the dead-letter queue.
    assert receive(1) == []
    [dead] = aws.client("sqs").receive_message(QueueUrl=queue_url(DLQ))["Messages"]
    assert json.loads(dead["Body"])["rewardId"] == reward.reward_id
    assert (waiting(), reload(reward).email_status) == (0, EMAIL_FAILED)
    # Each call to SES found the reward taken (`sending`), never two at once; nothing went out.
    assert ses.seen == [EMAIL_SENDING] * MAX_RECEIVES
    assert statuses(reward) == [EMAIL_SENDING, EMAIL_QUEUED] * (MAX_RECEIVES - 1) + [
        EMAIL_SENDING,
        EMAIL_FAILED,
    ]
    assert sent_emails() == []


def test_throttling_that_clears_sends_one_email_and_the_message_is_deleted(
    ses: Ses, redelivered: None
) -> None:
    from app import app

    [reward] = issue(1)
    ses.reward, ses.refusals = reward, 2
    worker = Worker(app, sqs=aws.client("sqs"))

    assert [worker.run_once() for _ in range(4)] == [1, 1, 1, 0]

    assert len(sent_emails()) == 1
    sent = reload(reward)
    assert (sent.email_status, sent.email_attempts, sent.email_error) == (EMAIL_SENT, 3, None)
    assert sent.email_message_id == sent_emails()[0].id
    assert (waiting(), waiting(DLQ)) == (0, 0)


def test_ses_not_answering_is_retried_like_a_refusal(ses: Ses, redelivered: None) -> None:
    [reward] = issue(1)
    ses.reward, ses.refusals = reward, 1
    ses.error = EndpointConnectionError(endpoint_url="https://email.us-east-1.amazonaws.com/")

    [message] = receive(1)
    assert consume([message]) == [message["MessageId"]]

    refused = reload(reward)
    assert refused.email_status == EMAIL_QUEUED
    assert refused.email_error.startswith("EndpointConnectionError: Could not connect")

    [again] = receive(1)
    assert consume([again]) == []
    assert (reload(reward).email_status, len(sent_emails())) == (EMAIL_SENT, 1)


def test_two_messages_for_one_reward_send_one_email(ses: Ses) -> None:
    from app import app

    [reward] = issue(1)
    outbox.enqueue([reward])  # the producer's retry after a lost answer: a second message
    ses.reward, ses.refusals = reward, 0
    assert waiting() == 2

    assert Worker(app, sqs=aws.client("sqs")).run_once() == 2

    assert len(sent_emails()) == 1
    assert statuses(reward) == [EMAIL_SENDING, EMAIL_SENT]
    assert waiting() == 0  # the second message was handled (nothing to send) and deleted
