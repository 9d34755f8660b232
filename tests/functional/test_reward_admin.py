"""A store's view of one reward with its delivery history, and resending its email."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from chalicelib.domain.access.auth import Role
from chalicelib.domain.rewards.deliveries import SENDING_LEASE
from chalicelib.domain.rewards.links import reward_token
from chalicelib.storage.rewards import (
    CANCELLED,
    EMAIL_QUEUED,
    EMAIL_SENDING,
    EMAIL_SENT,
    DeliveryEvent,
    RewardModel,
)
from tests.fixtures.clients import OTHER_API_KEY, STORE, bearer, body_of, jwt_headers, token_for
from tests.fixtures.emails import consume, issue, receive, reload, sent_emails


def path(reward: RewardModel, store_code: str = STORE) -> str:
    return f"/api/{store_code}/rewards/{reward.reward_id}"


def resend(client: Any, reward: RewardModel, body: Any = None, **headers: str) -> Any:
    return client.post(
        f"{path(reward)}/resend",
        headers={**bearer(), **headers},
        body="" if body is None else json.dumps(body),
    )


def test_a_sent_reward_shows_its_delivery_history(client: Any) -> None:
    [reward] = issue(1, message="Enjoy", sender_name="Bob")
    consume(receive(1))
    [email] = sent_emails()

    response = client.get(path(reward), headers=bearer())

    assert response.status_code == 200
    body = body_of(response)
    assert body["rewardId"] == reward.reward_id
    assert body["couponCode"] == "CODE-0000"
    assert body["url"] == f"https://rewards.test/r/{reward_token(reward)}"
    assert (body["email"], body["firstName"], body["lastName"]) == (
        "recipient0@example.com",
        "Ann0",
        "Smith",
    )
    assert body["customerId"] == reward.customer_id
    assert body["emailStatus"] == EMAIL_SENT
    assert body["emailMessageId"] == email.id
    assert body["emailError"] is None
    assert body["attempts"] == 1
    assert [(event["status"], event["detail"]) for event in body["history"]] == [
        (EMAIL_SENDING, "attempt 1"),
        (EMAIL_SENT, email.id),
    ]
    assert all(event["at"].endswith("Z") for event in body["history"])


def test_an_admin_may_look_too_and_another_store_may_not(client: Any) -> None:
    [reward] = issue(1)
    admin = jwt_headers(token_for(Role.ADMIN))

    assert client.get(path(reward), headers=admin).status_code == 200
    other = client.get(path(reward, "OTHER"), headers=bearer(OTHER_API_KEY))
    assert other.status_code == 404
    assert body_of(other)["code"] == "reward_not_found"
    assert client.get(path(reward, "OTHER"), headers=bearer()).status_code == 403
    assert client.get(path(reward)).status_code == 401


def test_resend_queues_the_email_again_and_the_consumer_sends_it(client: Any) -> None:
    [reward] = issue(1)
    consume(receive(1))

    response = resend(client, reward)

    assert response.status_code == 202
    body = body_of(response)
    assert body["emailStatus"] == EMAIL_QUEUED
    assert body["emailMessageId"] is None
    assert body["history"][-1]["status"] == EMAIL_QUEUED
    assert body["history"][-1]["detail"] == "resend"
    [message] = receive(1)
    assert json.loads(message["Body"])["rewardId"] == reward.reward_id
    assert consume([message]) == []
    assert len(sent_emails()) == 2
    assert reload(reward).email_status == EMAIL_SENT


def test_resend_to_a_corrected_address_records_the_change(client: Any) -> None:
    [reward] = issue(1, email="typo@exampel.com")
    consume(receive(1))

    response = resend(client, reward, {"email": " Right@Example.com "})

    assert response.status_code == 202
    body = body_of(response)
    assert body["email"] == "Right@example.com"
    assert body["history"][-1]["detail"] == "resend to Right@example.com (was typo@exampel.com)"
    consume(receive(1))
    assert sent_emails()[-1].destinations["ToAddresses"] == ["Right@example.com"]


def test_a_link_only_reward_can_be_sent_by_email(client: Any) -> None:
    [reward] = issue(1, enqueue=False, email_status=None)
    assert receive(1) == []

    assert resend(client, reward).status_code == 202

    consume(receive(1))
    assert sent_emails()[0].destinations["ToAddresses"] == ["recipient0@example.com"]


def test_resend_without_any_address_is_422_and_queues_nothing(client: Any) -> None:
    [reward] = issue(1, enqueue=False, email_status=None)
    reward.update(actions=[RewardModel.email.remove()])

    response = resend(client, reward, {})

    assert response.status_code == 422
    body = body_of(response)
    assert body["code"] == "reward_email_missing"
    assert list(body["errors"]) == ["email"]
    assert receive(1) == []
    assert reload(reward).email_status is None


def test_resend_refuses_a_bad_address_a_body_that_is_not_an_object(client: Any) -> None:
    [reward] = issue(1, enqueue=False)

    bad_email = resend(client, reward, {"email": "not-an-address"})
    not_object = resend(client, reward, ["x"])

    assert bad_email.status_code == 422
    assert body_of(bad_email)["errors"] == {"email": ["The email must be a valid email address."]}
    assert not_object.status_code == 422
    assert receive(1) == []


def taken_at(reward: RewardModel, moment: datetime) -> None:
    """As a consumer leaves the reward when it takes it at `moment`."""
    reward.update(
        actions=[
            RewardModel.email_status.set(EMAIL_SENDING),
            RewardModel.email_attempts.set(1),
            RewardModel.email_history.set(
                [DeliveryEvent(at=moment, status=EMAIL_SENDING, detail="attempt 1")]
            ),
        ]
    )


def test_resend_while_the_email_is_being_sent_is_a_conflict(client: Any) -> None:
    [reward] = issue(1, enqueue=False)
    taken_at(reward, datetime.now(UTC))

    response = resend(client, reward)

    assert response.status_code == 409
    assert body_of(response)["code"] == "reward_email_sending"
    assert receive(1) == []


def test_resend_rescues_a_reward_whose_consumer_died_while_sending(client: Any) -> None:
    [reward] = issue(1, enqueue=False)
    taken_at(reward, datetime.now(UTC) - SENDING_LEASE)

    response = resend(client, reward)

    assert response.status_code == 202
    assert body_of(response)["emailStatus"] == EMAIL_QUEUED
    assert consume(receive(1)) == []
    assert reload(reward).email_status == EMAIL_SENT


def test_resend_of_a_cancelled_reward_is_gone(client: Any) -> None:
    [reward] = issue(1, enqueue=False)
    reward.update(actions=[RewardModel.status.set(CANCELLED)])

    response = resend(client, reward)

    assert response.status_code == 410
    assert body_of(response)["code"] == "reward_cancelled"


def test_resend_of_another_stores_reward_is_not_found(client: Any) -> None:
    [reward] = issue(1, enqueue=False)

    response = client.post(
        f"/api/OTHER/rewards/{reward.reward_id}/resend", headers=bearer(OTHER_API_KEY), body=""
    )

    assert response.status_code == 404
    assert receive(1) == []
