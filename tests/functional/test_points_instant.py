"""Coggins instant balance edits: `POST /api/v1/points/{csapikey}/INSTANT`, item by item."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from chalicelib.domain.customers import records
from chalicelib.domain.points import accounts, ledger
from chalicelib.domain.points.accounts import InstantEdit
from chalicelib.domain.points.ledger import EntryKind, Posting
from chalicelib.storage.customers import CustomerModel
from chalicelib.storage.ledger import LedgerEntryModel, account_key
from tests.fixtures.aws import AwsCalls
from tests.fixtures.clients import OTHER_API_KEY, OTHER_STORE, STORE, body_of
from tests.fixtures.factories import make_customer_type
from tests.fixtures.points import _instant


def _customer(email: str, points_: int, store_code: str = STORE) -> str:
    customer = records.new_customer(store_code, email)
    ledger.post(Posting(store_code, customer.customer_id, points_, EntryKind.EARN), customer)
    return customer.customer_id


def _entries(customer_id: str, store_code: str = STORE) -> list[LedgerEntryModel]:
    return list(LedgerEntryModel.query(account_key(store_code, customer_id), consistent_read=True))


def _balance_is_its_ledger(customer_id: str, store_code: str = STORE) -> int:
    customer = CustomerModel.get(store_code, customer_id, consistent_read=True)
    available = int(customer.points_available)
    assert available >= 0
    assert available == sum(int(entry.amount) for entry in _entries(customer_id, store_code))
    return available


def test_an_unknown_customer_type_is_that_items_error_and_a_known_one_is_set(
    aws_calls: AwsCalls, client: Any
) -> None:
    gold = make_customer_type("Gold")
    known = _customer("known@example.com", 100)
    aws_calls.reset()

    response = _instant(
        client,
        [
            {"amount": 10, "email": "known@example.com", "customerType": "Tin"},
            {"amount": 20, "email": "known@example.com", "customerType": "gold"},
            {"amount": 30, "email": "fresh@example.com", "customerType": gold.type_id},
            {"amount": 40, "email": "other@example.com", "customerType": "Platinum"},
        ],
    )

    assert response.status_code == 200
    outcomes = body_of(response)
    assert [outcome["applied"] for outcome in outcomes] == [False, True, True, False]
    assert outcomes[0]["error"] == {
        "message": "The customer type does not exist in this store.",
        "code": "unknown_customer_type",
        "errors": {"customerType": ["The customer type does not exist in this store."]},
    }
    assert outcomes[0]["AvailablePoints"] == 100  # the customer's balance, untouched by it
    assert "AvailablePoints" not in outcomes[3]  # nobody was created for it
    assert aws_calls.count("Query") == 1  # the store's types, once for the whole request
    assert _balance_is_its_ledger(known) == 120
    assert CustomerModel.get(STORE, known).customer_type_id == "gold"
    fresh = records.find_by_email(STORE, "fresh@example.com", consistent=True)
    assert fresh is not None and fresh.customer_type_id == gold.type_id
    assert records.find_by_email(STORE, "other@example.com", consistent=True) is None


def test_a_mixed_batch_applies_each_item_on_its_own(client: Any) -> None:
    rich = _customer("rich@example.com", 500)
    poor = _customer("poor@example.com", 50)

    response = _instant(
        client,
        [
            {"amount": 400, "email": "New@Example.com "},
            {"amount": -100, "email": "RICH@example.com"},
            {"amount": -80, "email": "poor@example.com"},
            {"amount": 0, "email": "rich@example.com"},
            {"amount": 1.5, "email": "not an email"},
            {"email": "rich@example.com"},
            "not an object",
            {"amount": -5, "email": "ghost@example.com"},
        ],
    )

    assert response.status_code == 200
    outcomes = body_of(response)
    assert outcomes[:3] == [
        {
            "email": "New@example.com",
            "amount": 400,
            "applied": True,
            "AvailablePoints": 400,
            "UsedPoints": 0,
        },
        {
            "email": "RICH@example.com",
            "amount": -100,
            "applied": True,
            "AvailablePoints": 400,
            "UsedPoints": 0,
        },
        {
            "email": "poor@example.com",
            "amount": -80,
            "applied": False,
            "AvailablePoints": 50,
            "UsedPoints": 0,
            "error": {
                "message": "Insufficient points: 80 needed, 50 available.",
                "code": "insufficient_points",
                "available": 50,
                "requested": 80,
            },
        },
    ]
    invalid = outcomes[3:7]
    assert [item["applied"] for item in invalid] == [False] * 4
    assert [item["error"]["code"] for item in invalid] == ["validation_failed"] * 4
    assert [item["error"]["errors"] for item in invalid] == [
        {"amount": ["The amount must not be zero."]},
        {
            "amount": ["The amount must be an integer."],
            "email": ["The email must be a valid email address."],
        },
        {"amount": ["The amount field is required."]},
        {"item": ["Each item must be an object."]},
    ]
    assert [(item["email"], item["amount"]) for item in invalid] == [
        ("rich@example.com", 0),
        ("not an email", 1.5),
        ("rich@example.com", None),
        (None, None),
    ]
    assert "AvailablePoints" not in outcomes[3]
    assert outcomes[7] == {
        "email": "ghost@example.com",
        "amount": -5,
        "applied": False,
        "error": {"message": "Customer not found.", "code": "customer_not_found"},
    }

    created = records.find_by_email(STORE, "new@example.com")
    assert created is not None and created.email == "New@example.com"
    assert records.find_by_email(STORE, "ghost@example.com") is None
    for customer_id, expected in ((rich, 400), (poor, 50), (created.customer_id, 400)):
        assert _balance_is_its_ledger(customer_id) == expected
    assert [int(e.amount) for e in _entries(rich)] == [500, -100]
    assert CustomerModel.count(STORE) == 3


def test_entries_are_instant_adjustments_by_the_key(client: Any) -> None:
    rich = _customer("rich@example.com", 500)

    _instant(client, [{"amount": -1, "email": "rich@example.com"}])

    entry = _entries(rich)[-1]
    assert (entry.kind, entry.reason, entry.reference) == ("adjust", "instant", None)
    assert entry.actor.startswith("store:")
    assert int(CustomerModel.get(STORE, rich).points_used) == 0


def test_a_repeated_email_applies_in_order(client: Any) -> None:
    outcomes = body_of(
        _instant(
            client,
            [
                {"amount": 50, "email": "twice@example.com"},
                {"amount": -30, "email": "Twice@example.com"},
                {"amount": -30, "email": " twice@example.com"},
                {"amount": 10, "email": "twice@example.com"},
                {"amount": -30, "email": "twice@example.com"},
            ],
        )
    )

    assert [(o["applied"], o["AvailablePoints"]) for o in outcomes] == [
        (True, 50),
        (True, 20),
        (False, 20),
        (True, 30),
        (True, 0),
    ]
    customer = records.find_by_email(STORE, "twice@example.com")
    assert customer is not None
    assert _balance_is_its_ledger(customer.customer_id) == 0
    assert CustomerModel.count(STORE) == 1


def test_the_documents_example_with_its_trailing_comma_is_400(client: Any) -> None:
    example = """[
    { "amount": 400,
    "email": "atest@corderindustries.com" },
    { "amount": -100,
    "email": "atest2@corderindustries.com " },
    ]"""

    response = _instant(client, example)

    assert response.status_code == 400
    assert body_of(response)["code"] == "malformed_json"
    assert CustomerModel.count(STORE) == 0

    fixed = example.replace("},\n    ]", "}\n    ]")
    outcomes = body_of(_instant(client, fixed))
    assert [o["applied"] for o in outcomes] == [True, False]
    assert outcomes[1]["email"] == "atest2@corderindustries.com"
    assert outcomes[1]["error"]["code"] == "customer_not_found"


@pytest.mark.parametrize("body", [{"amount": 1, "email": "a@example.com"}, "", "null"])
def test_a_body_that_is_not_an_array_is_422(client: Any, body: Any) -> None:
    response = _instant(client, body)

    assert response.status_code == 422
    assert body_of(response)["errors"] == {"body": ["The request body must be a JSON array."]}


def test_an_empty_array_does_nothing(client: Any) -> None:
    response = _instant(client, [])

    assert (response.status_code, body_of(response)) == (200, [])


def test_more_than_1000_items_are_refused_before_anything_is_written(client: Any) -> None:
    items = [{"amount": 1, "email": f"c{n}@example.com"} for n in range(1001)]

    response = _instant(client, items)

    assert response.status_code == 422
    assert body_of(response)["code"] == "too_many_items"
    assert CustomerModel.count(STORE) == 0


@pytest.mark.parametrize("key", ["not-a-key-0123456789", " "])
def test_a_bad_key_is_401(client: Any, key: str) -> None:
    response = _instant(client, [{"amount": 1, "email": "a@example.com"}], key=key)

    assert response.status_code == 401
    assert CustomerModel.count(STORE) == 0


def test_a_key_of_another_store_edits_only_its_own_store(client: Any) -> None:
    mine = _customer("shared@example.com", 100)

    outcomes = body_of(
        _instant(
            client,
            [
                {"amount": -10, "email": "shared@example.com"},
                {"amount": 5, "email": "shared@example.com"},
            ],
            key=OTHER_API_KEY,
        )
    )

    assert outcomes[0]["error"]["code"] == "customer_not_found"
    assert outcomes[1]["AvailablePoints"] == 5
    theirs = records.find_by_email(OTHER_STORE, "shared@example.com")
    assert theirs is not None and theirs.customer_id != mine
    assert _balance_is_its_ledger(mine) == 100
    assert _balance_is_its_ledger(theirs.customer_id, OTHER_STORE) == 5


def test_the_same_request_with_one_idempotency_key_applies_once(client: Any) -> None:
    rich = _customer("rich@example.com", 500)
    items = [{"amount": -100, "email": "rich@example.com"}]

    first = _instant(client, items, **{"Idempotency-Key": "edit-1"})
    second = _instant(client, items, **{"Idempotency-Key": "edit-1"})

    assert first.body == second.body
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert _balance_is_its_ledger(rich) == 400
    assert [e.reference for e in _entries(rich)] == [None, "edit-1"]

    third = _instant(client, items, **{"Idempotency-Key": "edit-2"})
    assert body_of(third)[0]["AvailablePoints"] == 300
    assert _balance_is_its_ledger(rich) == 300


def test_customers_are_read_in_batches_then_one_transaction_per_item(
    aws_calls: AwsCalls, client: Any
) -> None:
    for n in range(3):
        _customer(f"c{n}@example.com", 10)
    aws_calls.reset()

    _instant(client, [{"amount": -1, "email": f"c{n % 3}@example.com"} for n in range(6)])

    # The key; the email guards and their customers in one batch each; then the postings,
    # each a debit: the Query of the batches it takes from and its transaction.
    assert (
        aws_calls.operations
        == [
            ("dynamodb", "GetItem"),
            ("dynamodb", "BatchGetItem"),
            ("dynamodb", "BatchGetItem"),
        ]
        + [("dynamodb", "Query"), ("dynamodb", "TransactWriteItems")] * 6
    )


def test_a_credit_racing_a_new_customer_goes_to_the_one_created(store: str) -> None:
    # The up-front read missed the customer (empty accounts), as if it was created meanwhile.
    rival = _customer("race@example.com", 20)
    edit = InstantEdit(amount=5, email="race@example.com")

    balance = accounts._apply(STORE, edit, {}, "store:test", None)

    assert balance == accounts.Balance(25, 0)
    assert _balance_is_its_ledger(rival) == 25
    assert CustomerModel.count(STORE) == 1


RACERS = 30


@pytest.mark.usefixtures("served_aws")
def test_concurrent_debits_never_overdraw() -> None:
    customer_id = _customer("busy@example.com", 100, "RACE")

    def debit(_: int) -> bool:
        edit = [{"amount": -10, "email": "busy@example.com"}]
        outcome = accounts.instant_edit("RACE", edit, "store:race")[0]
        assert outcome.applied or outcome.error.code == "insufficient_points"
        return outcome.applied

    with ThreadPoolExecutor(max_workers=RACERS) as pool:
        applied = list(pool.map(debit, range(RACERS)))

    assert applied.count(True) == 10
    assert _balance_is_its_ledger(customer_id, "RACE") == 0
    assert len(_entries(customer_id, "RACE")) == 11
