"""Structured JSON request logs (Powertools Logger) carrying the request and correlation ids.

Logs name the route template, never the concrete path: some paths carry an API key
(`/api/v1/points/{csapikey}/...`). Headers and bodies are never logged. The correlation id is
the caller's `X-Correlation-Id` when it sends one, else API Gateway's request id; the reward
emails a request queues carry it (`correlationId`) into the email consumer's log lines.

While a request is served, every log line and error body is redacted of the credentials it
carries (`request_credentials`, chalicelib/redaction.py), whatever quotes them.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import re
import time
from collections.abc import Callable
from functools import lru_cache
from typing import Any
from urllib.parse import unquote_plus

from chalice import Response
from chalice.app import Request

from chalicelib import redaction

CORRELATION_HEADER = "X-Correlation-Id"
# What a correlation id may look like: anything else (too long, control characters) is ignored.
CORRELATION_ID = re.compile(r"^[A-Za-z0-9._:/@+=-]{1,128}$")
LOG_KEYS = ["request_id", "correlation_id", "route", "method", "store_code"]
# A credential field of a JSON body (`"password": "..."`) or of a form (`passcode=...`,
# `customer[password]=...`), found without parsing the body.
_BODY_NAMES = "|".join(re.escape(name) for name in redaction.SECRET_NAMES)
_JSON_FIELD = re.compile(rf'(?i)"(?:{_BODY_NAMES})"\s*:\s*"((?:[^"\\]|\\.)*)"')
_FORM_FIELD = re.compile(rf"(?i)(?:^|&)(?:[^=&]*(?:%5B|\[))?(?:{_BODY_NAMES})(?:%5D|\])?=([^&]*)")


@lru_cache(maxsize=1)
def logger() -> Any:
    return redaction.json_logger("rewards-api")


def _body_credentials(raw: bytes) -> list[str]:
    text = raw.decode("utf-8", errors="replace")
    found = [unquote_plus(value) for value in _FORM_FIELD.findall(text)]
    for value in _JSON_FIELD.findall(text):
        try:
            found.append(json.loads(f'"{value}"'))
        except ValueError:
            found.append(value)
    return found


def request_credentials(request: Request) -> list[str]:
    """Every credential the request carries: the Authorization value (and a Basic one's
    token), `X-Passcode`, credential-named query parameters and body fields, and the secret
    path parameters (`csapikey`, `token`)."""
    headers = request.headers or {}
    found = [headers.get("x-passcode") or ""]
    scheme, _, value = (headers.get("authorization") or "").strip().partition(" ")
    found.append(value.strip())
    if scheme.lower() == "basic":
        # A malformed Basic value is masked whole, above.
        with contextlib.suppress(binascii.Error, UnicodeDecodeError):
            found.append(base64.b64decode(value.strip()).decode("utf-8").partition(":")[0])
    names = redaction.SECRET_NAMES
    found += [v for k, v in (request.query_params or {}).items() if k.lower() in names]
    params = request.uri_params or {}
    found += [v for k, v in params.items() if k in redaction.SECRET_PATH_PARAMS]
    # Only the bodies credentials come in (JSON, forms), not uploads.
    kind = headers.get("content-type") or ""
    if "json" in kind or "x-www-form-urlencoded" in kind or not kind:
        found += _body_credentials(request.raw_body or b"")
    return found


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
        with redaction.request_secrets(lambda: request_credentials(event)):
            response = get_response(event)
            log.info(
                "request",
                status=response.status_code,
                duration_ms=round((time.perf_counter() - started) * 1000, 1),
            )
            return response
    finally:
        log.remove_keys(LOG_KEYS)
