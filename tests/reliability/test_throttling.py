"""DynamoDB throttling and transaction conflicts: retried with backoff, then a 503.

The errors are injected with a botocore `before-send` hook on every client (boto3's and
PynamoDB's), so botocore's own retry logic sees them as it would see DynamoDB's answers. The
embedded AWS is served over HTTP (`served_aws`): in-process moto would still run the refused
call behind the injected answer, while here a refused call never reaches the server, as with
DynamoDB.
"""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlencode

import pytest
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.retries.standard import ExponentialBackoff

from chalicelib import aws
from chalicelib.config import get_settings
from chalicelib.domain.access import auth
from chalicelib.storage import base
from chalicelib.storage.base import MODELS
from tests.fixtures.aws import hooked_clients
from tests.fixtures.clients import RACE_API_KEY, RACE_STORE, bearer, body_of
from tests.fixtures.factories import RECIPIENT, make_campaign
from tests.fixtures.imonggo import basic, make_customer

THROTTLING = {
    "ProvisionedThroughputExceededException": "com.amazonaws.dynamodb.v20120810",
    "ThrottlingException": "com.amazon.coral.availability",
}


class _Body(io.BytesIO):
    """An HTTP body as botocore reads one."""

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.getvalue()


class DynamoDB:
    """Answers chosen DynamoDB operations with an error instead of sending them, as often as
    asked (`times`, None for always), and counts every attempt per operation."""

    def __init__(self) -> None:
        self.attempts: Counter[str] = Counter()
        self.tables: list[Any] = []
        self.refusals: dict[str, tuple[str, int | None]] = {}  # operation → (error, times left)

    def refuse(self, operation: str, error: str, times: int | None = None) -> None:
        self.refusals[operation] = (error, times)

    def stop(self) -> None:
        self.refusals.clear()

    def __call__(self, request: AWSPreparedRequest, event_name: str, **_: Any) -> Any:
        _, service, operation = event_name.split(".")
        if service != "dynamodb":
            return None
        self.attempts[operation] += 1
        self.tables.append((operation, json.loads(request.body or b"{}").get("TableName")))
        if operation not in self.refusals:
            return None
        error, times = self.refusals[operation]
        if times is not None:
            if times == 0:
                return None
            self.refusals[operation] = (error, times - 1)
        return AWSResponse(
            request.url,
            400,
            {"Content-Type": "application/x-amz-json-1.0", "x-amzn-RequestId": "injected"},
            _Body(json.dumps(self._error_body(request, error)).encode()),
        )

    @staticmethod
    def _error_body(request: AWSPreparedRequest, error: str) -> dict[str, Any]:
        if error in THROTTLING:
            return {"__type": f"{THROTTLING[error]}#{error}", "message": "Rate exceeded"}
        # A transaction cancelled by `error` (TransactionConflict) on its first item.
        items = json.loads(request.body)["TransactItems"]
        reasons = [{"Code": error, "Message": "Transaction is ongoing for the item"}]
        reasons += [{"Code": "None"}] * (len(items) - 1)
        return {
            "__type": "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
            "Message": f"Transaction cancelled [{error}]",
            "CancellationReasons": reasons,
        }


@pytest.fixture
def backoffs(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The delays botocore's standard mode waits before each retry, at the top of their
    jittered range; not waited for, so the tests stay fast."""
    delays: list[float] = []
    delay_amount = ExponentialBackoff.delay_amount

    def record(backoff: ExponentialBackoff, context: Any) -> float:
        backoff._random = lambda: 1.0
        delays.append(delay_amount(backoff, context))
        return 0.0

    monkeypatch.setattr(ExponentialBackoff, "delay_amount", record)
    return delays


@pytest.fixture
def dynamodb(served_aws: dict[str, str], backoffs: list[float]) -> Iterator[DynamoDB]:
    hook = DynamoDB()
    with hooked_clients(hook, event="before-send"):
        yield hook


@pytest.fixture
def client(dynamodb: DynamoDB) -> Iterator[Any]:
    from chalice.test import Client

    from app import app

    with Client(app) as test_client:
        yield test_client.http


def item_counts() -> dict[str, int]:
    """Items per table, read straight from the embedded DynamoDB; the stores' Imonggo id
    counters aside (an id taken by a creation that then failed only leaves a gap)."""
    client = aws.client("dynamodb")
    names = [get_settings().table_name(model.Meta.table_basename) for model in MODELS]  # type: ignore[attr-defined]
    counters_aside = "attribute_not_exists(last_imonggo_id)"
    return {
        name: client.scan(TableName=name, Select="COUNT", FilterExpression=counters_aside)["Count"]
        for name in names
    }


def create_recipient(client: Any, **headers: str) -> Any:
    return client.post(
        "/recipients", headers=bearer(RACE_API_KEY, **headers), body=json.dumps(RECIPIENT)
    )


def assert_unavailable(response: Any) -> None:
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert body_of(response) == {
        "message": "The service is busy; retry the request after the Retry-After delay.",
        "code": "service_unavailable",
    }


def test_a_write_throttled_every_time_is_retried_with_backoff_then_503_and_writes_nothing(
    dynamodb: DynamoDB, client: Any, backoffs: list[float]
) -> None:
    before = item_counts()
    for error in THROTTLING:
        dynamodb.attempts.clear()
        backoffs.clear()
        dynamodb.refuse("TransactWriteItems", error)

        response = create_recipient(client)

        assert_unavailable(response)
        assert dynamodb.attempts["TransactWriteItems"] == aws.MAX_ATTEMPTS, error
        assert backoffs == [1.0, 2.0, 4.0], error  # botocore's exponential backoff, at most
    dynamodb.stop()
    assert item_counts() == before


def test_a_throttled_read_is_a_503_too(dynamodb: DynamoDB, client: Any) -> None:
    dynamodb.refuse("GetItem", "ThrottlingException")

    response = client.get("/recipients/some-id", headers=bearer(RACE_API_KEY))

    assert_unavailable(response)
    assert dynamodb.attempts["GetItem"] == aws.MAX_ATTEMPTS


def test_throttling_that_clears_within_the_retries_is_not_seen(
    dynamodb: DynamoDB, client: Any
) -> None:
    before = item_counts()
    dynamodb.refuse("TransactWriteItems", "ProvisionedThroughputExceededException", times=2)

    response = create_recipient(client)

    assert response.status_code == 201
    assert dynamodb.attempts["TransactWriteItems"] == 3  # two refused, the third committed
    after = item_counts()
    assert sum(after.values()) > sum(before.values())
    listed = client.get("/recipients", headers=bearer(RACE_API_KEY))
    assert [r["id"] for r in body_of(listed)["data"]] == [body_of(response)["id"]]


def test_a_transaction_conflict_is_sent_again_with_backoff_then_503(
    dynamodb: DynamoDB, client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    sleeps: list[float] = []
    monkeypatch.setattr(base, "time", SimpleNamespace(sleep=sleeps.append))
    before = item_counts()
    dynamodb.refuse("TransactWriteItems", "TransactionConflict")

    response = create_recipient(client)

    assert_unavailable(response)
    # botocore does not retry a cancelled transaction; the storage layer's connection does.
    assert dynamodb.attempts["TransactWriteItems"] == aws.MAX_ATTEMPTS
    assert len(sleeps) == aws.MAX_ATTEMPTS - 1
    assert all(
        0 <= sleep <= base.TRANSACTION_BACKOFF_SECONDS * 2**n for n, sleep in enumerate(sleeps)
    )
    dynamodb.stop()
    assert item_counts() == before


def test_a_transaction_conflict_that_clears_commits_once(dynamodb: DynamoDB, client: Any) -> None:
    dynamodb.refuse("TransactWriteItems", "TransactionConflict", times=1)

    response = create_recipient(client)

    assert response.status_code == 201
    assert dynamodb.attempts["TransactWriteItems"] == 2
    listed = client.get("/recipients", headers=bearer(RACE_API_KEY))
    assert len(body_of(listed)["data"]) == 1


def test_a_throttled_idempotency_table_is_a_503_and_the_retry_runs_once(
    dynamodb: DynamoDB, client: Any
) -> None:
    before = item_counts()
    dynamodb.refuse("PutItem", "ProvisionedThroughputExceededException")

    refused = create_recipient(client, **{"Idempotency-Key": "throttled-1"})

    assert_unavailable(refused)
    assert dynamodb.attempts["PutItem"] == aws.MAX_ATTEMPTS
    assert dynamodb.attempts["TransactWriteItems"] == 0  # the handler never ran
    dynamodb.stop()
    assert item_counts() == before

    first = create_recipient(client, **{"Idempotency-Key": "throttled-1"})
    again = create_recipient(client, **{"Idempotency-Key": "throttled-1"})

    assert (first.status_code, again.status_code) == (201, 201)
    assert body_of(again) == body_of(first)
    listed = client.get("/recipients", headers=bearer(RACE_API_KEY))
    assert [r["id"] for r in body_of(listed)["data"]] == [body_of(first)["id"]]


BUSY = "The service is busy; retry the request after the Retry-After delay."


def test_a_spend_whose_balance_stays_busy_is_a_503(dynamodb: DynamoDB, client: Any) -> None:
    customer_id = make_customer(100, store_code=RACE_STORE)
    before = item_counts()
    dynamodb.refuse("TransactWriteItems", "TransactionConflict")

    response = client.post(
        f"/api/rewards.json?q=spend&customer_id={customer_id}&amount=1",
        headers=basic(RACE_API_KEY, Accept="application/json"),
    )

    dynamodb.stop()
    assert item_counts() == before
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert body_of(response) == {"errors": [BUSY], "message": BUSY, "code": "service_unavailable"}


@pytest.mark.parametrize("operation", ["GetItem", "TransactWriteItems"])
def test_imonggo_throttling_is_a_503_with_retry_after_in_xml(
    dynamodb: DynamoDB, client: Any, operation: str
) -> None:
    """Imonggo's clients retry on 503: a throttled spend or read answers one, in the format of
    the suffix."""
    customer_id = make_customer(100, store_code=RACE_STORE)
    dynamodb.refuse(operation, "ThrottlingException")

    response = client.post(
        f"/api/rewards.xml?q=spend&customer_id={customer_id}&amount=1",
        headers=basic(RACE_API_KEY),
    )

    dynamodb.stop()
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert response.headers["Content-Type"] == "application/xml; charset=utf-8"
    assert response.body.decode().splitlines()[1:] == [
        "<errors>",
        f"<error>{BUSY}</error>",
        "</errors>",
    ]


def test_a_throttled_mokugift_key_is_110_in_the_original_contract(
    dynamodb: DynamoDB, client: Any
) -> None:
    """The pipeline's own 503 (the Idempotency-Key's table throttled, before the handler) in
    the contract of the request: the original's `<error><code>110`, JSON for JSON."""
    campaign = make_campaign(RACE_STORE)
    passcode = auth.set_passcode(RACE_STORE, campaign.campaign_id)
    dynamodb.refuse("PutItem", "ProvisionedThroughputExceededException")
    path = f"/api/reward_url/{campaign.campaign_id}"
    fields = urlencode({"passcode": passcode, "recipient_email": "a@example.com"})
    form = {"Content-Type": "application/x-www-form-urlencoded", "Idempotency-Key": "t-1"}

    response = client.post(path, headers=form, body=fields)
    in_json = client.post(path, headers={**form, "Accept": "application/json"}, body=fields)

    dynamodb.stop()
    assert (response.status_code, response.headers["Retry-After"]) == (503, "1")
    root = ET.fromstring(response.body)
    assert (root.findtext("status"), root.findtext("error/code")) == ("Failed", "110")
    assert root.findtext("error/description") == BUSY
    assert_unavailable(in_json)
