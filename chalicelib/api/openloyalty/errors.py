"""The error shape of the Open Loyalty faces (campaigns, targeting, media, buying).

Its document answers invalid forms with 400 and a Symfony form tree
(`{"form": {"children": {"translations": {"children": {"en": {"children": {"name":
{"errors": [...]}}}}}}}, "errors": []}`) and other failures with
`{"error": {"code": 404, "message": "Not Found"}}`. Both keep the service's own `message` and
stable `code` beside, so a client of any face reads errors the same way.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from chalicelib.api.errors import error_schema, status_of
from chalicelib.api.openloyalty.access import roles_of
from chalicelib.api.routes import Access, Routes
from chalicelib.domain import errors

FORM_ROOT = ("", "form", "body")  # field names meaning the form as a whole


def form_tree(field_errors: dict[str, list[str]]) -> dict[str, Any]:
    """`{"translations.en.name": [...]}` → the nested `form.children...errors` tree."""
    tree: dict[str, Any] = {"children": {}}
    top: list[str] = []
    for field, messages in field_errors.items():
        path = [part for part in field.replace("[", ".").replace("]", "").split(".") if part]
        if not path or path[0] in FORM_ROOT:
            top.extend(messages)
            continue
        node = tree
        for part in path:
            node = node.setdefault("children", {}).setdefault(part, {})
        if messages:  # a field given with no messages is shown as `{}`, as the document does
            node.setdefault("errors", []).extend(messages)
    return {"form": tree, "errors": top}


class Refusal(errors.RewardsError):
    """A refusal in Open Loyalty's words: 400 `{"error": "<message>"}`, the domain error's
    stable `code` beside (a buy with too few points is `Not enough points`)."""

    code = "insufficient_points"  # the example the OpenAPI document shows
    default_message = "Not enough points"

    def __init__(self, words: str, cause: errors.RewardsError) -> None:
        super().__init__(words, code=cause.code)


def error_status(error: errors.RewardsError) -> int:
    if isinstance(error, errors.InvalidInputError | Refusal):
        return 400
    return status_of(error)


@error_schema("OpenLoyaltyError")
def render_error(error: errors.RewardsError) -> dict[str, Any]:
    if isinstance(error, Refusal):
        return {"error": error.message, "message": error.message, "code": error.code}
    body: dict[str, Any] = {"message": error.message, "code": error.code}
    if isinstance(error, errors.InvalidInputError):
        return {**form_tree(error.errors), **body}
    status = error_status(error)
    body["error"] = {"code": status, "message": HTTPStatus(status).phrase}
    return body


def openloyalty_routes(import_name: str, access: Access | None = roles_of) -> Routes:
    """A Blueprint whose errors take the Open Loyalty shape, and whose routes' roles are
    those of the access matrix (chalicelib/api/openloyalty/access.py) unless another `access` is
    given."""
    return Routes(import_name, render_error=render_error, error_status=error_status, access=access)
