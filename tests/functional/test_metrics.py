"""EMF metrics: what each entry point emits, once per invocation, and that a metric never fails
the work it measures."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from chalicelib.domain.access import auth
from chalicelib.observability import NAMESPACE
from tests.fixtures.clients import API_KEY
from tests.fixtures.emails import consume, issue, receive, refuse_recipients
from tests.fixtures.factories import make_campaign
from tests.fixtures.imonggo import basic, make_customer, make_type, spend_path
from tests.fixtures.points import create as create_claims

Emitted = Callable[[], list[dict[str, Any]]]


@pytest.fixture
def emitted(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Emitted:
    """The EMF lines printed since the test began (metrics enabled whatever the environment)."""
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    monkeypatch.delenv("POWERTOOLS_DEV", raising=False)
    capsys.readouterr()

    def read() -> list[dict[str, Any]]:
        lines = (line for line in capsys.readouterr().out.splitlines() if line.startswith("{"))
        return [doc for doc in map(json.loads, lines) if "_aws" in doc]

    return read


def values(lines: list[dict[str, Any]], name: str) -> list[tuple[float, dict[str, str]]]:
    """Each value of metric `name` with the dimensions of its line."""
    found = []
    for line in lines:
        [directive] = line["_aws"]["CloudWatchMetrics"]
        if name not in {metric["Name"] for metric in directive["Metrics"]}:
            continue
        assert directive["Namespace"] == NAMESPACE
        [names] = directive["Dimensions"]
        dimensions = {key: line[key] for key in names}
        value = line[name]
        found.extend((v, dimensions) for v in (value if isinstance(value, list) else [value]))
    return found


def issuer(campaign_id: str) -> dict[str, str]:
    passcode = auth.set_passcode("DEFAULT", campaign_id)
    return {"X-Passcode": passcode, "Content-Type": "application/json"}


ALICE = {"email": "alice@example.com", "first_name": "Alice", "last_name": "Liddell"}


# -- HTTP ------------------------------------------------------------------------------------
def test_issuing_one_reward_url_emits_the_reward_and_the_request(
    client: Any, emitted: Emitted
) -> None:
    campaign = make_campaign(codes=["CODE-1"])
    response = client.post(
        f"/api/reward_url/{campaign.campaign_id}",
        headers=issuer(campaign.campaign_id),
        body=json.dumps(ALICE),
    )

    assert response.status_code == 201
    lines = emitted()
    assert values(lines, "RewardsIssued") == [(1, {"service": "rewards-api", "delivery": "url"})]
    request = {
        "service": "rewards-api",
        "method": "POST",
        "route": "/api/reward_url/{campaign_id}",
        "status_class": "2xx",
    }
    assert values(lines, "Requests") == [(1, request)]
    [(latency, dimensions)] = values(lines, "Latency")
    assert latency >= 0 and dimensions == request
    # One line per dimension set, all printed once at the end of the request.
    assert len(lines) == 2


def test_a_bulk_call_is_one_value_and_emailed_rewards_say_so(client: Any, emitted: Emitted) -> None:
    campaign = make_campaign(codes=[f"CODE-{n}" for n in range(3)])
    recipients = [{**ALICE, "email": f"r{n}@example.com"} for n in range(3)]
    response = client.post(
        f"/api/multi_rewards/{campaign.campaign_id}",
        headers=issuer(campaign.campaign_id),
        body=json.dumps({"recipients": recipients}),
    )

    assert response.status_code == 200
    assert values(emitted(), "RewardsIssued") == [
        (3, {"service": "rewards-api", "delivery": "email"})
    ]


def test_sandbox_rewards_are_not_counted_as_issued(client: Any, emitted: Emitted) -> None:
    campaign = make_campaign(codes=[f"CODE-{n}" for n in range(3)])
    passcode = auth.set_passcode("DEFAULT", campaign.campaign_id, sandbox=True)
    recipients = [{**ALICE, "email": f"r{n}@example.com"} for n in range(3)]
    response = client.post(
        f"/api/multi_rewards/{campaign.campaign_id}",
        headers={"X-Passcode": passcode, "Content-Type": "application/json"},
        body=json.dumps({"recipients": recipients}),
    )

    assert response.status_code == 200
    assert json.loads(response.body)["created"] == 3
    lines = emitted()
    assert values(lines, "RewardsIssued") == values(lines, "EmailsSent") == []


def test_a_refused_request_counts_by_status_class_and_issues_nothing(
    client: Any, emitted: Emitted
) -> None:
    campaign = make_campaign(codes=["CODE-1"])
    response = client.post(
        f"/api/reward_url/{campaign.campaign_id}",
        headers={"X-Passcode": "wrong", "Content-Type": "application/json"},
        body=json.dumps(ALICE),
    )

    assert response.status_code == 401
    lines = emitted()
    assert values(lines, "RewardsIssued") == []
    [(count, dimensions)] = values(lines, "Requests")
    assert (count, dimensions["status_class"]) == (1, "4xx")


def test_points_earned_and_spent_are_counted_once_committed(client: Any, emitted: Emitted) -> None:
    customer = make_customer(30511, customer_type_id=make_type("Gold", "200"))  # not a request
    earn = client.post(
        f"/api/v1/points/{API_KEY}/INSTANT",
        headers={"Content-Type": "application/json"},
        body=json.dumps([{"amount": 400, "email": "new@example.com"}]),
    )
    spend = client.post(
        spend_path(customer_id=customer, amount="10", reference="X-1"), headers=basic()
    )
    refused = client.post(
        spend_path(customer_id=customer, amount="1000", reference="X-2"), headers=basic()
    )

    assert (earn.status_code, spend.status_code) == (200, 200)
    assert refused.status_code != 200  # 200,000 points: more than the balance, nothing written
    lines = emitted()
    assert [value for value, _ in values(lines, "PointsEarned")] == [400]
    assert [value for value, _ in values(lines, "PointsSpent")] == [2000]


# -- the email consumer ----------------------------------------------------------------------
def test_the_consumer_counts_emails_sent(store: str, emitted: Emitted) -> None:
    issue(2)
    assert consume(receive(2)) == []

    lines = emitted()
    assert values(lines, "EmailsSent") == [(1, {"service": "rewards-email"})] * 2
    assert len(lines) == 1  # the batch is one invocation: one flush


def test_the_consumer_counts_an_email_given_up_as_failed(store: str, emitted: Emitted) -> None:
    [reward] = issue(1)
    stop = refuse_recipients(reward.email)
    try:
        [message] = receive(1)
        message["Attributes"]["ApproximateReceiveCount"] = "5"  # its last delivery
        assert consume([message]) == [message["MessageId"]]
    finally:
        stop()

    lines = emitted()
    assert values(lines, "EmailsFailed") == [(1, {"service": "rewards-email"})]
    assert values(lines, "EmailsSent") == []


# -- schedules -------------------------------------------------------------------------------
def test_the_claim_expiry_job_counts_claims_expired(store: str, emitted: Emitted) -> None:
    from app import app
    from local.worker import Worker

    create_claims(2, datetime.now(UTC) - timedelta(days=2), expires=0)
    worker = Worker(app=app, sqs=boto3.client("sqs", region_name="us-east-1"))
    [schedule] = [s for s in worker.schedules if s.name == "expire_claims"]
    worker.fire(schedule, time.time())

    assert values(emitted(), "ClaimsExpired") == [(2, {"service": "rewards-claims"})]


# -- failures and switches -------------------------------------------------------------------
def test_a_metric_that_cannot_be_emitted_never_fails_the_request(
    client: Any, emitted: Emitted, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aws_lambda_powertools import Metrics

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("metrics backend down")

    monkeypatch.setattr(Metrics, "add_metric", broken)
    campaign = make_campaign(codes=["CODE-1"])
    response = client.post(
        f"/api/reward_url/{campaign.campaign_id}",
        headers=issuer(campaign.campaign_id),
        body=json.dumps(ALICE),
    )

    assert response.status_code == 201
    assert emitted() == []


def test_disabled_metrics_print_nothing_and_carry_nothing_over(
    client: Any, emitted: Emitted, monkeypatch: pytest.MonkeyPatch
) -> None:
    campaign = make_campaign(codes=["CODE-1", "CODE-2"])
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    client.post(
        f"/api/reward_url/{campaign.campaign_id}",
        headers=issuer(campaign.campaign_id),
        body=json.dumps(ALICE),
    )
    assert emitted() == []

    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    response = client.get("/health")

    assert response.status_code == 200
    lines = emitted()
    assert values(lines, "RewardsIssued") == []
    assert [d["route"] for _, d in values(lines, "Requests")] == ["/health"]


def test_points_spent_on_a_buy_are_counted_once_committed(client: Any, emitted: Emitted) -> None:
    from tests.fixtures.buying import admin_buy, customer_with
    from tests.fixtures.factories import make_campaign

    campaign = make_campaign(codes=["M1", "M2", "M3", "M4"], cost_in_points=30)
    buyer = customer_with(points=100)
    bought = admin_buy(client, buyer, campaign.campaign_id, "quantity=2")
    refused = admin_buy(client, buyer, campaign.campaign_id, "quantity=2")  # 40 left: too few

    assert bought.status_code == 200, bought.body
    assert refused.status_code == 400  # "Not enough points", in Open Loyalty's words
    assert [value for value, _ in values(emitted(), "PointsSpent")] == [60]
