"""`GET /health`: versions, and whether each table answers."""

from __future__ import annotations

from typing import Any

from chalicelib.api.request import ApiRequest
from chalicelib.api.responses.health import Health
from chalicelib.api.routes import Routes
from chalicelib.domain import health

routes = Routes(__name__)


@routes.route(
    "/health",
    methods=["GET"],
    summary="Versions, and whether each table answers",
    response_model=Health,
)
def get_health(request: ApiRequest) -> dict[str, Any]:
    return health.report()
