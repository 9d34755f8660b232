"""The scheduled claim expiry: due pending claims expire once, by Query, never by Scan."""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from chalicelib.domain.access import stores
from chalicelib.domain.points import claim_expiry, claims
from chalicelib.storage.claims import CLAIMED, EXPIRED, PENDING, ClaimModel
from chalicelib.storage.stores import StoreModel
from tests.fixtures.aws import AwsCalls
from tests.fixtures.clients import STORE
from tests.fixtures.points import create, make_claim

NOW = datetime.now(UTC).replace(microsecond=0)


def snapshot() -> dict[str, ClaimModel]:
    return {claim.token_digest: claim for claim in ClaimModel.scan()}  # checking only, not counted


@pytest.fixture
def never_by_default(store: str) -> None:
    StoreModel(STORE).update(actions=[StoreModel.claim_expiry_days.remove()])
    stores.clear_store_cache()


def test_2000_due_claims_expire_once_by_query_and_nothing_else_changes(
    aws_calls: AwsCalls, never_by_default: None
) -> None:
    # Due: 1,000 sharing one expiry instant, 1,000 spread over five.
    due = create(1000, NOW - timedelta(days=3), expires=1)
    for days in range(5):
        due |= create(200, NOW - timedelta(days=7), expires=days)
    future = create(30, NOW, expires=2)
    never = create(30, NOW)
    claimed = create(20, NOW - timedelta(days=3), expires=1)
    for token in claimed:
        claims.claim(token, "early@example.com", now=NOW - timedelta(days=3))
    before = snapshot()

    aws_calls.reset()
    first = claim_expiry.expire_due_claims(NOW)
    first_calls = Counter(operation for _, operation in aws_calls.operations)
    aws_calls.reset()
    second = claim_expiry.expire_due_claims(NOW + timedelta(minutes=5))
    second_calls = Counter(operation for _, operation in aws_calls.operations)

    assert (first.expired, first.skipped) == (2000, 0)
    assert (second.expired, second.skipped) == (0, 0)
    assert first_calls["Scan"] == second_calls["Scan"] == 0
    assert first_calls == {"Query": 21, "TransactWriteItems": 2000}  # 20 pages and an empty one
    assert second_calls == {"Query": 1}

    after = snapshot()
    for token in due:
        claim = after[claims.token_key(token)]
        assert (claim.status, claim.expired_at, claim.pending_expires_at) == (EXPIRED, NOW, None)
    for token in future | never | claimed:
        key = claims.token_key(token)
        assert after[key].attribute_values == before[key].attribute_values
    assert {after[claims.token_key(t)].status for t in future | never} == {PENDING}
    assert {after[claims.token_key(t)].status for t in claimed} == {CLAIMED}
    assert len(after) == 2080


def test_a_claim_is_due_from_its_expiry_instant(store: str) -> None:
    [token] = create(1, datetime(2024, 1, 1, 15, tzinfo=UTC), expires=0)

    assert claim_expiry.expire_due_claims(datetime(2024, 1, 1, 23, 59, 59, tzinfo=UTC)).expired == 0
    assert claim_expiry.expire_due_claims(datetime(2024, 1, 2, tzinfo=UTC)).expired == 1
    assert claims.get_claim(token).status == EXPIRED


def test_a_claim_claimed_after_it_was_read_is_not_expired(store: str) -> None:
    [token] = create(1, NOW - timedelta(days=2), expires=0)
    stale = claims.get_claim(token)
    claims.claim(token, "quick@example.com", now=NOW - timedelta(days=2))

    assert claim_expiry.expire_claim(stale, NOW) is False
    assert claims.get_claim(token).status == CLAIMED


def test_an_expired_claim_is_gone_for_the_api(client: Any) -> None:
    token = make_claim(expires=0, now=NOW - timedelta(days=1))
    claim_expiry.expire_due_claims(NOW)

    assert client.get(f"/api/v1/claims/{token}").json_body["status"] == "expired"
    response = client.post(
        f"/api/v1/claims/{token}",
        headers={"Content-Type": "application/json"},
        body='{"email": "late@example.com"}',
    )
    assert response.status_code == 410


def test_the_job_is_a_scheduled_lambda_the_local_worker_runs(store: str) -> None:
    from app import app
    from local.worker import Worker

    [token] = create(1, NOW - timedelta(days=2), expires=0)
    assert "expire_claims" in app.handler_map
    clock = [time.time()]
    worker = Worker(
        app=app, sqs=boto3.client("sqs", region_name="us-east-1"), clock=lambda: clock[0]
    )
    [schedule] = [s for s in worker.schedules if s.name == "expire_claims"]
    assert schedule.expression == "rate(60 minutes)"

    clock[0] += 60 * 60
    worker.run_once()

    assert claims.get_claim(token).status == EXPIRED
