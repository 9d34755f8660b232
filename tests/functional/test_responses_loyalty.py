"""What the bought, cashback and targeting faces declare beyond their answers' shapes (which
`shaped` enforces on every call): the CSV export's media type, the wrapped forms, the paging
parameters, and examples that are answers the models allow."""

from __future__ import annotations

import json
from types import ModuleType
from typing import Any

import pytest
from pydantic import BaseModel

from app import app
from chalicelib.api import openapi
from chalicelib.api.openloyalty import bought_schemas as bought_responses
from chalicelib.api.openloyalty import cashback_schemas as cashback_responses
from chalicelib.api.openloyalty import targeting_schemas as targeting_responses
from chalicelib.api.routes import json_response, shaped
from chalicelib.api.schemas import ResponseModel
from chalicelib.domain.access.auth import Role
from tests.fixtures.clients import STORE, body_of, jwt_headers, token_for

DOCUMENT = openapi.document(app)
PATHS = DOCUMENT["paths"]


def admin() -> dict[str, str]:
    return jwt_headers(token_for(Role.ADMIN, STORE))


def test_the_csv_export_is_documented_and_answered_as_csv_with_the_list_filters(
    client: Any,
) -> None:
    operation = PATHS["/api/{storeCode}/campaign/bought/export/csv"]["get"]
    parameters = {p["name"] for p in operation["parameters"] if p["in"] == "query"}

    assert list(operation["responses"]["200"]["content"]) == ["text/csv"]
    assert {"purchasedAtFrom", "purchasedAtTo", "deliveryStatus"} <= parameters
    answer = client.get(f"/api/{STORE}/campaign/bought/export/csv", headers=admin())
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].split(";")[0] == "text/csv"


@pytest.mark.parametrize(
    ("path", "method", "key", "model"),
    [
        ("/api/{storeCode}/level", "post", "level", "LevelInput"),
        ("/api/{storeCode}/level/{level}", "put", "level", "LevelInput"),
        ("/api/{storeCode}/segment", "post", "segment", "SegmentInput"),
        ("/api/{storeCode}/segment/{segment}", "put", "segment", "SegmentInput"),
        ("/api/{storeCode}/campaignCategory", "post", "campaign_category", "CategoryInput"),
        (
            "/api/{storeCode}/campaignCategory/{campaignCategory}",
            "put",
            "campaign_category",
            "CategoryInput",
        ),
        (
            "/api/{storeCode}/admin/customer/{customer}/bought/coupon/{coupon}/changeDeliveryStatus",
            "put",
            "deliveryStatus",
            "DeliveryStatusForm",
        ),
    ],
)
def test_wrapped_forms_are_documented_under_their_key(
    path: str, method: str, key: str, model: str
) -> None:
    body = PATHS[path][method]["requestBody"]
    form = body["content"]["application/x-www-form-urlencoded"]["schema"]

    assert body["required"] is True
    assert form["required"] == [key]
    assert form["properties"][key] == {"$ref": f"#/components/schemas/{model}"}


def test_the_documented_page_bounds_are_the_enforced_ones(client: Any) -> None:
    parameters = {
        p["name"]: p["schema"] for p in PATHS["/api/{storeCode}/level"]["get"]["parameters"]
    }
    most = parameters["perPage"]["maximum"]

    def levels(query: str) -> Any:
        return client.get(f"/api/{STORE}/level?{query}", headers=admin())

    assert parameters["page"]["minimum"] == parameters["perPage"]["minimum"] == 1
    assert levels(f"perPage={most}").status_code == 200
    assert levels("page=&perPage=").status_code == 200  # blank: the defaults
    too_many = levels(f"perPage={most + 1}")
    assert too_many.status_code == 400
    assert body_of(too_many)["form"]["children"]["perPage"]["errors"] == [
        f"The perPage must be a whole number from 1 to {most}."
    ]
    # A digit Python's int() cannot read is refused like any other non-number (it was a 500).
    assert levels("page=%C2%B2").status_code == 400


CUSTOMER_BOUGHT_LISTS = [
    "/api/{storeCode}/admin/customer/{customer}/campaign/bought",
    "/api/{storeCode}/seller/customer/{customer}/campaign/bought",
    "/api/{storeCode}/customer/campaign/bought",
]


@pytest.mark.parametrize("path", CUSTOMER_BOUGHT_LISTS)
def test_a_customers_bought_list_documents_every_parameter_it_reads(path: str) -> None:
    names = {p["name"] for p in PATHS[path]["get"]["parameters"] if p["in"] == "query"}

    # The store list's filters, and what shows each row's campaign.
    assert {"purchasedAtFrom", "deliveryStatus", "includeDetails", "_locale", "format"} <= names


def _form_of(path: str) -> dict[str, Any]:
    body = PATHS[path]["post"]["requestBody"]
    assert body["required"] is True
    name = body["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    return DOCUMENT["components"]["schemas"][name]


def test_each_cashback_form_documents_the_fields_its_caller_must_send() -> None:
    admin_form = _form_of("/api/{storeCode}/admin/campaign/cashback/redeem")
    own_form = _form_of("/api/{storeCode}/customer/campaign/cashback/redeem")

    assert set(admin_form["required"]) == {"customerId", "pointsAmount"}
    assert set(own_form["required"]) == {"pointsAmount", "cashbackId"}


def test_keys_a_bought_row_leaves_out_are_not_documented_as_null() -> None:
    row = DOCUMENT["components"]["schemas"]["BoughtCampaign"]["properties"]

    for key in ("usageDate", "transactionId", "activeSince", "activeTo"):
        assert "default" not in row[key], key


def _examples(module: ModuleType) -> list[tuple[type[BaseModel], Any]]:
    return [
        (model, example)
        for model in vars(module).values()
        if isinstance(model, type)
        and issubclass(model, ResponseModel)
        and model.__module__ == module.__name__
        for example in (model.model_config.get("json_schema_extra") or {}).get("examples", [])
    ]


EXAMPLES = [
    pytest.param(model, example, id=model.__name__)
    for module in (bought_responses, cashback_responses, targeting_responses)
    for model, example in _examples(module)
]


def test_these_faces_show_examples_of_their_answers() -> None:
    shown = {param.values[0].__name__ for param in EXAMPLES}

    assert {"BoughtCampaigns", "CashbackQuote", "CashbackSettlement", "LoyaltyCustomers"} <= shown


@pytest.mark.parametrize(("model", "example"), EXAMPLES)
def test_an_example_is_an_answer_its_model_gives_unchanged(
    model: type[BaseModel], example: Any
) -> None:
    assert json.loads(json_response(shaped(model, example)).body) == example
