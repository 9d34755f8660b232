"""Structured JSON request logs (Powertools Logger) carrying the request id.

Logs name the route template, never the concrete path: some paths carry an API key
(`/api/v1/points/{csapikey}/...`). Headers and bodies are never logged.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from chalice import Response
from chalice.app import Request

from chalicelib.config import get_settings


@lru_cache(maxsize=1)
def logger() -> Any:
    from aws_lambda_powertools import Logger

    return Logger(service="rewards-api", level=get_settings().log_level)


def request_log_middleware(event: Request, get_response: Callable[[Request], Response]) -> Response:
    log = logger()
    request_id = (event.context or {}).get("requestId") or getattr(
        event.lambda_context, "aws_request_id", None
    )
    log.append_keys(request_id=request_id, route=event.path, method=event.method)
    started = time.perf_counter()
    try:
        response = get_response(event)
        log.info(
            "request",
            status=response.status_code,
            duration_ms=round((time.perf_counter() - started) * 1000, 1),
        )
        return response
    finally:
        log.remove_keys(["request_id", "route", "method"])
