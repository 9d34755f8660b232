"""Debits racing across many point batches, from several processes: each batch gives each
point once, the batches always hold the balance, and what the balance covers is spent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain import customers, ledger
from chalicelib.domain.ledger import EntryKind, Posting
from tests.concurrency import invariants, workers
from tests.concurrency.conftest import run_everywhere
from tests.conftest import RACE_STORE as STORE

pytestmark = pytest.mark.concurrency


def test_concurrent_debits_across_batches_never_take_a_point_twice(
    served_aws: dict[str, str],
) -> None:
    customer = customers.new_customer(STORE, "batches@example.com")
    ledger.post(Posting(STORE, customer.customer_id, 30, EntryKind.EARN), new_customer=customer)
    today = datetime.now(UTC).date()
    for offset in range(1, 11):  # ten batches of 17, each expiring on its own day
        expires = today + timedelta(days=offset)
        ledger.post(Posting(STORE, customer.customer_id, 17, EntryKind.EARN, expires_on=expires))

    outcomes = run_everywhere(served_aws, workers.debit, [(STORE, customer.customer_id, 10)] * 40)

    assert outcomes.count("ok") == 20  # 200 points, 10 a debit
    assert outcomes.count("insufficient_points") == 20
    books = invariants.check()
    assert books.balance(customer.customer_id) == 0
    assert all(int(b.remaining) == 0 for b in books.batches[customer.customer_id])
