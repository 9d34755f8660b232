"""`GET /openapi.json` and `GET /docs`: the generated API description and its offline page."""

from __future__ import annotations

import re
import subprocess
import sys
from typing import Any

import pytest
from openapi_spec_validator import validate
from openapi_spec_validator.validation import OpenAPIV31SpecValidator

from app import app
from chalicelib.api import openapi
from tests.fixtures.clients import body_of

API_KEY_STYLES = [{"csapikey": []}, {"basicAuth": []}, {"bearerApiKey": []}]
JWT_STYLE = [{"bearerJwt": []}]
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def _operations(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (path, method.upper()): operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    }


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return openapi.document(app)


def test_openapi_json_is_served_and_valid_openapi_3_1(client: Any) -> None:
    response = client.get("/openapi.json")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    served = body_of(response)
    assert served["openapi"] == "3.1.0"
    validate(served, cls=OpenAPIV31SpecValidator)


def test_every_route_is_documented_and_every_operation_is_a_route(
    document: dict[str, Any],
) -> None:
    routes = {(path, method) for path, methods in app.routes.items() for method in methods}

    assert set(_operations(document)) == routes


def test_every_operation_has_id_summary_tag_security_and_responses(
    document: dict[str, Any],
) -> None:
    operations = _operations(document).values()
    ids = [operation["operationId"] for operation in operations]

    assert len(ids) == len(set(ids))
    tags = {tag["name"] for tag in document["tags"]}
    for operation in operations:
        assert operation["summary"].strip()
        assert set(operation["tags"]) <= tags
        assert isinstance(operation["security"], list)
        # Or a redirect (an image), or a route that only refuses: Mokugift's GET on an
        # issuing path (error 100).
        assert any(status.startswith(("2", "3", "405")) for status in operation["responses"])


@pytest.mark.parametrize(
    ("path", "method", "security"),
    [
        ("/health", "GET", []),
        ("/api/admin/login_check", "POST", []),
        ("/recipients", "GET", API_KEY_STYLES + JWT_STYLE),
        ("/api/v1/points", "POST", API_KEY_STYLES),
        ("/api/{storeCode}/campaign", "POST", JWT_STYLE),
        ("/api/reward/{campaign_id}", "POST", [{"passcode": []}]),
        ("/openapi.json", "GET", []),
        # Declared public, authenticated by the handler (errors in the format asked for).
        ("/api/rewards", "POST", API_KEY_STYLES),
    ],
)
def test_security_follows_the_roles_of_the_route(
    document: dict[str, Any], path: str, method: str, security: list[dict[str, list[str]]]
) -> None:
    operation = _operations(document)[(path, method)]

    assert operation["security"] == security
    statuses = set(operation["responses"])
    assert ({"401", "403"} <= statuses) == bool(security)


def test_path_parameters_come_from_the_path(document: dict[str, Any]) -> None:
    operation = _operations(document)[("/recipients/{ref}", "GET")]

    assert operation["parameters"] == [
        {"name": "ref", "in": "path", "required": True, "schema": {"type": "string"}}
    ]
    assert "404" in operation["responses"]


def test_error_examples_are_rendered_in_the_shape_of_the_face(document: dict[str, Any]) -> None:
    operations = _operations(document)
    recipients = operations[("/recipients", "POST")]["responses"]["422"]["content"]
    campaigns = operations[("/api/{storeCode}/campaign", "POST")]["responses"]

    assert recipients["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
    example = recipients["application/json"]["examples"]["InvalidInputError"]["value"]
    assert example == {
        "message": "The given data was invalid.",
        "code": "validation_failed",
        "errors": {"email": ["The email field is required."]},
    }
    # Open Loyalty answers invalid forms with 400 and a form tree, other errors with `error`.
    assert "422" not in campaigns
    invalid = campaigns["400"]["content"]["application/json"]
    assert invalid["schema"] == {"$ref": "#/components/schemas/OpenLoyaltyError"}
    form = invalid["examples"]["InvalidInputError"]["value"]["form"]
    assert form["children"]["email"] == {"errors": ["The email field is required."]}
    denied = campaigns["403"]["content"]["application/json"]["examples"]
    assert denied["PermissionDeniedError"]["value"]["error"] == {
        "code": 403,
        "message": "Forbidden",
    }


def test_declared_models_and_errors_are_documented(document: dict[str, Any]) -> None:
    operations = _operations(document)
    create = operations[("/recipients", "POST")]
    resend = operations[("/api/{storeCode}/rewards/{reward}/resend", "POST")]
    page = operations[("/claim/points/{token}", "GET")]

    body = create["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/RecipientInput"}
    assert "email" in document["components"]["schemas"]["RecipientInput"]["properties"]
    gone = resend["responses"]["410"]["content"]["application/json"]["examples"]
    assert set(gone) == {"RewardCancelledError", "RewardExpiredError"}
    assert gone["RewardCancelledError"]["value"]["code"] == "reward_cancelled"
    assert set(page["responses"]) == {"200", "403", "404", "409", "410", "503"}
    assert set(page["responses"]["200"]["content"]) == {"text/html; charset=utf-8"}


def test_docs_page_uses_only_local_assets(client: Any) -> None:
    response = client.get("/docs")
    script = client.get("/docs/assets/api_docs.js")

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    page = response.body.decode() if isinstance(response.body, bytes) else response.body
    start = script.body.decode() if isinstance(script.body, bytes) else script.body
    urls = re.findall(r'(?:src|href|url)\s*[=:]\s*"([^"]+)"', page + start)
    assert "openapi.json" in urls
    assert "docs/assets/swagger-ui-bundle.js" in urls
    assert "docs/assets/api_docs.js" in urls
    assert "<script>" not in page  # no inline script: the CSP would not run it
    assert not [url for url in urls if re.match(r"^([a-z]+:)?//", url, re.IGNORECASE)]
    for text in (page, start):
        assert "http://" not in text and "https://" not in text


@pytest.mark.parametrize(
    ("name", "content_type", "start"),
    [
        ("swagger-ui-bundle.js", "text/javascript", ""),
        ("swagger-ui.css", "text/css", ".swagger-ui"),
        ("api_docs.js", "text/javascript", "//"),
    ],
)
def test_docs_assets_are_served_from_the_package(
    client: Any, name: str, content_type: str, start: str
) -> None:
    response = client.get(f"/docs/assets/{name}")

    assert response.status_code == 200
    assert response.headers["Content-Type"].split(";")[0] == content_type
    body = response.body.decode() if isinstance(response.body, bytes) else response.body
    assert len(body) > 200 and body.startswith(start)
    if name.endswith(".js"):
        assert "SwaggerUIBundle" in body


def test_an_unknown_asset_is_not_found(client: Any) -> None:
    response = client.get("/docs/assets/index.html")

    assert response.status_code == 404
    assert body_of(response)["code"] == "asset_not_found"


def test_the_generator_is_not_imported_at_cold_start() -> None:
    check = "import sys, app; assert 'chalicelib.api.openapi' not in sys.modules"

    subprocess.run([sys.executable, "-c", check], check=True)


def test_every_route_states_what_it_does_rather_than_its_function_name() -> None:
    undocumented = sorted(
        f"{method} {path}"
        for path, methods in app.routes.items()
        for method, entry in methods.items()
        if not (entry.view_function.route_doc.summary or entry.view_function.__doc__)
    )

    assert undocumented == []


def test_every_json_answer_has_a_response_model() -> None:
    """The model shapes and documents the answer; a JSON route without one answers unchecked."""
    unmodelled = sorted(
        f"{method} {path}"
        for path, methods in app.routes.items()
        for method, entry in methods.items()
        if (doc := entry.view_function.route_doc).response_type == "application/json"
        and not openapi._answers_nothing(doc)
        and not openapi.redirects(doc)  # no body: a Location (an image's short-lived URL)
        and doc.status < 400  # a route that only refuses (Mokugift's wrong method)
        and doc.response_model is None
    )

    assert unmodelled == []


def test_a_route_accepting_a_type_it_never_parses_documents_its_415(
    document: dict[str, Any],
) -> None:
    operations = _operations(document)
    spend = operations[("/api/rewards.xml", "POST")]  # Imonggo sends XML headers, query data
    create = operations[("/recipients", "POST")]
    assert spend["responses"]["415"]["content"]["application/xml"]
    assert "application/xml" in spend["requestBody"]["content"]
    assert "415" not in create["responses"]


def test_a_route_answering_xml_or_json_documents_both(document: dict[str, Any]) -> None:
    operations = _operations(document)
    customer = operations[("/api/customers/{customer}", "GET")]
    spend_xml = operations[("/api/rewards.xml", "POST")]

    success = customer["responses"]["200"]["content"]
    assert list(success) == ["application/json", "application/xml"]
    assert success["application/json"] == success["application/xml"]  # the same fields
    not_found = customer["responses"]["404"]["content"]
    assert list(not_found) == ["application/json", "application/xml"]
    assert not_found["application/json"]["examples"]
    assert list(spend_xml["responses"]["200"]["content"]) == ["application/xml"]
    # Imonggo's JSON errors: `{"errors": [...]}`.
    json_404 = not_found["application/json"]
    assert json_404["schema"] == {"$ref": "#/components/schemas/ImonggoError"}
    example = json_404["examples"]["CustomerNotFoundError"]["value"]
    assert example["errors"] == ["Customer not found"]
    assert "503" in customer["responses"]


def test_bulk_bodies_are_documented_as_their_arrays_of_items(document: dict[str, Any]) -> None:
    operations = _operations(document)
    schemas = document["components"]["schemas"]
    claims = operations[("/api/v1/points", "POST")]["requestBody"]["content"]
    instant = operations[("/api/v1/points/{csapikey}/INSTANT", "POST")]["requestBody"]["content"]
    many = operations[("/api/multi_reward_urls2/{campaign_id}", "POST")]["requestBody"]

    assert list(claims) == list(instant) == ["application/json"]  # no form carries an array
    assert schemas["ClaimRequests"]["type"] == "array"
    assert schemas["ClaimRequests"]["maxItems"] == 1000
    assert schemas["ClaimRequests"]["items"] == {"$ref": "#/components/schemas/ClaimRequest"}
    assert schemas["InstantEdits"]["items"] == {"$ref": "#/components/schemas/InstantEdit"}
    recipients = schemas["UniqueIdRecipients"]["properties"]["recipients"]
    assert recipients["items"] == {"$ref": "#/components/schemas/UniqueIdRecipientInput"}
    assert many["required"] is True
