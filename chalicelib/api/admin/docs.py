"""The API description: the OpenAPI document generated from the routes, and a page to read it.

- `GET /openapi.json`: the OpenAPI 3.1 document (chalicelib/api/openapi.py), built on first use.
- `GET /docs`: Swagger UI on that document (`/docs/` redirects here), its assets served from
  the `swagger-ui-bundle-v2` package through `GET /docs/assets/{name}` — no CDN, so the page
  works offline — with the page's own start-up script (`templates/api_docs.js`: no inline
  script, for the CSP).
"""

from __future__ import annotations

from functools import lru_cache

from chalice import Response

from chalicelib.api.admin.docs_schemas import OpenApiDocument
from chalicelib.api.html import HTML, html_response
from chalicelib.api.request import ApiRequest
from chalicelib.api.routes import Routes
from chalicelib.domain.errors import NotFoundError
from chalicelib.mail.templates import TEMPLATES

# The files the page uses, by the media type they are served as: the bundle's, and its own.
ASSET_TYPES = {
    "swagger-ui.css": "text/css; charset=utf-8",
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "api_docs.js": "text/javascript; charset=utf-8",
}
OWN_ASSETS = frozenset({"api_docs.js"})  # in chalicelib/templates
ASSET_MAX_AGE = 86400

routes = Routes(__name__)


class AssetNotFoundError(NotFoundError):
    code = "asset_not_found"
    default_message = "No such documentation asset."


@lru_cache(maxsize=len(ASSET_TYPES))
def asset(name: str) -> str:
    """A file of the Swagger UI bundle (text only: binary answers would need an Accept header)."""
    if name in OWN_ASSETS:
        return (TEMPLATES / name).read_text(encoding="utf-8")
    from swagger_ui_bundle import swagger_ui_path

    return (swagger_ui_path / name).read_text(encoding="utf-8")


@routes.route(
    "/openapi.json",
    summary="The OpenAPI 3.1 document of this service",
    response_model=OpenApiDocument,
)
def get_openapi(request: ApiRequest) -> Response:
    from chalicelib.api import openapi  # built on first request, not at cold start

    # Built and serialised once per container; `OpenApiDocument` only documents it here.
    text = openapi.document_json(routes.app)
    return Response(body=text, headers={"Content-Type": "application/json"})


@routes.route("/docs", summary="The API documentation page", response_type=HTML)
def get_docs(request: ApiRequest) -> Response:
    # API Gateway (and `chalice local`) route `/docs/` here too, where the page's relative
    # URLs would miss (`/docs/docs/assets/...`): send the browser to `/docs`, relatively so
    # that a stage prefix is kept.
    if request.raw.context.get("path", "").endswith("/"):
        return Response(body="", status_code=301, headers={"Location": "../docs"})
    return html_response("api_docs.html")


@routes.route(
    "/docs/assets/{name}",
    summary="A script or style sheet of the documentation page",
    response_type="text/*",  # text/css or text/javascript, by name
    errors=(AssetNotFoundError,),
)
def get_docs_asset(request: ApiRequest, name: str) -> Response:
    if name not in ASSET_TYPES:
        raise AssetNotFoundError()
    return Response(
        body=asset(name),
        status_code=200,
        headers={
            "Content-Type": ASSET_TYPES[name],
            "Cache-Control": f"public, max-age={ASSET_MAX_AGE}",
        },
    )
