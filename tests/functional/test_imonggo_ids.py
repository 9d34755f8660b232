"""Imonggo's integer customer ids: allocated at creation, found by the index, given to older
customers by `number-customers` or on their first Imonggo read; the spend takes them too."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import pytest

from chalicelib import cli
from chalicelib.domain.customers import records
from chalicelib.storage.customers import CustomerModel
from tests.fixtures.aws import hooked_clients
from tests.fixtures.clients import OTHER_API_KEY, OTHER_STORE, RACE_STORE, STORE
from tests.fixtures.factories import add_customer
from tests.fixtures.imonggo import balance, basic, make_customer, number


def strip_id(customer_id: str, store_code: str = STORE) -> None:
    """Make the customer one created before integer ids existed."""
    CustomerModel(store_code, customer_id).update(actions=[CustomerModel.imonggo_id.remove()])


def get_json(client: Any, ref: object, key: str | None = None) -> Any:
    response = client.get(f"/api/customers/{ref}.json", headers=basic(*([key] if key else [])))
    return response.status_code, json.loads(response.body, parse_float=Decimal)


def test_each_store_numbers_its_customers_from_one(client: Any, store: str) -> None:
    made = [make_customer(1, firstname=f"C{n}") for n in range(3)]
    other = make_customer(1, store_code=OTHER_STORE)
    assert [number(customer_id) for customer_id in made] == [1, 2, 3]
    assert number(other, OTHER_STORE) == 1


def test_the_integer_id_addresses_the_customer_and_json_answers_numbers(
    client: Any, store: str
) -> None:
    make_customer(1)
    juan = make_customer(30511, firstname="Juan")
    status, body = get_json(client, 2)
    assert status == 200
    assert body["id"] == 2 and isinstance(body["id"], int)
    assert body["first_name"] == "Juan"
    assert body["point_to_amount_ratio"] == Decimal("1.0")
    assert client.get("/api/customers/2.xml", headers=basic()).body.count(b"<id>2</id>") == 1
    # The string id clients used before still finds it, answered with the integer.
    assert get_json(client, juan)[1]["id"] == 2


def test_another_stores_number_is_not_found(client: Any, store: str) -> None:
    make_customer(1, store_code=OTHER_STORE)
    assert get_json(client, 1)[0] == 404
    assert get_json(client, 1, OTHER_API_KEY)[0] == 200


@pytest.mark.parametrize("ref", ["0", "99", "9" * 40, "-1", "1.5", "1e3"])
def test_unknown_or_odd_numbers_are_404(client: Any, store: str, ref: str) -> None:
    make_customer(1)
    status, body = get_json(client, ref)
    assert status == 404
    assert body["errors"] == ["Customer not found"]


def test_the_spend_takes_the_integer_id(aws_calls: Any, client: Any, store: str) -> None:
    member = make_customer(100)
    path = f"/api/rewards.json?q=spend&customer_id={number(member)}&amount=30"
    client.post(path, headers=basic())  # warms the store and type caches
    aws_calls.reset()
    response = client.post(path, headers=basic())
    # The credential, the index, the customer read consistently, its batches, the transaction.
    assert [op for _, op in aws_calls.operations] == [
        "GetItem",
        "Query",
        "GetItem",
        "Query",
        "TransactWriteItems",
    ]
    assert json.loads(response.body)["points-available"] == 40.0
    assert balance(member)[0] == 40


def test_a_customer_made_before_ids_gets_one_on_its_first_read(client: Any, store: str) -> None:
    make_customer(1)
    old = make_customer(5, firstname="Old")
    strip_id(old)
    status, body = get_json(client, old)  # by the id clients knew
    assert (status, body["id"]) == (200, 3)  # 1 and 2 were given at creation
    assert get_json(client, old)[1]["id"] == 3  # given once
    assert get_json(client, 3)[1]["first_name"] == "Old"


def test_number_customers_gives_every_older_customer_an_id_once(
    client: Any, store: str, capsys: pytest.CaptureFixture[str]
) -> None:
    made = [make_customer(1) for _ in range(5)]
    for customer_id in made[1:4]:
        strip_id(customer_id)
    other = make_customer(1, store_code=OTHER_STORE)
    strip_id(other, OTHER_STORE)

    assert cli.main(["number-customers", STORE]) == 0
    assert capsys.readouterr().out == f"3 customer(s) of store {STORE} numbered\n"
    numbers = [number(customer_id) for customer_id in made]
    assert numbers[0] == 1 and numbers[4] == 5
    assert sorted(numbers[1:4]) == [6, 7, 8]  # new ids; the old ones stay unused
    assert CustomerModel.get(OTHER_STORE, other).imonggo_id is None  # another store's run
    assert records.number_customers(STORE) == 0
    for customer_id, imonggo_id in zip(made, numbers, strict=True):
        assert get_json(client, imonggo_id)[0] == 200
        assert number(customer_id) == imonggo_id


def test_a_creation_that_fails_after_its_id_leaves_a_gap_never_a_repeat(store: str) -> None:
    first = add_customer(STORE, "a@example.com")

    def crash(event_name: str, **_: Any) -> None:
        if event_name.endswith("TransactWriteItems"):
            raise RuntimeError("crash between the counter and the transaction")

    with hooked_clients(crash), pytest.raises(RuntimeError):
        add_customer(STORE, "b@example.com")
    second = add_customer(STORE, "b@example.com")

    assert (first.imonggo_id, second.imonggo_id) == (1, 3)
    assert records.find_by_email(STORE, "b@example.com", consistent=True) is not None
    assert records.customers_count(STORE) == 2  # the counter item is not a share


def test_concurrent_creations_never_share_an_id(served_aws: dict[str, str]) -> None:
    def create(n: int) -> str:
        return make_customer(1, store_code=RACE_STORE, email=f"racer{n}@example.com")

    with ThreadPoolExecutor(max_workers=20) as pool:
        made = list(pool.map(create, range(40)))

    assert sorted(number(customer_id, RACE_STORE) for customer_id in made) == list(range(1, 41))
