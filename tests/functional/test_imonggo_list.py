"""Imonggo's lists and customer types: `GET /api/customers.xml|.json` paged by integer id, and
`GET /api/customer_types/{id}.xml|.json`."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from xml.etree import ElementTree

import pytest

from chalicelib.storage.customers import CustomerModel
from tests.fixtures.clients import OTHER_API_KEY, OTHER_STORE, STORE
from tests.fixtures.imonggo import XML_TYPE, basic, make_customer, make_type


def listed(client: Any, suffix: str = ".json", **params: Any) -> Any:
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return client.get(f"/api/customers{suffix}?{query}", headers=basic())


def ids(client: Any, **params: Any) -> list[int]:
    response = listed(client, **params)
    assert response.status_code == 200, response.body
    return [customer["id"] for customer in json.loads(response.body)]


@pytest.fixture
def five(store: str) -> list[str]:
    names = [("Ana", "Reyes"), ("Ben", "Cruz"), ("Carla", "Diaz"), ("Dan", "Cruz"), ("Eve", "Lim")]
    made = [
        make_customer(n, firstname=first, surname=last, email=f"{first.lower()}@example.com")
        for n, (first, last) in enumerate(names)
    ]
    make_customer(1, store_code=OTHER_STORE, firstname="Other")
    return made


def test_pages_by_integer_id_until_an_empty_array(client: Any, five: list[str]) -> None:
    assert ids(client) == [1, 2, 3, 4, 5]
    assert ids(client, page=1, per_page=2) == [1, 2]
    assert ids(client, page=2, per_page=2) == [3, 4]
    assert ids(client, page=3, per_page=2) == [5]
    assert ids(client, page=4, per_page=2) == []


def test_xml_is_a_rails_array_of_customers(client: Any, five: list[str]) -> None:
    response = listed(client, ".xml", per_page=2)
    assert response.headers["Content-Type"] == XML_TYPE
    root = ElementTree.fromstring(response.body)
    assert (root.tag, root.get("type")) == ("customers", "array")
    assert [customer.findtext("id") for customer in root] == ["1", "2"]
    assert [element.tag for element in root[0]][:3] == [
        "alternate_code",
        "available_points",
        "birthday",
    ]
    single = client.get("/api/customers/1.json", headers=basic())
    assert json.loads(listed(client, per_page=1).body) == [json.loads(single.body)]

    empty = listed(client, ".xml", page=9)
    assert empty.body.decode().splitlines() == [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<customers type="array"/>',
    ]


def test_per_page_is_100_at_most(client: Any, store: str) -> None:
    for _ in range(101):
        make_customer(0)
    assert len(ids(client)) == 100
    assert len(ids(client, per_page=500)) == 100
    assert ids(client, page=2) == [101]


def test_filters_active_only_q_and_after(client: Any, five: list[str]) -> None:
    CustomerModel(STORE, five[1]).update(actions=[CustomerModel.active.set(False)])
    assert ids(client, active_only=1) == [1, 3, 4, 5]
    assert ids(client, q="cruz") == [2, 4]  # by name, any case
    assert ids(client, q="EVE@EXAMPLE") == [5]  # by email
    assert ids(client, q="cruz", active_only=1, per_page=1, page=1) == [4]
    assert ids(client, q="nobody") == []

    later = datetime.now(UTC) + timedelta(seconds=1)
    CustomerModel(STORE, five[2]).update(actions=[CustomerModel.updated_at.set(later)])
    stamp = (later - timedelta(milliseconds=500)).strftime("%Y-%m-%dT%H:%M:%S.%f")
    assert ids(client, after=stamp) == [3]
    assert ids(client, after="2000-01-01") == [1, 2, 3, 4, 5]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"page": "0"}, "page"),
        ({"page": "x"}, "page"),
        ({"per_page": "-1"}, "per_page"),
        ({"after": "yesterday"}, "after"),
    ],
)
def test_bad_parameters_are_422_in_the_format_asked_for(
    client: Any, store: str, params: dict[str, str], field: str
) -> None:
    response = listed(client, **params)
    assert response.status_code == 422
    body = json.loads(response.body)
    assert list(body["fields"]) == [field] and len(body["errors"]) == 1
    response = listed(client, ".xml", **params)
    assert response.status_code == 422
    assert ElementTree.fromstring(response.body).tag == "errors"


def test_the_list_reads_the_index_never_a_scan(
    aws_calls: Any, client: Any, five: list[str]
) -> None:
    ids(client)  # warms the store and type caches
    aws_calls.reset()
    assert ids(client, page=2, per_page=2) == [3, 4]
    # The credential, then one page of the index holding the first two pages.
    assert aws_calls.operations == [("dynamodb", "GetItem"), ("dynamodb", "Query")]


def test_another_stores_key_lists_its_own(client: Any, five: list[str]) -> None:
    response = client.get("/api/customers.json", headers=basic(OTHER_API_KEY))
    assert [c["first_name"] for c in json.loads(response.body)] == ["Other"]
    assert client.get("/api/customers.json").status_code == 401


# --- customer types ---------------------------------------------------------------------------


def test_a_customer_type_by_id_in_xml_and_json(client: Any, store: str) -> None:
    make_type("Silver", "150")
    gold = make_type("Gold", "200", discount="12.5")
    response = client.get(f"/api/customer_types/{gold}.xml", headers=basic())
    assert response.headers["Content-Type"] == XML_TYPE
    lines = response.body.decode().splitlines()
    assert lines[1:6] == [
        "<customer_type>",
        f"<id>{gold}</id>",
        "<name>Gold</name>",
        "<discount_text>12.5%</discount_text>",
        "<point_to_amount_ratio>200.0</point_to_amount_ratio>",
    ]
    assert '<utc_updated_at nil="true"></utc_updated_at>' in lines
    body = json.loads(client.get(f"/api/customer_types/{gold}.json", headers=basic()).body)
    assert (body["id"], body["name"], body["point_to_amount_ratio"]) == (int(gold), "Gold", 200.0)
    assert body["status"] is None


@pytest.mark.parametrize("ref", ["99", "Gold", "0", "1.5"])
def test_an_unknown_customer_type_is_404(client: Any, store: str, ref: str) -> None:
    make_type("Gold", "200")
    response = client.get(f"/api/customer_types/{ref}.xml", headers=basic())
    assert response.status_code == 404
    assert b"<error>Customer type not found</error>" in response.body
    response = client.get(f"/api/customer_types/{ref}.json", headers=basic())
    assert (response.status_code, json.loads(response.body)["errors"]) == (
        404,
        ["Customer type not found"],
    )


def test_another_stores_customer_type_is_404(client: Any, store: str) -> None:
    theirs = make_type("Gold", "200", store_code=OTHER_STORE)
    assert client.get(f"/api/customer_types/{theirs}.json", headers=basic()).status_code == 404
