"""Storage owns the wire: refused writes as storage errors, cursors from plain values, and items
of several tables in one BatchGetItem (moto)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pynamodb.exceptions import TransactWriteError, UpdateError

from chalicelib.storage import base, reads
from chalicelib.storage.campaigns import CampaignModel, CampaignUsageModel, pool_key
from chalicelib.storage.customers import CustomerModel
from chalicelib.storage.errors import ConditionFailedError, FailedItem, TransactionCancelledError
from chalicelib.storage.ledger import LedgerEntryModel
from chalicelib.storage.paging import key_values, start_key
from chalicelib.storage.reads import Key, get_many
from chalicelib.storage.rewards import RewardModel
from chalicelib.storage.transactions import Transaction
from tests.fixtures.aws import AwsCalls

STORE = "WIRE"
NOW = datetime.now(UTC)


def _customer(customer_id: str, points: int) -> CustomerModel:
    customer = CustomerModel(
        STORE, customer_id, points_available=points, created_at=NOW, updated_at=NOW
    )
    customer.save()
    return customer


# -- condition failures ----------------------------------------------------------------------
def test_a_refused_single_write_raises_condition_failed(aws: None) -> None:
    customer = _customer("c1", 5)

    with pytest.raises(ConditionFailedError):
        customer.save(condition=CustomerModel.customer_id.does_not_exist())
    with pytest.raises(ConditionFailedError) as refused:
        customer.update(
            actions=[CustomerModel.points_available.add(-10)],
            condition=CustomerModel.points_available >= 10,
        )
    with pytest.raises(ConditionFailedError):
        CustomerModel(STORE, "gone").delete(condition=CustomerModel.customer_id.exists())

    # Still PynamoDB's own error, so code catching `UpdateError` keeps working.
    assert isinstance(refused.value, UpdateError)
    assert CustomerModel.get(STORE, "c1").points_available == 5


def test_a_cancelled_transaction_names_the_refused_items_as_models(aws: None) -> None:
    _customer("c1", 5)
    transaction = Transaction()

    with pytest.raises(TransactionCancelledError) as cancelled, transaction:
        transaction.update(
            CustomerModel(STORE, "c1"),
            actions=[CustomerModel.points_available.add(-10)],
            condition=CustomerModel.points_available >= 10,
            return_values="ALL_OLD",
        )
        transaction.update(
            CustomerModel(STORE, "missing"),
            actions=[CustomerModel.points_available.add(1)],
            condition=CustomerModel.customer_id.exists(),
            return_values="ALL_OLD",
        )

    error = cancelled.value
    assert isinstance(error, TransactWriteError)
    assert not error.busy
    by_key = {failure.key["customer_id"]: failure for failure in error.refused(CustomerModel)}
    assert set(by_key) == {"c1", "missing"}
    assert by_key["c1"].key == {"store_code": STORE, "customer_id": "c1"}
    assert by_key["c1"].model is CustomerModel
    old = by_key["c1"].old_item
    assert isinstance(old, CustomerModel) and old.points_available == 5
    assert by_key["missing"].old_item is None
    assert error.refused(CampaignModel) == []


def test_a_cancellation_only_for_busy_items_is_busy() -> None:
    key = {"store_code": STORE, "customer_id": "c1"}
    busy = FailedItem(CustomerModel, key, "TransactionConflict", None)
    refused = FailedItem(CustomerModel, key, "ConditionalCheckFailed", None)
    cause = TransactWriteError("cancelled")

    assert TransactionCancelledError([busy], cause).busy
    assert not TransactionCancelledError([busy, refused], cause).busy
    assert TransactionCancelledError([busy, refused], cause).refused() == [refused]


# -- cursors ---------------------------------------------------------------------------------
def test_a_cursor_key_is_built_from_and_read_back_as_plain_values() -> None:
    moment = datetime(2026, 12, 6, 1, 2, 3, tzinfo=UTC)

    start = start_key(RewardModel, store_code=STORE, reward_id="r1", created_at=moment)

    assert start["store_code"] == {"S": STORE}
    assert start["created_at"] == {"S": RewardModel.created_at.serialize(moment)}
    assert key_values(RewardModel, start) == {
        "store_code": STORE,
        "reward_id": "r1",
        "created_at": moment,
    }
    assert key_values(RewardModel, None) == {}


def test_a_query_resumes_from_a_start_key_of_plain_values(aws: None) -> None:
    for n in range(3):
        LedgerEntryModel(
            f"{STORE}|c1",
            f"e{n}",
            store_code=STORE,
            customer_id="c1",
            amount=1,
            kind="earn",
            created_at=NOW,
        ).save()
    first = LedgerEntryModel.query(f"{STORE}|c1", limit=2, page_size=2)
    assert [entry.entry_id for entry in first] == ["e0", "e1"]

    last = key_values(LedgerEntryModel, first.last_evaluated_key)
    rest = LedgerEntryModel.query(
        f"{STORE}|c1",
        last_evaluated_key=start_key(LedgerEntryModel, **last),
    )

    assert last == {"account": f"{STORE}|c1", "entry_id": "e1"}
    assert [entry.entry_id for entry in rest] == ["e2"]


# -- reads of several tables -----------------------------------------------------------------
def test_items_of_several_tables_come_in_one_batch_get(aws_calls: AwsCalls, aws: None) -> None:
    _customer("c1", 5)
    CampaignModel(
        STORE, "k1", reward="gift_code", active=True, created_at=NOW, updated_at=NOW
    ).save()
    CampaignUsageModel(pool_key(STORE, "k1"), "c1", used=2).save()
    aws_calls.reset()

    campaign, customer, usage, missing, again = get_many(
        [
            Key(CampaignModel, STORE, "k1"),
            Key(CustomerModel, STORE, "c1"),
            Key(CampaignUsageModel, pool_key(STORE, "k1"), "c1"),
            Key(CustomerModel, STORE, "nobody"),
            Key(CustomerModel, STORE, "c1"),  # asked twice, sent once
        ],
        consistent_read=True,
    )

    assert aws_calls.operations == [("dynamodb", "BatchGetItem")]
    assert isinstance(campaign, CampaignModel) and campaign.active
    assert isinstance(customer, CustomerModel) and customer.points_available == 5
    assert isinstance(usage, CampaignUsageModel) and usage.used == 2
    assert missing is None
    assert isinstance(again, CustomerModel)


def test_more_than_a_hundred_keys_take_a_call_per_hundred(aws_calls: AwsCalls, aws: None) -> None:
    for n in range(3):
        _customer(f"c{n}", n)
    aws_calls.reset()

    found = get_many([Key(CustomerModel, STORE, f"c{n}") for n in range(150)])

    assert aws_calls.count("BatchGetItem") == 2
    assert [c.points_available for c in found[:3] if c is not None] == [0, 1, 2]
    assert found[3:] == [None] * 147


def test_unprocessed_keys_are_asked_for_again(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    _customer("c1", 7)
    connection = base.connection()
    dispatch = connection.dispatch
    sent: list[dict[str, Any]] = []

    def throttled_once(operation: str, kwargs: dict[str, Any]) -> dict[str, Any]:
        sent.append(kwargs["RequestItems"])
        if len(sent) == 1:  # DynamoDB throttled the whole batch: nothing read, all left over
            return {"Responses": {}, "UnprocessedKeys": kwargs["RequestItems"]}
        return dispatch(operation, kwargs)

    monkeypatch.setattr(connection, "dispatch", throttled_once)
    monkeypatch.setattr(reads, "BACKOFF_SECONDS", 0)

    [customer] = get_many([Key(CustomerModel, STORE, "c1")])

    assert len(sent) == 2 and sent[0] == sent[1]
    assert isinstance(customer, CustomerModel) and customer.points_available == 7
