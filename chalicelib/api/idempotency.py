"""`Idempotency-Key` for every mutating route, as Chalice HTTP middleware.

A repeat with the same key and the same request replays the stored response without running
the handler again; the same key with another request is a 422; a repeat while the first is
still running is a 409. Records live in the idempotency table (Powertools' DynamoDB layer,
conditional puts) for `idempotency_ttl_seconds` (24 h by default). Keys are scoped by the
credential sent, so two tenants can use the same key. 5xx answers are not stored, so a retry
after a server fault runs again; nor are answers sent with `Cache-Control: no-store` (a login's
token, a new passcode), which would put a secret at rest: retrying those runs them again. The
claim and reward link tokens an answer shows are cut out of the stored copy and made again for
the replay (`link_tokens.sealed`), so no record holds a working link. The idempotency table
itself throttled is a 503 too.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from chalice import Response
from chalice.app import Request

from chalicelib import aws
from chalicelib.api.errors import error_response, unavailable
from chalicelib.config import get_settings
from chalicelib.domain import link_tokens
from chalicelib.domain.errors import (
    IdempotencyKeyReusedError,
    MalformedRequestError,
    RequestInProgressError,
)

HEADER = "idempotency-key"
MUTATING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MAX_KEY_LENGTH = 255
REPLAYED_HEADER = "Idempotent-Replayed"


class _NotStoredError(Exception):
    """Carries a response out of the idempotent section so that it is not recorded."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


@lru_cache(maxsize=1)
def _persistence() -> Any:
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

    return DynamoDBPersistenceLayer(
        table_name=get_settings().table_name("idempotency"), boto3_client=aws.client("dynamodb")
    )


def reset_persistence() -> None:
    _persistence.cache_clear()


def _digest(*parts: str | bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8") if isinstance(part, str) else part)
        digest.update(b"\0")
    return digest.hexdigest()


def _request_data(request: Request, key: str) -> dict[str, Any]:
    query = request.query_params or {}
    # Every credential a request may carry outside its body scopes the key: a replay can only
    # reach a caller who sent the same credential, and tenants never share keys. A passcode in
    # the body is part of the request fingerprint below, so another one is a mismatch (422).
    credential = (
        request.headers.get("authorization") or "",
        request.headers.get("x-passcode") or "",
        query.get("csapikey") or "",
        (request.uri_params or {}).get("csapikey") or "",
        query.get("passcode") or "",
    )
    return {
        "scope": _digest(*credential, key),
        "request": {
            "method": request.method,
            "resource": request.path,
            "params": request.uri_params or {},
            "query": sorted((name, value) for name in query for value in query.getlist(name)),
            "content_type": request.headers.get("content-type") or "",
            "body": _digest(request.raw_body or b""),
        },
    }


def _dump(response: Response, links: list[link_tokens.Link]) -> dict[str, Any]:
    body = response.body
    if isinstance(body, bytes):
        # Latin-1 maps bytes to characters one to one, so the ASCII tokens are cut exactly.
        text, holes = link_tokens.sealed(body.decode("latin-1"), links)
        return {
            "status": response.status_code,
            "headers": dict(response.headers),
            "body": base64.b64encode(text.encode("latin-1")).decode("ascii"),
            "base64": True,
            "links": holes,
        }
    text, holes = link_tokens.sealed(
        body if isinstance(body, str) else response.to_dict()["body"], links
    )
    return {
        "status": response.status_code,
        "headers": dict(response.headers),
        "body": text,
        "base64": False,
        "links": holes,
    }


def _load(stored: dict[str, Any]) -> Response:
    body, holes = stored["body"], stored.get("links", [])
    if stored["base64"]:
        raw = base64.b64decode(body).decode("latin-1")
        body = link_tokens.unsealed(raw, holes).encode("latin-1")
    else:
        body = link_tokens.unsealed(body, holes)
    return Response(
        body=body,
        status_code=stored["status"],
        headers={**stored["headers"], REPLAYED_HEADER: "true"},
    )


def idempotency_middleware(event: Request, get_response: Callable[[Request], Response]) -> Response:
    key = event.headers.get(HEADER)
    if event.method not in MUTATING_METHODS or key is None:
        return get_response(event)
    if not 0 < len(key) <= MAX_KEY_LENGTH:
        return error_response(
            MalformedRequestError(f"The Idempotency-Key must be 1-{MAX_KEY_LENGTH} characters.")
        )
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyAlreadyInProgressError,
        IdempotencyPersistenceLayerError,
        IdempotencyValidationError,
    )

    config = IdempotencyConfig(
        event_key_jmespath="scope",
        payload_validation_jmespath="request",
        expires_after_seconds=get_settings().idempotency_ttl_seconds,
    )
    if event.lambda_context is not None and hasattr(
        event.lambda_context, "get_remaining_time_in_millis"
    ):
        # An in-progress record then expires with the invocation instead of after 24 hours.
        config.register_lambda_context(event.lambda_context)

    @idempotent_function(
        data_keyword_argument="call",
        persistence_store=_persistence(),
        config=config,
        key_prefix="rewards-http",
    )
    def run(call: dict[str, Any]) -> dict[str, Any]:
        with link_tokens.noting() as links:
            response = get_response(event)
        if response.status_code >= 500 or "no-store" in response.headers.get("Cache-Control", ""):
            raise _NotStoredError(response)
        fresh.append(response)
        return _dump(response, links)

    fresh: list[Response] = []
    try:
        stored = run(call=_request_data(event, key))
    except _NotStoredError as error:
        return error.response
    except IdempotencyValidationError:
        return error_response(IdempotencyKeyReusedError())
    except IdempotencyAlreadyInProgressError:
        return error_response(RequestInProgressError())
    except IdempotencyPersistenceLayerError as error:
        busy = unavailable(error)
        if busy is None:
            raise
        return error_response(busy)
    return fresh[0] if fresh else _load(stored)
