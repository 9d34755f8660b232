"""The XML writer, and the Imonggo document's bodies rendered byte for byte."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from xml.etree import ElementTree

import pytest

from chalicelib.api import xml
from chalicelib.api.imonggo import contract
from chalicelib.api.imonggo.customers_schemas import ImonggoCustomer
from chalicelib.api.imonggo.spending_schemas import PointsSpent
from chalicelib.domain.customers.customer_types import CustomerType
from chalicelib.domain.customers.records import Customer
from chalicelib.domain.points.spending import Member, Spent
from chalicelib.storage.customers import CustomerModel

# The document's customer 1534, with its `</alternate_code` typo fixed and its empty elements
# `nil="true"`: every key is kept, an empty one null (issue 19).
DOCUMENT_CUSTOMER = """<?xml version="1.0" encoding="UTF-8"?>
<customer>
<alternate_code nil="true"></alternate_code>
<available_points>30511.0</available_points>
<birthday nil="true"></birthday>
<city nil="true"></city>
<code>0098420130000033</code>
<company_name nil="true"></company_name>
<country>PH</country>
<customer_type_id>8</customer_type_id>
<email nil="true"></email>
<fax nil="true"></fax>
<first_name>Juan</first_name>
<id>1534</id>
<last_name>Cruz</last_name>
<mobile nil="true"></mobile>
<name>Juan Cruz</name>
<remark nil="true"></remark>
<state nil="true"></state>
<status nil="true"></status>
<street nil="true"></street>
<tax_exempt>false</tax_exempt>
<telephone nil="true"></telephone>
<tin nil="true"></tin>
<zipcode nil="true"></zipcode>
<customer_type_name>Gold</customer_type_name>
<discount_text>0.0%</discount_text>
<point_to_amount_ratio>200.0</point_to_amount_ratio>
<birthdate nil="true"></birthdate>
<utc_created_at>2013-05-25T02:24:31Z</utc_created_at>
<utc_updated_at>2013-07-13T00:52:24Z</utc_updated_at>
</customer>
"""

DOCUMENT_HASH = """<?xml version="1.0" encoding="UTF-8"?>
<hash>
<points-spent type="decimal">2000.0</points-spent>
<amount-spent type="decimal">10.0</amount-spent>
<points-available type="decimal">28511.0</points-available>
</hash>
"""

GOLD = CustomerType("8", "Gold", Decimal(200), Decimal("0.0"), datetime(2013, 1, 1, tzinfo=UTC))


def juan_cruz() -> Member:
    customer = CustomerModel(
        "DEFAULT",
        "XxLqTbRVyj",
        imonggo_id=1534,
        firstname="Juan",
        surname="Cruz",
        public_key="0098420130000033",
        country_code="ph",
        customer_type_id="8",
        points_available=30511,
        created_at=datetime(2013, 5, 25, 2, 24, 31, tzinfo=UTC),
        updated_at=datetime(2013, 7, 13, 0, 52, 24, tzinfo=UTC),
    )
    return Member(Customer.of(customer), GOLD, GOLD.point_to_amount_ratio)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal(30511), "30511.0"),
        (Decimal("10.05"), "10.05"),
        (Decimal("10.50"), "10.5"),
        (Decimal("2E+3"), "2000.0"),
        (Decimal("0.125"), "0.125"),
        (0, "0.0"),
        (-5, "-5.0"),
    ],
)
def test_decimals_are_written_as_the_document_writes_them(value: Decimal, text: str) -> None:
    assert xml.decimal_text(value) == text


def test_elements_escape_text_and_mark_nulls() -> None:
    assert xml.element("name", "Tom & Jerry <Ltd>") == "<name>Tom &amp; Jerry &lt;Ltd&gt;</name>"
    assert xml.element("birthday", None) == '<birthday nil="true"></birthday>'
    assert xml.element("fax", "") == "<fax></fax>"
    assert xml.element("tax_exempt", False) == "<tax_exempt>false</tax_exempt>"
    assert xml.element("n", Decimal(7), type='a"b') == "<n type='a\"b'>7.0</n>"


def test_characters_xml_cannot_carry_are_replaced_so_the_document_parses() -> None:
    body = xml.record("customer", [("remark", "bell\x07 and nul\x00"), ("name", "Zoë 🎁")])
    root = ElementTree.fromstring(body.encode("utf-8"))
    assert root.find("remark").text == "bell\ufffd and nul\ufffd"  # type: ignore[union-attr]
    assert root.find("name").text == "Zoë 🎁"  # type: ignore[union-attr]


def test_the_document_customer_renders_line_for_line() -> None:
    rendered = contract.body_text(ImonggoCustomer.model_validate(juan_cruz()), contract.Format.XML)
    assert rendered.splitlines() == DOCUMENT_CUSTOMER.splitlines()
    assert rendered == DOCUMENT_CUSTOMER


def test_the_document_spend_answer_renders_line_for_line() -> None:
    spent = Spent(points_spent=2000, amount_spent=Decimal("10"), points_available=28511)
    response = contract.respond(
        PointsSpent.model_validate(spent, from_attributes=True), contract.Format.XML
    )
    assert response.body.splitlines() == DOCUMENT_HASH.splitlines()
    assert response.headers["Content-Type"] == "application/xml; charset=utf-8"


def test_json_keeps_the_keys_and_writes_decimals_as_exact_numbers() -> None:
    spent = Spent(points_spent=2010, amount_spent=Decimal("10.05"), points_available=0)
    text = contract.body_text(
        PointsSpent.model_validate(spent, from_attributes=True), contract.Format.JSON
    )
    assert text == '{"points-spent": 2010.0, "amount-spent": 10.05, "points-available": 0.0}'

    answer = ImonggoCustomer.model_validate(juan_cruz())
    customer = json.loads(contract.body_text(answer, contract.Format.JSON))
    assert list(customer) == [
        element.tag for element in ElementTree.fromstring(DOCUMENT_CUSTOMER.encode())
    ]
    assert customer["available_points"] == 30511.0
    assert customer["customer_type_id"] == 8
    assert customer["birthday"] is None
    assert customer["tax_exempt"] is False
    assert customer["point_to_amount_ratio"] == 200.0
