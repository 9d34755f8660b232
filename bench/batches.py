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

from bench.bulk import put_requests, raw_batch_write
from bench.stack import STORE, Call, Stack, bearer, plain_client, replay
from bench.stats import Figure, interleaved, median, ratio, timed

TARGET = "<= 1.3"
SPREAD = 50
DUE = 10_000
PER_CUSTOMER = 100
ENTRIES = 1_000
REPETITIONS = 10


def _customer(customer_id: str, available: int) -> Any:
    """A customer as the service writes one: numbered (so a spend does not number it)."""
    from chalicelib.storage.customers import CustomerModel, allocate_imonggo_ids

    now = datetime.now(UTC)
    return CustomerModel(
        STORE,
        customer_id,
        imonggo_id=allocate_imonggo_ids(STORE, 1)[0],
        points_available=available,
        points_used=0,
        batched=True,
        created_at=now,
        updated_at=now,
    )


def _batch(customer_id: str, expires: str, points: int, due: bool) -> Any:
    from chalicelib.domain.points.batches import due_after
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


def _undo_entries(calls: list[Call]) -> None:
    """Delete the ledger entries `calls` put, so that their replay writes them again rather
    than being refused on the first (a refused transaction is cheaper than a written one)."""
    dynamodb = plain_client("dynamodb")
    for table, item in put_requests(calls):
        if table.endswith("ledger"):
            key = {name: item[name] for name in ("account", "entry_id")}
            dynamodb.delete_item(TableName=table, Key=key)


def _against_replay(
    app: Callable[[], Any], made: list[Call], reset: Callable[[], None], repetitions: int
) -> tuple[float, float]:
    """Medians of `app` and of `made` replayed on records `reset` put back as they were before
    `made` (untimed), in turns."""
    app_s, floor_s = [], []
    for _ in range(repetitions):
        app_s.append(timed(app))
        reset()
        _undo_entries(made)
        floor_s.append(timed(lambda: replay(made)))
    return median(app_s), median(floor_s)


def _days(count: int, sign: int) -> list[str]:
    today = datetime.now(UTC).date()
    return [(today + timedelta(days=sign * (n + 1))).isoformat() for n in range(count)]


def _spread_customer(customer_id: str | None = None) -> str:
    """A customer (new, or put back as new) with `SPREAD` batches of 2 points (the spend takes
    its id too)."""
    customer_id = customer_id or uuid.uuid4().hex[:10]
    _write(
        [_customer(customer_id, 2 * SPREAD)]
        + [_batch(customer_id, day, 2, due=False) for day in _days(SPREAD, +1)]
    )
    return customer_id


def _spend(stack: Stack) -> tuple[Figure, Figure]:
    path = "/api/rewards.json?q=spend&customer_id={}&amount={}"
    stack.client.post(path.format(_spread_customer(), 1), headers=bearer())  # warm
    customer_id = _spread_customer()
    with stack.log.record() as made:
        answer = stack.client.post(path.format(customer_id, 2 * SPREAD), headers=bearer())
    assert answer.status_code == 200, answer.body
    calls = [call.operation for call in made]
    fresh = [_spread_customer() for _ in range(REPETITIONS)]
    app_s, floor_s = _against_replay(
        lambda: stack.client.post(path.format(fresh.pop(), 2 * SPREAD), headers=bearer()),
        made,
        lambda: _spread_customer(customer_id),
        REPETITIONS,
    )
    time_figure = Figure(
        "7 batches",
        f"spend across {SPREAD} batches: latency",
        ratio(app_s, floor_s),
        TARGET,
        f"app {app_s * 1000:.0f} ms, its {len(calls)} calls alone (on the same records) "
        f"{floor_s * 1000:.0f} ms, n={REPETITIONS}",
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
    from chalicelib.domain.points import expiry

    models: list[Any] = []
    for _ in range(DUE // PER_CUSTOMER):
        customer_id = uuid.uuid4().hex[:10]
        models.append(_customer(customer_id, PER_CUSTOMER))
        models += [_batch(customer_id, day, 1, due=True) for day in _days(PER_CUSTOMER, -1)]
    _write(models)
    with stack.log.record() as made:
        app_s = timed(expiry.settle_due_batches)
    _write(models)  # as they were: the replay expires them again
    _undo_entries(made)
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
            f"(on the same records) {floor_s:.1f} s, n=1",
        ),
        Figure(
            "7 batches",
            f"expiry job over {DUE:,} batches: calls per batch",
            per_batch,
            "<= 2.1",
            "a Query per 100 due keys; per batch its consistent read and one transaction",
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
