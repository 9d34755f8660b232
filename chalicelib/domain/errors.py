"""The domain's errors. Each has a stable `code`; the HTTP edge maps the class to a status.

Services raise these and never build HTTP responses; `chalicelib.api.errors` turns them into
4xx bodies in the shape of the face of the spec that was called.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


class RewardsError(Exception):
    """Base of every error a caller can cause; never a 500."""

    code = "bad_request"
    default_message = "The request could not be processed."

    def __init__(self, message: str | None = None, *, code: str | None = None) -> None:
        self.message = self.default_message if message is None else message
        if code is not None:
            self.code = code
        super().__init__(self.message)


class InvalidInputError(RewardsError):
    """Input that fails validation; `errors` maps each field to its messages."""

    code = "validation_failed"
    default_message = "The given data was invalid."

    def __init__(self, errors: dict[str, list[str]], message: str | None = None) -> None:
        super().__init__(message)
        self.errors = errors


class TooManyItemsError(InvalidInputError):
    """A bulk request over its item limit, refused before anything is written."""

    code = "too_many_items"


class MalformedRequestError(RewardsError):
    """A body or parameter that cannot even be parsed (bad JSON, wrong content type)."""

    code = "malformed_request"


class UnsupportedMediaTypeError(RewardsError):
    code = "unsupported_media_type"
    default_message = "Unsupported content type."


class PayloadTooLargeError(RewardsError):
    """A request body or uploaded file over its size limit, refused before anything is stored."""

    code = "payload_too_large"
    default_message = "The request body is too large."


class NotFoundError(RewardsError):
    code = "not_found"
    default_message = "Not found."


class GoneError(RewardsError):
    """Something that existed and is no longer available (an expired claim)."""

    code = "gone"
    default_message = "No longer available."


class ConflictError(RewardsError):
    code = "conflict"
    default_message = "The request conflicts with the current state."


class AuthenticationError(RewardsError):
    """No credential, or one that does not check (unknown, revoked, expired, tampered)."""

    code = "unauthenticated"
    default_message = "Authentication required."


class PermissionDeniedError(RewardsError):
    """A valid credential that may not do this (other store, wrong role)."""

    code = "forbidden"
    default_message = "This credential may not perform this operation."


class IdempotencyKeyReusedError(RewardsError):
    """The same Idempotency-Key was sent with a different request."""

    code = "idempotency_key_reused"
    default_message = "This Idempotency-Key was already used with a different request."


class RequestInProgressError(RewardsError):
    """A request with the same Idempotency-Key is still being processed."""

    code = "request_in_progress"
    default_message = "A request with this Idempotency-Key is still in progress; retry later."


class ServiceUnavailableError(RewardsError):
    """DynamoDB is still throttling, or another transaction still holds an item, after the
    retries: nothing was written, and the same request may succeed in a moment."""

    code = "service_unavailable"
    default_message = "The service is busy; retry the request after the Retry-After delay."


def error_record(error: RewardsError) -> dict[str, Any]:
    """An item's refusal as a bulk request records it (`storage.idempotency.BulkProgress`):
    its class (by code), message and plain attributes (`errors`, `available`, ...)."""
    return {
        "code": error.code,
        "message": error.message,
        "fields": {
            name: value
            for name, value in vars(error).items()
            if name not in ("code", "message") and isinstance(value, int | str | dict | None)
        },
    }


def _classes(base: type[RewardsError]) -> Iterator[type[RewardsError]]:
    for subclass in base.__subclasses__():
        yield subclass
        yield from _classes(subclass)


def recorded_error(record: dict[str, Any]) -> RewardsError:
    """A recorded refusal, answered again by the retry of a bulk request: the same class (so
    the same status), code, message and attributes."""
    code = record["code"]
    cls = next((c for c in _classes(RewardsError) if c.code == code), RewardsError)
    error = cls.__new__(cls)
    RewardsError.__init__(error, record["message"], code=None if cls.code == code else code)
    vars(error).update(record.get("fields", {}))
    return error
