"""The point batches' schedule: batches past their expiry day give up their points with one
ledger entry each, pending batches whose start day came become spendable, and a run that died
midway or races a spend is finished by the next, never taking a point twice."""

from __future__ import annotations

import time
from typing import Any

import boto3
import pytest

from chalicelib.domain.points import balances, expiry, ledger
from chalicelib.domain.points.ledger import EntryKind, Posting
from chalicelib.storage.batches import PointBatchModel
from chalicelib.storage.customers import CustomerModel
from tests.fixtures.aws import hooked_clients
from tests.fixtures.clients import STORE
from tests.fixtures.crashes import Crash, CrashPoint
from tests.fixtures.factories import customer_with_points
from tests.fixtures.points import assert_books, at, credit, day, debit, held


def expire_entries(customer_id: str) -> list[tuple[int, str | None]]:
    entries = ledger.history(STORE, customer_id, 100, None).entries
    return [(int(e.amount), e.reference) for e in entries if e.kind == EntryKind.EXPIRE]


def test_a_batch_expires_the_day_after_its_expiry_day(store: str) -> None:
    customer_id = customer_with_points(5)
    credit(customer_id, 30, expires_on=day(1))
    credit(customer_id, 40, expires_on=day(2))

    assert expiry.settle_due_batches(at(1)) == expiry.BatchRun(0, 0, 0)
    run = expiry.settle_due_batches(at(2))

    assert run == expiry.BatchRun(expired=1, unlocked=0, skipped=0)
    assert held(customer_id) == {day(1).isoformat(): 0, day(2).isoformat(): 40, "never": 5}
    assert expire_entries(customer_id) == [(-30, day(1).isoformat())]
    customer = assert_books(customer_id)
    assert (customer.points_available, customer.points_expired) == (45, 30)
    (expired, *_) = balances.customer_batches(customer)
    assert (expired.expired, expired.history[-1].message) == (30, expiry.EXPIRED_REASON)
    # Out of both indexes: a second run finds nothing, a spend cannot take from it.
    assert expiry.settle_due_batches(at(2)) == expiry.BatchRun(0, 0, 0)
    debit(customer_id, 45)
    assert held(customer_id)[day(1).isoformat()] == 0


def test_what_spends_left_of_a_batch_expires_and_a_drained_one_is_not_visited(
    store: str,
) -> None:
    customer_id = customer_with_points(0)
    credit(customer_id, 30, expires_on=day(1))
    credit(customer_id, 10, expires_on=day(2))
    debit(customer_id, 35)  # drains day 1, takes 5 of day 2

    run = expiry.settle_due_batches(at(5))

    assert run == expiry.BatchRun(expired=1, unlocked=0, skipped=0)
    assert expire_entries(customer_id) == [(-5, day(2).isoformat())]
    assert assert_books(customer_id).points_available == 0


def test_a_pending_batch_becomes_spendable_on_its_start_day(store: str) -> None:
    customer_id = customer_with_points(0)
    credit(customer_id, 40, pending_until=day(3), expires_on=day(10))
    pending_id = f"{day(10).isoformat()}~p{day(3).isoformat()}"

    assert expiry.settle_due_batches(at(2)).unlocked == 0
    assert expiry.settle_due_batches(at(3)) == expiry.BatchRun(0, 1, 0)

    customer = assert_books(customer_id)
    assert (customer.points_available, customer.points_pending) == (40, 0)
    assert expire_entries(customer_id) == []
    batch = PointBatchModel.get(f"{STORE}#{customer_id}", pending_id)
    assert (batch.spend_key, batch.due_on) == (pending_id, day(11).isoformat())
    debit(customer_id, 15)
    # Its expiry still comes.
    assert expiry.settle_due_batches(at(11)).expired == 1
    assert expire_entries(customer_id) == [(-25, pending_id)]


def test_an_erased_customers_batches_leave_the_index(store: str, client: Any) -> None:
    from tests.fixtures.clients import bearer

    customer_id = customer_with_points(0)
    credit(customer_id, 30, expires_on=day(1))
    assert client.delete(f"/recipients/{customer_id}", headers=bearer()).status_code == 204

    assert expiry.settle_due_batches(at(3)) == expiry.BatchRun(0, 0, 1)
    assert expiry.settle_due_batches(at(3)) == expiry.BatchRun(0, 0, 0)


@pytest.mark.parametrize("at_call", [0, 1, 2])
def test_a_run_that_dies_between_batches_is_finished_by_the_next(store: str, at_call: int) -> None:
    customer_id = customer_with_points(0)
    for offset in (1, 2, 3):
        credit(customer_id, 10 * offset, expires_on=day(offset))

    with hooked_clients(CrashPoint("TransactWriteItems", at_call)), pytest.raises(Crash):
        expiry.settle_due_batches(at(5))
    assert len(expire_entries(customer_id)) == at_call
    assert_books(customer_id)
    expiry.settle_due_batches(at(5))

    assert sorted(expire_entries(customer_id)) == [
        (-30, day(3).isoformat()),
        (-20, day(2).isoformat()),
        (-10, day(1).isoformat()),
    ]
    customer = assert_books(customer_id)
    assert (customer.points_available, customer.points_expired) == (0, 60)


def test_a_run_that_dies_unlocking_is_finished_by_the_next(store: str) -> None:
    customer_id = customer_with_points(0)
    credit(customer_id, 40, pending_until=day(3))

    with hooked_clients(CrashPoint("TransactWriteItems", 0)), pytest.raises(Crash):
        expiry.settle_due_batches(at(3))
    assert assert_books(customer_id).points_pending == 40
    expiry.settle_due_batches(at(3))

    customer = assert_books(customer_id)
    assert (customer.points_available, customer.points_pending) == (40, 0)


def test_a_spend_between_the_jobs_read_and_its_write_is_not_expired_twice(store: str) -> None:
    customer_id = customer_with_points(0)
    credit(customer_id, 30, expires_on=day(1))
    spent = []

    def spend_first(model: Any, **_: Any) -> None:
        # The job read the batch (30) and is about to expire it: a spend gets there first.
        if model.name == "TransactWriteItems" and not spent:
            spent.append(True)
            debit(customer_id, 12)

    with hooked_clients(spend_first):
        run = expiry.settle_due_batches(at(3))

    assert run.expired == 1
    assert expire_entries(customer_id) == [(-18, day(1).isoformat())]
    customer = assert_books(customer_id)
    assert (customer.points_available, customer.points_used, customer.points_expired) == (
        0,
        12,
        18,
    )


def test_the_job_is_a_scheduled_lambda_the_local_worker_runs(store: str) -> None:
    from app import app
    from local.worker import Worker

    customer_id = customer_with_points(0)
    ledger.post(
        Posting(STORE, customer_id, 9, EntryKind.EARN, expires_on=day(-1))  # yesterday
    )
    clock = [time.time()]
    worker = Worker(
        app=app, sqs=boto3.client("sqs", region_name="us-east-1"), clock=lambda: clock[0]
    )
    [schedule] = [s for s in worker.schedules if s.name == "expire_points"]
    assert schedule.expression == "rate(60 minutes)"

    clock[0] += 60 * 60
    worker.run_once()

    assert CustomerModel.get(STORE, customer_id).points_expired == 9


def test_the_job_reads_each_batch_once_and_writes_it_in_one_transaction(
    aws_calls: Any, store: str
) -> None:
    customer_id = customer_with_points(0)
    for offset in (1, 2, 3):
        credit(customer_id, 10, expires_on=day(offset))
    aws_calls.reset()

    expiry.settle_due_batches(at(5))

    # One page of due keys, then per batch its consistent read and its transaction.
    assert [op for _, op in aws_calls.operations] == ["Query"] + [
        "GetItem",
        "TransactWriteItems",
    ] * 3
