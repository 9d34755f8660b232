"""The errors of the OpenAPI document (chalicelib/api/openapi.py): each face's error body schema,
and each operation's possible errors by status, with examples rendered by the face's own error
renderer, so they show exactly what a client receives.
"""

from __future__ import annotations

from collections import defaultdict
from http import HTTPStatus
from typing import Any

from chalice.app import RouteEntry

from chalicelib.api.errors import ERROR_SCHEMA_NAMES, ErrorRenderer
from chalicelib.api.html import HTML
from chalicelib.api.request import BODY_TYPES
from chalicelib.api.routes import JSON, MUTATING, RouteDoc
from chalicelib.domain import errors

REF = "#/components/schemas/{model}"
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
ERRORS_IN_ANSWER_TYPE = (HTML, "application/xml")
EXAMPLE_FIELD_ERRORS = {"email": ["The email field is required."]}

FIELD_ERRORS = {
    "type": "object",
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
    "description": "The messages of each invalid field.",
}
ERROR_SCHEMAS: dict[str, dict[str, Any]] = {
    "Error": {
        "type": "object",
        "required": ["message"],
        "properties": {
            "message": {"type": "string"},
            "code": {"type": "string", "description": "Stable, machine-readable error code."},
            "errors": FIELD_ERRORS,
        },
    },
    "ImonggoError": {
        "type": "object",
        "required": ["errors"],
        "properties": {
            "errors": {"type": "array", "items": {"type": "string"}},
            "message": {"type": "string", "description": "The first of `errors`."},
            "code": {"type": "string", "description": "Stable, machine-readable error code."},
            "fields": FIELD_ERRORS,
        },
    },
    "OpenLoyaltyError": {
        "type": "object",
        "required": ["message", "code"],
        "properties": {
            "message": {"type": "string"},
            "code": {"type": "string", "description": "Stable, machine-readable error code."},
            "error": {
                "type": "object",
                "properties": {"code": {"type": "integer"}, "message": {"type": "string"}},
            },
            "form": {
                "type": "object",
                "description": "Invalid forms: the Symfony form tree, `children` by field.",
            },
            "errors": {"type": "array", "items": {"type": "string"}},
        },
    },
}


def _render_error(doc: RouteDoc) -> ErrorRenderer:
    return doc.render_error or doc.routes.render_error


def _error_schema_name(doc: RouteDoc) -> str:
    return ERROR_SCHEMA_NAMES.get(_render_error(doc), "Error")


def example_error(error_class: type[errors.RewardsError]) -> errors.RewardsError:
    """An instance to render as the example: its own defaults when it can be built bare."""
    try:
        return error_class()
    except TypeError:  # needs arguments (field errors, amounts): the base defaults will do
        error = error_class.__new__(error_class)
        errors.RewardsError.__init__(error)
        if isinstance(error, errors.InvalidInputError):
            error.errors = EXAMPLE_FIELD_ERRORS
        return error


def parsed(content_type: str) -> bool:
    """Whether the service reads a body of this type (JSON, form, multipart) or only accepts
    the type, as Imonggo clients send XML headers with the order in the query string."""
    return content_type in BODY_TYPES or content_type.startswith("multipart/")


def _possible_errors(method: str, entry: RouteEntry, doc: RouteDoc) -> list[errors.RewardsError]:
    classes: list[type[errors.RewardsError]] = []
    if doc.roles is not None:
        classes += [errors.AuthenticationError, errors.PermissionDeniedError]
    # A mutating route also reads `dryRun` from its query string (refused when not a boolean).
    if method in MUTATING or doc.request_model is not None or doc.query_model is not None:
        classes += [errors.InvalidInputError, errors.MalformedRequestError]
    if not all(parsed(content_type) for content_type in entry.content_types):
        classes.append(errors.UnsupportedMediaTypeError)  # a body in a type only accepted empty
    if entry.view_args:
        classes.append(errors.NotFoundError)
    classes += [c for c in doc.errors if c not in classes]
    if doc.status >= 400:  # a route that only refuses: that refusal, no more
        classes = list(doc.errors)
    classes.append(errors.ServiceUnavailableError)  # any route: DynamoDB still busy after retries
    return [example_error(error_class) for error_class in classes]


def error_responses(method: str, entry: RouteEntry, doc: RouteDoc) -> dict[str, Any]:
    by_status: dict[int, list[errors.RewardsError]] = defaultdict(list)
    for error in _possible_errors(method, entry, doc):
        by_status[doc.routes.error_status(error)].append(error)
    responses: dict[str, Any] = {}
    # Pages answer their errors as pages, XML answers in XML; images and files in JSON.
    kinds = [kind for kind in doc.answer_types if kind in ERRORS_IN_ANSWER_TYPE]
    for status, found in sorted(by_status.items()):
        content: dict[str, Any] = {kind: {"schema": {"type": "string"}} for kind in kinds}
        if doc.response_type not in ERRORS_IN_ANSWER_TYPE:
            examples = {
                type(error).__name__: {
                    "summary": error.message,
                    "value": _render_error(doc)(error),
                }
                for error in found
            }
            schema = {"$ref": REF.format(model=_error_schema_name(doc))}
            content = {JSON: {"schema": schema, "examples": examples}, **content}
        responses[str(status)] = {"description": HTTPStatus(status).phrase, "content": content}
    return responses
