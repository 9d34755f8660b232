"""Cashback redeems racing from several processes, through the customer's and the admin's
routes: never more points than the balance holds, never more uses than the campaign's limits,
one payout, debited once, per redeem that went through; and racing provider callbacks settle
each payout once."""

from __future__ import annotations

import json
from collections import Counter
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import pytest

from chalicelib.domain.access.auth import Role
from chalicelib.domain.customers import records
from chalicelib.domain.points import ledger
from chalicelib.domain.points.ledger import EntryKind, Posting
from chalicelib.storage.campaigns import CampaignModel
from chalicelib.storage.cashback import FAILED, PAID, REQUESTED
from tests.concurrency.conftest import Task, outcome, run_everywhere
from tests.fixtures import invariants, workers
from tests.fixtures.clients import RACE_STORE as STORE
from tests.fixtures.clients import token_for
from tests.fixtures.factories import make_campaign

pytestmark = pytest.mark.concurrency

POINT_VALUE = Decimal("0.10")


def new_customer(points: int) -> str:
    customer = records.new_customer(STORE, None)
    ledger.post(Posting(STORE, customer.customer_id, points, EntryKind.EARN), new_customer=customer)
    return customer.customer_id


def cashback_campaign(**limits: Any) -> CampaignModel:
    return make_campaign(
        STORE,
        name="Cashback",
        reward="cashback",
        point_value=POINT_VALUE,
        cashback_provider="paytm",
        **limits,
    )


def redeem_task(customer_id: str, points: int, cashback_id: str | None, role: Role) -> Task:
    """The customer's own redeem, or the admin's for them (naming the campaign or not)."""
    fields = {"pointsAmount": points}
    if cashback_id is not None:
        fields["cashbackId"] = cashback_id
    if role is Role.CUSTOMER:
        path = f"/api/{STORE}/customer/campaign/cashback/redeem"
        token = token_for(Role.CUSTOMER, STORE, subject=customer_id)
    else:
        path = f"/api/{STORE}/admin/campaign/cashback/redeem"
        token = token_for(Role.ADMIN, STORE)
        fields["customerId"] = customer_id
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/x-www-form-urlencoded",
    }
    return ("POST", path, headers, urlencode(fields))


def test_one_customers_redeems_never_overspend(served_aws: dict[str, str]) -> None:
    campaign = cashback_campaign(unlimited=True)
    customer_id = new_customer(100)
    # Customer, admin naming the campaign, admin letting the service choose it, in turn.
    ways = [(campaign.campaign_id, Role.CUSTOMER), (campaign.campaign_id, Role.ADMIN)]
    ways.append((None, Role.ADMIN))
    tasks = [redeem_task(customer_id, 15, *ways[n % 3]) for n in range(24)]

    results: list[Any] = run_everywhere(served_aws, workers.request, tasks)

    assert Counter(outcome(result) for result in results) == {"ok": 6, "insufficient_points": 18}
    books = invariants.check()
    assert (books.balance(customer_id), books.used(customer_id)) == (10, 90)
    assert [(p.status, p.reward_amount) for p in books.payouts] == [
        (REQUESTED, Decimal("1.50"))
    ] * 6


def test_redeems_stop_at_the_campaigns_limits(served_aws: dict[str, str]) -> None:
    campaign = cashback_campaign(unlimited=False, limit=5, limit_per_user=2)
    redeemers = [new_customer(100) for _ in range(4)]
    roles = (Role.CUSTOMER, Role.ADMIN)
    tasks = [
        redeem_task(who, 10, campaign.campaign_id, roles[n % 2])
        for n in range(4)
        for who in redeemers
    ]

    results: list[Any] = run_everywhere(served_aws, workers.request, tasks)

    counts = Counter(outcome(result) for result in results)
    assert counts["ok"] == 5, counts
    assert set(counts) <= {"ok", "campaign_limit_reached", "campaign_limit_per_user_reached"}
    books = invariants.check()  # at most two each, five in all, each debited once
    assert sum(100 - books.balance(who) for who in redeemers) == 5 * 10
    campaign.refresh(consistent_read=True)
    assert campaign.usage_count == 5


def callback_task(payout: dict[str, Any], code: str) -> Task:
    """The provider's callback for the payout, as the document sends it with the admin's token."""
    content = {"orderId": f"{payout['customerId']}_{payout['payoutId']}", "statusCode": code}
    headers = {
        "Authorization": f"Bearer {token_for(Role.ADMIN, STORE)}",
        "Content-Type": "application/json",
    }
    return ("POST", f"/api/{STORE}/campaign/cashback/callback/paytm", headers, json.dumps(content))


def test_racing_callbacks_settle_each_payout_once(served_aws: dict[str, str]) -> None:
    campaign = cashback_campaign(unlimited=False, limit=10, limit_per_user=10)
    customer_id = new_customer(100)
    redeems = [redeem_task(customer_id, 10, campaign.campaign_id, Role.CUSTOMER)] * 4
    redeemed = run_everywhere(served_aws, workers.request, redeems)
    assert [status for status, _ in redeemed] == [200] * 4
    payouts = [json.loads(body) for _, body in redeemed]
    # Each payout gets failures and successes at once: whichever lands first settles it.
    tasks = [callback_task(payout, code) for payout in payouts for code in ("FAILURE", "SUCCESS")]

    results: list[Any] = run_everywhere(served_aws, workers.request, tasks * 3)

    assert {status for status, _ in results} == {200}
    books = invariants.check()  # a failed payout refunded once, its use given back once
    failed = [payout for payout in books.payouts if payout.status == FAILED]
    assert {payout.status for payout in books.payouts} <= {FAILED, PAID}
    assert books.balance(customer_id) == 100 - 10 * (4 - len(failed))
    campaign.refresh(consistent_read=True)
    assert campaign.usage_count == 4 - len(failed)
