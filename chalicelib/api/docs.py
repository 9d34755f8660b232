"""The API description: the OpenAPI document generated from the routes, and a page to read it."""

from __future__ import annotations

from chalicelib.api.routes import Routes

routes = Routes(__name__)
