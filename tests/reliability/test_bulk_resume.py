"""A bulk request that dies part-way and is retried with the same key resumes, never re-applies.

A crash is injected as a botocore hook that raises on a chosen DynamoDB call: before the first
item's transaction, between two transactions, or on the write that stores the answer once every
item is applied. It raises a `BaseException`, as a killed process would leave things: nothing
after it runs, not even Powertools' clean-up, so the key stays held until its lease ends. The
retry must then apply what is left and answer exactly what one uninterrupted run answers (the
same request in another, identical store).
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest

from chalicelib.config import reset_settings
from chalicelib.domain.access import auth, link_tokens
from chalicelib.domain.access.auth import Role
from chalicelib.domain.catalog import coupons
from chalicelib.domain.points.claims import token_key
from chalicelib.storage.campaigns import CampaignModel
from chalicelib.storage.claims import ClaimModel
from chalicelib.storage.customers import CustomerModel
from chalicelib.storage.ledger import LedgerEntryModel
from chalicelib.storage.rewards import RewardModel
from tests.fixtures.aws import hooked_clients
from tests.fixtures.bought import new_customer
from tests.fixtures.clients import (
    API_KEY,
    OTHER_API_KEY,
    OTHER_STORE,
    STORE,
    body_of,
    jwt_headers,
    token_for,
)
from tests.fixtures.crashes import Crash, CrashPoint
from tests.fixtures.factories import make_campaign, make_customer_type
from tests.fixtures.mokugift import issuer, queued_messages
from tests.fixtures.targeting_api import add_members, create_segment, customer

JSON = {"Content-Type": "application/json"}
FORM = "application/x-www-form-urlencoded"


# Where a bulk request dies: before its first item, between two items' transactions, and after
# its last item, on storing the answer (Powertools' UpdateItem of the request's record).
CRASH_POINTS = {
    "before-the-first-item": CrashPoint("TransactWriteItems", 0),
    "mid-batch": CrashPoint("TransactWriteItems", 2),
    "before-the-answer-is-stored": CrashPoint("UpdateItem", 0, table="idempotency"),
}


@pytest.fixture(params=list(CRASH_POINTS))
def crash(request: pytest.FixtureRequest) -> CrashPoint:
    point = CRASH_POINTS[request.param]
    return CrashPoint(point.operation, point.at, point.table)


@pytest.fixture
def short_lease(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A key held by a dead request is free at once (the lease is the function's timeout)."""
    monkeypatch.setenv("REWARDS_IDEMPOTENCY_LEASE_SECONDS", "0")
    reset_settings()
    yield
    monkeypatch.delenv("REWARDS_IDEMPOTENCY_LEASE_SECONDS")
    reset_settings()


def crashed(client: Any, crash: CrashPoint, method: str, path: str, **request: Any) -> None:
    with hooked_clients(crash), pytest.raises(Crash):
        client.request(method, path, **request)


# -- Coggins INSTANT -------------------------------------------------------------------------
INSTANT = [
    {"amount": 1000, "email": "a@example.com"},
    {"amount": -5000, "email": "a@example.com"},  # refused: only 1,000 by then
    {"amount": 2000, "email": "b@example.com"},
    {"amount": "many", "email": "c@example.com"},  # invalid
    {"amount": 2000, "email": "a@example.com"},
]
INSTANT_TOTAL = 5000


def _instant(client: Any, key: str, api_key: str = API_KEY) -> Any:
    return client.post(
        f"/api/v1/points/{api_key}/INSTANT",
        headers={**JSON, "Idempotency-Key": key},
        body=json.dumps(INSTANT),
    )


def _points(store_code: str) -> tuple[int, int]:
    """(sum of balances, sum of ledger entries) of the store's customers."""
    balances = entries = 0
    for record in CustomerModel.query(store_code):
        balances += int(record.points_available or 0)
        account = f"{store_code}#{record.customer_id}"
        entries += sum(int(e.amount) for e in LedgerEntryModel.query(account))
    return balances, entries


@pytest.mark.usefixtures("short_lease")
def test_an_instant_retried_after_a_crash_credits_exactly_once(
    client: Any, crash: CrashPoint
) -> None:
    crashed(
        client,
        crash,
        "POST",
        f"/api/v1/points/{API_KEY}/INSTANT",
        headers={**JSON, "Idempotency-Key": "instant-crash"},
        body=json.dumps(INSTANT),
    )

    retry = _instant(client, "instant-crash")
    again = _instant(client, "instant-crash")
    uninterrupted = _instant(client, "instant-crash", OTHER_API_KEY)

    assert retry.status_code == 200
    assert body_of(retry) == body_of(uninterrupted)
    assert _points(STORE) == (INSTANT_TOTAL, INSTANT_TOTAL) == _points(OTHER_STORE)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.body == retry.body


def test_an_instant_retried_after_a_server_fault_resumes(client: Any) -> None:
    # A fault the service sees (not a crash) answers a 500, which is not kept: the key is
    # released, and the retry resumes at once, without waiting for a lease.
    fault = CrashPoint("TransactWriteItems", 2, error=RuntimeError)
    with hooked_clients(fault):
        failed = _instant(client, "instant-fault")

    retry = _instant(client, "instant-fault")
    uninterrupted = _instant(client, "instant-fault", OTHER_API_KEY)

    assert failed.status_code == 500
    assert retry.status_code == 200
    assert "Idempotent-Replayed" not in retry.headers
    assert body_of(retry) == body_of(uninterrupted)
    assert _points(STORE) == (INSTANT_TOTAL, INSTANT_TOTAL)


def test_a_retry_within_the_lease_is_409_and_applies_nothing(client: Any) -> None:
    crashed(
        client,
        CrashPoint("TransactWriteItems", 1),
        "POST",
        f"/api/v1/points/{API_KEY}/INSTANT",
        headers={**JSON, "Idempotency-Key": "instant-held"},
        body=json.dumps(INSTANT),
    )

    retry = _instant(client, "instant-held")

    assert retry.status_code == 409
    assert body_of(retry)["code"] == "request_in_progress"
    assert _points(STORE) == (1000, 1000)  # the first item, before the crash


@pytest.mark.usefixtures("short_lease")
def test_a_retry_with_another_body_is_still_422(client: Any) -> None:
    crashed(
        client,
        CrashPoint("TransactWriteItems", 1),
        "POST",
        f"/api/v1/points/{API_KEY}/INSTANT",
        headers={**JSON, "Idempotency-Key": "instant-changed"},
        body=json.dumps(INSTANT),
    )

    changed = client.post(
        f"/api/v1/points/{API_KEY}/INSTANT",
        headers={**JSON, "Idempotency-Key": "instant-changed"},
        body=json.dumps(INSTANT[:2]),
    )

    assert changed.status_code == 422
    assert body_of(changed)["code"] == "idempotency_key_reused"


# -- Coggins claims ----------------------------------------------------------------------------
CLAIMS = [{"amount": n + 1, "email": f"c{n}@example.com"} for n in range(120)]  # 3 transactions
CLAIMS[7] = {"amount": 0}  # invalid: answered with its errors, never written


def _claims(client: Any, key: str, api_key: str = API_KEY) -> Any:
    return client.post(
        f"/api/v1/points?csapikey={api_key}",
        headers={**JSON, "Idempotency-Key": key},
        body=json.dumps(CLAIMS),
    )


def _without_tokens(body: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in item.items() if k not in ("claimToken", "claimUrl")} for item in body]


@pytest.mark.usefixtures("short_lease")
def test_claims_retried_after_a_crash_are_created_once(client: Any, crash: CrashPoint) -> None:
    crashed(
        client,
        crash,
        "POST",
        f"/api/v1/points?csapikey={API_KEY}",
        headers={**JSON, "Idempotency-Key": "claims-crash"},
        body=json.dumps(CLAIMS),
    )

    retry = _claims(client, "claims-crash")
    uninterrupted = _claims(client, "claims-crash", OTHER_API_KEY)

    assert retry.status_code == 200
    answered = {token_key(item["claimToken"]) for item in body_of(retry) if item["created"]}
    stored = {claim.token_digest for claim in ClaimModel.scan() if claim.store_code == STORE}
    assert answered == stored
    assert len(stored) == len(CLAIMS) - 1
    assert _without_tokens(body_of(retry)) == _without_tokens(body_of(uninterrupted))


UNKNOWN_TYPE = {"customerType": ["The customer type does not exist in this store."]}


@pytest.mark.usefixtures("short_lease")
def test_a_claim_refused_for_an_unknown_type_is_refused_again_on_the_retry(client: Any) -> None:
    items = [{"amount": 1, "customerType": "Late"}, {"amount": 2}, {"amount": 3}]
    request = {
        "headers": {**JSON, "Idempotency-Key": "claims-late-type"},
        "body": json.dumps(items),
    }
    path = f"/api/v1/points?csapikey={API_KEY}"
    crashed(client, CrashPoint("TransactWriteItems", 0), "POST", path, **request)
    make_customer_type("Late")  # exists by the retry: the refusal stands all the same

    retry = client.post(path, **request)

    assert retry.status_code == 200
    answers = body_of(retry)
    assert [answer["created"] for answer in answers] == [False, True, True]
    assert answers[0]["errors"] == UNKNOWN_TYPE
    assert sorted(int(claim.amount) for claim in ClaimModel.scan()) == [2, 3]


@pytest.mark.usefixtures("short_lease")
def test_an_instant_item_refused_for_an_unknown_type_is_refused_again_on_the_retry(
    client: Any,
) -> None:
    items = [
        {"amount": 5, "email": "a@example.com", "customerType": "Late"},
        {"amount": 10, "email": "a@example.com"},
        {"amount": 20, "email": "b@example.com"},
    ]
    path = f"/api/v1/points/{API_KEY}/INSTANT"
    request = {"headers": {**JSON, "Idempotency-Key": "instant-late"}, "body": json.dumps(items)}
    crashed(client, CrashPoint("TransactWriteItems", 1), "POST", path, **request)
    make_customer_type("Late")

    retry = client.post(path, **request)

    assert retry.status_code == 200
    answers = body_of(retry)
    assert [answer["applied"] for answer in answers] == [False, True, True]
    assert answers[0]["error"]["code"] == "unknown_customer_type"
    assert answers[0]["error"]["errors"] == UNKNOWN_TYPE
    assert _points(STORE) == (30, 30)


# -- Mokugift multi calls ----------------------------------------------------------------------
PEOPLE = [
    {"email": f"p{n % 58}@example.com", "first_name": f"P{n}", "last_name": "Doe"}
    for n in range(60)  # p0 and p1 twice: a second round
]
PEOPLE[5] = {"email": "nope"}  # invalid
REWARD_LIMIT = 50  # the last ones are refused: the campaign's limit


def _multi(client: Any, store_code: str, campaign_id: str, passcode: str) -> Any:
    return client.post(
        f"/api/multi_reward_urls/{campaign_id}",
        headers={**issuer(passcode), "Idempotency-Key": "multi-crash"},
        body=json.dumps({"recipients": PEOPLE}),
    )


def _settled(body: dict[str, Any]) -> list[tuple[Any, ...]]:
    """Each recipient's outcome, without what is random (ids, tokens, times)."""
    return [
        (r["index"], r["created"], r.get("code"), r.get("reward", {}).get("firstName"))
        for r in body["results"]
    ]


def _campaign(store_code: str) -> tuple[str, str]:
    campaign = make_campaign(store_code, unlimited=False, limit=REWARD_LIMIT)
    return campaign.campaign_id, auth.set_passcode(store_code, campaign.campaign_id)


@pytest.mark.usefixtures("short_lease")
def test_a_multi_reward_call_retried_after_a_crash_issues_each_reward_once(
    client: Any, crash: CrashPoint
) -> None:
    campaign_id, passcode = _campaign(STORE)
    crashed(
        client,
        crash,
        "POST",
        f"/api/multi_reward_urls/{campaign_id}",
        headers={**issuer(passcode), "Idempotency-Key": "multi-crash"},
        body=json.dumps({"recipients": PEOPLE}),
    )

    retry = _multi(client, STORE, campaign_id, passcode)
    uninterrupted = _multi(client, OTHER_STORE, *_campaign(OTHER_STORE))

    assert retry.status_code == 200, retry.body
    body = body_of(retry)
    assert _settled(body) == _settled(body_of(uninterrupted))
    assert (body["created"], body["failed"]) == (REWARD_LIMIT, len(PEOPLE) - REWARD_LIMIT)
    answered = {
        r["reward"]["rewardId"]: r["reward"]["url"] for r in body["results"] if r["created"]
    }
    stored = {r.reward_id: r for r in RewardModel.query(STORE)}
    assert set(answered) == set(stored)
    assert all(
        link_tokens.digest(url.rsplit("/r/", 1)[1]) == stored[i].token_digest
        for i, url in answered.items()
    )
    campaign = CampaignModel.get(STORE, campaign_id)
    assert int(campaign.usage_count) == REWARD_LIMIT
    # The crashed run and its retry are one transaction.
    assert {r.issue_transaction for r in stored.values()} == {body["transactionId"]}


@pytest.mark.usefixtures("short_lease")
def test_an_original_multi_call_retried_after_a_crash_answers_its_xml_once(
    client: Any, crash: CrashPoint
) -> None:
    campaign_id, passcode = _campaign(STORE)
    entries = ", ".join(
        f"{p.get('first_name', '')} <{p['email']}>" if "first_name" in p else p["email"]
        for p in PEOPLE
    )
    request = {
        "headers": {"Content-Type": FORM, "Idempotency-Key": "original-crash"},
        "body": urlencode({"passcode": passcode, "recipient_list": entries}),
    }
    path = f"/api/multi_reward_urls/{campaign_id}"
    crashed(client, crash, "POST", path, **request)

    retry = client.post(path, **request)

    assert retry.status_code == 200, retry.body
    root = ET.fromstring(retry.body)
    assert root.findtext("status") == "Part_Failed"
    created = [r.findtext("id") for r in root.findall("rewards/reward")]
    assert len(created) == REWARD_LIMIT
    assert len(root.findall("unsent_rewards/unsent_reward")) == len(PEOPLE) - REWARD_LIMIT
    stored = RewardModel.query(STORE)
    assert {r.reward_id: r.issue_transaction for r in stored} == dict.fromkeys(
        created, root.findtext("transaction_id")
    )


# -- coupon uploads ----------------------------------------------------------------------------
OLD_CODES = [f"OLD-{n}" for n in range(150)]  # unused: a replace removes all but OLD-0
NEW_CODES = ["OLD-0", *(f"NEW-{n}" for n in range(250)), "NEW-1", "NEW-2"]  # 3 chunks, 2 twice


def _upload(client: Any, store_code: str, campaign_id: str, key: str) -> Any:
    body = urlencode([(f"coupons[{n}]", code) for n, code in enumerate(NEW_CODES)])
    headers = jwt_headers(
        token_for(Role.ADMIN, store_code, subject="admin-1"),
        **{"Content-Type": FORM, "Idempotency-Key": key, "Prefer": "return=representation"},
    )
    return client.post(
        f"/api/{store_code}/campaign/{campaign_id}/coupons", headers=headers, body=body
    )


@pytest.mark.usefixtures("short_lease")
def test_a_coupon_upload_retried_after_a_crash_answers_as_one_run(
    client: Any, crash: CrashPoint
) -> None:
    campaign_id = make_campaign(STORE, codes=OLD_CODES).campaign_id
    with hooked_clients(crash), pytest.raises(Crash):
        _upload(client, STORE, campaign_id, "coupons-crash")

    retry = _upload(client, STORE, campaign_id, "coupons-crash")
    other = make_campaign(OTHER_STORE, codes=OLD_CODES).campaign_id
    uninterrupted = _upload(client, OTHER_STORE, other, "coupons-crash")

    assert retry.status_code == 200, retry.body
    assert {**body_of(retry), "campaignId": None} == {**body_of(uninterrupted), "campaignId": None}
    assert body_of(retry)["added"] == 250
    assert body_of(retry)["removed"] == 149
    assert sorted(coupons.codes_of(STORE, campaign_id)) == sorted(set(NEW_CODES))


# -- segment members ---------------------------------------------------------------------------
@pytest.mark.usefixtures("short_lease")
def test_segment_members_added_again_after_a_crash_answer_as_one_run(
    client: Any, crash: CrashPoint
) -> None:
    segment_id = create_segment(client, "VIP")
    members = [customer(f"m{n}@example.com") for n in range(80)]  # 3 transactions with a key
    add_members(client, segment_id, *members[:5])
    path = f"/api/{STORE}/segment/{segment_id}/customers"
    body = urlencode([("customers[]", member) for member in members])
    headers = jwt_headers(
        token_for(Role.ADMIN, subject="admin-1"),
        **{"Content-Type": FORM, "Idempotency-Key": "members-crash"},
    )
    with hooked_clients(crash), pytest.raises(Crash):
        client.post(path, headers=headers, body=body)

    retry = client.post(path, headers=headers, body=body)

    assert retry.status_code == 200, retry.body
    assert body_of(retry) == {
        "segmentId": segment_id,
        "added": members[5:],
        "alreadyMembers": members[:5],
        "customersCount": 80,
    }


@pytest.mark.usefixtures("short_lease")
def test_emailed_rewards_retried_after_a_crash_are_issued_once_and_all_queued(
    client: Any, crash: CrashPoint
) -> None:
    campaign = make_campaign(STORE)
    passcode = auth.set_passcode(STORE, campaign.campaign_id)
    people = [
        {"email": f"e{n}@example.com", "first_name": "E", "last_name": "Doe"} for n in range(60)
    ]
    request = {
        "headers": {**issuer(passcode), "Idempotency-Key": "emails-crash"},
        "body": json.dumps({"recipients": people}),
    }
    path = f"/api/multi_rewards/{campaign.campaign_id}"
    crashed(client, crash, "POST", path, **request)

    retry = client.post(path, **request)

    assert retry.status_code == 200, retry.body
    assert body_of(retry)["created"] == len(people)
    issued = {reward.reward_id for reward in RewardModel.query(STORE)}
    assert len(issued) == len(people)
    # Each reward has a message (a reward named twice is still emailed once by the consumer).
    assert {message["rewardId"] for message in queued_messages()} == issued


# -- buying ------------------------------------------------------------------------------------
@pytest.mark.usefixtures("short_lease")
@pytest.mark.parametrize("crash_at", ["TransactWriteItems", "UpdateItem"])
def test_a_buy_retried_after_a_crash_buys_once(client: Any, crash_at: str) -> None:
    buyer = new_customer(points=100)
    campaign = make_campaign(codes=["C-1", "C-2", "C-3"], cost_in_points=10)
    path = f"/api/{STORE}/admin/customer/{buyer.customer_id}/campaign/{campaign.campaign_id}/buy"
    headers = jwt_headers(
        token_for(Role.ADMIN, subject="admin-1"),
        **{"Content-Type": FORM, "Idempotency-Key": "buy-crash"},
    )
    crash = CrashPoint(crash_at, 0, table="idempotency" if crash_at == "UpdateItem" else None)
    crashed(client, crash, "POST", path, headers=headers, body="quantity=2")

    retry = client.post(path, headers=headers, body="quantity=2")

    assert retry.status_code == 200, retry.body
    bought = body_of(retry)["coupons"]
    assert len(bought) == 2
    assert {r.reward_id for r in RewardModel.query(STORE)} == {c["id"] for c in bought}
    buyer.refresh()
    assert int(buyer.points_available) == 80


# -- the Mokugift sandbox ------------------------------------------------------------------
# Where a keyed sandbox call dies: before its first write, between two BatchWriteItems (25
# rewards each), and on storing the answer.
SANDBOX_CRASH_POINTS = {
    "before-the-first-write": CrashPoint("BatchWriteItem", 0),
    "between-two-writes": CrashPoint("BatchWriteItem", 1),
    "before-the-answer-is-stored": CrashPoint("UpdateItem", 0, table="idempotency"),
}


@pytest.mark.usefixtures("short_lease")
@pytest.mark.parametrize("point", list(SANDBOX_CRASH_POINTS))
def test_a_sandbox_multi_call_retried_after_a_crash_writes_each_reward_once(
    client: Any, point: str
) -> None:
    model = SANDBOX_CRASH_POINTS[point]
    crash = CrashPoint(model.operation, model.at, model.table)
    campaign = make_campaign(STORE)
    passcode = auth.set_passcode(STORE, campaign.campaign_id, sandbox=True)
    request = {
        "headers": {**issuer(passcode), "Idempotency-Key": "sandbox-crash"},
        "body": json.dumps({"recipients": PEOPLE}),
    }
    path = f"/api/multi_rewards/{campaign.campaign_id}"
    crashed(client, crash, "POST", path, **request)

    retry = client.post(path, **request)

    assert retry.status_code == 200, retry.body
    body = body_of(retry)
    # Every valid recipient once (the campaign is unlimited), the invalid one refused.
    assert (body["created"], body["failed"]) == (len(PEOPLE) - 1, 1)
    answered = {r["reward"]["rewardId"] for r in body["results"] if r["created"]}
    stored = {r.reward_id for r in RewardModel.query(f"sandbox#{STORE}")}
    assert answered == stored
    assert list(RewardModel.query(STORE)) == queued_messages() == []
