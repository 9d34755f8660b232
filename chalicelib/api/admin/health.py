"""`GET /health`: versions, and whether each table answers; a 503 naming the failing checks
when one does not, so a load balancer or monitor sees it from the status alone."""

from __future__ import annotations

from chalice import Response

from chalicelib.api.admin.health_schemas import Health
from chalicelib.api.errors import RETRY_AFTER_SECONDS
from chalicelib.api.request import ApiRequest
from chalicelib.api.routes import Routes, json_response, shaped
from chalicelib.domain import health

routes = Routes(__name__)


@routes.route(
    "/health",
    methods=["GET"],
    summary="Versions, and whether each table answers (503 when one does not)",
    response_model=Health,
)
def get_health(request: ApiRequest) -> Response:
    report = shaped(Health, health.report())
    if report["failing"]:
        return json_response(report, 503, {"Retry-After": str(RETRY_AFTER_SECONDS)})
    return json_response(report)
