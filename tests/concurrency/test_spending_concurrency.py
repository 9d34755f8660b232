"""Imonggo spends and Coggins instant debits racing on one customer, from several processes:
each point goes once, what was answered as applied is what the ledger holds, and no more."""

from __future__ import annotations

import base64
import json
from collections import Counter
from typing import Any
from urllib.parse import urlencode

import pytest

from chalicelib.domain.customers import records
from chalicelib.domain.points import ledger
from chalicelib.domain.points.ledger import EntryKind, Posting
from tests.concurrency.conftest import Task, outcome, run_everywhere
from tests.fixtures import invariants, workers
from tests.fixtures.clients import RACE_API_KEY
from tests.fixtures.clients import RACE_STORE as STORE

pytestmark = pytest.mark.concurrency

EMAIL = "spender@example.com"
POINTS = 10  # per debit; the store's ratio is 1 point per unit of money


def spend_task(customer_id: str, reference: str) -> Task:
    """Imonggo's spend of `POINTS` as money, with the store's token as Basic user."""
    token = base64.b64encode(f"{RACE_API_KEY}:X".encode()).decode()
    query = urlencode(
        {"q": "spend", "customer_id": customer_id, "amount": POINTS, "reference": reference}
    )
    headers = {"Authorization": f"Basic {token}", "Accept": "application/json"}
    return ("POST", f"/api/rewards.json?{query}", headers, "")


def instant_task(*amounts: int) -> Task:
    """One Coggins instant edit with an item per amount, all for `EMAIL`."""
    items = [{"amount": amount, "email": EMAIL} for amount in amounts]
    headers = {"Content-Type": "application/json"}
    return ("POST", f"/api/v1/points/{RACE_API_KEY}/INSTANT", headers, json.dumps(items))


def item_outcomes(result: tuple[int, str]) -> list[str]:
    """Each item's fate in a 200 instant answer: 'ok' or its error's code."""
    status, body = result
    assert status == 200, body
    return ["ok" if item["applied"] else item["error"]["code"] for item in json.loads(body)]


def test_spends_and_instant_debits_share_one_balance(served_aws: dict[str, str]) -> None:
    customer = records.new_customer(STORE, EMAIL)
    ledger.post(Posting(STORE, customer.customer_id, 300, EntryKind.EARN), new_customer=customer)
    spends = [spend_task(customer.customer_id, f"till-{n}") for n in range(15)]
    instants = [instant_task(-POINTS, -POINTS) for _ in range(15)]
    # Alternated, so both kinds are in flight at once: 45 debits of 10 against 300 points.
    tasks = [task for pair in zip(spends, instants, strict=True) for task in pair]

    results: list[Any] = run_everywhere(served_aws, workers.request, tasks)

    spent = [outcome(result) for result in results[0::2]]
    edited = [item for result in results[1::2] for item in item_outcomes(result)]
    assert Counter(spent + edited) == {"ok": 30, "insufficient_points": 15}
    books = invariants.check()
    # Spends count as used points; instant edits are adjustments, which do not.
    used = POINTS * spent.count("ok")
    assert (books.balance(customer.customer_id), books.used(customer.customer_id)) == (0, used)
    spend_entries = [e for e in books.entries[customer.customer_id] if e.kind == EntryKind.SPEND]
    assert sorted(entry.reference for entry in spend_entries) == sorted(
        f"till-{n}" for n, result in enumerate(spent) if result == "ok"
    )


def test_instant_credits_to_a_new_email_make_one_customer(served_aws: dict[str, str]) -> None:
    tasks = [instant_task(7) for _ in range(12)]

    results: list[Any] = run_everywhere(served_aws, workers.request, tasks)

    assert [item for result in results for item in item_outcomes(result)] == ["ok"] * 12
    books = invariants.check()
    (customer_id,) = books.customers  # one request created it, the others credited it
    assert books.balance(customer_id) == 12 * 7
