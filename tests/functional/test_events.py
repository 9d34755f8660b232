"""The event log: each change recorded with its event in one transaction, read by `GET /events`."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.domain.access.auth import Role
from chalicelib.domain.catalog import coupon_usage, purchases
from chalicelib.domain.events import event_log
from chalicelib.domain.points import ledger
from chalicelib.domain.points.ledger import EntryKind, Posting
from chalicelib.domain.rewards import deliveries
from chalicelib.storage.cashback import CashbackPayoutModel
from chalicelib.storage.claims import PENDING, ClaimModel
from chalicelib.storage.jobs import JobModel
from chalicelib.storage.ledger import LedgerEntryModel
from chalicelib.storage.rewards import (
    EMAIL_SENDING,
    EMAIL_SENT,
    RewardModel,
)
from tests.fixtures.aws import hooked_clients
from tests.fixtures.clients import OTHER_API_KEY, STORE, bearer, body_of, jwt_headers, token_for
from tests.fixtures.crashes import Crash
from tests.fixtures.emails import issue, refuse_recipients
from tests.fixtures.events import (
    CHANGES,
    CrashOnWrite,
    bought_coupon,
    change_delivery_status,
    expire_claim,
    stored_events,
    use_coupon,
)
from tests.fixtures.factories import add_customer


def listed(client: Any, query: str = "", headers: dict[str, str] | None = None) -> Any:
    return client.get(f"/events{query}", headers=headers or bearer())


def drive(client: Any, name: str) -> None:
    CHANGES[name].prepare(client)()


def table_count(table: str) -> int:
    model = {
        "ledger": LedgerEntryModel,
        "claims": ClaimModel,
        "rewards": RewardModel,
        "cashback-payouts": CashbackPayoutModel,
        "jobs": JobModel,
    }[table]
    return sum(1 for _ in model.scan())  # a test's look at the whole table


@pytest.mark.parametrize("name", list(CHANGES))
def test_each_change_is_recorded_with_its_event(client: Any, name: str) -> None:
    change = CHANGES[name]
    events_before = {e["id"] for e in body_of(listed(client))["events"]}
    change.prepare(client)()
    [event] = [
        e
        for e in body_of(listed(client, f"?type={change.event_type}"))["events"]
        if e["id"] not in events_before
    ]
    assert event["type"] == change.event_type
    assert event["id"].startswith("evt_")
    assert body_of(client.get(f"/events/{event['id']}", headers=bearer())) == event


# An email's outcome follows the take, a write of its own: its crash test is below.
CRASH_TESTED = [name for name in CHANGES if name not in ("reward-sent", "reward-failed")]


@pytest.mark.parametrize("name", CRASH_TESTED)
def test_a_crash_before_the_commit_leaves_neither_the_change_nor_its_event(
    client: Any, name: str
) -> None:
    change = CHANGES[name]
    action = change.prepare(client)
    before = table_count(change.table), len(stored_events())
    crash = CrashOnWrite(change.table)
    with hooked_clients(crash), pytest.raises(Crash):
        action()
    assert "events" in crash.tables  # the event travels in the change's own write
    assert (table_count(change.table), len(stored_events())) == before
    change.prepare(client)()  # and once one goes through, both are there
    assert (table_count(change.table), len(stored_events())) > before


def test_an_unkeyed_bulk_call_records_each_claims_event(client: Any) -> None:
    items = [{"amount": 1}, {"amount": 2}, {"amount": "x"}]
    client.post("/api/v1/points", headers=bearer(), body=json.dumps(items))
    created = stored_events(event_log.CLAIM_CREATED)
    assert sorted(json.loads(item.data)["amount"] for item in created) == [1, 2]


def test_events_show_the_object_and_never_its_secrets(client: Any) -> None:
    drive(client, "claim-claimed")
    drive(client, "campaign-bought")
    page = body_of(listed(client))["events"]
    claimed = next(e for e in page if e["type"] == event_log.CLAIM_CLAIMED)
    assert claimed["data"]["status"] == "claimed" and claimed["data"]["amount"] == 30
    earned = next(
        e for e in page if e["type"] == event_log.POINTS_EARNED and e["data"]["kind"] == "claim"
    )
    assert earned["data"]["customerId"] == claimed["data"]["claimedBy"]
    bought = next(e for e in page if e["type"] == event_log.CAMPAIGN_BOUGHT)
    assert len(bought["data"]["rewards"]) == 2
    text = json.dumps(page)
    assert "token" not in text.lower() and "couponCode" not in text


def test_an_expired_claims_event_shows_it_expired(client: Any) -> None:
    drive(client, "claim-expired")
    [event] = body_of(listed(client, "?type=claim.expired"))["events"]
    assert event["data"]["status"] == "expired" and event["data"]["amount"] == 9
    assert event["data"]["expiredAt"] == event["createdAt"]
    assert "token" not in json.dumps(event).lower()


def test_a_crash_as_a_claim_expires_leaves_it_pending_without_an_event(client: Any) -> None:
    action = expire_claim(client)
    with hooked_clients(CrashOnWrite("claims")), pytest.raises(Crash):
        action()
    assert {claim.status for claim in ClaimModel.scan()} == {PENDING}
    assert stored_events(event_log.CLAIM_EXPIRED) == []


def test_a_coupon_used_lists_it_and_never_its_code(client: Any) -> None:
    action = use_coupon(client)
    action()
    [event] = body_of(listed(client, "?type=coupon.used"))["events"]
    [reward] = [r for r in RewardModel.scan() if r.used]
    assert event["data"] == {
        "usageDate": event["createdAt"],
        "coupons": [
            {
                "id": reward.reward_id,
                "campaignId": reward.campaign_id,
                "customerId": reward.customer_id,
            }
        ],
    }
    assert reward.coupon_code not in json.dumps(event)


def test_a_bulk_mark_is_one_event_listing_the_coupons_marked_used(client: Any) -> None:
    many = [bought_coupon() for _ in range(3)]
    marks = [
        {
            "customerId": r.customer_id,
            "campaignId": r.campaign_id,
            "couponId": r.reward_id,
            "code": r.coupon_code,
            "used": flag,
        }
        for r, flag in zip(many, ("1", "0", "1"), strict=True)
    ]
    purchases.mark_coupons(STORE, purchases.CouponMarks.read({"coupons": marks}))
    [event] = body_of(listed(client, "?type=coupon.used"))["events"]
    assert [c["id"] for c in event["data"]["coupons"]] == [many[0].reward_id, many[2].reward_id]
    unused_only = [{**marks[1], "used": "0"}]
    purchases.mark_coupons(
        STORE, purchases.CouponMarks.read({"coupons": unused_only})
    )  # nothing used: no event
    assert len(stored_events(event_log.COUPON_USED)) == 1


@pytest.mark.parametrize("name", ["coupon-used", "coupons-marked"])
def test_a_crash_as_a_coupon_is_used_leaves_it_unused_without_an_event(
    client: Any, name: str
) -> None:
    action = CHANGES[name].prepare(client)
    with hooked_clients(CrashOnWrite("rewards")), pytest.raises(Crash):
        action()
    assert not any(reward.used for reward in RewardModel.scan())
    assert stored_events(event_log.COUPON_USED) == []


def test_a_delivery_status_change_records_the_new_status(client: Any) -> None:
    drive(client, "delivery-status")
    [event] = body_of(listed(client, "?type=delivery_status.changed"))["events"]
    [reward] = list(RewardModel.scan())
    assert event["data"] == {
        "id": reward.reward_id,
        "customerId": reward.customer_id,
        "deliveryStatus": "shipped",
    }


def test_a_crash_as_a_delivery_status_changes_leaves_it_without_an_event(client: Any) -> None:
    action = change_delivery_status(client)
    with hooked_clients(CrashOnWrite("rewards")), pytest.raises(Crash):
        action()
    assert [reward.delivery_status for reward in RewardModel.scan()] == [None]
    assert stored_events(event_log.DELIVERY_STATUS_CHANGED) == []


def test_another_customers_coupon_changes_no_status_and_records_nothing(client: Any) -> None:
    reward = bought_coupon()
    with pytest.raises(coupon_usage.BoughtCouponNotFoundError):
        coupon_usage.change_delivery_status(STORE, "someone-else", reward.reward_id, "shipped")
    assert stored_events(event_log.DELIVERY_STATUS_CHANGED) == []


def test_a_sent_reward_email_records_reward_sent(client: Any) -> None:
    [reward] = issue(1, enqueue=False)
    assert deliveries.deliver(STORE, reward.reward_id) == deliveries.EmailOutcome.SENT
    [event] = body_of(listed(client, "?type=reward.sent"))["events"]
    assert event["data"] == {
        **event_log.reward_data(reward),
        "emailStatus": "sent",
        "reason": None,
    }
    assert reward.coupon_code not in json.dumps(event)


def test_the_last_refused_send_records_reward_failed_with_the_reason(client: Any) -> None:
    [reward] = issue(1, enqueue=False)
    stop = refuse_recipients(reward.email)
    with pytest.raises(deliveries.RetryLaterError):
        deliveries.deliver(STORE, reward.reward_id, 1)  # a retry to come: no event
    assert stored_events(event_log.REWARD_FAILED) == []
    with pytest.raises(deliveries.RetryLaterError):
        deliveries.deliver(STORE, reward.reward_id, deliveries.MAX_RECEIVES)
    stop()
    [event] = body_of(listed(client, "?type=reward.failed"))["events"]
    assert event["data"]["id"] == reward.reward_id
    assert event["data"]["emailStatus"] == "failed"
    assert "Maximum sending rate exceeded" in event["data"]["reason"]


def test_a_cancelled_rewards_email_records_reward_failed(client: Any) -> None:
    drive(client, "reward-failed")
    [event] = body_of(listed(client, "?type=reward.failed"))["events"]
    assert event["data"]["reason"] == "The reward was cancelled."


def test_a_crash_as_the_email_outcome_is_written_leaves_neither_it_nor_its_event(
    client: Any,
) -> None:
    [reward] = issue(1, enqueue=False)
    crash = CrashOnWrite("events")
    with hooked_clients(crash), pytest.raises(Crash):
        deliveries.deliver(STORE, reward.reward_id)
    assert "rewards" in crash.tables  # the outcome travels with its event
    assert RewardModel.get(STORE, reward.reward_id).email_status == EMAIL_SENDING
    assert stored_events(event_log.REWARD_SENT) == []
    later = datetime.now(UTC) + deliveries.SENDING_LEASE  # the message comes back
    assert deliveries.deliver(STORE, reward.reward_id, 2, now=later) == deliveries.EmailOutcome.SENT
    assert RewardModel.get(STORE, reward.reward_id).email_status == EMAIL_SENT
    assert len(stored_events(event_log.REWARD_SENT)) == 1


def test_events_come_newest_first_paged_by_a_cursor(client: Any) -> None:
    customer_id = add_customer(STORE, None).customer_id
    for amount in range(1, 6):
        ledger.post(Posting(STORE, customer_id, amount, EntryKind.EARN))
    first = body_of(listed(client, "?limit=3"))
    assert [e["data"]["amount"] for e in first["events"]] == [5, 4, 3]
    rest = body_of(listed(client, f"?limit=3&cursor={first['nextCursor']}"))
    assert [e["data"]["amount"] for e in rest["events"]] == [2, 1]
    assert rest["nextCursor"] is None


def test_events_are_filtered_by_type_and_since(client: Any) -> None:
    drive(client, "earn")
    drive(client, "spend")  # an earn, then the spend
    spent = body_of(listed(client, "?type=points.spent"))["events"]
    assert [e["type"] for e in spent] == ["points.spent"]
    future = (datetime.now(UTC) + timedelta(minutes=1)).isoformat().replace("+00:00", "Z")
    assert body_of(listed(client, f"?since={future}"))["events"] == []
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat().replace("+00:00", "Z")
    assert len(body_of(listed(client, f"?since={past}&type=points.earned"))["events"]) == 2


def test_events_are_kept_at_least_thirty_days(client: Any) -> None:
    drive(client, "earn")
    [item] = stored_events()
    assert item.expires_at >= (item.created_at + timedelta(days=30)).timestamp()


@pytest.mark.parametrize(
    ("query", "status", "code"),
    [
        ("?type=points.stolen", 400, "unknown_event_type"),
        ("?since=yesterday", 422, "validation_failed"),
        ("?since=2026-01-01T00:00:00", 422, "validation_failed"),  # no offset
        ("?limit=0", 422, "validation_failed"),
        ("?cursor=nonsense", 400, "invalid_cursor"),
        ("?cursor=eyJhZnRlciI6ICJ4In0", 400, "invalid_cursor"),  # {"after": "x"}
    ],
)
def test_bad_queries_are_4xx(client: Any, query: str, status: int, code: str) -> None:
    response = listed(client, query)
    assert response.status_code == status
    assert body_of(response)["code"] == code


def test_an_unknown_or_malformed_event_id_is_404(client: Any) -> None:
    for event_id in ("evt_20260101T000000000000Z_000000000000", "x" * 2000):
        response = client.get(f"/events/{event_id}", headers=bearer())
        assert response.status_code == 404
        assert body_of(response)["code"] == "event_not_found"


def test_another_stores_credential_sees_none_of_the_events(client: Any) -> None:
    drive(client, "earn")
    [event] = body_of(listed(client))["events"]
    assert body_of(listed(client, headers=bearer(OTHER_API_KEY)))["events"] == []
    other = client.get(f"/events/{event['id']}", headers=bearer(OTHER_API_KEY))
    assert other.status_code == 404


def test_an_admin_reads_events_and_a_customer_may_not(client: Any) -> None:
    drive(client, "earn")
    assert len(body_of(listed(client, headers=jwt_headers(token_for(Role.ADMIN))))["events"]) == 1
    assert listed(client, headers=jwt_headers(token_for(Role.CUSTOMER))).status_code == 403
    assert client.get("/events").status_code == 401
