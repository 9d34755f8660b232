"""Point batches: credits land in the batch of their expiry day, debits take the soonest first,
in the posting's own transaction, and the batches always add up to the balance."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.domain.access import stores
from chalicelib.domain.points import balances, batches, claims
from chalicelib.domain.points.batches import HISTORY_LIMIT, TooManyBatchesError
from chalicelib.domain.points.ledger import InsufficientPointsError
from chalicelib.storage.batches import PointBatchModel
from chalicelib.storage.customers import CustomerModel
from chalicelib.storage.stores import StoreModel
from tests.fixtures.aws import AwsCalls
from tests.fixtures.clients import STORE
from tests.fixtures.factories import add_customer, customer_with_points
from tests.fixtures.points import assert_books, credit, day, debit, held, today


def test_a_credit_without_expiry_goes_to_the_never_batch(store: str) -> None:
    customer_id = customer_with_points(30)
    credit(customer_id, 12)

    assert held(customer_id) == {"never": 42}
    (batch,) = balances.customer_batches(CustomerModel.get(STORE, customer_id))
    assert [e.balance_change for e in batch.history] == [30, 12]
    assert batch.expires_on is None
    assert_books(customer_id)


def test_credits_expiring_the_same_day_merge_and_the_store_lifetime_applies(store: str) -> None:
    StoreModel(STORE).update(actions=[StoreModel.points_lifetime_days.set(30)])
    stores.clear_store_cache()
    customer_id = customer_with_points(10)
    credit(customer_id, 5)
    credit(customer_id, 7, expires_on=day(3))

    assert held(customer_id) == {day(3).isoformat(): 7, day(30).isoformat(): 15}
    assert_books(customer_id)


def test_a_debit_takes_the_soonest_expiry_first_and_never_last(store: str) -> None:
    customer_id = customer_with_points(100)  # never
    credit(customer_id, 20, expires_on=day(10))
    credit(customer_id, 30, expires_on=day(2))

    debit(customer_id, 40)

    assert held(customer_id) == {day(2).isoformat(): 0, day(10).isoformat(): 10, "never": 100}
    views = balances.customer_batches(CustomerModel.get(STORE, customer_id))
    assert [b.redeemed for b in views] == [30, 10, 0]
    debit(customer_id, 60)
    assert held(customer_id)["never"] == 50
    customer = assert_books(customer_id)
    assert (customer.points_available, customer.points_used) == (50, 100)


def test_a_drained_batch_leaves_the_spend_index(store: str) -> None:
    customer_id = customer_with_points(0)
    credit(customer_id, 10, expires_on=day(1))
    credit(customer_id, 10, expires_on=day(2))
    debit(customer_id, 10)

    spendable = [b.batch_id for b in PointBatchModel.spendable.query(f"{STORE}#{customer_id}")]
    assert spendable == [day(2).isoformat()]
    credit(customer_id, 3, expires_on=day(1))  # credited again: spendable again
    spendable = [b.batch_id for b in PointBatchModel.spendable.query(f"{STORE}#{customer_id}")]
    assert spendable == [day(1).isoformat(), day(2).isoformat()]


def test_a_named_batch_is_taken_from_or_refused(store: str) -> None:
    customer_id = customer_with_points(50)
    credit(customer_id, 20, expires_on=day(5))

    debit(customer_id, 15, batch_id="never")
    assert held(customer_id) == {day(5).isoformat(): 20, "never": 35}
    with pytest.raises(InsufficientPointsError):
        debit(customer_id, 21, batch_id=day(5).isoformat())
    with pytest.raises(batches.BatchNotFoundError):
        debit(customer_id, 1, batch_id="2001-01-01")
    credit(customer_id, 4, batch_id=day(5).isoformat())
    assert held(customer_id) == {day(5).isoformat(): 24, "never": 35}
    assert_books(customer_id)


def test_an_overspend_is_refused_with_nothing_written(store: str) -> None:
    customer_id = customer_with_points(10)
    credit(customer_id, 10, expires_on=day(1))

    with pytest.raises(InsufficientPointsError) as refused:
        debit(customer_id, 21)

    assert refused.value.available == 20
    assert held(customer_id) == {day(1).isoformat(): 10, "never": 10}
    assert_books(customer_id)


def test_pending_points_are_held_but_not_spendable(store: str) -> None:
    customer_id = customer_with_points(5)
    credit(customer_id, 40, pending_until=day(3), expires_on=day(30))

    customer = assert_books(customer_id)
    assert (customer.points_available, customer.points_pending) == (5, 40)
    pending_id = f"{day(30).isoformat()}~p{day(3).isoformat()}"
    assert held(customer_id) == {pending_id: 40, "never": 5}
    with pytest.raises(InsufficientPointsError):
        debit(customer_id, 6)


def test_a_start_day_already_reached_is_not_pending(store: str) -> None:
    customer_id = customer_with_points(0)
    credit(customer_id, 8, pending_until=today())

    assert held(customer_id) == {"never": 8}
    assert CustomerModel.get(STORE, customer_id).points_available == 8


def test_a_debit_needing_more_batches_than_a_transaction_holds_is_refused(store: str) -> None:
    customer_id = customer_with_points(0)
    count = batches.MAX_DEBIT_BATCHES + 1
    for offset in range(1, count + 1):
        credit(customer_id, 1, expires_on=day(offset))

    with pytest.raises(TooManyBatchesError):
        debit(customer_id, count)

    assert CustomerModel.get(STORE, customer_id).points_available == count  # nothing written
    debit(customer_id, count - 1)  # as many batches as fit
    assert held(customer_id)[day(count).isoformat()] == 1
    assert_books(customer_id)


def test_a_batch_keeps_a_bounded_history(store: str) -> None:
    customer_id = customer_with_points(1)
    for n in range(55):  # more changes than a batch keeps (HISTORY_LIMIT)
        credit(customer_id, 1, reason=f"credit {n}")
    debit(customer_id, 2, reason="last")

    (batch,) = balances.customer_batches(CustomerModel.get(STORE, customer_id))
    assert 55 > HISTORY_LIMIT >= len(batch.history) > 0
    assert batch.history[-1].message == "last"
    assert batch.history[-2].message == "credit 54"
    assert_books(customer_id)


def test_a_debit_planned_on_a_stale_read_is_planned_again(
    store: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    customer_id = customer_with_points(0)
    credit(customer_id, 10, expires_on=day(1))
    credit(customer_id, 10, expires_on=day(2))
    real = batches._spendable
    stale = [*real(STORE, customer_id, False)]
    debit(customer_id, 10)  # drains day 1 after the stale read
    reads = []

    def lagging(store_code: str, customer: str, consistent: bool) -> Any:
        reads.append(consistent)
        return iter(stale) if not consistent else real(store_code, customer, consistent)

    monkeypatch.setattr(batches, "_spendable", lagging)
    debit(customer_id, 5)

    assert reads == [False, True]  # the index read lost its condition; the table's did not
    assert held(customer_id) == {day(1).isoformat(): 0, day(2).isoformat(): 5}
    assert_books(customer_id)


def _legacy_customer(points: int) -> str:
    """A customer as the service wrote them before batches: a balance and no batches."""
    customer = add_customer(STORE, None)
    customer.update(
        actions=[
            CustomerModel.points_available.set(points),
            CustomerModel.batched.remove(),
        ]
    )
    return customer.customer_id


@pytest.mark.parametrize("first", ["debit", "credit"])
def test_a_customer_from_before_batches_moves_in_at_the_first_posting(
    store: str, first: str
) -> None:
    customer_id = _legacy_customer(70)
    assert held(customer_id) == {"never": 70}  # shown as the batch it will become

    if first == "debit":
        debit(customer_id, 20)
        expected = 50
    else:
        credit(customer_id, 20)
        expected = 90

    assert held(customer_id) == {"never": expected}
    customer = CustomerModel.get(STORE, customer_id)
    assert customer.batched
    (batch,) = balances.customer_batches(customer)
    assert batch.history[0].message == batches.LEGACY_MESSAGE


def test_the_migration_moves_every_customer_once(store: str) -> None:
    legacy = [_legacy_customer(n) for n in (5, 0, 9)]
    customer_with_points(3)

    assert batches.migrate_store(STORE) == 3
    assert batches.migrate_store(STORE) == 0
    assert [held(c) for c in legacy] == [{"never": 5}, {}, {"never": 9}]


def test_the_migration_is_a_command(store: str, capsys: pytest.CaptureFixture[str]) -> None:
    from chalicelib import cli

    customer_id = _legacy_customer(12)

    assert cli.main(["migrate-batches", STORE]) == 0

    assert "1 customer(s)" in capsys.readouterr().out
    assert held(customer_id) == {"never": 12}
    assert CustomerModel.get(STORE, customer_id).batched


def test_a_claim_may_say_when_its_points_expire(store: str) -> None:
    (outcome,) = claims.create_claims(STORE, [{"amount": 25, "pointsExpires": 7}])
    token = outcome.claim.token

    result = claims.claim(token, "claimer@example.com")

    assert held(result.customer_id) == {day(7).isoformat(): 25}


def test_a_credit_and_a_debit_each_stay_one_transaction(store: str, aws_calls: AwsCalls) -> None:
    customer_id = customer_with_points(0)
    credit(customer_id, 10)  # reads the store's points lifetime (cached)
    aws_calls.reset()

    credit(customer_id, 10, expires_on=day(2))
    debit(customer_id, 15)

    # The credit; the debit's Query of the batches it takes from, and its transaction.
    assert [op for _, op in aws_calls.operations] == [
        "TransactWriteItems",
        "Query",
        "TransactWriteItems",
    ]
