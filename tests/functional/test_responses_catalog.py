"""What the catalog, media and buying routes declare beyond their answers' shape (which `shaped`
already enforces on every call): examples that hold, key order, formats, bodies and media types."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from pydantic import BaseModel

from app import app
from chalicelib.api import openapi
from chalicelib.api.openloyalty import buying_schemas as buying_responses
from chalicelib.api.openloyalty import campaigns_schemas as campaign_responses
from chalicelib.api.openloyalty import media_schemas as media_responses
from chalicelib.api.routes import shaped
from chalicelib.domain.access.auth import Role
from tests.fixtures.clients import STORE, body_of, jwt_headers, token_for
from tests.fixtures.factories import make_campaign

RESPONSE_MODULES = (campaign_responses, media_responses, buying_responses)
SCHEMAS = "#/components/schemas/"


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return openapi.document(app)


def _examples() -> list[tuple[type[BaseModel], Any]]:
    return [
        (model, example)
        for module in RESPONSE_MODULES
        for model in vars(module).values()
        if isinstance(model, type) and issubclass(model, BaseModel)
        for example in (model.model_config.get("json_schema_extra") or {}).get("examples", [])
    ]


@pytest.mark.parametrize(
    ("model", "example"), _examples(), ids=lambda value: getattr(value, "__name__", "example")
)
def test_every_documented_example_is_an_answer_the_model_lets_through(
    model: type[BaseModel], example: Any
) -> None:
    assert shaped(model, example) == example


def test_a_campaign_is_answered_in_the_documents_key_order_with_its_documented_timestamps(
    client: Any, document: dict[str, Any]
) -> None:
    start = datetime(2017, 9, 5, 10, 59, tzinfo=UTC)
    campaign = make_campaign(
        codes=["A1"],
        unlimited=False,
        limit=10,
        limit_per_user=1,
        all_time_active=False,
        active_from=start,
        active_to=start + timedelta(days=90),
        labels=[{"key": "type", "value": "promotion"}],
        point_value=Decimal("0.5"),
    )
    answer = body_of(
        client.get(
            f"/api/{STORE}/campaign/{campaign.campaign_id}",
            headers=jwt_headers(token_for(Role.ADMIN)),
        )
    )

    example = list(campaign_responses.CAMPAIGN_EXAMPLE)
    assert [key for key in answer if key in example] == [key for key in example if key in answer]
    assert answer["pointValue"] == 0.5
    schemas = document["components"]["schemas"]
    window = schemas["CampaignActivity"]["properties"]["activeFrom"]
    assert "format" not in window  # `+0000` is not RFC 3339's date-time
    for moment in (answer["campaignActivity"]["activeFrom"], "2017-10-05T10:59:00+0000"):
        assert re.fullmatch(window["pattern"], moment)


@pytest.mark.parametrize("method", ["post", "put"])
def test_a_campaign_form_is_documented_wrapped_in_its_campaign_key(
    document: dict[str, Any], method: str
) -> None:
    path = "/api/{storeCode}/campaign" + ("/{campaign}" if method == "put" else "")
    operation = document["paths"][path][method]

    form = operation["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]
    assert form["required"] == ["campaign"]
    assert form["properties"]["campaign"] == {"$ref": SCHEMAS + "CampaignForm"}
    ok = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok == {"$ref": SCHEMAS + "CampaignId"}


@pytest.mark.parametrize(
    "path",
    [
        "/api/{storeCode}/campaign/{campaign}/photo/{photoId}",
        "/api/{storeCode}/campaign/{campaign}/brand_icon",
    ],
)
def test_an_image_is_documented_as_a_redirect_open_to_anyone(
    document: dict[str, Any], path: str
) -> None:
    operation = document["paths"][path]["get"]

    assert operation["responses"]["302"] == {
        "description": "Found",
        "headers": {"Location": {"schema": {"type": "string", "format": "uri"}}},
    }
    assert "200" not in operation["responses"]
    assert operation["security"] == []


def test_a_buy_documents_quantity_and_without_points_in_the_query_as_the_document_does(
    document: dict[str, Any],
) -> None:
    operation = document["paths"][
        "/api/{storeCode}/admin/customer/{customer}/campaign/{campaign}/buy"
    ]["post"]

    query = {p["name"] for p in operation["parameters"] if p["in"] == "query"}
    assert query == {"quantity", "withoutPoints", "dryRun"}
    assert operation["requestBody"]["required"] is False
