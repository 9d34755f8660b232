"""50 debits at once against one balance, from several processes: never overspent."""

from __future__ import annotations

import pytest

from chalicelib.domain.customers import records
from chalicelib.domain.points import ledger
from chalicelib.domain.points.ledger import EntryKind, Posting
from tests.concurrency.conftest import run_everywhere
from tests.fixtures import invariants, workers
from tests.fixtures.clients import RACE_STORE as STORE

pytestmark = pytest.mark.concurrency


def test_concurrent_debits_spend_exactly_what_the_balance_covers(
    served_aws: dict[str, str],
) -> None:
    customer = records.new_customer(STORE, "busy@example.com")
    ledger.post(Posting(STORE, customer.customer_id, 170, EntryKind.EARN), new_customer=customer)

    outcomes = run_everywhere(served_aws, workers.debit, [(STORE, customer.customer_id, 10)] * 50)

    assert outcomes.count("ok") == 17
    assert outcomes.count("insufficient_points") == 33
    books = invariants.check()
    assert (books.balance(customer.customer_id), books.used(customer.customer_id)) == (0, 170)
