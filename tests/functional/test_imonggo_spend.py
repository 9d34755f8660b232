"""Imonggo's reward API: `POST /api/rewards.xml|.json?q=spend&customer_id=&amount=&reference=`."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode
from xml.etree import ElementTree

import pytest

from chalicelib.domain.access import auth, stores
from chalicelib.domain.customers import customer_types
from chalicelib.domain.points import spending
from chalicelib.domain.points.ledger import InsufficientPointsError
from tests.fixtures.clients import OTHER_API_KEY, STORE
from tests.fixtures.imonggo import XML_TYPE, balance, basic, make_customer, make_type, spend_path

DOCUMENT_HASH = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    "<hash>",
    '<points-spent type="decimal">2000.0</points-spent>',
    '<amount-spent type="decimal">10.0</amount-spent>',
    '<points-available type="decimal">28511.0</points-available>',
    "</hash>",
]


def errors_of(body: bytes) -> list[str | None]:
    root = ElementTree.fromstring(body)
    assert root.tag == "errors"
    return [element.text for element in root]


@pytest.fixture
def juan(store: str) -> str:
    """The document's customer: 30511 points, a type with ratio 200."""
    return make_customer(30511, customer_type_id=make_type("Gold", "200"))


def test_the_documents_spend(client: Any, juan: str) -> None:
    response = client.post(
        spend_path(customer_id=juan, amount="10", reference="X-1"), headers=basic()
    )

    assert response.status_code == 200
    assert response.headers["Content-Type"] == XML_TYPE
    assert response.body.decode().splitlines() == DOCUMENT_HASH
    available, used, entries = balance(juan)
    assert (available, used) == (28511, 2000)
    spend = [entry for entry in entries if entry.kind == "spend"]
    assert [(int(e.amount), e.reference) for e in spend] == [(-2000, "X-1")]
    assert spend[0].actor.startswith("store:")
    assert available == sum(int(entry.amount) for entry in entries)


def test_json_answers_numbers(client: Any, juan: str) -> None:
    response = client.post(spend_path(".json", customer_id=juan, amount="10.05"), headers=basic())
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.body.decode() == (
        '{"points-spent": 2010.0, "amount-spent": 10.05, "points-available": 28501.0}'
    )


@pytest.mark.parametrize(
    ("accept", "xml"), [("application/xml", True), ("application/json", False)]
)
def test_plain_rewards_chooses_by_accept(client: Any, juan: str, accept: str, xml: bool) -> None:
    response = client.post(
        spend_path("", customer_id=juan, amount="1"), headers=basic(Accept=accept)
    )
    assert response.status_code == 200
    assert response.body.startswith(b"<?xml") is xml


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/x-www-form-urlencoded", "q=spend&customer_id={id}&amount=10&reference=F-1"),
        (
            "application/json",
            '{{"q": "spend", "customer_id": "{id}", "amount": 10, "reference": "F-1"}}',
        ),
    ],
)
def test_parameters_may_come_in_the_body(
    client: Any, juan: str, content_type: str, body: str
) -> None:
    response = client.post(
        "/api/rewards.xml",
        headers=basic(**{"Content-Type": content_type}),
        body=body.format(id=juan),
    )
    assert response.status_code == 200
    assert response.body.decode().splitlines() == DOCUMENT_HASH
    assert [e.reference for e in balance(juan)[2] if e.kind == "spend"] == ["F-1"]


def test_without_a_type_the_store_ratio_prices_the_points(client: Any, store: str) -> None:
    stores.create_store("RATIO", point_to_amount_ratio=Decimal("2.5"))
    auth.create_api_key("RATIO", key="ratio-api-key-0123456789")
    member = make_customer(100, store_code="RATIO")
    response = client.post(
        spend_path(".json", customer_id=member, amount="4"),
        headers=basic("ratio-api-key-0123456789"),
    )
    assert json.loads(response.body) == {
        "points-spent": 10.0,
        "amount-spent": 4.0,
        "points-available": 90.0,
    }


def test_a_type_named_by_a_claim_prices_the_points(client: Any, store: str) -> None:
    make_type("Bronze", "30")
    member = make_customer(100, customer_type_id="BRONZE")
    response = client.post(spend_path(".json", customer_id=member, amount="0.1"), headers=basic())
    assert json.loads(response.body)["points-spent"] == 3.0  # Decimal: 0.1 * 30 is exactly 3


def test_insufficient_points_is_a_422_and_changes_nothing(client: Any, juan: str) -> None:
    response = client.post(spend_path(customer_id=juan, amount="152.56"), headers=basic())

    assert response.status_code == 422
    assert response.headers["Content-Type"] == XML_TYPE
    assert response.body.decode().splitlines() == [
        '<?xml version="1.0" encoding="UTF-8"?>',
        "<errors>",
        "<error>Insufficient points</error>",
        "</errors>",
    ]
    response = client.post(spend_path(".json", customer_id=juan, amount="152.56"), headers=basic())
    assert response.status_code == 422
    assert json.loads(response.body) == {
        "errors": ["Insufficient points"],
        "message": "Insufficient points",
        "code": "insufficient_points",
    }
    available, used, entries = balance(juan)
    assert (available, used, len(entries)) == (30511, 0, 1)


def test_amounts_are_in_cents_and_a_spend_may_leave_one_point(client: Any, juan: str) -> None:
    response = client.post(spend_path(".json", customer_id=juan, amount="152.555"), headers=basic())
    assert response.status_code == 422  # three decimals: refused before anything is read
    response = client.post(spend_path(".json", customer_id=juan, amount="152.55"), headers=basic())
    assert json.loads(response.body)["points-available"] == 1.0  # 30511 - 152.55 * 200
    response = client.post(spend_path(".json", customer_id=juan, amount="0.01"), headers=basic())
    assert json.loads(response.body)["code"] == "insufficient_points"  # 2 points, 1 left
    assert balance(juan)[0] == 1


def test_unknown_customer_and_another_stores_customer_are_404(client: Any, juan: str) -> None:
    for path, headers in (
        (spend_path(customer_id="nobody", amount="1"), basic()),
        (spend_path(customer_id=juan, amount="1"), basic(OTHER_API_KEY)),
    ):
        response = client.post(path, headers=headers)
        assert response.status_code == 404
        assert errors_of(response.body) == ["Customer not found"]
    assert balance(juan)[0] == 30511


@pytest.mark.parametrize("q", [None, "earn", "SPEND", ""])
def test_q_other_than_spend_is_a_400(client: Any, juan: str, q: str | None) -> None:
    path = "/api/rewards.json?" + urlencode(
        {k: v for k, v in {"q": q, "customer_id": juan, "amount": "1"}.items() if v is not None}
    )
    response = client.post(path, headers=basic())
    assert response.status_code == 400
    assert json.loads(response.body)["code"] == "unsupported_query"
    assert balance(juan)[0] == 30511


@pytest.mark.parametrize(
    ("params", "errors"),
    [
        ({"amount": "1"}, {"customer_id": ["The customer id field is required."]}),
        ({"customer_id": "{id}"}, {"amount": ["The amount field is required."]}),
        ({"customer_id": "{id}", "amount": "ten"}, {"amount": ["The amount must be a number."]}),
        ({"customer_id": "{id}", "amount": "NaN"}, {"amount": ["The amount must be a number."]}),
        ({"customer_id": "{id}", "amount": "inf"}, {"amount": ["The amount must be a number."]}),
        (
            {"customer_id": "{id}", "amount": "0"},
            {"amount": ["The amount must be greater than 0."]},
        ),
        (
            {"customer_id": "{id}", "amount": "-10"},
            {"amount": ["The amount must be greater than 0."]},
        ),
    ],
)
def test_bad_parameters_are_422_with_per_field_errors(
    client: Any, juan: str, params: dict[str, str], errors: dict[str, list[str]]
) -> None:
    params = {key: value.format(id=juan) for key, value in params.items()}
    response = client.post(spend_path(".json", **params), headers=basic())
    assert response.status_code == 422
    body = json.loads(response.body)
    assert (body["code"], body["fields"]) == ("validation_failed", errors)
    assert body["errors"] == [text for texts in errors.values() for text in texts]

    response = client.post(spend_path(".xml", **params), headers=basic())
    assert response.status_code == 422
    assert errors_of(response.body) == [text for texts in errors.values() for text in texts]
    assert balance(juan)[0] == 30511


def test_every_bad_parameter_is_named_at_once_in_xml(client: Any, store: str) -> None:
    response = client.post(spend_path(amount="abc"), headers=basic())
    assert response.status_code == 422
    assert errors_of(response.body) == [
        "The customer id field is required.",
        "The amount must be a number.",
    ]


def test_an_amount_that_is_not_whole_points_is_refused(client: Any, store: str) -> None:
    member = make_customer(100, customer_type_id=make_type("Half", "0.5"))
    response = client.post(spend_path(".json", customer_id=member, amount="3"), headers=basic())
    assert response.status_code == 422
    assert json.loads(response.body)["code"] == "amount_not_convertible"
    assert balance(member)[0] == 100
    response = client.post(spend_path(".json", customer_id=member, amount="4"), headers=basic())
    assert json.loads(response.body)["points-spent"] == 2.0


def test_a_reference_is_not_unique_two_spends_both_apply(client: Any, juan: str) -> None:
    for _ in range(2):
        response = client.post(
            spend_path(customer_id=juan, amount="10", reference="INV-7"), headers=basic()
        )
        assert response.status_code == 200
    available, _, entries = balance(juan)
    assert available == 30511 - 2 * 2000
    assert [e.reference for e in entries if e.kind == "spend"] == ["INV-7", "INV-7"]


def test_an_idempotency_key_makes_a_retry_apply_once(client: Any, juan: str) -> None:
    headers = basic(**{"Idempotency-Key": "spend-once-1"})
    path = spend_path(customer_id=juan, amount="10", reference="X-1")
    first = client.post(path, headers=headers)
    retry = client.post(path, headers=headers)

    assert first.status_code == retry.status_code == 200
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.body.decode().splitlines() == DOCUMENT_HASH
    assert balance(juan)[0] == 28511
    other = client.post(spend_path(customer_id=juan, amount="11"), headers=headers)
    assert other.status_code == 422  # the same key for another request
    assert balance(juan)[0] == 28511


def test_xml_content_type_with_an_xml_body_is_415_not_a_500(client: Any, juan: str) -> None:
    response = client.post(
        "/api/rewards.xml", headers=basic(), body="<reward><amount>1</amount></reward>"
    )
    assert response.status_code == 415
    assert errors_of(response.body) == ["Unsupported content type: application/xml."]


def test_a_spend_is_two_reads_and_one_transaction(aws_calls: Any, client: Any, juan: str) -> None:
    order = spending.spend_order(juan, "1", "C-1")
    spending.spend(STORE, order)  # warms the store and customer type caches
    aws_calls.reset()

    spent = spending.spend(STORE, order)

    assert spent.points_spent == 200
    # The customer, the batches the points come from (one Query), the transaction.
    spend_calls = [
        ("dynamodb", "GetItem"),
        ("dynamodb", "Query"),
        ("dynamodb", "TransactWriteItems"),
    ]
    assert aws_calls.operations == spend_calls
    aws_calls.reset()
    response = client.post(spend_path(customer_id=juan, amount="1"), headers=basic())
    assert response.status_code == 200
    # Over HTTP: the credential, then the same calls.
    assert aws_calls.operations == [("dynamodb", "GetItem"), *spend_calls]


def test_a_cold_process_adds_only_the_cached_lookups(aws_calls: Any, juan: str) -> None:
    stores.clear_store_cache()
    customer_types.clear_cache()
    aws_calls.reset()
    spending.spend(STORE, spending.spend_order(juan, "1", None))
    # The customer, the store's types (one Query, then cached), the batches, the transaction.
    assert aws_calls.operations == [
        ("dynamodb", "GetItem"),
        ("dynamodb", "Query"),
        ("dynamodb", "Query"),
        ("dynamodb", "TransactWriteItems"),
    ]


# --- concurrency against the serialized embedded AWS -------------------------------------------

RACERS = 40


def test_concurrent_spends_never_overspend(served_aws: dict[str, str]) -> None:
    member = make_customer(
        200, store_code="RACE", customer_type_id=make_type("Ten", "10", store_code="RACE")
    )
    order = spending.spend_order(member, "1", "RACE")

    def attempt(_: int) -> str:
        try:
            spending.spend("RACE", order, actor="store:race")
        except InsufficientPointsError:
            return "refused"
        return "spent"

    with ThreadPoolExecutor(max_workers=RACERS) as pool:
        outcomes = list(pool.map(attempt, range(RACERS)))

    assert outcomes.count("spent") == 20
    assert outcomes.count("refused") == 20
    available, used, entries = balance(member, "RACE")
    assert available == 0 == sum(int(entry.amount) for entry in entries)
    assert used == 200
    assert len([entry for entry in entries if entry.kind == "spend"]) == 20


def test_the_frameworks_refusals_are_in_the_format_asked_for_too(client: Any, juan: str) -> None:
    """On the shared pipeline, a method the route has not is the document's error too."""
    as_xml = client.get("/api/rewards.xml", headers=basic())
    assert as_xml.status_code == 405
    assert as_xml.headers["Content-Type"] == "application/xml; charset=utf-8"
    assert errors_of(as_xml.body)
    as_json = client.get("/api/rewards.json", headers=basic())
    assert as_json.status_code == 405
    assert json.loads(as_json.body)["code"] == "method_not_allowed"
