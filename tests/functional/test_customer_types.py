"""Customer types (admin): create, list, read, change, delete, and give a customer a type."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from chalicelib.domain.access import auth
from chalicelib.domain.access.auth import Principal, Role
from chalicelib.domain.customers import customer_types
from chalicelib.storage.customer_types import CustomerTypeModel
from chalicelib.storage.customers import CustomerModel, UniqueValueModel
from tests.fixtures.clients import OTHER_API_KEY, STORE, bearer, body_of
from tests.fixtures.imonggo import admin_token, basic, make_customer, make_type

TYPES = f"/api/{STORE}/customerType"


def create(client: Any, body: dict[str, Any], headers: dict[str, str] | None = None) -> Any:
    return client.post(TYPES, headers=headers or bearer(), body=json.dumps(body))


def test_create_answers_201_with_a_small_numeric_id(client: Any) -> None:
    response = create(client, {"name": "Gold", "pointToAmountRatio": 200})
    assert response.status_code == 201
    body = body_of(response)
    assert body["customerTypeId"] == "1"
    assert (body["name"], body["pointToAmountRatio"], body["discount"]) == ("Gold", 200, 0)
    assert body["createdAt"].endswith("Z")

    second = create(client, {"name": "Silver", "point_to_amount_ratio": "0.5", "discount": 12.5})
    assert body_of(second)["customerTypeId"] == "2"
    assert body_of(second)["pointToAmountRatio"] == 0.5
    assert body_of(second)["discount"] == 12.5


def test_create_takes_a_form_body_and_an_admin_login(client: Any) -> None:
    headers = {**admin_token(), "Content-Type": "application/x-www-form-urlencoded"}
    response = client.post(TYPES, headers=headers, body="name=Gold&pointToAmountRatio=200.5")
    assert response.status_code == 201
    stored = CustomerTypeModel.get(STORE, body_of(response)["customerTypeId"])
    assert stored.point_to_amount_ratio == Decimal("200.5")


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        (
            {},
            {
                "name": ["The name field is required."],
                "pointToAmountRatio": ["The pointToAmountRatio field is required."],
            },
        ),
        (
            {"name": "  ", "pointToAmountRatio": 1},
            {"name": ["The name field is required."]},
        ),
        (
            {"name": "8", "pointToAmountRatio": 1},
            {"name": ["The name may not be only digits: those are customer type ids."]},
        ),
        (
            {"name": "Gold", "pointToAmountRatio": "abc"},
            {"pointToAmountRatio": ["The pointToAmountRatio must be a number."]},
        ),
        (
            {"name": "Gold", "pointToAmountRatio": 0},
            {
                "pointToAmountRatio": [
                    "The point to amount ratio must be greater than 0 and at most 1000000."
                ]
            },
        ),
        (
            {"name": "Gold", "pointToAmountRatio": "-2"},
            {
                "pointToAmountRatio": [
                    "The point to amount ratio must be greater than 0 and at most 1000000."
                ]
            },
        ),
        (
            {"name": "Gold", "pointToAmountRatio": "0.00001"},
            {
                "pointToAmountRatio": [
                    "The point to amount ratio may have at most 4 decimal places."
                ]
            },
        ),
        (
            {"name": "Gold", "pointToAmountRatio": 1, "discount": 101},
            {"discount": ["The discount must be a percentage between 0 and 100."]},
        ),
        (
            {"name": "Gold", "pointToAmountRatio": 1, "discount": "1.234"},
            {"discount": ["The discount may have at most 2 decimal places."]},
        ),
    ],
)
def test_bad_input_is_a_422_naming_the_fields(
    client: Any, body: dict[str, Any], errors: dict[str, list[str]]
) -> None:
    response = create(client, body)
    assert response.status_code == 422
    assert body_of(response)["errors"] == errors
    assert list(CustomerTypeModel.query(STORE)) == []


def test_names_are_unique_in_a_store_ignoring_case(client: Any) -> None:
    create(client, {"name": "Gold", "pointToAmountRatio": 200})
    response = create(client, {"name": " GOLD ", "pointToAmountRatio": 100})
    assert response.status_code == 422
    assert body_of(response)["errors"] == {"name": ["The name has already been taken."]}
    # Another store may use the name.
    other = create(client, {"name": "Gold", "pointToAmountRatio": 1}, bearer(OTHER_API_KEY))
    assert other.status_code == 403  # its key may not touch DEFAULT's path
    assert make_type("Gold", "1", store_code="OTHER") == "1"


def test_list_is_in_id_order_without_the_counter_and_one_query(aws_calls: Any, client: Any) -> None:
    for n in range(11):
        make_type(f"Level {n}", str(n + 1))
    aws_calls.reset()
    response = client.get(TYPES, headers=bearer())
    body = body_of(response)
    assert body["total"] == 11
    assert [item["customerTypeId"] for item in body["items"]] == [str(n) for n in range(1, 12)]
    assert aws_calls.count("Query") == 1
    assert aws_calls.count() == 2  # the credential and the Query


def test_read_by_id_or_name_and_404(client: Any) -> None:
    type_id = make_type("Gold Club", "200")
    by_id = client.get(f"{TYPES}/{type_id}", headers=bearer())
    by_name = client.get(f"{TYPES}/gold%20club", headers=bearer())
    assert body_of(by_id) == body_of(by_name)
    assert body_of(by_id)["name"] == "Gold Club"
    missing = client.get(f"{TYPES}/99", headers=bearer())
    assert missing.status_code == 404
    assert body_of(missing)["code"] == "customer_type_not_found"


def test_update_changes_only_what_is_given_and_moves_the_name(client: Any) -> None:
    type_id = make_type("Gold", "200", discount="5")
    response = client.put(
        f"{TYPES}/{type_id}", headers=bearer(), body=json.dumps({"pointToAmountRatio": 150})
    )
    assert response.status_code == 200
    assert (body_of(response)["pointToAmountRatio"], body_of(response)["discount"]) == (150, 5)

    renamed = client.put(f"{TYPES}/Gold", headers=bearer(), body=json.dumps({"name": "Platinum"}))
    assert body_of(renamed)["name"] == "Platinum"
    assert make_type("Gold", "1") == "2"  # the old name is free again
    taken = client.put(f"{TYPES}/Platinum", headers=bearer(), body=json.dumps({"name": "gold"}))
    assert taken.status_code == 422
    assert body_of(taken)["errors"] == {"name": ["The name has already been taken."]}
    bad = client.put(f"{TYPES}/{type_id}", headers=bearer(), body=json.dumps({"discount": -1}))
    assert bad.status_code == 422
    assert body_of(client.get(f"{TYPES}/{type_id}", headers=bearer()))["name"] == "Platinum"


def test_delete_frees_the_name_but_never_reuses_the_id(client: Any) -> None:
    type_id = make_type("Gold", "200")
    assert client.delete(f"{TYPES}/{type_id}", headers=bearer()).status_code == 204
    assert client.get(f"{TYPES}/{type_id}", headers=bearer()).status_code == 404
    assert client.delete(f"{TYPES}/{type_id}", headers=bearer()).status_code == 404
    assert make_type("Gold", "100") == "2"
    assert UniqueValueModel.get(f"{STORE}#customer_type#gold").owner_id == "2"


def test_a_customer_is_given_a_type_by_id_email_or_public_key(client: Any) -> None:
    gold = make_type("Gold", "200")
    member = make_customer(10, email="ana@example.com", public_key="POS-77")
    for ref in (member, "ANA@example.com", "POS-77"):
        response = client.put(f"{TYPES}/Gold/customers/{ref}", headers=bearer())
        assert response.status_code == 200
        assert body_of(response) == {
            "customerId": member,
            "customerTypeId": gold,
            "customerTypeName": "Gold",
        }
    assert CustomerModel.get(STORE, member).customer_type_id == gold
    shown = client.get(f"/api/customers/{member}.json", headers=basic())
    assert body_of(shown)["customer_type_name"] == "Gold"


def test_removing_a_type_from_a_customer(client: Any) -> None:
    make_type("Gold", "200")
    make_type("Silver", "100")
    member = make_customer(10, customer_type_id="gold")  # as a claim stores it
    not_theirs = client.delete(f"{TYPES}/Silver/customers/{member}", headers=bearer())
    assert not_theirs.status_code == 404
    assert client.delete(f"{TYPES}/1/customers/{member}", headers=bearer()).status_code == 204
    assert CustomerModel.get(STORE, member).customer_type_id is None


def test_unknown_customer_or_type_is_a_404(client: Any) -> None:
    make_type("Gold", "200")
    member = make_customer(10)
    no_customer = client.put(f"{TYPES}/Gold/customers/nobody@example.com", headers=bearer())
    assert no_customer.status_code == 404
    assert body_of(no_customer)["code"] == "customer_not_found"
    no_type = client.put(f"{TYPES}/Bronze/customers/{member}", headers=bearer())
    assert body_of(no_type)["code"] == "customer_type_not_found"


def test_tenancy_and_roles(client: Any) -> None:
    make_type("Gold", "200")
    outsider = make_customer(10, store_code="OTHER")
    assert client.get(TYPES, headers=bearer(OTHER_API_KEY)).status_code == 403
    # DEFAULT's type cannot be given to OTHER's customer.
    response = client.put(f"{TYPES}/Gold/customers/{outsider}", headers=bearer())
    assert response.status_code == 404
    assert CustomerModel.get("OTHER", outsider).customer_type_id is None
    # OTHER has no types of its own.
    assert body_of(client.get("/api/OTHER/customerType", headers=bearer(OTHER_API_KEY))) == {
        "items": [],
        "total": 0,
    }
    customer_token = auth.issue_token(Principal(STORE, Role.CUSTOMER, "someone"))
    assert client.get(TYPES, headers=bearer(customer_token)).status_code == 403
    assert client.get(TYPES).status_code == 401


def test_a_type_made_in_another_process_is_found_after_a_miss(
    aws_calls: Any, store: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert customer_types.find_customer_type(STORE, "Gold") is None  # caches the empty list
    # Another process creates the type: this process's cache is not told.
    CustomerTypeModel(
        STORE,
        "1",
        name="Gold",
        point_to_amount_ratio=Decimal(200),
        discount=Decimal(0),
        created_at=datetime.now(UTC),
    ).save()
    aws_calls.reset()
    assert customer_types.find_customer_type(STORE, "Gold") is None
    assert aws_calls.count() == 0  # a miss right after a load does not query again

    monkeypatch.setattr(customer_types, "REFRESH_ON_MISS_SECONDS", 0.0)  # as if seconds passed
    found = customer_types.find_customer_type(STORE, "gold")
    assert found is not None and found.type_id == "1"
    assert aws_calls.count("Query") == 1
    aws_calls.reset()
    assert customer_types.find_customer_type(STORE, "1") == found
    assert aws_calls.count() == 0  # a hit is served from the cache
