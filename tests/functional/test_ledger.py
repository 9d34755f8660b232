"""The ledger core: entries and balance move together, debits never overdraw."""

from __future__ import annotations

import pytest

from chalicelib.domain.customers import records
from chalicelib.domain.customers.records import CustomerNotFoundError
from chalicelib.domain.points import ledger
from chalicelib.domain.points.ledger import (
    CustomerExistsError,
    EntryKind,
    InsufficientPointsError,
    Posting,
)
from chalicelib.storage.customers import CustomerModel, UniqueValueModel
from chalicelib.storage.ledger import LedgerEntryModel, account_key
from tests.fixtures.clients import STORE


def balance_and_entries(customer_id: str) -> tuple[int, int, list[LedgerEntryModel]]:
    customer = CustomerModel.get(STORE, customer_id, consistent_read=True)
    entries = list(LedgerEntryModel.query(account_key(STORE, customer_id)))
    return int(customer.points_available), int(customer.points_used), entries


@pytest.fixture
def customer_id(store: str) -> str:
    customer = records.new_customer(STORE, "ledger@example.com")
    ledger.post(Posting(STORE, customer.customer_id, 100, EntryKind.EARN), new_customer=customer)
    return customer.customer_id


def test_new_customer_is_created_with_its_first_entry_and_email_guard(customer_id: str) -> None:
    available, used, entries = balance_and_entries(customer_id)
    assert (available, used) == (100, 0)
    assert [(e.kind, e.amount) for e in entries] == [("earn", 100)]
    assert UniqueValueModel.get(f"{STORE}#email#ledger@example.com").owner_id == customer_id
    assert records.find_by_email(STORE, " LEDGER@example.com ").customer_id == customer_id


def test_a_second_new_customer_with_the_same_email_is_refused(customer_id: str) -> None:
    twin = records.new_customer(STORE, "Ledger@Example.com")
    with pytest.raises(CustomerExistsError):
        ledger.post(Posting(STORE, twin.customer_id, 5, EntryKind.EARN), new_customer=twin)
    assert CustomerModel.count(STORE) == 1


def test_debits_and_credits_keep_balance_equal_to_the_entries(customer_id: str) -> None:
    ledger.post(Posting(STORE, customer_id, -30, EntryKind.SPEND, reference="X-1"))
    ledger.post(Posting(STORE, customer_id, -20, EntryKind.ADJUST))
    ledger.post(Posting(STORE, customer_id, 10, EntryKind.REFUND))

    available, used, entries = balance_and_entries(customer_id)
    assert available == 60 == sum(int(e.amount) for e in entries)
    assert used == 20  # spent 30, refunded 10; adjustments are not "used"
    assert [e.reference for e in entries if e.kind == "spend"] == ["X-1"]


def test_a_debit_larger_than_the_balance_changes_nothing(customer_id: str) -> None:
    with pytest.raises(InsufficientPointsError) as raised:
        ledger.post(Posting(STORE, customer_id, -101, EntryKind.SPEND))

    assert (raised.value.available, raised.value.requested) == (100, 101)
    available, used, entries = balance_and_entries(customer_id)
    assert (available, used, len(entries)) == (100, 0, 1)


def test_posting_to_an_unknown_customer_is_not_found(store: str) -> None:
    with pytest.raises(CustomerNotFoundError):
        ledger.post(Posting(STORE, "NoSuchId00", 5, EntryKind.EARN))
    assert list(LedgerEntryModel.query(account_key(STORE, "NoSuchId00"))) == []


def test_points_are_whole_numbers(customer_id: str) -> None:
    with pytest.raises(TypeError):
        ledger.post(Posting(STORE, customer_id, 1.5, EntryKind.EARN))  # type: ignore[arg-type]


def test_history_pages_newest_first(customer_id: str) -> None:
    for amount in (1, 2, 3, 4):
        ledger.post(Posting(STORE, customer_id, amount, EntryKind.EARN))
    first = ledger.history(STORE, customer_id, 3, None)
    second = ledger.history(STORE, customer_id, 3, first.next_cursor)
    amounts = [int(e.amount) for e in first.entries + second.entries]
    assert amounts == [4, 3, 2, 1, 100]
    assert second.next_cursor is None
