"""50 debits at once against one balance, from several processes: never overspent."""

from __future__ import annotations

import pytest

from chalicelib.domain import customers, ledger
from chalicelib.domain.ledger import EntryKind, Posting
from chalicelib.storage.customers import CustomerModel
from chalicelib.storage.ledger import LedgerEntryModel, account_key
from tests.concurrency import workers
from tests.concurrency.conftest import run_everywhere
from tests.conftest import RACE_STORE as STORE

pytestmark = pytest.mark.concurrency


def assert_balance_is_its_ledger(customer_id: str) -> int:
    customer = CustomerModel.get(STORE, customer_id, consistent_read=True)
    entries = list(LedgerEntryModel.query(account_key(STORE, customer_id), consistent_read=True))
    assert int(customer.points_available) >= 0
    assert int(customer.points_available) == sum(int(entry.amount) for entry in entries)
    return int(customer.points_available)


def test_concurrent_debits_spend_exactly_what_the_balance_covers(
    served_aws: dict[str, str],
) -> None:
    customer = customers.new_customer(STORE, "busy@example.com")
    ledger.post(Posting(STORE, customer.customer_id, 170, EntryKind.EARN), new_customer=customer)

    outcomes = run_everywhere(served_aws, workers.debit, [(STORE, customer.customer_id, 10)] * 50)

    assert outcomes.count("ok") == 17
    assert outcomes.count("insufficient_points") == 33
    assert assert_balance_is_its_ledger(customer.customer_id) == 0
    assert int(CustomerModel.get(STORE, customer.customer_id).points_used) == 170
