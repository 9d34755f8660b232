"""Structured JSON request logs (Powertools Logger) carrying the request and correlation ids.

Logs name the route template, never the concrete path: some paths carry an API key
(`/api/v1/points/{csapikey}/...`). Headers and bodies are never logged. The correlation id is
the caller's `X-Correlation-Id` when it sends one, else API Gateway's request id; the reward
emails a request queues carry it (`correlationId`) into the email consumer's log lines.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from chalice import Response
from chalice.app import Request

from chalicelib.config import get_settings

CORRELATION_HEADER = "X-Correlation-Id"
# What a correlation id may look like: anything else (too long, control characters) is ignored.
CORRELATION_ID = re.compile(r"^[A-Za-z0-9._:/@+=-]{1,128}$")
LOG_KEYS = ["request_id", "correlation_id", "route", "method", "store_code"]


@lru_cache(maxsize=1)
def logger() -> Any:
    from aws_lambda_powertools import Logger

    return Logger(service="rewards-api", level=get_settings().log_level)


def request_id(request: Request) -> str | None:
    return (request.context or {}).get("requestId") or getattr(
        request.lambda_context, "aws_request_id", None
    )


def correlation_id(request: Request) -> str | None:
    """The caller's `X-Correlation-Id` when it is a plausible id, else the request id."""
    given = (request.headers or {}).get(CORRELATION_HEADER)
    return given if given and CORRELATION_ID.match(given) else request_id(request)


def request_log_middleware(event: Request, get_response: Callable[[Request], Response]) -> Response:
    log = logger()
    log.append_keys(
        request_id=request_id(event),
        route=event.path,
        method=event.method,
        # The store the path names, when it does (security.py refuses another store's credential).
        store_code=(event.uri_params or {}).get("storeCode"),
    )
    log.set_correlation_id(correlation_id(event))
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
        log.remove_keys(LOG_KEYS)
