"""What the response models of the core faces declare beyond what `shaped` already enforces.

Every JSON answer a handler returns as a body is checked by its route's model on every request,
so the functional tests of each face cover those. These tests cover the rest: the documents'
example answers copied into the models, the Imonggo answers whose handlers write the body
themselves (XML or JSON), and what the API description says about non-JSON answers and queries.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from pydantic import BaseModel

from app import app
from chalicelib.api import openapi
from chalicelib.api.admin import docs_schemas, health_schemas, ledger_schemas
from chalicelib.api.alpha import recipients_schemas
from chalicelib.api.coggins import claims_schemas, points_schemas
from chalicelib.api.imonggo import customers_schemas, spending_schemas
from chalicelib.api.mokugift import issuing_schemas, rewards_schemas
from chalicelib.api.openloyalty import auth_schemas
from tests.fixtures.clients import bearer, body_of
from tests.fixtures.imonggo import basic, make_customer, make_type

CORE_MODULES = (
    auth_schemas,
    claims_schemas,
    docs_schemas,
    health_schemas,
    customers_schemas,
    spending_schemas,
    ledger_schemas,
    issuing_schemas,
    points_schemas,
    recipients_schemas,
    rewards_schemas,
)
REF = "#/components/schemas/{}"


def _examples() -> list[tuple[str, type[BaseModel], Any]]:
    found = []
    for module in CORE_MODULES:
        for name, model in vars(module).items():
            if isinstance(model, type) and issubclass(model, BaseModel):
                extra = model.model_config.get("json_schema_extra") or {}
                found += [(name, model, example) for example in extra.get("examples", [])]
    return found


EXAMPLES = _examples()


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return openapi.document(app)


def test_the_documents_examples_are_valid_answers() -> None:
    assert {name for name, _, _ in EXAMPLES} >= {
        "ClaimOutcomes",
        "Balance",
        "Recipient",
        "ImonggoCustomer",
        "PointsSpent",
    }
    for _, model, example in EXAMPLES:
        model.model_validate(example)


def test_imonggo_json_answers_are_the_documented_customer_and_spend(client: Any) -> None:
    juan = make_customer(
        30511, firstname="Juan", surname="Cruz", customer_type_id=make_type("Gold", "200")
    )

    customer = client.get(f"/api/customers/{juan}.json", headers=basic())
    spent = client.post(
        f"/api/rewards.json?q=spend&customer_id={juan}&amount=10&reference=X-1", headers=basic()
    )

    assert (customer.status_code, spent.status_code) == (200, 200)
    # These handlers write their own JSON (decimals as `2000.0`), so no model shaped them.
    answer = json.loads(customer.body, parse_float=Decimal)
    assert (
        customers_schemas.ImonggoCustomer.model_validate(answer).model_dump(exclude_unset=True)
        == answer
    )
    assert spending_schemas.PointsSpent.model_validate(json.loads(spent.body, parse_float=Decimal))


def test_non_json_answers_are_documented_with_their_media_types(document: dict[str, Any]) -> None:
    paths = document["paths"]
    spend_xml = paths["/api/rewards.xml"]["post"]["responses"]["200"]["content"]
    asset = paths["/docs/assets/{name}"]["get"]["responses"]["200"]["content"]

    assert spend_xml == {"application/xml": {"schema": {"$ref": REF.format("PointsSpent")}}}
    assert document["components"]["schemas"]["PointsSpent"]["xml"] == {"name": "hash"}
    assert set(asset) == {"text/*"}  # text/css or text/javascript, by the asset's name


@pytest.mark.parametrize(
    ("path", "method", "parameters"),
    [
        ("/api/rewards.xml", "post", ["q", "customer_id", "amount", "reference", "dryRun"]),
        ("/recipients", "get", ["per_page", "cursor"]),
        ("/api/all_rewards/{campaign_id}", "get", ["campaign_id", "limit", "cursor"]),
        (
            "/api/rewards_in_month/{campaign_id}/{month}/{year}",
            "get",
            ["campaign_id", "month", "year", "limit", "cursor"],
        ),
    ],
)
def test_query_parameters_are_documented(
    document: dict[str, Any], path: str, method: str, parameters: list[str]
) -> None:
    operation = document["paths"][path][method]

    assert [parameter["name"] for parameter in operation["parameters"]] == parameters


def test_the_recipients_page_size_is_checked_by_its_documented_query_model(client: Any) -> None:
    response = client.get("/recipients?per_page=many", headers=bearer())

    assert response.status_code == 422
    assert body_of(response)["errors"] == {"per_page": ["The per page must be an integer."]}
