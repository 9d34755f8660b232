"""No reward stuck `queued`: a crash between writing rewards and queueing their emails, then the
outbox sweeper (`domain.rewards.owed_emails`) and the consumer, and exactly one email per reward.

The crash is injected from outside the code under test: a botocore hook on the process's SQS
client raises a `BaseException` on SendMessageBatch, as a killed process stops there; nothing in
the service catches it. Time is the `now` handed to the sweeper (past the grace period).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from chalicelib import aws
from chalicelib.config import get_settings
from chalicelib.domain.rewards import deliveries, owed_emails
from chalicelib.domain.rewards.owed_emails import SweepRun
from chalicelib.storage.rewards import (
    EMAIL_FAILED,
    EMAIL_QUEUED,
    EMAIL_SENDING,
    EMAIL_SENT,
    OWED_SHARDS,
    RewardModel,
)
from local.worker import Worker
from tests.fixtures.aws import AwsCalls
from tests.fixtures.clients import STORE, body_of
from tests.fixtures.emails import consume, receive, reload, sent_emails
from tests.fixtures.factories import make_campaign
from tests.fixtures.mokugift import ALICE, issue, person, post_many


class Crash(BaseException):
    """The process dying: not an `Exception`, so no handler of the service catches it."""


def crash(**_: Any) -> None:
    raise Crash()


def _on_send_message_batch(action: Callable[[], None]) -> Callable[[], None]:
    """Run `action` before every SendMessageBatch; returns the function that unhooks it."""

    def hook(**_: Any) -> None:
        action()

    events = aws.client("sqs").meta.events  # the process-wide client
    events.register("before-call.sqs.SendMessageBatch", hook)
    return lambda: events.unregister("before-call.sqs.SendMessageBatch", hook)


class Dying:
    """SendMessageBatch kills the process from call number `from_call` on, until `restart`."""

    def __init__(self) -> None:
        self.calls = 0
        self.from_call = 1
        self.alive = False

    def __call__(self) -> None:
        self.calls += 1
        if not self.alive and self.calls >= self.from_call:
            crash()

    def restart(self) -> None:
        self.alive = True


@pytest.fixture
def crash_on_send(store: str) -> Iterator[Dying]:
    """The rewards are written, their messages (from `from_call` on) never sent."""
    dying = Dying()
    unhook = _on_send_message_batch(dying)
    yield dying
    unhook()


def after_grace(times: int = 1) -> datetime:
    return datetime.now(UTC) + times * timedelta(
        seconds=get_settings().email_owed_grace_seconds + 1
    )


def owed() -> list[RewardModel]:
    """Every reward in the outbox, by a Query on each shard of the index."""
    return [
        reward
        for shard in range(OWED_SHARDS)
        for reward in RewardModel.by_email_owed.query(str(shard))
    ]


def consume_all() -> int:
    """Hand every visible message to the consumer; returns how many there were."""
    messages = receive(100)
    if messages:
        assert consume(messages) == []
    return len(messages)


def lose_messages() -> None:
    sqs, url = aws.client("sqs"), aws.queue_url("reward-email")
    for message in receive(100):
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def reload_id(reward_id: str) -> RewardModel:
    return RewardModel.get(STORE, reward_id, consistent_read=True)


def emails_per_recipient() -> Counter[str]:
    return Counter(email.destinations["ToAddresses"][0] for email in sent_emails())


# -- a crash between the write and the send --------------------------------------------------
def test_a_bulk_call_killed_while_queueing_emails_each_reward_once_after_the_sweep(
    client: Any, crash_on_send: Dying
) -> None:
    crash_on_send.from_call = 2  # the first ten messages go out, then the process dies
    campaign = make_campaign()
    recipients = [person(n) for n in range(25)]

    with pytest.raises(Crash):
        post_many(client, campaign, "multi_rewards", recipients)
    crash_on_send.restart()

    written = list(RewardModel.by_campaign.query(f"{STORE}#{campaign.campaign_id}"))
    assert len(written) == 25
    assert {r.email_status for r in written} == {EMAIL_QUEUED}
    assert consume_all() == 10
    assert len(owed()) == 15  # taken by the consumer: out of the outbox
    assert owed_emails.sweep() == SweepRun(0, 0, 0, 0)  # within the grace period

    run = owed_emails.sweep(after_grace())

    assert run == SweepRun(requeued=15, failed=0, skipped=0, refused=0)
    assert consume_all() == 15
    assert emails_per_recipient() == Counter(r["email"] for r in recipients)
    assert {reload(r).email_status for r in written} == {EMAIL_SENT}
    assert owed() == []
    assert owed_emails.sweep(after_grace(2)) == SweepRun(0, 0, 0, 0)


def test_a_single_reward_killed_before_its_message_is_emailed_once_after_the_sweep(
    client: Any, crash_on_send: Dying
) -> None:
    with pytest.raises(Crash):
        issue(client, make_campaign(), ALICE)
    crash_on_send.restart()

    [reward] = owed()
    assert receive(10) == []

    assert owed_emails.sweep(after_grace()).requeued == 1
    assert consume_all() == 1

    assert emails_per_recipient() == Counter({ALICE["email"]: 1})
    assert reload(reward).email_status == EMAIL_SENT


def test_a_message_merely_slow_is_sent_again_and_still_emailed_once(client: Any) -> None:
    response = post_many(client, make_campaign(), "multi_rewards", [person(n) for n in range(3)])
    assert response.status_code == 200, response.body
    # The consumer is behind: the messages wait in the queue past the grace period.

    assert owed_emails.sweep(after_grace()).requeued == 3
    assert consume_all() == 6

    assert emails_per_recipient() == Counter(person(n)["email"] for n in range(3))
    assert owed() == []


def test_a_reward_the_consumer_took_is_not_queued_again(client: Any) -> None:
    body = body_of(issue(client, make_campaign(), ALICE))
    assert consume_all() == 1
    assert reload_id(body["rewardId"]).email_status == EMAIL_SENT

    assert owed() == []
    assert owed_emails.sweep(after_grace()) == SweepRun(0, 0, 0, 0)
    assert receive(10) == []
    assert len(sent_emails()) == 1


def test_a_consumer_that_took_the_reward_and_died_leaves_it_to_sqs(client: Any) -> None:
    body = body_of(issue(client, make_campaign(), ALICE))
    events = aws.client("ses").meta.events
    events.register("before-call.ses.SendEmail", crash)
    try:
        with pytest.raises(Crash):
            consume_all()
    finally:
        events.unregister("before-call.ses.SendEmail", crash)
    # Taken (sending), the consumer died: SQS delivers the message again, the lease decides.
    assert reload_id(body["rewardId"]).email_status == EMAIL_SENDING

    assert owed() == []
    assert owed_emails.sweep(after_grace()) == SweepRun(0, 0, 0, 0)


def test_a_resend_killed_before_its_message_is_emailed_after_the_sweep(
    client: Any, store: str
) -> None:
    body = body_of(issue(client, make_campaign(), ALICE))
    assert consume_all() == 1
    unhook = _on_send_message_batch(crash)
    try:
        with pytest.raises(Crash):
            deliveries.resend(STORE, body["rewardId"], None)
    finally:
        unhook()
    assert reload_id(body["rewardId"]).email_status == EMAIL_QUEUED

    assert owed_emails.sweep(after_grace()).requeued == 1
    assert consume_all() == 1

    assert emails_per_recipient() == Counter({ALICE["email"]: 2})  # the first, and the resend


def test_messages_sqs_refuses_are_tried_again_by_the_next_sweep(client: Any) -> None:
    def refuse() -> None:
        raise ClientError({"Error": {"Code": "ThrottlingException"}}, "SendMessageBatch")

    unhook = _on_send_message_batch(refuse)
    try:
        body = body_of(issue(client, make_campaign(), ALICE))  # answered, message refused
        assert body["emailStatus"] == EMAIL_QUEUED
        assert owed_emails.sweep(after_grace()) == SweepRun(0, 0, 0, refused=1)
    finally:
        unhook()

    assert owed_emails.sweep(after_grace(2)).requeued == 1
    assert consume_all() == 1
    assert len(sent_emails()) == 1


# -- the bound -------------------------------------------------------------------------------
def test_after_the_last_sweep_the_reward_is_failed_with_the_reason_and_leaves_the_outbox(
    client: Any,
) -> None:
    body = body_of(issue(client, make_campaign(), ALICE))
    bound = get_settings().email_owed_max_sweeps

    for sweep in range(1, bound + 1):
        lose_messages()  # every message lost before a consumer took the reward
        assert owed_emails.sweep(after_grace(sweep)).requeued == 1
        assert reload_id(body["rewardId"]).email_owed_sweeps == sweep

    assert owed_emails.sweep(after_grace(bound + 1)) == SweepRun(0, 1, 0, 0)

    reward = reload_id(body["rewardId"])
    assert reward.email_status == EMAIL_FAILED
    assert reward.email_error == (
        f"The email was queued {bound + 1} times and no message reached the consumer."
    )
    assert [e.status for e in reward.email_history] == [EMAIL_QUEUED] * bound + [EMAIL_FAILED]
    assert owed() == []
    assert owed_emails.sweep(after_grace(bound + 2)) == SweepRun(0, 0, 0, 0)


# -- how it reads ----------------------------------------------------------------------------
def test_the_sweeper_queries_the_index_and_never_scans(aws_calls: AwsCalls, client: Any) -> None:
    post_many(client, make_campaign(), "multi_rewards", [person(n) for n in range(3)])
    aws_calls.reset()

    owed_emails.sweep(after_grace())

    assert aws_calls.count("Scan") == 0
    assert aws_calls.count("Query") == OWED_SHARDS
    assert aws_calls.count("UpdateItem") == 3
    assert aws_calls.count("SendMessageBatch", service="sqs") == 1


def test_the_local_worker_runs_the_sweeper_every_minute(
    client: Any, crash_on_send: Dying, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app import app

    with pytest.raises(Crash):
        issue(client, make_campaign(), ALICE)
    crash_on_send.restart()
    monkeypatch.setenv("REWARDS_EMAIL_OWED_GRACE_SECONDS", "0")
    get_settings.cache_clear()
    clock = [1_700_000_000.0]
    worker = Worker(app, sqs=aws.client("sqs"), clock=lambda: clock[0])
    [schedule] = [s for s in worker.schedules if s.name == "sweep_owed_emails"]
    assert (schedule.expression, schedule.interval) == ("rate(1 minute)", 60)

    worker.run_once()  # not a minute yet
    assert sent_emails() == []
    clock[0] += 60
    worker.run_once()  # the sweep queues the message
    worker.run_once()  # the consumer sends it

    assert emails_per_recipient() == Counter({ALICE["email"]: 1})
