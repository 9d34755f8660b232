"""Domain errors map to one HTTP status each, with a stable JSON body."""

from __future__ import annotations

import json

import pytest

from chalicelib.api.errors import default_error_body, error_response, status_of
from chalicelib.domain import errors
from chalicelib.domain.customers.recipients import RecipientNotFoundError
from chalicelib.domain.points.ledger import InsufficientPointsError

STATUSES = [
    (errors.RewardsError(), 400),
    (errors.InvalidInputError({"email": ["The email field is required."]}), 422),
    (errors.MalformedRequestError(), 400),
    (errors.ServiceUnavailableError(), 503),
    (errors.TooManyItemsError({"body": ["At most 1000 items."]}), 422),
    (errors.UnsupportedMediaTypeError(), 415),
    (errors.NotFoundError(), 404),
    (RecipientNotFoundError(), 404),
    (errors.GoneError(), 410),
    (errors.PayloadTooLargeError(), 413),
    (InsufficientPointsError(available=1, requested=2), 422),
    (errors.ConflictError(), 409),
    (errors.AuthenticationError(), 401),
    (errors.PermissionDeniedError(), 403),
    (errors.IdempotencyKeyReusedError(), 422),
    (errors.RequestInProgressError(), 409),
]


@pytest.mark.parametrize(
    ("error", "status"), STATUSES, ids=[type(error).__name__ for error, _ in STATUSES]
)
def test_status_of_each_domain_error(error: errors.RewardsError, status: int) -> None:
    assert status_of(error) == status
    assert error_response(error).status_code == status


def test_every_domain_error_class_is_mapped() -> None:
    def subclasses(cls: type) -> set[type]:
        found = set(cls.__subclasses__())
        for sub in list(found):
            found |= subclasses(sub)
        return found

    mapped = {type(error) for error, _ in STATUSES}
    missing = {
        cls
        for cls in subclasses(errors.RewardsError)
        if cls.__module__ == errors.__name__ and cls not in mapped
    }
    assert not missing


def test_body_has_message_and_code() -> None:
    response = error_response(errors.NotFoundError("No such thing."))

    assert json.loads(response.body) == {"message": "No such thing.", "code": "not_found"}
    assert response.headers["Content-Type"] == "application/json"
    assert "WWW-Authenticate" not in response.headers


def test_default_message_and_code_override() -> None:
    error = errors.AuthenticationError(code="token_expired")

    assert default_error_body(error) == {
        "message": "Authentication required.",
        "code": "token_expired",
    }
    assert errors.AuthenticationError().code == "unauthenticated"


def test_invalid_input_body_carries_per_field_errors() -> None:
    error = errors.InvalidInputError(
        {"email": ["The email field is required."], "town": ["The town field is required."]}
    )

    assert json.loads(error_response(error).body) == {
        "message": "The given data was invalid.",
        "code": "validation_failed",
        "errors": {
            "email": ["The email field is required."],
            "town": ["The town field is required."],
        },
    }


def test_401_carries_www_authenticate() -> None:
    response = error_response(errors.AuthenticationError("Invalid token.", code="invalid_token"))

    assert response.status_code == 401
    challenge = response.headers["WWW-Authenticate"]
    assert "Bearer" in challenge
    assert "Basic" in challenge
    assert json.loads(response.body) == {"message": "Invalid token.", "code": "invalid_token"}


def test_403_has_no_challenge() -> None:
    response = error_response(errors.PermissionDeniedError())

    assert response.status_code == 403
    assert "WWW-Authenticate" not in response.headers


def test_in_progress_asks_to_retry() -> None:
    response = error_response(errors.RequestInProgressError())

    assert response.headers["Retry-After"] == "1"
    assert json.loads(response.body)["code"] == "request_in_progress"


def test_custom_renderer_shapes_the_body() -> None:
    response = error_response(errors.NotFoundError(""), lambda error: {"message": error.message})

    assert response.status_code == 404
    assert json.loads(response.body) == {"message": ""}
