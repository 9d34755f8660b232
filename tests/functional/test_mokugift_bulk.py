"""Mokugift bulk issuing over HTTP: results per recipient in order, one bad recipient alone,
and 1,000 recipients in one request with batched DynamoDB and SQS calls."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib import aws
from chalicelib.domain.access import auth
from chalicelib.storage.customers import CustomerModel
from chalicelib.storage.rewards import EMAIL_QUEUED, RewardModel
from tests.fixtures.aws import AwsCalls
from tests.fixtures.clients import STORE, body_of
from tests.fixtures.factories import make_campaign
from tests.fixtures.mokugift import (
    issuer,
    person,
    post_many,
    queued_messages,
    refuse_messages,
    written_items,
)


def queue_length() -> int:
    attributes = aws.client("sqs").get_queue_attributes(
        QueueUrl=aws.queue_url("reward-email"), AttributeNames=["ApproximateNumberOfMessages"]
    )
    return int(attributes["Attributes"]["ApproximateNumberOfMessages"])


def test_results_come_per_recipient_in_order_and_a_bad_one_sinks_no_other(
    client: Any, store: str
) -> None:
    campaign = make_campaign()
    recipients = [person(0), {"email": "nope", "first_name": "X"}, "junk", person(3)]

    response = post_many(client, campaign, "multi_rewards", recipients)

    assert response.status_code == 200, response.body
    body = body_of(response)
    assert (body["created"], body["failed"]) == (2, 2)
    results = body["results"]
    assert [result["index"] for result in results] == [0, 1, 2, 3]
    assert [result["created"] for result in results] == [True, False, False, True]
    assert results[0]["reward"]["email"] == "person0@example.com"
    assert results[3]["reward"]["firstName"] == "P3"
    assert results[1]["code"] == results[2]["code"] == "invalid_recipient"
    assert set(results[1]["errors"]) == {"email", "last_name"}
    assert results[2]["errors"] == {"body": ["The recipient must be an object."]}
    assert results[1]["message"]
    assert RewardModel.count() == 2
    assert sorted(m["rewardId"] for m in queued_messages()) == sorted(
        results[i]["reward"]["rewardId"] for i in (0, 3)
    )


def test_multi_reward_urls_send_nothing(client: Any, store: str) -> None:
    campaign = make_campaign()

    body = body_of(post_many(client, campaign, "multi_reward_urls", [person(0), person(1)]))

    assert body["created"] == 2
    assert all(r["reward"]["url"].startswith("https://rewards.test/r/") for r in body["results"])
    assert all(r["reward"]["emailStatus"] is None for r in body["results"])
    assert queued_messages() == []


def test_multi_reward_urls2_find_known_ids_and_create_new_ones(client: Any, store: str) -> None:
    campaign = make_campaign()
    post_many(client, campaign, "multi_reward_urls2", [{"unique_id": "u-1"}])
    customers = CustomerModel.count()

    body = body_of(
        post_many(
            client, campaign, "multi_reward_urls2", [{"unique_id": "u-1"}, {"unique_id": "u-2"}]
        )
    )

    assert body["created"] == 2
    assert CustomerModel.count() == customers + 1
    assert [r["reward"]["uniqueId"] for r in body["results"]] == ["u-1", "u-2"]


def test_a_recipient_named_twice_gets_a_reward_per_mention_as_one_customer(
    client: Any, store: str
) -> None:
    campaign = make_campaign()
    repeated = {**person(0), "email": "PERSON0@example.com"}

    body = body_of(post_many(client, campaign, "multi_rewards", [person(0), person(1), repeated]))

    assert body["created"] == 3
    ids = [r["reward"]["rewardId"] for r in body["results"]]
    owners = [RewardModel.get(STORE, reward_id).customer_id for reward_id in ids]
    assert owners[0] == owners[2] != owners[1]
    assert CustomerModel.count() == 2
    assert len(queued_messages()) == 3


def test_limit_per_user_refuses_only_the_repeated_mention(client: Any, store: str) -> None:
    campaign = make_campaign(unlimited=False, limit=10, limit_per_user=1)

    body = body_of(post_many(client, campaign, "multi_reward_urls", [person(0), person(0)]))

    assert [r["created"] for r in body["results"]] == [True, False]
    assert body["results"][1]["code"] == "campaign_limit_per_user_reached"


def test_the_campaign_limit_refuses_the_recipients_past_it(client: Any, store: str) -> None:
    campaign = make_campaign(unlimited=False, limit=2)

    body = body_of(post_many(client, campaign, "multi_rewards", [person(n) for n in range(3)]))

    assert [r["created"] for r in body["results"]] == [True, True, False]
    assert body["results"][2]["code"] == "campaign_limit_reached"
    assert (body["created"], body["failed"]) == (2, 1)
    assert len(queued_messages()) == 2


def test_recipients_past_the_coupon_pool_get_no_coupons_left(client: Any, store: str) -> None:
    campaign = make_campaign(codes=["A", "B"])

    body = body_of(post_many(client, campaign, "multi_reward_urls", [person(n) for n in range(3)]))

    assert [r["created"] for r in body["results"]] == [True, True, False]
    assert sorted(r["reward"]["couponCode"] for r in body["results"][:2]) == ["A", "B"]
    assert body["results"][2]["code"] == "no_coupons_left"


def test_an_inactive_campaign_refuses_the_whole_request(client: Any, store: str) -> None:
    campaign = make_campaign(active=False)

    response = post_many(client, campaign, "multi_rewards", [person(0)])

    assert response.status_code == 409
    assert body_of(response)["code"] == "campaign_inactive"
    assert written_items() == 0


def test_more_than_1000_recipients_are_refused_before_anything_is_written(
    client: Any, store: str
) -> None:
    campaign = make_campaign()

    response = post_many(client, campaign, "multi_reward_urls", [person(n) for n in range(1001)])

    assert response.status_code == 422
    body = body_of(response)
    assert body["code"] == "too_many_recipients"
    assert "recipients" in body["errors"]
    assert written_items() == 0


@pytest.mark.parametrize("recipients", [None, [], "x", {"email": "a@example.com"}])
def test_a_body_without_a_list_of_recipients_is_422(
    client: Any, store: str, recipients: Any
) -> None:
    campaign = make_campaign()

    response = post_many(client, campaign, "multi_reward_urls", recipients)

    assert response.status_code == 422
    assert set(body_of(response)["errors"]) == {"recipients"}


def test_a_message_sqs_refuses_leaves_that_reward_queued_and_owed(
    client: Any, store: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    campaign = make_campaign()
    refuse_messages(monkeypatch, {1})

    body = body_of(post_many(client, campaign, "multi_rewards", [person(n) for n in range(3)]))

    statuses = [r["reward"]["emailStatus"] for r in body["results"]]
    assert statuses == [EMAIL_QUEUED] * 3  # the sweeper sends the refused one's message
    assert body["results"][1]["reward"].get("emailError") is None
    assert body["created"] == 3
    ids = [r["reward"]["rewardId"] for r in body["results"]]
    assert sorted(m["rewardId"] for m in queued_messages()) == sorted([ids[0], ids[2]])
    refused = RewardModel.get(STORE, ids[1])
    assert (refused.email_status, refused.email_history) == (EMAIL_QUEUED, [])
    assert refused.email_owed_since is not None


# -- a thousand in one request -------------------------------------------------------------
def test_1000_url_rewards_take_one_request_and_batched_calls(
    aws_calls: AwsCalls, client: Any
) -> None:
    campaign = make_campaign()
    passcode = auth.set_passcode(STORE, campaign.campaign_id)
    recipients = [person(n) for n in range(1000)]
    aws_calls.reset()

    response = client.post(
        f"/api/multi_reward_urls/{campaign.campaign_id}",
        headers=issuer(passcode),
        body=json.dumps({"recipients": recipients}),
    )

    assert response.status_code == 200
    body = body_of(response)
    assert (body["created"], body["failed"]) == (1000, 0)
    assert len({r["reward"]["url"] for r in body["results"]}) == 1000
    # Recipients are four items each (reward, usage counter, customer, email guard): 24 per
    # transaction of at most 100 items.
    assert aws_calls.count("TransactWriteItems") <= 1000 // 20 + 3
    assert aws_calls.count("BatchGetItem") <= 10 + 2
    assert aws_calls.count("PutItem") == 0
    # One UpdateItem per transaction that creates customers: their Imonggo ids, as a block.
    assert aws_calls.count("UpdateItem") <= aws_calls.count("TransactWriteItems")
    assert aws_calls.count("Scan") == 0
    assert aws_calls.count(service="sqs") == 0
    assert RewardModel.count() == 1000


def test_1000_email_rewards_are_queued_ten_per_call(aws_calls: AwsCalls, client: Any) -> None:
    codes = [f"CODE-{n:04}" for n in range(1000)]
    campaign = make_campaign(codes=codes)
    passcode = auth.set_passcode(STORE, campaign.campaign_id)
    aws_calls.reset()

    response = client.post(
        f"/api/multi_rewards/{campaign.campaign_id}",
        headers=issuer(passcode),
        body=json.dumps({"recipients": [person(n) for n in range(1000)]}),
    )

    assert response.status_code == 200
    body = body_of(response)
    assert body["created"] == 1000
    assert sorted(r["reward"]["couponCode"] for r in body["results"]) == codes
    assert aws_calls.count("SendMessageBatch", service="sqs") == 100
    assert aws_calls.count("Scan") == aws_calls.count("PutItem") == 0
    assert queue_length() == 1000
