"""The answer of `GET /openapi.json` (chalicelib/api/admin/docs.py): the document's top level."""

from typing import Any

from chalicelib.api.schemas import ResponseModel


class OpenApiDocument(ResponseModel):
    """An OpenAPI 3.1 document; its parts follow https://spec.openapis.org/oas/v3.1.0."""

    openapi: str
    info: dict[str, Any]
    servers: list[dict[str, Any]]
    tags: list[dict[str, Any]]
    paths: dict[str, Any]
    components: dict[str, Any]
