"""The OpenAPI generator on a small app of its own: what each `Routes.route` declaration becomes."""

from __future__ import annotations

from typing import Any

from chalice import Chalice
from openapi_spec_validator import validate
from openapi_spec_validator.validation import OpenAPIV31SpecValidator
from pydantic import BaseModel, Field

from chalicelib.api import faces, openapi
from chalicelib.api.html import HTML
from chalicelib.api.openloyalty.errors import openloyalty_routes
from chalicelib.api.request import ApiRequest
from chalicelib.api.routes import Routes
from chalicelib.domain.access.auth import Role
from chalicelib.domain.errors import ConflictError, NotFoundError
from chalicelib.domain.points.ledger import InsufficientPointsError


class Address(BaseModel):
    city: str


class WidgetInput(BaseModel):
    name: str
    address: Address


class Widget(BaseModel):
    id: str
    name: str


class WidgetFilter(BaseModel):
    page: int = 1
    city: Address | None = None
    owner: str = Field(alias="ownerId")


class WidgetChanges(BaseModel):
    name: str | None = None


class WidgetNotFoundError(NotFoundError):
    code = "widget_not_found"
    default_message = "No such widget."


def _app() -> Chalice:
    routes = Routes("tests.widgets")
    loyalty = openloyalty_routes("tests.loyalty", access=None)  # its roles, not the matrix's

    @routes.route(
        "/widgets",
        methods=["POST", "PUT"],
        roles=(Role.ADMIN,),
        status=201,
        request_model=WidgetInput,
        response_model=Widget,
        errors=(ConflictError, InsufficientPointsError),
    )
    def create_widget(request: ApiRequest) -> dict[str, Any]:
        """Create a widget.

        Names are unique in a store.
        """
        return {}

    @routes.route("/widgets/{widget}", methods=["DELETE"], roles=(Role.STORE,))
    def delete_widget(request: ApiRequest, widget: str) -> None:
        return None

    @routes.route("/widgets/{widget}/page", response_type=HTML, errors=(WidgetNotFoundError,))
    def widget_page(request: ApiRequest, widget: str) -> Any:
        return None

    @routes.route("/widgets", roles=(Role.ADMIN,), query_model=WidgetFilter)
    def list_widgets(request: ApiRequest) -> list[Any]:
        return []

    @routes.route(
        "/widgets/{widget}", methods=["PATCH"], roles=(Role.ADMIN,), request_model=WidgetChanges
    )
    def change_widget(request: ApiRequest, widget: str) -> None:
        return None

    @loyalty.route(
        "/loyalty",
        methods=["POST"],
        roles=(Role.ADMIN,),
        request_model=WidgetInput,
        body_key="widget",
    )
    def create_loyalty_widget(request: ApiRequest) -> None:
        return None

    @loyalty.route("/loyalty/{widget}", roles=(Role.ISSUER,), errors=(WidgetNotFoundError,))
    def create_widget_loyalty(request: ApiRequest, widget: str) -> list[Any]:
        return []

    app = Chalice(app_name="widgets")
    for face in (routes, loyalty):
        face.serve(app)
        for declared in face.declared:
            route = (declared.path, declared.method, declared.name, declared.content_types)
            faces.add_route(app, *route, declared.view)
    return app


DOCUMENT = openapi.document(_app())
PATHS = DOCUMENT["paths"]


def test_the_document_of_any_app_is_valid() -> None:
    validate(DOCUMENT, cls=OpenAPIV31SpecValidator)


def test_request_and_response_models_become_components() -> None:
    post = PATHS["/widgets"]["post"]
    schemas = DOCUMENT["components"]["schemas"]

    for content_type in ("application/json", "application/x-www-form-urlencoded"):
        body = post["requestBody"]["content"][content_type]["schema"]
        assert body == {"$ref": "#/components/schemas/WidgetInput"}
    assert post["requestBody"]["required"] is True
    answer = post["responses"]["201"]["content"]["application/json"]["schema"]
    assert answer == {"$ref": "#/components/schemas/Widget"}
    assert schemas["WidgetInput"]["properties"]["address"] == {
        "$ref": "#/components/schemas/Address"
    }
    assert set(schemas["Address"]["properties"]) == {"city"}


def test_summary_description_and_operation_ids() -> None:
    post, put = PATHS["/widgets"]["post"], PATHS["/widgets"]["put"]
    delete = PATHS["/widgets/{widget}"]["delete"]

    assert post["summary"] == "Create a widget."
    assert post["description"] == "Names are unique in a store.\n\nRoles: `admin`."
    assert (post["operationId"], put["operationId"]) == ("create_widget_post", "create_widget_put")
    assert delete["operationId"] == "delete_widget"
    assert delete["summary"] == "Delete widget"
    assert PATHS["/widgets/{widget}/page"]["get"]["tags"] == ["test_openapi_generator"]


def test_declared_errors_are_grouped_by_status_with_rendered_examples() -> None:
    responses = PATHS["/widgets"]["post"]["responses"]

    assert set(responses) == {"201", "400", "401", "403", "409", "422", "503"}
    conflict = responses["409"]["content"]["application/json"]["examples"]["ConflictError"]
    assert conflict["value"] == {
        "message": "The request conflicts with the current state.",
        "code": "conflict",
    }
    unprocessable = responses["422"]["content"]["application/json"]["examples"]
    assert set(unprocessable) == {"InvalidInputError", "InsufficientPointsError"}


def test_an_answer_of_nothing_is_204_and_public_pages_answer_errors_as_pages() -> None:
    delete = PATHS["/widgets/{widget}"]["delete"]
    page = PATHS["/widgets/{widget}/page"]["get"]

    assert "204" in delete["responses"] and "200" not in delete["responses"]
    assert delete["security"] == [{"csapikey": []}, {"basicAuth": []}, {"bearerApiKey": []}]
    assert page["security"] == []
    assert set(page["responses"]) == {"200", "404", "503"}
    assert page["responses"]["404"]["content"] == {HTML: {"schema": {"type": "string"}}}


def test_open_loyalty_faces_document_their_error_shape() -> None:
    operation = PATHS["/loyalty/{widget}"]["get"]
    missing = operation["responses"]["404"]["content"]["application/json"]

    assert operation["security"] == [{"passcode": []}]
    assert missing["schema"] == {"$ref": "#/components/schemas/OpenLoyaltyError"}
    assert missing["examples"]["WidgetNotFoundError"]["value"] == {
        "message": "No such widget.",
        "code": "widget_not_found",
        "error": {"code": 404, "message": "Not Found"},
    }
    assert operation["responses"]["200"]["content"]["application/json"]["schema"] == {
        "type": "array"
    }


def test_a_query_model_becomes_query_parameters() -> None:
    parameters = {p["name"]: p for p in PATHS["/widgets"]["get"]["parameters"]}

    assert set(parameters) == {"page", "city", "ownerId"}
    assert parameters["ownerId"]["required"] is True and parameters["page"]["required"] is False
    assert parameters["page"]["schema"]["type"] == "integer"
    # An object is sent as `city[city]=...`, the bracket keys the forms use.
    assert (parameters["city"]["style"], parameters["city"]["explode"]) == ("deepObject", True)
    assert "422" in PATHS["/widgets"]["get"]["responses"]


def test_a_body_of_optional_fields_is_optional() -> None:
    body = PATHS["/widgets/{widget}"]["patch"]["requestBody"]

    assert body["required"] is False
    assert body["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/WidgetChanges"
    }


def test_a_wrapped_form_puts_the_model_under_its_key() -> None:
    body = PATHS["/loyalty"]["post"]["requestBody"]

    assert body["content"]["application/x-www-form-urlencoded"]["schema"] == {
        "type": "object",
        "required": ["widget"],
        "properties": {"widget": {"$ref": "#/components/schemas/WidgetInput"}},
    }
