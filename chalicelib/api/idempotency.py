"""`Idempotency-Key` for every mutating route: one step of the route pipeline (`api.routes`).

The key belongs to the principal: it is looked up only once the request is authenticated and
authorized, and scoped by (store, role, subject), so the same key sent as Bearer, Basic or
`csapikey` (path or query) of one API key, or by a user under a fresh login, is one request,
and a revoked credential gets its 401, never a stored answer. A public route scopes its keys by
its own path. A repeat with the same key and the same request replays the stored response
without running the handler again (`Idempotent-Replayed: true`); the same key with another
request is a 422; a repeat while the first is still running is a 409.

Records live in the idempotency table (`storage.idempotency`: one conditional PutItem takes the
key) for `idempotency_ttl_seconds` (24 h by default). A request in progress holds its key for
`idempotency_lease_seconds` at most (the function's timeout, or what is left of the Lambda
invocation): a retry of the same request after a crash takes the key over and resumes, since
every bulk call records each item in the transaction that applies it
(`storage.idempotency.BulkProgress`); another request under that key is still a 422.

5xx answers are not stored, so a retry after a server fault runs again; nor are answers that
ask for a retry (`Retry-After`), nor answers sent with `Cache-Control: no-store` (a login's
token, a new passcode), which would put a secret at rest: retrying those runs them again. The
claim and reward link tokens an answer shows are cut out of the stored copy and made again for
the replay (`link_tokens.sealed`), so no record holds a working link.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from typing import Any

from chalice import Response
from chalice.app import Request

from chalicelib.api.errors import error_response, unavailable
from chalicelib.config import get_settings
from chalicelib.domain.access import link_tokens
from chalicelib.domain.access.auth import Principal
from chalicelib.domain.errors import (
    IdempotencyKeyReusedError,
    MalformedRequestError,
    RequestInProgressError,
    RewardsError,
)
from chalicelib.storage import idempotency
from chalicelib.storage.idempotency import BulkProgress, request_digest

HEADER = "idempotency-key"
MUTATING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MAX_KEY_LENGTH = 255
REPLAYED_HEADER = "Idempotent-Replayed"
# Credentials a request may carry in its path or query: the principal scopes the key instead,
# so they are no part of what the key is bound to.
CREDENTIAL_PARAMS = frozenset({"csapikey", "passcode"})


def _lease_seconds(request: Request) -> float:
    """How long the request holds its key: what is left of the Lambda invocation, at most
    `idempotency_lease_seconds` (the function's timeout)."""
    lease = float(get_settings().idempotency_lease_seconds)
    remaining = getattr(request.lambda_context, "get_remaining_time_in_millis", None)
    return min(lease, remaining() / 1000) if callable(remaining) else lease


def key_of(request: Request) -> str | None:
    """The request's Idempotency-Key, when it has one and may change something."""
    return request.headers.get(HEADER) if request.method in MUTATING_METHODS else None


def scope_of(request: Request, principal: Principal | None) -> str:
    """Whose key it is: the principal, or for a public route its path."""
    if principal is not None:
        # A sandbox passcode's keys never replay (nor resume) a live passcode's request.
        role = f"{principal.role.value}{'-sandbox' if principal.sandbox else ''}"
        return f"principal#{principal.store_code}#{role}#{principal.subject}"
    return f"public#{request.path}#{sorted((request.uri_params or {}).items())}"


def _fingerprint(request: Request) -> dict[str, Any]:
    query = request.query_params or {}
    return {
        "method": request.method,
        "resource": request.path,
        "params": {
            name: value
            for name, value in (request.uri_params or {}).items()
            if name not in CREDENTIAL_PARAMS
        },
        "query": sorted(
            (name, value)
            for name in query
            if name not in CREDENTIAL_PARAMS
            for value in query.getlist(name)
        ),
        "content_type": request.headers.get("content-type") or "",
        "body": request_digest(request.raw_body or b""),
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


def _stored(response: Response) -> bool:
    headers = response.headers
    return not (
        response.status_code >= 500
        or "no-store" in headers.get("Cache-Control", "")
        or "Retry-After" in headers
    )


def once(
    request: Request,
    key: str,
    scope: str,
    produce: Callable[[BulkProgress], Response],
    refuse: Callable[[RewardsError], Response] = error_response,
) -> Response:
    """The answer of `produce`, run at most once per (scope, key); a replay when it ran.

    `produce` gets the `BulkProgress` of this request, for the bulk calls to record their items.
    `refuse` answers the key's own errors (the route's error answer: JSON, or its contract's).
    """
    if not 0 < len(key) <= MAX_KEY_LENGTH:
        return refuse(
            MalformedRequestError(f"The Idempotency-Key must be 1-{MAX_KEY_LENGTH} characters.")
        )
    ttl = get_settings().idempotency_ttl_seconds
    scoped_key = request_digest(scope, key)
    record_id = f"request#{scoped_key}"
    validation = request_digest(json.dumps(_fingerprint(request), sort_keys=True))
    lease_until = int((time.time() + _lease_seconds(request)) * 1000)
    try:
        taken = idempotency.take_key(record_id, validation, lease_until, ttl)
    except idempotency.KeyReusedError:
        return refuse(IdempotencyKeyReusedError())
    except idempotency.KeyHeldError:
        return refuse(RequestInProgressError())
    except Exception as error:
        busy = unavailable(error)
        if busy is None:
            raise
        return refuse(busy)
    if taken.stored is not None:
        return _load(taken.stored)
    try:
        with link_tokens.noting() as links:
            progress = BulkProgress(request_digest(scoped_key, validation), ttl, taken.resumed)
            response = produce(progress)
    except Exception:
        idempotency.release_key(record_id, lease_until)
        raise
    if _stored(response):
        try:
            idempotency.store_answer(record_id, _dump(response, links), ttl)
        except Exception as error:
            # Applied but not kept: the key frees with its lease, and a retry then resumes
            # from the items' progress, so the caller may as well have this answer.
            if unavailable(error) is None:
                raise
    else:
        idempotency.release_key(record_id, lease_until)
    return response
