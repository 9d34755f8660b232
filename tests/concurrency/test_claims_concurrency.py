"""Many processes claiming the same point claims at once, through the JSON API and the claim
page: each token pays once, the others are refused, and a refused claim leaves no customer."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any
from urllib.parse import urlencode

import pytest

from chalicelib.domain.customers import records
from chalicelib.domain.points import claims, ledger
from chalicelib.domain.points.ledger import EntryKind, Posting
from tests.concurrency.conftest import Task, run_everywhere
from tests.fixtures import invariants, workers
from tests.fixtures.clients import RACE_STORE as STORE

pytestmark = pytest.mark.concurrency

AMOUNT = 25
CLAIMANTS = 10  # per token
REGULAR = "regular@example.com"
# Who races for each claim: the claim's binding, and the email each claimant gives.
RACES: dict[str, tuple[str | None, list[str]]] = {
    "strangers": (None, [f"stranger{n}@example.com" for n in range(CLAIMANTS)]),
    "one newcomer": (None, ["newcomer@example.com"] * CLAIMANTS),
    "the bound owner": ("owner@example.com", ["owner@example.com"] * CLAIMANTS),
    "a customer": (None, [REGULAR] * CLAIMANTS),
}


def claim_task(token: str, email: str, page: bool) -> Task:
    """A claim through the claim page's form, or through the JSON API."""
    if page:
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        return ("POST", f"/claim/points/{token}", headers, urlencode({"email": email}))
    headers = {"Content-Type": "application/json"}
    return ("POST", f"/api/v1/claims/{token}", headers, json.dumps({"email": email}))


def test_each_token_is_claimed_once(served_aws: dict[str, str]) -> None:
    regular = records.new_customer(STORE, REGULAR)
    ledger.post(Posting(STORE, regular.customer_id, 100, EntryKind.EARN), new_customer=regular)
    requests = [{"amount": AMOUNT, "email": bound} for bound, _ in RACES.values()]
    created = claims.create_claims(STORE, requests)
    tokens = [made.claim.token for made in created if made.claim]
    # Round robin over the claims, alternating page and API, so every race runs at once.
    tasks = [
        (race, n % 2 == 0, claim_task(token, emails[n], page=n % 2 == 0))
        for n in range(CLAIMANTS)
        for race, token, (_, emails) in zip(RACES, tokens, RACES.values(), strict=True)
    ]

    results: list[Any] = run_everywhere(served_aws, workers.request, [t for *_, t in tasks])

    statuses: dict[str, Counter[int]] = {race: Counter() for race in RACES}
    for (race, _, _), (status, _) in zip(tasks, results, strict=True):
        statuses[race][status] += 1
    assert statuses == {race: {200: 1, 409: CLAIMANTS - 1} for race in RACES}
    api_refusals = {
        json.loads(body)["code"]
        for (_, page, _), (status, body) in zip(tasks, results, strict=True)
        if status != 200 and not page
    }
    assert api_refusals == {"claim_already_claimed"}
    books = invariants.check()
    emails = Counter(customer.email for customer in books.customers.values())
    strangers = set(RACES["strangers"][1])
    assert sum(emails[email] for email in strangers) == 1  # only the winner became a customer
    assert emails["newcomer@example.com"] == emails["owner@example.com"] == 1
    assert books.balance(regular.customer_id) == 100 + AMOUNT
    assert (
        sorted(books.balance(c) for c in books.customers if c != regular.customer_id)
        == [AMOUNT] * 3
    )


def test_a_newcomer_claiming_many_tokens_at_once_gets_them_all(served_aws: dict[str, str]) -> None:
    created = claims.create_claims(STORE, [{"amount": AMOUNT}] * 8)
    tokens = [made.claim.token for made in created if made.claim]
    tasks = [claim_task(token, "newcomer@example.com", page=False) for token in tokens]

    results: list[Any] = run_everywhere(served_aws, workers.request, tasks)

    assert [status for status, _ in results] == [200] * 8
    books = invariants.check()
    (customer_id,) = books.customers  # created by one claim, credited by the others
    assert books.balance(customer_id) == 8 * AMOUNT
