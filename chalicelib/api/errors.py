"""Domain errors to HTTP: one status table and the default JSON error body.

A face whose document prescribes another error shape passes its own renderer to its routes.
DynamoDB still throttling after the retries becomes a 503 with `Retry-After` (`unavailable`),
never a 500: the request wrote nothing and may simply be sent again. No error body shows a
credential (`framework_error_middleware` redacts them all, the local stage's tracebacks too).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from chalice import Response

from chalicelib import redaction
from chalicelib.domain import errors
from chalicelib.domain.points.ledger import InsufficientPointsError
from chalicelib.storage.base import is_busy


class MethodNotAllowedError(errors.RewardsError):
    """A method the path does not take (the framework's 405, or a face's own)."""

    code = "method_not_allowed"
    default_message = "This method is not allowed here."


class InternalError(errors.RewardsError):
    """A fault of the service (the framework's 500), for a face that answers it itself."""

    code = "internal_error"
    default_message = "Internal error."


STATUS_BY_ERROR: tuple[tuple[type[errors.RewardsError], int], ...] = (
    (errors.InvalidInputError, 422),
    (InsufficientPointsError, 422),
    (errors.IdempotencyKeyReusedError, 422),
    (errors.MalformedRequestError, 400),
    (errors.UnsupportedMediaTypeError, 415),
    (errors.PayloadTooLargeError, 413),
    (errors.AuthenticationError, 401),
    (errors.PermissionDeniedError, 403),
    (errors.NotFoundError, 404),
    (errors.GoneError, 410),
    (errors.RequestInProgressError, 409),
    (errors.ConflictError, 409),
    (errors.ServiceUnavailableError, 503),
    (MethodNotAllowedError, 405),
    (InternalError, 500),
)
RETRY_AFTER_SECONDS = 1  # DynamoDB throttling and an in-flight repeat both clear within seconds

ErrorRenderer = Callable[[errors.RewardsError], dict[str, Any]]
ErrorStatus = Callable[[errors.RewardsError], int]
# The name of a face's own error shape in the OpenAPI document, by its renderer: the face names
# it (`@error_schema("ImonggoError")`), so the document imports no face.
ERROR_SCHEMA_NAMES: dict[ErrorRenderer, str] = {}


def error_schema(name: str) -> Callable[[ErrorRenderer], ErrorRenderer]:
    """Name the error shape of the decorated renderer in the OpenAPI document."""

    def named(render: ErrorRenderer) -> ErrorRenderer:
        ERROR_SCHEMA_NAMES[render] = name
        return render

    return named


def status_of(error: errors.RewardsError) -> int:
    for error_class, status in STATUS_BY_ERROR:
        if isinstance(error, error_class):
            return status
    return 400


def default_error_body(error: errors.RewardsError) -> dict[str, Any]:
    body: dict[str, Any] = {"message": error.message, "code": error.code}
    if isinstance(error, errors.InvalidInputError):
        body["errors"] = error.errors
    return body


def error_response(
    error: errors.RewardsError,
    render: ErrorRenderer = default_error_body,
    error_status: ErrorStatus | None = None,
) -> Response:
    status = (error_status or status_of)(error)
    headers = {"Content-Type": "application/json", **error_headers(error, status)}
    return Response(body=json.dumps(render(error)), status_code=status, headers=headers)


def error_headers(error: errors.RewardsError, status: int) -> dict[str, str]:
    """The headers an error answer carries whatever its body: the challenge of a 401, and
    `Retry-After` on what clears by itself (which also keeps it out of the idempotency store)."""
    headers = {}
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="rewards", Basic realm="rewards"'
    if isinstance(error, errors.RequestInProgressError | errors.ServiceUnavailableError):
        headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return headers


def unavailable(error: Exception) -> errors.ServiceUnavailableError | None:
    """The 503 for an error that is DynamoDB busy once the retries are spent; None for any
    other error, which stays what it is (a 500 if nothing handles it)."""
    return errors.ServiceUnavailableError() if is_busy(error) else None


def _snake(name: str) -> str:
    if name == "InternalServerError":
        return "internal_error"
    name = name.removesuffix("Error")
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")


def framework_error_middleware(event: Any, get_response: Callable[[Any], Response]) -> Response:
    """Give Chalice's own 4xx/5xx answers (405, 415, 500) the service's error shape, and take
    any credential out of every error body (a message or a debug traceback quoting one)."""
    response = get_response(event)
    body = response.body
    if response.status_code < 400:
        return response
    if isinstance(body, dict) and set(body) == {"Code", "Message"}:
        response.body = json.dumps({"message": body["Message"], "code": _snake(body["Code"])})
        response.headers["Content-Type"] = "application/json"
    if isinstance(response.body, str):
        response.body = redaction.redact(response.body)
    return response


Middleware = Callable[[Any, Callable[[Any], Response]], Response]


class UnknownRouteError(errors.NotFoundError):
    # No path in the message: a mistyped Coggins path carries the API key.
    default_message = "No route here: see /docs for the API's paths."


def unknown_route_middleware(routes: Mapping[str, Mapping[str, Any]]) -> Middleware:
    """Answer a JSON 404 for a path no route declares, before Chalice looks it up (it would
    answer a 500). Such a request reaches the app through the API's catch-all: the
    `/{proxy+}` and `/` resources of the deployed API (infra/template.py), and
    local/api_server.py on this machine."""

    def middleware(event: Any, get_response: Callable[[Any], Response]) -> Response:
        # Not `in`: Chalice's routes are a defaultdict, where a lookup of a path (`chalice
        # local`'s own gateway does one) leaves it without methods: no route either.
        if not routes.get(event.context.get("resourcePath")):
            return error_response(UnknownRouteError())
        return get_response(event)

    return middleware


def _framework_error(status: int, message: str) -> errors.RewardsError:
    """The framework's own refusal (Chalice's `{"Code", "Message"}`) as a domain error."""
    if status == 405:
        return MethodNotAllowedError(message)
    if status == 415:
        return errors.UnsupportedMediaTypeError(message)
    if status < 500:
        return errors.MalformedRequestError(message)
    return InternalError()  # no internals in the answer


def face_error_middleware(routes: Mapping[str, Mapping[str, Any]]) -> Middleware:
    """Give the framework's own answers (405, 415, 500, the local stage's traceback too) on a
    route that answers errors in its request's contract (`Routes.route`'s `answer_error`:
    Mokugift's XML) that answer. Inside `framework_error_middleware`, which then only redacts;
    any other route's, and a JSON-contract request's, stay as they were."""

    def middleware(event: Any, get_response: Callable[[Any], Response]) -> Response:
        response = get_response(event)
        body = response.body
        framework = isinstance(body, dict) and set(body) == {"Code", "Message"}
        # The local stage's 500 is the traceback (debug): a client of a contract gets its own.
        traceback = response.status_code == 500 and response.headers.get("Content-Type") == (
            "text/plain"
        )
        if response.status_code < 400 or not (framework or traceback):
            return response
        views = routes.get(event.context.get("resourcePath")) or {}
        # The method asked for, else (a 405) any method of the path: one face declares it.
        entry = views.get(event.method) or next(iter(views.values()), None)
        doc = getattr(entry.view_function, "route_doc", None) if entry is not None else None
        answer = getattr(doc, "answer_error", None)
        if answer is None:
            return response
        message = body["Message"] if framework else ""
        own: Response | None = answer(event, _framework_error(response.status_code, message))
        if own is None:
            return response
        for name, value in response.headers.items():  # a 405's `Allow`
            own.headers.setdefault(name, value)
        return own

    return middleware
