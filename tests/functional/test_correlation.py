"""The correlation id: from the HTTP request's log line, through the reward email message, into
the email consumer's log lines; and no credential in any log line."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from chalicelib.api import logging as request_logs
from chalicelib.domain.access import auth
from chalicelib.jobs import reward_emails
from tests.fixtures.clients import API_KEY, STORE, bearer
from tests.fixtures.emails import consume, issue, receive
from tests.fixtures.factories import make_campaign

ALICE = {"email": "alice@example.com", "first_name": "Alice", "last_name": "Liddell"}


@contextmanager
def log_lines() -> Iterator[list[dict[str, Any]]]:
    """The JSON lines the request logger and the email consumer's logger write meanwhile."""
    loggers = [request_logs.logger(), reward_emails.logger()]
    lines: list[dict[str, Any]] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(json.loads(self.format(record)))

    handlers = []
    for log in loggers:
        handler = Collect()
        handler.setFormatter(log.registered_formatter)
        log.addHandler(handler)
        log.setLevel("INFO")
        handlers.append(handler)
    try:
        yield lines
    finally:
        for log, handler in zip(loggers, handlers, strict=True):
            log.setLevel("WARNING")
            log.removeHandler(handler)


def by_message(lines: list[dict[str, Any]], message: str) -> dict[str, Any]:
    [line] = [line for line in lines if line["message"] == message]
    return line


def issue_by_email(client: Any, **headers: str) -> Any:
    campaign = make_campaign(codes=["CODE-1"])
    passcode = auth.set_passcode(STORE, campaign.campaign_id)
    return client.post(
        f"/api/reward/{campaign.campaign_id}",
        headers={"X-Passcode": passcode, "Content-Type": "application/json", **headers},
        body=json.dumps(ALICE),
    )


def test_the_request_id_follows_the_reward_email_into_the_consumers_logs(client: Any) -> None:
    with log_lines() as lines:
        response = issue_by_email(client)
        [message] = receive(1)
        assert consume([message]) == []

    assert response.status_code == 201
    request = by_message(lines, "request")
    assert request["correlation_id"] and request["correlation_id"] == request["request_id"]
    assert json.loads(message["Body"])["correlationId"] == request["correlation_id"]
    email = by_message(lines, "reward email")
    assert email["correlation_id"] == request["correlation_id"]
    assert email["service"] == "rewards-email"
    assert email["store_code"] == STORE


def test_a_callers_correlation_id_is_carried_instead(client: Any) -> None:
    with log_lines() as lines:
        response = issue_by_email(client, **{"X-Correlation-Id": "order-7781"})
        [message] = receive(1)
        consume([message])

    assert response.status_code == 201
    request = by_message(lines, "request")
    assert request["correlation_id"] == "order-7781"
    assert request["request_id"] != "order-7781"
    assert json.loads(message["Body"])["correlationId"] == "order-7781"
    assert by_message(lines, "reward email")["correlation_id"] == "order-7781"


def test_a_resend_carries_its_requests_correlation_id_and_the_store(client: Any) -> None:
    [reward] = issue(1)
    consume(receive(1))

    with log_lines() as lines:
        response = client.post(
            f"/api/{STORE}/rewards/{reward.reward_id}/resend",
            headers={**bearer(), "X-Correlation-Id": "ticket-12"},
        )
        [message] = receive(1)

    assert response.status_code == 202
    request = by_message(lines, "request")
    assert request["store_code"] == STORE
    assert request["route"] == "/api/{storeCode}/rewards/{reward}/resend"
    assert json.loads(message["Body"])["correlationId"] == "ticket-12"


@pytest.mark.parametrize("given", ["x" * 129, "two\nlines", "a b"])
def test_an_implausible_correlation_id_is_replaced_by_the_request_id(
    client: Any, given: str
) -> None:
    with log_lines() as lines:
        response = client.get("/health", headers={"X-Correlation-Id": given})

    assert response.status_code == 200
    request = by_message(lines, "request")
    assert request["correlation_id"] == request["request_id"]


def test_no_credential_reaches_any_log_line(
    client: Any, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    passcode = "passcode-that-must-stay-secret"
    caplog.set_level(logging.INFO)  # every logger of the process, not only ours
    capsys.readouterr()
    with log_lines() as lines:
        response = client.get(
            f"/api/v1/points/{API_KEY}/email/nobody@example.com/Full",
            headers={"X-Passcode": passcode, "Authorization": f"Bearer {API_KEY}"},
        )

    assert response.status_code in (200, 404)
    request = by_message(lines, "request")
    assert request["route"] == "/api/v1/points/{csapikey}/email/{email}/Full"
    written = json.dumps(lines) + caplog.text + capsys.readouterr().out
    assert API_KEY not in written
    assert passcode not in written
    assert "Authorization" not in written and "nobody@example.com" not in written
