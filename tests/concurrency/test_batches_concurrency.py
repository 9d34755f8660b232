"""Debits racing across many point batches, from several processes: each batch gives each
point once, the batches always hold the balance, and what the balance covers is spent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain.customers import records
from chalicelib.domain.points import ledger
from chalicelib.domain.points.ledger import EntryKind, Posting
from tests.concurrency.conftest import run_everywhere
from tests.fixtures import invariants, workers
from tests.fixtures.clients import RACE_STORE as STORE

pytestmark = pytest.mark.concurrency


def test_concurrent_debits_across_batches_never_take_a_point_twice(
    served_aws: dict[str, str],
) -> None:
    customer = records.new_customer(STORE, "batches@example.com")
    ledger.post(Posting(STORE, customer.customer_id, 30, EntryKind.EARN), new_customer=customer)
    today = datetime.now(UTC).date()
    for offset in range(1, 11):  # ten batches of 17, each expiring on its own day
        expires = today + timedelta(days=offset)
        ledger.post(Posting(STORE, customer.customer_id, 17, EntryKind.EARN, expires_on=expires))

    outcomes = run_everywhere(served_aws, workers.debit, [(STORE, customer.customer_id, 10)] * 40)

    assert outcomes.count("ok") == 20  # 200 points, 10 a debit
    # The others find the points gone; one that kept losing the race for a batch until its
    # attempts ran out is told to retry (409), never given points twice.
    assert set(outcomes) <= {"ok", "insufficient_points", "conflict"}
    assert outcomes.count("insufficient_points") >= 15
    books = invariants.check()
    assert books.balance(customer.customer_id) == 0
    assert all(int(b.remaining) == 0 for b in books.batches[customer.customer_id])


def test_the_expiry_job_racing_spends_takes_each_point_once(served_aws: dict[str, str]) -> None:
    customer = records.new_customer(STORE, "expiring@example.com")
    customer_id = customer.customer_id
    ledger.post(Posting(STORE, customer_id, 100, EntryKind.EARN), new_customer=customer)
    today = datetime.now(UTC).date()
    for offset in range(1, 11):  # ten batches of 10, past their expiry day: all due
        expires = today - timedelta(days=offset)
        ledger.post(Posting(STORE, customer_id, 10, EntryKind.EARN, expires_on=expires))
    debits: list[tuple[str, str, int] | str] = [(STORE, customer_id, 10)] * 24
    tasks = debits[:6] + ["settle"] * 3 + debits[6:12] + ["settle"] * 3 + debits[12:]

    outcomes = run_everywhere(served_aws, workers.debit_or_settle, tasks)

    assert outcomes.count("settled") == 6, outcomes
    books = invariants.check()
    entries = books.entries[customer_id]
    expired = [e for e in entries if e.kind == EntryKind.EXPIRE]
    references = [e.reference for e in expired]
    assert len(references) == len(set(references))  # one expiry entry per batch at most
    spent = 10 * outcomes.count("ok")
    assert spent + -sum(int(e.amount) for e in expired) + books.balance(customer_id) == 200
    assert books.used(customer_id) == spent
    # The next run finds every due batch settled: what is left is the never batch's.
    workers.debit_or_settle("settle")
    books = invariants.check()
    left = {b.batch_id: int(b.remaining) for b in books.batches[customer_id] if b.remaining}
    assert set(left) <= {"never"}
