"""Request metrics (Powertools Metrics, EMF) as Chalice HTTP middleware.

Each request is one `observability.invocation`: its count and latency by method, route template
(never the concrete path, which may carry an API key) and status class, plus whatever the
domain recorded (rewards issued, points earned...), emitted once when the response is ready.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from chalice import Response
from chalice.app import Request

from chalicelib.observability import Metric, add_metric, invocation

SERVICE = "rewards-api"


def _record(event: Request, status: int, started: float) -> None:
    dimensions = {"method": event.method, "route": event.path, "status_class": f"{status // 100}xx"}
    add_metric(Metric.REQUESTS, **dimensions)
    elapsed_ms = (time.perf_counter() - started) * 1000
    add_metric(Metric.LATENCY, round(elapsed_ms, 1), unit="Milliseconds", **dimensions)


def request_metrics_middleware(
    event: Request, get_response: Callable[[Request], Response]
) -> Response:
    with invocation(SERVICE):
        started = time.perf_counter()
        try:
            response = get_response(event)
        except Exception:
            _record(event, 500, started)  # Chalice answers an escaped error with a 500
            raise
        _record(event, response.status_code, started)
        return response
