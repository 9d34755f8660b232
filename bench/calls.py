"""Section 1: AWS calls per operation against the minimum each operation needs.

Each operation runs once to warm the process (store settings, campaign caches, as in a warm
Lambda), then once more while every AWS call is recorded. `MINIMUMS` says, beside each
operation, the fewest calls it can take and why; the target is to take exactly those.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.stack import API_KEY, PASSCODE, STORE, Stack, bearer, body_of, counted, jwt
from bench.stats import Figure


@dataclass(frozen=True)
class Minimum:
    calls: Counter[str]
    reason: str


def _minimum(reason: str, **calls: int) -> Minimum:
    """`_minimum("why", GetItem=1, sqs__SendMessageBatch=1)`: DynamoDB unless prefixed."""
    named = {
        (name.replace("__", ":") if "__" in name else f"dynamodb:{name}"): count
        for name, count in calls.items()
    }
    return Minimum(Counter(named), reason)


MINIMUMS: dict[str, Minimum] = {
    "recipient lookup by email": _minimum(
        "the API key; the customer through the store+email index", GetItem=1, Query=1
    ),
    "claim create (1)": _minimum(
        "the API key; the claim written (store settings cached)", GetItem=1, BatchWriteItem=1
    ),
    "claim create (1,000)": _minimum(
        "the API key; 1,000 claims in batches of 25", GetItem=1, BatchWriteItem=40
    ),
    "claim": _minimum(
        "the claim (amount, binding); the claimant by email; one transaction (claim taken, "
        "ledger entry, balance); the balance after, as a transaction returns nothing",
        GetItem=2,
        Query=1,
        TransactWriteItems=1,
    ),
    "lookup": _minimum(
        "the API key; the customer (the balance is on it) through the email index",
        GetItem=1,
        Query=1,
    ),
    "instant edit": _minimum(
        "the API key; the email guards then their customers, consistent and batched for the "
        "array (an index can only be read eventually consistent); per item the batches its "
        "points come from (one Query of the spend index) and one transaction",
        GetItem=1,
        BatchGetItem=2,
        Query=1,
        TransactWriteItems=1,
    ),
    "spend": _minimum(
        "the API key; the customer (type, ratio, balance; types cached); the batches the points "
        "come from (one Query of the spend index); one transaction: ledger entry, balance, "
        "batches",
        GetItem=2,
        Query=1,
        TransactWriteItems=1,
    ),
    "issue reward (1)": _minimum(
        "the passcode; the campaign (rules, validity); the email guard (a known customer?); "
        "the new customer's Imonggo id (the store's counter); one transaction (reward, usage, "
        "customer, guard, campaign counter); the email message",
        GetItem=2,
        BatchGetItem=1,
        UpdateItem=1,
        TransactWriteItems=1,
        sqs__SendMessageBatch=1,
    ),
    "issue reward (1,000)": _minimum(
        "the passcode and the campaign; the email guards in batches of 100; transactions of "
        "24 recipients (4 items each, and the campaign counter), each after one counter add "
        "giving its new customers their Imonggo ids; messages in batches of 10",
        GetItem=2,
        BatchGetItem=10,
        UpdateItem=42,
        TransactWriteItems=42,
        sqs__SendMessageBatch=100,
    ),
    "rewards of a month": _minimum(
        "the API key; one page through the store+campaign+month index (a non-empty page "
        "proves the campaign is the store's)",
        GetItem=1,
        Query=1,
    ),
    "campaign list": _minimum(
        "JWT: no read; the store's campaigns; the codes of the campaign with coupons (the "
        "admin view lists them); the store's customer count, its shares (visibleForCustomersCount)",
        Query=3,
    ),
    "availability": _minimum(
        "the customer; then what the campaign list reads (campaigns, codes, customer count)",
        GetItem=1,
        Query=3,
    ),
    "buy": _minimum(
        "the campaign, the customer and the customer's usage item (a first use raises the "
        "campaign's count of users) in one BatchGetItem over three tables (6 calls before it: "
        "a GetItem each for the campaign and the customer, a BatchGetItem for the usage item); "
        "a free coupon through the available index; the batches the points come from; one "
        "transaction: coupon, reward, usage, counters, ledger entry, balance, batches",
        BatchGetItem=1,
        Query=2,
        TransactWriteItems=1,
    ),
    "cashback redeem": _minimum(
        "the customer; the store's cashback campaigns; the customer's usage item (a first use "
        "raises the campaign's count of users); the batches the points come from; one "
        "transaction (payout, usage, ledger entry, balance, batches); the payout's provider "
        "status",
        GetItem=1,
        BatchGetItem=1,
        Query=2,
        TransactWriteItems=1,
        UpdateItem=1,
    ),
    "expiry job per page": _minimum(
        "a full page of 100 due claims and the empty query after it (a full page cannot tell "
        "it was the last); each claim its own conditional update (a claim taken meanwhile "
        "must not sink the page)",
        Query=2,
        UpdateItem=100,
    ),
}


RECIPIENT = {
    "firstname": "Bench",
    "surname": "Mark",
    "address1": "1 Bench Street",
    "town": "Wigan",
    "postcode": "WG7 7FU",
    "country_code": "gb",
}


def _email() -> str:
    return f"bench-{uuid.uuid4().hex[:12]}@example.com"


def new_recipient(stack: Stack, points: int = 0) -> tuple[str, str]:
    """A new recipient (through the API) with `points`; (customer id, email)."""
    from chalicelib.domain.points import ledger
    from chalicelib.domain.points.ledger import EntryKind, Posting

    email = _email()
    body = {**RECIPIENT, "email": email}
    created = stack.client.post("/recipients", headers=bearer(), body=json.dumps(body))
    customer_id = body_of(created)["id"]
    if points:
        ledger.post(Posting(STORE, customer_id, points, EntryKind.EARN))
    return customer_id, email


def _claim_token(stack: Stack) -> str:
    response = stack.client.post(
        "/api/v1/points", headers=bearer(), body=json.dumps([{"amount": 5}])
    )
    return str(body_of(response)[0]["claimToken"])


Operation = Callable[[Stack], Callable[[], Any]]  # prepares, returns the request to measure


def recipient_lookup(stack: Stack) -> Callable[[], Any]:
    _, email = new_recipient(stack)
    return lambda: stack.client.get(f"/recipients/{email}", headers=bearer())


def claim_create(count: int) -> Operation:
    def prepare(stack: Stack) -> Callable[[], Any]:
        items = json.dumps([{"amount": n + 1, "expires": 1} for n in range(count)])
        return lambda: stack.client.post("/api/v1/points", headers=bearer(), body=items)

    return prepare


def claim(stack: Stack) -> Callable[[], Any]:
    token = _claim_token(stack)
    _, email = new_recipient(stack)
    body = json.dumps({"email": email})
    headers = {"Content-Type": "application/json"}
    return lambda: stack.client.post(f"/api/v1/claims/{token}", headers=headers, body=body)


def lookup(stack: Stack) -> Callable[[], Any]:
    _, email = new_recipient(stack, 10)
    return lambda: stack.client.get(f"/api/v1/points/{API_KEY}/email/{email}/Full", headers={})


def instant(stack: Stack) -> Callable[[], Any]:
    _, email = new_recipient(stack, 10)
    body = json.dumps([{"amount": -1, "email": email}])
    path = f"/api/v1/points/{API_KEY}/INSTANT"
    return lambda: stack.client.post(path, headers=bearer(), body=body)


def spend(stack: Stack) -> Callable[[], Any]:
    customer_id, _ = new_recipient(stack, 1000)
    path = f"/api/rewards.json?q=spend&customer_id={customer_id}&amount=1"
    return lambda: stack.client.post(path, headers=bearer())


def people(count: int) -> list[dict[str, str]]:
    return [{"email": _email(), "first_name": "Bench", "last_name": "Mark"} for _ in range(count)]


def issue(count: int) -> Operation:
    def prepare(stack: Stack) -> Callable[[], Any]:
        headers = {"X-Passcode": PASSCODE, "Content-Type": "application/json"}
        if count == 1:
            path = f"/api/reward/{stack.campaign_id}"
            return lambda: stack.client.post(path, headers=headers, body=json.dumps(people(1)[0]))
        path = f"/api/multi_rewards/{stack.campaign_id}"
        body = {"recipients": people(count)}
        return lambda: stack.client.post(path, headers=headers, body=json.dumps(body))

    return prepare


def rewards_of_a_month(stack: Stack) -> Callable[[], Any]:
    today = datetime.now(UTC)
    path = f"/api/rewards_in_month/{stack.campaign_id}/{today.month}/{today.year}?limit=20"
    return lambda: stack.client.get(path, headers=bearer())


def campaign_list(stack: Stack) -> Callable[[], Any]:
    headers = jwt("admin")
    return lambda: stack.client.get(f"/api/{STORE}/campaign?perPage=20", headers=headers)


def availability(stack: Stack) -> Callable[[], Any]:
    customer_id, _ = new_recipient(stack, 1000)
    path = f"/api/{STORE}/admin/customer/{customer_id}/campaign/available"
    headers = jwt("admin")
    return lambda: stack.client.get(path, headers=headers)


def buy(stack: Stack) -> Callable[[], Any]:
    customer_id, _ = new_recipient(stack, 100_000)
    campaign_id = stack.buy_campaign_id
    path = f"/api/{STORE}/admin/customer/{customer_id}/campaign/{campaign_id}/buy"
    headers = jwt("admin", **{"Content-Type": "application/json"})
    return lambda: stack.client.post(path, headers=headers, body="{}")


def cashback_redeem(stack: Stack) -> Callable[[], Any]:
    customer_id, _ = new_recipient(stack, 100_000)
    path = f"/api/{STORE}/admin/campaign/cashback/redeem"
    headers = jwt("admin", **{"Content-Type": "application/x-www-form-urlencoded"})
    body = f"customerId={customer_id}&pointsAmount=5"
    return lambda: stack.client.post(path, headers=headers, body=body)


def expiry_page(stack: Stack) -> Callable[[], Any]:
    """100 due claims (one page), then the scheduled job over them."""
    from chalicelib.domain.points import claims

    now = datetime.now(UTC)
    created = now - timedelta(days=3)
    claims.create_claims(STORE, [{"amount": 1, "expires": 1}] * 100, now=created)
    return lambda: claims.expire_due_claims(now)


# The catalog reads come first, before any campaign has been used, so what they read does not
# depend on the other operations.
OPERATIONS: dict[str, Operation] = {
    "campaign list": campaign_list,
    "availability": availability,
    "recipient lookup by email": recipient_lookup,
    "claim create (1)": claim_create(1),
    "claim create (1,000)": claim_create(1000),
    "claim": claim,
    "lookup": lookup,
    "instant edit": instant,
    "spend": spend,
    "issue reward (1)": issue(1),
    "issue reward (1,000)": issue(1000),
    "rewards of a month": rewards_of_a_month,
    "buy": buy,
    "cashback redeem": cashback_redeem,
    "expiry job per page": expiry_page,
}
# A thousand-item operation is warmed by its one-item twin (the caches are the same).
WARMED_BY = {"claim create (1,000)": "claim create (1)", "issue reward (1,000)": "issue reward (1)"}


@dataclass(frozen=True)
class CallCount:
    operation: str
    taken: Counter[str]
    minimum: Minimum
    status: Any

    @property
    def total(self) -> int:
        return sum(self.taken.values())

    @property
    def extra(self) -> Counter[str]:
        return self.taken - self.minimum.calls

    @property
    def on_target(self) -> bool:
        return self.taken == self.minimum.calls


def _status(result: Any) -> Any:
    return getattr(result, "status_code", "job")


def measure(stack: Stack) -> list[CallCount]:
    from chalicelib.domain.access import stores

    counts = []
    for name, prepare in OPERATIONS.items():
        # Store settings are cached for a minute: loaded afresh here, they last the request.
        stores.clear_store_cache()
        OPERATIONS[WARMED_BY.get(name, name)](stack)()  # caches filled, as in a warm container
        request = prepare(stack)
        with stack.log.record() as calls:
            result = request()
        counts.append(CallCount(name, counted(calls), MINIMUMS[name], _status(result)))
    return counts


def _listed(calls: Counter[str]) -> str:
    return ", ".join(f"{name.removeprefix('dynamodb:')} {n}" for name, n in sorted(calls.items()))


def figures(counts: list[CallCount]) -> list[Figure]:
    """One row per operation: how many calls it takes beyond (or short of) its minimum."""
    rows = []
    for count in counts:
        off = count.extra + (count.minimum.calls - count.taken)
        detail = f"{count.total} calls ({_listed(count.taken)}); minimum: {count.minimum.reason}"
        rows.append(Figure("1 AWS calls", count.operation, sum(off.values()), "== 0", detail))
    return rows
