"""Imonggo's customer with points: `GET /api/customers/{id}.xml|.json`, by Accept, Basic auth."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any
from xml.etree import ElementTree

import pytest

from chalicelib.storage.customers import CustomerModel
from tests.fixtures.clients import OTHER_API_KEY, STORE, bearer
from tests.fixtures.imonggo import (
    XML_TYPE,
    admin_token,
    basic,
    make_customer,
    make_type,
    number,
)


def xml_fields(body: bytes) -> dict[str, str | None]:
    return {element.tag: element.text for element in ElementTree.fromstring(body)}


@pytest.fixture
def juan(store: str) -> str:
    gold = make_type("Gold", "200")
    return make_customer(
        30511,
        email="juan@example.com",
        firstname="Juan",
        surname="Cruz",
        public_key="0098420130000033",
        country_code="ph",
        company="Cruz & Sons <Manila>",
        address1="1 Rizal Ave",
        town="Manila",
        postcode="1000",
        telephone="+63 2 555 0100",
        customer_type_id=gold,
    )


def test_xml_by_suffix_has_every_field_of_the_document_in_order(client: Any, juan: str) -> None:
    response = client.get(f"/api/customers/{number(juan)}.xml", headers=basic())

    assert response.status_code == 200
    assert response.headers["Content-Type"] == XML_TYPE
    lines = response.body.decode().splitlines()
    assert lines[:3] == [
        '<?xml version="1.0" encoding="UTF-8"?>',
        "<customer>",
        '<alternate_code nil="true"></alternate_code>',
    ]
    assert lines[-1] == "</customer>"
    assert "<company_name>Cruz &amp; Sons &lt;Manila&gt;</company_name>" in lines
    assert '<birthday nil="true"></birthday>' in lines
    customer = CustomerModel.get(STORE, juan)
    assert xml_fields(response.body) == {
        "alternate_code": None,
        "available_points": "30511.0",
        "birthday": None,
        "city": "Manila",
        "code": "0098420130000033",
        "company_name": "Cruz & Sons <Manila>",
        "country": "PH",
        "customer_type_id": "1",
        "email": "juan@example.com",
        "fax": None,
        "first_name": "Juan",
        "id": str(customer.imonggo_id),
        "last_name": "Cruz",
        "mobile": None,
        "name": "Juan Cruz",
        "remark": None,
        "state": None,
        "status": None,
        "street": "1 Rizal Ave",
        "tax_exempt": "false",
        "telephone": "+63 2 555 0100",
        "tin": None,
        "zipcode": "1000",
        "customer_type_name": "Gold",
        "discount_text": "0.0%",
        "point_to_amount_ratio": "200.0",
        "birthdate": None,
        "utc_created_at": customer.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "utc_updated_at": customer.updated_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def test_json_by_suffix_has_the_same_keys_with_numbers_and_nulls(client: Any, juan: str) -> None:
    xml_response = client.get(f"/api/customers/{number(juan)}.xml", headers=basic())
    response = client.get(f"/api/customers/{number(juan)}.json", headers=basic())

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    body = json.loads(response.body, parse_float=Decimal)
    assert list(body) == list(xml_fields(xml_response.body))
    assert body["available_points"] == Decimal("30511.0")
    assert body["point_to_amount_ratio"] == Decimal("200.0")
    assert body["customer_type_id"] == 1
    assert (body["birthday"], body["status"], body["tax_exempt"]) == (None, None, False)
    assert body["alternate_code"] is None


@pytest.mark.parametrize(
    ("accept", "content_type"),
    [
        ("application/xml", XML_TYPE),
        ("text/xml", XML_TYPE),
        ("text/xml;q=0.9, application/json", XML_TYPE),
        ("application/json, application/xml", "application/json"),
        ("*/*", "application/json"),
        (None, "application/json"),
    ],
)
def test_plain_path_chooses_the_format_by_accept(
    client: Any, juan: str, accept: str | None, content_type: str
) -> None:
    headers = basic()
    headers.pop("Accept")
    if accept:
        headers["Accept"] = accept
    response = client.get(f"/api/customers/{number(juan)}", headers=headers)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == content_type


def test_the_suffix_wins_over_accept(client: Any, juan: str) -> None:
    response = client.get(
        f"/api/customers/{number(juan)}.json", headers=basic(Accept="application/xml")
    )
    assert json.loads(response.body)["id"] == number(juan)


def test_a_customer_without_a_type_uses_the_store_ratio(client: Any, store: str) -> None:
    plain = make_customer(5, firstname="Ana")
    fields = xml_fields(client.get(f"/api/customers/{number(plain)}.xml", headers=basic()).body)
    assert fields["customer_type_id"] is None
    assert fields["customer_type_name"] is None
    assert fields["discount_text"] == "0.0%"
    assert fields["point_to_amount_ratio"] == "1.0"  # the store's default
    assert fields["name"] == "Ana"
    assert fields["available_points"] == "5.0"


def test_a_type_stored_by_name_shows_as_the_type_with_its_discount(client: Any, store: str) -> None:
    silver = make_type("Silver", "150", discount="12.5")
    # The claims feature stores a claim's `customerType` text: a name, in any case.
    member = make_customer(1, customer_type_id=" silver ")
    body = json.loads(client.get(f"/api/customers/{number(member)}.json", headers=basic()).body)
    assert body["customer_type_id"] == int(silver)
    assert body["customer_type_name"] == "Silver"
    assert body["discount_text"] == "12.5%"
    assert body["point_to_amount_ratio"] == 150.0


def test_a_type_that_does_not_exist_falls_back_to_the_store(client: Any, store: str) -> None:
    member = make_customer(1, customer_type_id="Platinum")
    body = json.loads(client.get(f"/api/customers/{number(member)}.json", headers=basic()).body)
    assert (body["customer_type_id"], body["customer_type_name"]) == (None, None)
    assert body["point_to_amount_ratio"] == 1.0


def test_an_unknown_customer_is_a_404_in_the_format_asked_for(client: Any, store: str) -> None:
    response = client.get("/api/customers/1534.xml", headers=basic())
    assert response.status_code == 404
    assert response.headers["Content-Type"] == XML_TYPE
    assert response.body.decode().splitlines() == [
        '<?xml version="1.0" encoding="UTF-8"?>',
        "<errors>",
        "<error>Customer not found</error>",
        "</errors>",
    ]
    response = client.get("/api/customers/1534.json", headers=basic())
    assert response.status_code == 404
    assert json.loads(response.body) == {
        "errors": ["Customer not found"],
        "message": "Customer not found",
        "code": "customer_not_found",
    }


def test_another_stores_key_does_not_see_the_customer(client: Any, juan: str) -> None:
    response = client.get(f"/api/customers/{number(juan)}.xml", headers=basic(OTHER_API_KEY))
    assert response.status_code == 404
    assert b"<error>Customer not found</error>" in response.body


def test_a_bearer_key_works_too(client: Any, juan: str) -> None:
    response = client.get(f"/api/customers/{number(juan)}.json", headers=bearer())
    assert json.loads(response.body)["id"] == number(juan)


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        (basic("not-a-key-0000000000000"), 401),
        ({"Authorization": "Basic !!!"}, 401),
    ],
)
def test_bad_credentials_are_refused_in_xml(
    client: Any, juan: str, headers: dict[str, str], status: int
) -> None:
    response = client.get(f"/api/customers/{number(juan)}.xml", headers=headers)
    assert response.status_code == status
    assert response.headers["WWW-Authenticate"] == 'Basic realm="rewards"'
    assert ElementTree.fromstring(response.body).tag == "errors"


def test_an_admin_login_is_not_a_store_credential(client: Any, juan: str) -> None:
    response = client.get(f"/api/customers/{number(juan)}.json", headers=admin_token())
    assert response.status_code == 403
    assert json.loads(response.body)["code"] == "forbidden"


def test_a_lookup_is_one_customer_read(aws_calls: Any, client: Any, juan: str) -> None:
    path = f"/api/customers/{number(juan)}.xml"
    client.get(path, headers=basic())  # warms the store and type caches
    aws_calls.reset()
    response = client.get(path, headers=basic())
    assert response.status_code == 200
    # One GetItem for the credential, one Query on the Imonggo id index; nothing else.
    assert aws_calls.operations == [("dynamodb", "GetItem"), ("dynamodb", "Query")]


@pytest.mark.parametrize("password", ["X", "x", "anything", ""])
def test_the_basic_password_is_ignored(client: Any, juan: str, password: str) -> None:
    """Imonggo's SDK sends `x`, the document `X`; the token alone authenticates."""
    response = client.get(f"/api/customers/{number(juan)}.xml", headers=basic(password=password))
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("suffix", "accept", "content_type"),
    [
        (".xml", None, XML_TYPE),
        (".xml", "application/json", XML_TYPE),
        (".XML", "application/json", XML_TYPE),
        (".json", None, "application/json"),
        (".json", "text/xml", "application/json"),
    ],
)
def test_the_suffix_alone_decides_the_format(
    client: Any, juan: str, suffix: str, accept: str | None, content_type: str
) -> None:
    headers = basic()
    headers.pop("Accept")
    headers.pop("Content-Type")
    if accept:
        headers["Accept"] = accept
    response = client.get(f"/api/customers/{number(juan)}{suffix}", headers=headers)
    assert response.headers["Content-Type"] == content_type
    missing = client.get(f"/api/customers/nobody{suffix}", headers=headers)
    assert (missing.status_code, missing.headers["Content-Type"]) == (404, content_type)


def test_every_key_is_present_and_an_empty_one_is_null(client: Any, store: str) -> None:
    """Rails-era clients read every documented key: nothing kept is null, never missing or ""."""
    bare = number(make_customer(0))
    xml_response = client.get(f"/api/customers/{bare}.xml", headers=basic())
    body = json.loads(client.get(f"/api/customers/{bare}.json", headers=basic()).body)

    root = ElementTree.fromstring(xml_response.body)
    assert [element.tag for element in root] == list(body) == DOCUMENT_KEYS
    for element in root:
        assert element.text or element.get("nil") == "true", element.tag
        assert (element.get("nil") == "true") is (body[element.tag] is None), element.tag
    assert "" not in body.values()
    present = {key for key, value in body.items() if value is not None}
    assert present == {
        "available_points",
        "id",
        "tax_exempt",
        "discount_text",
        "point_to_amount_ratio",
        "utc_created_at",
        "utc_updated_at",
    }


DOCUMENT_KEYS = [
    "alternate_code",
    "available_points",
    "birthday",
    "city",
    "code",
    "company_name",
    "country",
    "customer_type_id",
    "email",
    "fax",
    "first_name",
    "id",
    "last_name",
    "mobile",
    "name",
    "remark",
    "state",
    "status",
    "street",
    "tax_exempt",
    "telephone",
    "tin",
    "zipcode",
    "customer_type_name",
    "discount_text",
    "point_to_amount_ratio",
    "birthdate",
    "utc_created_at",
    "utc_updated_at",
]
