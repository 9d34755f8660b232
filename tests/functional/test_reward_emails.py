"""The reward email pipeline: outbox → SQS → consumer → SES (moto), and its delivery status.

SES failures are injected from outside the code under test: a botocore event hook on the
process's SES client refuses chosen recipients, or moto itself refuses a sender that SES has not
verified.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from chalicelib import aws
from chalicelib.domain.access import stores
from chalicelib.domain.rewards import deliveries
from chalicelib.domain.rewards.deliveries import (
    MAX_RECEIVES,
    SENDING_LEASE,
    EmailOutcome,
    RetryLaterError,
)
from chalicelib.domain.rewards.links import reward_url
from chalicelib.jobs import reward_emails
from chalicelib.storage.rewards import (
    CANCELLED,
    EMAIL_FAILED,
    EMAIL_QUEUED,
    EMAIL_SENDING,
    EMAIL_SENT,
    RewardModel,
)
from local.worker import Worker
from tests.fixtures.clients import STORE
from tests.fixtures.emails import (
    MARKDOWN_TRANSLATIONS,
    consume,
    issue,
    queue_url,
    receive,
    refuse_recipients,
    reload,
    sent_emails,
    statuses,
)
from tests.fixtures.factories import make_campaign

REPO = Path(__file__).resolve().parents[2]


# -- the batch ------------------------------------------------------------------------------
def test_one_ses_failure_in_a_batch_of_ten_fails_only_that_message(store: str) -> None:
    rewards = issue(10)
    messages = receive(10)
    assert len(messages) == 10
    failing = rewards[3]
    stop_refusing = refuse_recipients(failing.email)

    failed = consume(messages)

    by_reward = {json.loads(m["Body"])["rewardId"]: m["MessageId"] for m in messages}
    assert failed == [by_reward[failing.reward_id]]
    emails = sent_emails()
    assert len(emails) == 9
    assert failing.email not in {e.destinations["ToAddresses"][0] for e in emails}
    refused = reload(failing)
    assert refused.email_status == EMAIL_QUEUED
    assert refused.email_error == "Throttling: Maximum sending rate exceeded."
    assert [(e.status, e.detail) for e in refused.email_history] == [
        (EMAIL_SENDING, "attempt 1"),
        (EMAIL_QUEUED, "Throttling: Maximum sending rate exceeded."),
    ]
    sent = reload(rewards[0])
    assert sent.email_status == EMAIL_SENT
    assert sent.email_message_id in {e.id for e in emails}

    # SQS delivers the whole batch again (say the function timed out): only the failed one goes.
    stop_refusing()
    assert consume(messages) == []

    emails = sent_emails()
    assert len(emails) == 10
    assert emails[-1].destinations["ToAddresses"] == [failing.email]
    again = reload(failing)
    assert (again.email_status, again.email_attempts, again.email_error) == (EMAIL_SENT, 2, None)
    assert {reload(r).email_attempts for r in rewards if r is not failing} == {1}


def test_the_same_message_delivered_twice_sends_one_email(store: str) -> None:
    [reward] = issue(1)
    [message] = receive(1)

    assert consume([message]) == []
    assert consume([message]) == []
    assert consume([message, message]) == []

    assert len(sent_emails()) == 1
    assert statuses(reward) == [EMAIL_SENDING, EMAIL_SENT]


def test_the_worker_feeds_the_queue_to_the_consumer_and_deletes_what_was_sent(
    store: str,
) -> None:
    from app import app

    rewards = issue(3)
    worker = Worker(app, sqs=aws.client("sqs"))

    assert worker.run_once() == 3

    assert len(sent_emails()) == 3
    assert {reload(r).email_status for r in rewards} == {EMAIL_SENT}
    assert receive(10) == []  # deleted, not merely hidden: nothing comes back


# -- retries and the dead-letter queue --------------------------------------------------------
def test_after_the_last_receive_the_reward_is_failed_and_the_message_dead_lettered(
    store: str,
) -> None:
    from app import app

    # moto's SES refuses a sender it has not verified, as SES does.
    stores.create_store("UNVERIFIED", email_sender="gifts@unverified.test")
    [reward] = issue(1, make_campaign("UNVERIFIED"))
    sqs = aws.client("sqs")
    sqs.set_queue_attributes(QueueUrl=queue_url(), Attributes={"VisibilityTimeout": "0"})
    worker = Worker(app, sqs=sqs)

    received = [worker.run_once() for _ in range(MAX_RECEIVES + 1)]

    assert received == [1] * MAX_RECEIVES + [0]  # the sixth receive moved it to the DLQ
    dead = sqs.receive_message(QueueUrl=queue_url("reward-email-dlq"))["Messages"]
    assert json.loads(dead[0]["Body"])["rewardId"] == reward.reward_id
    failed = reload(reward)
    reason = "MessageRejected: Email address not verified UNVERIFIED <gifts@unverified.test>"
    assert failed.email_status == EMAIL_FAILED
    assert failed.email_error == reason
    assert failed.email_attempts == MAX_RECEIVES
    assert statuses(reward) == [EMAIL_SENDING, EMAIL_QUEUED] * (MAX_RECEIVES - 1) + [
        EMAIL_SENDING,
        EMAIL_FAILED,
    ]
    assert failed.email_history[-1].detail == reason
    assert sent_emails() == []


def test_a_store_sender_that_ses_verified_sends_from_the_store(store: str) -> None:
    stores.create_store("SHOP", name="Shop & Co", email_sender="gifts@shop.test")
    aws.client("ses").verify_domain_identity(Domain="shop.test")
    [reward] = issue(1, make_campaign("SHOP"))

    assert consume(receive(1)) == []

    [email] = sent_emails()
    assert email.source == "Shop & Co <gifts@shop.test>"
    assert reload(reward).email_status == EMAIL_SENT


def test_a_consumer_that_crashed_while_sending_is_taken_over_after_the_lease(
    store: str,
) -> None:
    [reward] = issue(1, enqueue=False)
    # The process dies inside the SES call: not an SES answer, so nothing is written back.
    events = aws.client("ses").meta.events

    def crash(**_: Any) -> None:
        raise SystemError("the Lambda sandbox died")

    events.register("before-parameter-build.ses.SendEmail", crash)
    started = datetime.now(UTC)
    with pytest.raises(SystemError):
        deliveries.deliver(STORE, reward.reward_id, now=started)
    events.unregister("before-parameter-build.ses.SendEmail", crash)
    assert reload(reward).email_status == EMAIL_SENDING

    # Redelivered while the lease runs: nobody knows the first consumer is dead; look later.
    with pytest.raises(RetryLaterError):
        deliveries.deliver(STORE, reward.reward_id, 2, now=started + SENDING_LEASE / 2)
    assert sent_emails() == []

    outcome = deliveries.deliver(STORE, reward.reward_id, 3, now=started + SENDING_LEASE)

    assert outcome is EmailOutcome.SENT
    assert len(sent_emails()) == 1
    taken_over = reload(reward)
    assert (taken_over.email_status, taken_over.email_attempts) == (EMAIL_SENT, 2)


def test_the_lease_outlives_the_function_and_ends_before_the_redelivery() -> None:
    template = json.loads((REPO / "infra" / "resources.json").read_text())
    queue = template["Resources"]["RewardEmailQueue"]["Properties"]
    config = json.loads((REPO / ".chalice" / "config.json").read_text())

    assert queue["RedrivePolicy"]["maxReceiveCount"] == MAX_RECEIVES
    function_timeout = timedelta(seconds=config["lambda_timeout"])
    redelivery = timedelta(seconds=queue["VisibilityTimeout"])
    assert function_timeout < SENDING_LEASE < redelivery


# -- what is not sent -----------------------------------------------------------------------
def test_an_unreadable_message_is_reported_failed_and_the_rest_go(store: str) -> None:
    issue(1)
    [good] = receive(1)
    bad = {**good, "MessageId": "bad-1", "Body": "not json"}

    assert consume([bad, good]) == ["bad-1"]
    assert len(sent_emails()) == 1


def test_a_message_for_a_reward_that_does_not_exist_is_dropped(store: str) -> None:
    [reward] = issue(1)
    [message] = receive(1)
    reward.delete()

    assert consume([message]) == []
    assert sent_emails() == []


def test_a_cancelled_reward_is_not_sent_and_says_why(store: str) -> None:
    [reward] = issue(1)
    reward.update(actions=[RewardModel.status.set(CANCELLED)])

    assert consume(receive(1)) == []

    assert sent_emails() == []
    cancelled = reload(reward)
    assert cancelled.email_status == EMAIL_FAILED
    assert cancelled.email_history[-1].detail == "The reward was cancelled."


def test_a_campaign_template_the_sandbox_refuses_fails_the_email_for_good(store: str) -> None:
    campaign = make_campaign(
        codes=["X1"], email_body="{{ ''.__class__.__mro__[1].__subclasses__() }}"
    )
    [reward] = issue(1, campaign)

    assert consume(receive(1)) == []  # rendering again would fail again: no retry

    assert sent_emails() == []
    failed = reload(reward)
    assert failed.email_status == EMAIL_FAILED
    assert failed.email_error.startswith("The email could not be rendered: SecurityError")


# -- the email ------------------------------------------------------------------------------
def test_the_email_has_html_and_text_with_the_coupon_and_the_link(
    sent_params: list[dict[str, Any]],
) -> None:
    [reward] = issue(
        1,
        firstname="<b>Ann</b>",
        message="Thanks for <script>alert(1)</script> everything",
        sender_name="Bob",
    )

    consume(receive(1))

    [params] = sent_params
    url = reward_url(stores.get_store(STORE), reward)
    html = params["Message"]["Body"]["Html"]["Data"]
    text = params["Message"]["Body"]["Text"]["Data"]
    assert params["Source"] == "DEFAULT <rewards@example.com>"
    assert params["Destination"] == {"ToAddresses": ["recipient0@example.com"]}
    assert params["Message"]["Subject"]["Data"] == "Bob sent you a reward: Welcome gift"
    for body in (html, text):
        assert "CODE-0000" in body
        assert url in body
        assert "Show the code at the till" in body
    assert f'href="{url}"' in html
    assert "&lt;b&gt;Ann&lt;/b&gt;" in html and "<b>Ann" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>" not in html
    assert "Hi <b>Ann</b>," in text  # plain text is not HTML: nothing to escape
    assert "Thanks for <script>alert(1)</script> everything\n-- Bob" in text


def test_markdown_descriptions_render_safely_in_the_html_part_and_stay_text_in_the_other(
    sent_params: list[dict[str, Any]],
) -> None:
    issue(1, make_campaign(codes=["MD-1"], translations=MARKDOWN_TRANSLATIONS))

    consume(receive(1))

    [params] = sent_params
    html = params["Message"]["Body"]["Html"]["Data"]
    text = params["Message"]["Body"]["Text"]["Data"]
    assert "<p><strong>Big</strong> day</p>" in html and "**" not in html
    assert "<h1>Steps</h1>" in html
    assert '<li>Show <a href="https://shop.example/use">the code</a></li>' in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>" not in html
    assert "[x](javascript:alert(1))" in html and 'href="javascript' not in html
    assert "**Big** day" in text and "# Steps" in text  # plain text keeps what was written


def test_a_campaign_overrides_subject_and_opening_and_the_coupon_still_follows(
    sent_params: list[dict[str, Any]],
) -> None:
    campaign = make_campaign(
        codes=["GIFT-1"],
        email_subject="{{ firstname }}, your\n{{ campaign_name }} is here",
        email_body="Dear {{ firstname }},\n\nEnjoy <b>{{ store_name }}</b>!",
    )
    issue(1, campaign, firstname="Zoë")

    consume(receive(1))

    [params] = sent_params
    html = params["Message"]["Body"]["Html"]["Data"]
    text = params["Message"]["Body"]["Text"]["Data"]
    assert params["Message"]["Subject"]["Data"] == "Zoë, your Welcome gift is here"
    assert '<p style="white-space:pre-line;">Enjoy &lt;b&gt;DEFAULT&lt;/b&gt;!</p>' in html
    assert "Dear Zoë,\n\nEnjoy <b>DEFAULT</b>!" in text
    assert "sent you a reward" not in text and "Hi " not in text and "Hi " not in html
    assert "GIFT-1" in html and "GIFT-1" in text


def test_a_developer_reads_the_sent_emails_from_the_embedded_aws(
    served_aws: dict[str, str],
) -> None:
    [reward] = issue(1, make_campaign("RACE", codes=["RACE-1"]), email="reader@example.com")
    assert consume(receive(1)) == []

    # The README's recipe: moto's data dump over HTTP, `ses` → `Message`.
    dump = requests.get(f"{served_aws['AWS_ENDPOINT_URL']}/moto-api/data.json", timeout=30)

    [email] = [
        message
        for message in dump.json()["ses"]["Message"]
        if message["destinations"]["ToAddresses"] == ["reader@example.com"]
    ]
    assert email["id"] == reload(reward).email_message_id
    assert email["subject"] == "RACE sent you a reward: Welcome gift"
    assert "RACE-1" in email["body"]  # moto keeps the HTML part


# -- logs -----------------------------------------------------------------------------------
def test_log_lines_carry_the_correlation_id_of_the_issuing_request(store: str) -> None:
    [reward] = issue(1, correlation_id="req-42")
    log = reward_emails.logger()
    lines: list[dict[str, Any]] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(json.loads(self.format(record)))

    collect = Collect()
    collect.setFormatter(log.registered_formatter)
    log.addHandler(collect)
    log.setLevel("INFO")
    try:
        consume(receive(1))
    finally:
        log.setLevel("WARNING")
        log.removeHandler(collect)

    [line] = [line for line in lines if line["message"] == "reward email"]
    assert line["correlation_id"] == "req-42"
    assert line["reward_id"] == reward.reward_id
    assert line["outcome"] == "sent"
