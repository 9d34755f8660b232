"""What the deployed API sends the app through its catch-all (infra/template.py): a path no
route declares is a JSON 404, a method a route lacks a JSON 405 with `Allow`; and the merge
template routes both to the app."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from infra.template import API_HANDLER_URI
from local.worker import LambdaContext
from tests.fixtures.clients import API_KEY, body_of

ROOT = Path(__file__).resolve().parents[2]


def gateway_event(method: str, resource: str, path: str, **params: str) -> dict[str, Any]:
    """An API Gateway (REST, Lambda proxy) event, with a credential in its headers."""
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": {"Authorization": f"Bearer {API_KEY}"},
        "multiValueHeaders": {"Authorization": [f"Bearer {API_KEY}"]},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": params or None,
        "stageVariables": None,
        "requestContext": {
            "httpMethod": method,
            "resourcePath": resource,
            "path": f"/api{path}",
            "identity": {"sourceIp": "203.0.113.9"},
        },
        "body": None,
        "isBase64Encoded": False,
    }


def invoke(event: dict[str, Any]) -> dict[str, Any]:
    from app import app

    answer: dict[str, Any] = app(event, LambdaContext("rewards-test"))
    return answer


@pytest.mark.usefixtures("store")
@pytest.mark.parametrize(
    "event",
    [
        gateway_event("GET", "/{proxy+}", "/nope/deeper", proxy="nope/deeper"),
        gateway_event("DELETE", "/{proxy+}", "/api/v1/point", proxy="api/v1/point"),
        gateway_event("GET", "/", "/"),
    ],
    ids=["proxy", "mistyped-coggins", "root"],
)
def test_the_catch_all_answers_a_json_404_without_the_credential(event: dict[str, Any]) -> None:
    answer = invoke(event)

    assert answer["statusCode"] == 404
    assert answer["headers"]["Content-Type"] == "application/json"
    assert json.loads(answer["body"]) == {
        "message": "No route here: see /docs for the API's paths.",
        "code": "not_found",
    }
    assert API_KEY not in answer["body"]


@pytest.mark.usefixtures("store")
def test_any_on_a_routes_resource_answers_a_json_405_with_allow() -> None:
    answer = invoke(gateway_event("PATCH", "/docs", "/docs"))

    assert answer["statusCode"] == 405
    assert answer["headers"]["Allow"] == "GET"
    assert json.loads(answer["body"])["code"] == "method_not_allowed"


def test_trace_on_a_route_is_a_json_405_with_allow(client: Any) -> None:
    response = client.request("TRACE", "/health")

    assert response.status_code == 405
    assert response.headers["Allow"] == "GET"
    assert body_of(response)["code"] == "method_not_allowed"


def test_docs_with_a_trailing_slash_redirect_to_the_docs(client: Any) -> None:
    response = client.get("/docs/")

    assert response.status_code == 301
    assert response.headers["Location"] == "../docs"
    assert client.get("/docs").status_code == 200


def test_the_merge_template_sends_every_path_and_method_to_the_app() -> None:
    template = json.loads((ROOT / "infra" / "resources.json").read_text())
    paths = template["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]["paths"]
    routes = json.loads((ROOT / "chalicelib" / "api" / "routes.json").read_text())

    assert set(paths) == {route["path"] for route in routes} | {"/", "/{proxy+}"}
    for path, methods in paths.items():
        integration = methods["x-amazon-apigateway-any-method"]["x-amazon-apigateway-integration"]
        assert (integration["type"], integration["uri"]) == ("aws_proxy", API_HANDLER_URI), path
    gateway_404 = template["Resources"]["UnknownRouteResponse"]["Properties"]
    assert gateway_404["StatusCode"] == "404"
    assert json.loads(gateway_404["ResponseTemplates"]["application/json"])["code"] == "not_found"
