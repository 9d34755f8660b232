"""Section 7: point batches, each operation against its floor (its own DynamoDB calls made
again with a plain client, as `growth` does), so the ratio is what the service adds to them.

- a spend across `SPREAD` batches (Imonggo's spend, one Query of the batches and one
  transaction of `SPREAD` batch updates + the balance + the entry): app over its calls replayed,
  interleaved; and its calls counted, which must not depend on the customer's history;
- the expiry job over `DUE` due batches (`DUE / PER_CUSTOMER` customers, written straight to
  the tables): the job's run over its calls replayed, and its calls per batch;
- the Alpha balance read of a customer with `ENTRIES` ledger entries: app over its calls
  replayed, interleaved, and the items it reads (the ledger is never read).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.bulk import raw_batch_write
from bench.stack import STORE, Stack, bearer, replay
from bench.stats import Figure, interleaved, median, ratio, timed

TARGET = "<= 1.3"
SPREAD = 50
DUE = 10_000
PER_CUSTOMER = 100
ENTRIES = 1_000
REPETITIONS = 10


def _customer(customer_id: str, available: int) -> Any:
    from chalicelib.storage.customers import CustomerModel

    now = datetime.now(UTC)
    return CustomerModel(
        STORE,
        customer_id,
        points_available=available,
        points_used=0,
        batched=True,
        created_at=now,
        updated_at=now,
    )


def _batch(customer_id: str, expires: str, points: int, due: bool) -> Any:
    from chalicelib.domain.batches import due_after
    from chalicelib.storage.batches import DUE_SHARD, PointBatchModel
    from chalicelib.storage.ledger import account_key

    now = datetime.now(UTC)
    return PointBatchModel(
        account_key(STORE, customer_id),
        expires,
        store_code=STORE,
        customer_id=customer_id,
        amount=points,
        remaining=points,
        expires_on=expires,
        spend_key=expires,
        due_shard=DUE_SHARD if due else None,
        due_on=due_after(expires) if due else None,
        history=[],
        created_at=now,
        updated_at=now,
    )


def _write(models: list[Any]) -> None:
    raw_batch_write([(model.Meta.table_name, model.serialize()) for model in models])


def _days(count: int, sign: int) -> list[str]:
    today = datetime.now(UTC).date()
    return [(today + timedelta(days=sign * (n + 1))).isoformat() for n in range(count)]


def _spread_customer() -> str:
    """A new customer with `SPREAD` batches of 2 points (the spend takes its id too)."""
    customer_id = uuid.uuid4().hex[:10]
    _write(
        [_customer(customer_id, 2 * SPREAD)]
        + [_batch(customer_id, day, 2, due=False) for day in _days(SPREAD, +1)]
    )
    return customer_id


def _spend(stack: Stack) -> tuple[Figure, Figure]:
    path = "/api/rewards.json?q=spend&customer_id={}&amount={}"
    customer_id = _spread_customer()
    stack.client.post(path.format(customer_id, 1), headers=bearer())  # warm
    with stack.log.record() as made:
        answer = stack.client.post(path.format(customer_id, 2 * SPREAD - 2), headers=bearer())
    assert answer.status_code == 200, answer.body
    calls = [call.operation for call in made]
    fresh = [_spread_customer() for _ in range(REPETITIONS)]

    def app() -> None:
        stack.client.post(path.format(fresh.pop(), 2 * SPREAD), headers=bearer())

    samples = interleaved({"app": app, "floor": lambda: replay(made)}, REPETITIONS)
    app_s, floor_s = median(samples["app"]), median(samples["floor"])
    time_figure = Figure(
        "7 batches",
        f"spend across {SPREAD} batches: latency",
        ratio(app_s, floor_s),
        TARGET,
        f"app {app_s * 1000:.0f} ms, its {len(calls)} calls alone {floor_s * 1000:.0f} ms, "
        f"n={REPETITIONS}",
    )
    calls_figure = Figure(
        "7 batches",
        f"spend across {SPREAD} batches: DynamoDB calls",
        len(calls),
        "== 4",
        f"{', '.join(calls)} (the key, the customer, the batches' Query, one transaction)",
    )
    return time_figure, calls_figure


def _expiry_job(stack: Stack) -> tuple[Figure, Figure]:
    from chalicelib.domain import points_expiry

    models: list[Any] = []
    for _ in range(DUE // PER_CUSTOMER):
        customer_id = uuid.uuid4().hex[:10]
        models.append(_customer(customer_id, PER_CUSTOMER))
        models += [_batch(customer_id, day, 1, due=True) for day in _days(PER_CUSTOMER, -1)]
    _write(models)
    with stack.log.record() as made:
        app_s = timed(points_expiry.settle_due_batches)
    floor_s = timed(lambda: replay(made))
    expired = sum(call.operation == "TransactWriteItems" for call in made)
    assert expired == DUE, expired
    per_batch = len(made) / DUE
    return (
        Figure(
            "7 batches",
            f"expiry job over {DUE:,} batches: time",
            ratio(app_s, floor_s),
            TARGET,
            f"app {app_s:.1f} s ({DUE / app_s:.0f} batches/s), its {len(made):,} calls alone "
            f"{floor_s:.1f} s, n=1",
        ),
        Figure(
            "7 batches",
            f"expiry job over {DUE:,} batches: calls per batch",
            per_batch,
            "<= 3.1",
            "a Query per 100 due keys; per batch its consistent read, the debit's read of the "
            "named batch, one transaction",
        ),
    )


def _balance_read(stack: Stack) -> tuple[Figure, Figure]:
    from chalicelib.storage.ledger import LedgerEntryModel, account_key

    customer_id = uuid.uuid4().hex[:10]
    now = datetime.now(UTC)
    entries = [
        LedgerEntryModel(
            account_key(STORE, customer_id),
            f"{(now - timedelta(seconds=n)).strftime('%Y%m%dT%H%M%S%fZ')}#{n:08x}",
            store_code=STORE,
            customer_id=customer_id,
            kind="earn",
            amount=1,
            created_at=now,
        )
        for n in range(ENTRIES)
    ]
    _write([_customer(customer_id, ENTRIES), *entries])
    request: Callable[[], Any] = lambda: stack.client.get(  # noqa: E731
        f"/api/v1/balances/{customer_id}", headers=bearer()
    )
    assert request().status_code == 200
    with stack.log.record() as made:
        request()
    read = stack.log.read
    samples = interleaved({"app": request, "floor": lambda: replay(made)}, REPETITIONS)
    app_s, floor_s = median(samples["app"]), median(samples["floor"])
    return (
        Figure(
            "7 batches",
            f"balance read, {ENTRIES:,} ledger entries: latency",
            ratio(app_s, floor_s),
            TARGET,
            f"app {app_s * 1000:.1f} ms, its {len(made)} calls alone {floor_s * 1000:.1f} ms, "
            f"n={REPETITIONS}",
        ),
        Figure(
            "7 batches",
            f"balance read, {ENTRIES:,} ledger entries: items read",
            read,
            "== 2",
            "the API key and the customer (the balance is on it); no ledger entry",
        ),
    )


def measure(stack: Stack) -> list[Figure]:
    return [*_spend(stack), *_balance_read(stack), *_expiry_job(stack)]
