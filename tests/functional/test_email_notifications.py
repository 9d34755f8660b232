"""SES's notifications of reward emails: each applied once to its reward, with its event."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib import aws
from chalicelib.domain.events import event_log
from chalicelib.domain.rewards import deliveries, email_notifications
from chalicelib.domain.rewards.email_notifications import Outcome
from chalicelib.domain.rewards.links import reward_token
from chalicelib.mail import outbox
from chalicelib.storage.rewards import EMAIL_FAILED, EMAIL_QUEUED, EMAIL_SENT, RewardModel
from local.ses_feedback import notifications
from local.worker import Worker
from tests.fixtures.aws import hooked_clients
from tests.fixtures.clients import STORE
from tests.fixtures.crashes import Crash
from tests.fixtures.emails import issue, queue_url, reload
from tests.fixtures.events import CrashOnWrite, sent_reward, ses_event, stored_events


def apply(body: str) -> Outcome:
    return email_notifications.apply(email_notifications.read(body))


def steps(reward: RewardModel) -> list[str]:
    return [step.status for step in reload(reward).email_history]


def test_a_notification_delivered_twice_is_recorded_once(store: str) -> None:
    reward = sent_reward()
    body = ses_event("Delivery", str(reward.email_message_id), smtpResponse="250 Ok")

    assert (apply(body), apply(body)) == (Outcome.RECORDED, Outcome.DUPLICATE)

    assert steps(reward)[-1:] == ["delivered"] and steps(reward).count("delivered") == 1
    [event] = stored_events(event_log.REWARD_DELIVERED)
    data = json.loads(event.data)
    assert (data["id"], data["emailStatus"], data["detail"]) == (reward.reward_id, "sent", "250 Ok")


def test_only_the_first_open_is_recorded(store: str) -> None:
    reward = sent_reward()
    message_id = str(reward.email_message_id)
    first = ses_event("Open", message_id, timestamp="2026-12-01T10:00:00Z")
    second = ses_event("Open", message_id, timestamp="2026-12-02T10:00:00Z")
    assert [apply(first), apply(second)] == [Outcome.RECORDED, Outcome.DUPLICATE]
    assert len(stored_events(event_log.REWARD_OPENED)) == 1


def test_a_permanent_bounce_fails_the_email_with_the_reason(store: str) -> None:
    reward = sent_reward()
    recipients = [{"emailAddress": reward.email, "diagnosticCode": "550 no such user"}]
    body = ses_event(
        "Bounce",
        str(reward.email_message_id),
        bounceType="Permanent",
        bounceSubType="General",
        bouncedRecipients=recipients,
    )
    assert apply(body) == Outcome.RECORDED
    bounced = reload(reward)
    assert (bounced.email_status, bounced.email_error) == (
        EMAIL_FAILED,
        "Bounce (Permanent, General): 550 no such user",
    )
    [event] = stored_events(event_log.REWARD_BOUNCED)
    assert json.loads(event.data)["emailStatus"] == EMAIL_FAILED


def test_a_transient_bounce_is_a_step_and_the_email_stays_sent(store: str) -> None:
    reward = sent_reward()
    body = ses_event("Bounce", str(reward.email_message_id), bounceType="Transient")
    assert apply(body) == Outcome.RECORDED
    assert (reload(reward).email_status, steps(reward)[-1]) == (EMAIL_SENT, "bounced")


def test_a_notification_of_an_email_before_a_resend_is_ignored(store: str) -> None:
    reward = sent_reward()
    old = str(reward.email_message_id)
    deliveries.resend(STORE, reward.reward_id, None)
    assert apply(ses_event("Delivery", old)) == Outcome.IGNORED
    assert stored_events(event_log.REWARD_DELIVERED) == []


@pytest.mark.parametrize(
    "body",
    [
        ses_event("Delivery", "not-an-email-of-ours"),
        json.dumps({"eventType": "Send", "mail": {"messageId": "m-1"}}),  # not a kind recorded
    ],
)
def test_other_notifications_are_done_with_and_write_nothing(store: str, body: str) -> None:
    assert apply(body) == Outcome.IGNORED
    assert stored_events() == []


@pytest.mark.parametrize("body", ["", "[]", '{"Type": "Notification", "Message": "{}"}', "{"])
def test_a_message_that_is_no_ses_event_is_unreadable(body: str) -> None:
    with pytest.raises(email_notifications.UnreadableNotificationError):
        email_notifications.read(body)


def test_a_crash_as_a_notification_is_recorded_leaves_neither_the_step_nor_the_event(
    store: str,
) -> None:
    reward = sent_reward()
    body = ses_event("Complaint", str(reward.email_message_id))
    before = steps(reward), len(stored_events())
    crash = CrashOnWrite("events")
    with hooked_clients(crash), pytest.raises(Crash):
        apply(body)
    assert "rewards" in crash.tables
    assert (steps(reward), len(stored_events())) == before
    assert apply(body) == Outcome.RECORDED  # SQS shows the message again: it goes through


def test_the_worker_feeds_the_notification_queue_to_its_consumer(store: str) -> None:
    from app import app

    reward = sent_reward()
    sqs = aws.client("sqs")
    url = queue_url("email-notification")
    for event in notifications(str(reward.email_message_id), "x@example.com", reward.created_at):
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps(event))  # SNS, raw delivery
    sqs.send_message(QueueUrl=url, MessageBody="not an SES event")

    assert Worker(app, sqs=sqs).run_once() == 2

    assert steps(reward)[-1] == "delivered"
    # The unreadable one alone stays queued (hidden), on its way to the dead-letter queue.
    counts = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert (
        counts["ApproximateNumberOfMessages"],
        counts["ApproximateNumberOfMessagesNotVisible"],
    ) == ("0", "1")


@pytest.mark.parametrize(
    ("recipient", "kinds"),
    [
        ("ann@example.com", ["Delivery"]),
        ("bounce@simulator.amazonses.com", ["Bounce"]),
        ("complaint+x@simulator.amazonses.com", ["Delivery", "Complaint"]),
    ],
)
def test_the_local_stand_in_reports_what_ses_would(recipient: str, kinds: list[str]) -> None:
    from datetime import UTC, datetime

    events = notifications("m-1", recipient, datetime.now(UTC))
    assert [e["eventType"] for e in events] == kinds


# -- the other lifecycle events: once, and a crash after the write -----------------------------
def test_only_the_first_opening_of_a_link_is_a_redemption(store: str) -> None:
    [reward] = issue(1, enqueue=False)
    deliveries.open_reward(reward_token(reward))
    deliveries.open_reward(reward_token(reward))
    [event] = stored_events(event_log.REWARD_REDEEMED)
    assert json.loads(event.data)["id"] == reward.reward_id


def test_a_crash_between_a_resend_and_its_message_leaves_it_owed_with_its_event(
    store: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The resend's write (status, outbox mark, `reward.resent`) commits; the process dies
    before SQS has the message: the event stands, and the sweeper owes the email."""
    reward = sent_reward()

    def die(*args: Any, **kwargs: Any) -> None:
        raise Crash("before SendMessageBatch")

    monkeypatch.setattr(outbox, "enqueue_owed", die)
    with pytest.raises(Crash):
        deliveries.resend(STORE, reward.reward_id, None)

    resent = reload(reward)
    assert (resent.email_status, resent.email_owed_shard is not None) == (EMAIL_QUEUED, True)
    assert len(stored_events(event_log.REWARD_RESENT)) == 1
