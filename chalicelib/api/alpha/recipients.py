"""Alpha recipients API: `/recipients` and `/recipients/{ref}` (ID, email or public key), also
under `/api/v1/`."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from chalicelib.api.alpha.recipients_schemas import Recipient, RecipientsPage
from chalicelib.api.errors import default_error_body
from chalicelib.api.request import ApiRequest
from chalicelib.api.routes import Routes
from chalicelib.domain.access.auth import STORE_OR_ADMIN
from chalicelib.domain.customers import recipients
from chalicelib.domain.customers.recipient_input import RecipientInput
from chalicelib.domain.errors import (
    ConflictError,
    InvalidInputError,
    MalformedRequestError,
    RewardsError,
)
from chalicelib.domain.points import accounts

NOT_FOUND = (recipients.RecipientNotFoundError,)


def render_error(error: RewardsError) -> dict[str, Any]:
    """The document's shapes: `{"message": ""}` for 404, message + errors for 422."""
    if isinstance(error, recipients.RecipientNotFoundError):
        return {"message": error.message}
    return default_error_body(error)


# The document's clients call `/api/v1/recipients/...`; the bare paths stay for existing ones.
# A trailing slash (`/api/v1/recipients/`) is the same resource: API Gateway and `chalice
# local` strip it before routing, and Chalice refuses to declare one.
routes = Routes(__name__, render_error, also_under=("/api/v1",))


@routes.route(
    "/recipients",
    methods=["GET"],
    roles=STORE_OR_ADMIN,
    summary="List the store's recipients, a page at a time (Alpha)",
    errors=(InvalidInputError, MalformedRequestError),  # bad `per_page`, foreign `cursor`
)
def list_recipients(request: ApiRequest, query: accounts.HistoryQuery) -> RecipientsPage:
    # The same paging as the points history: `per_page` 1 to 100 (25), `cursor`.
    return recipients.list_recipients(request.store_code, query.per_page, query.cursor)


@routes.route(
    "/recipients",
    methods=["POST", "PUT"],
    roles=STORE_OR_ADMIN,
    status=201,
    summary="Creating a new recipient (Alpha)",
    # Fields are checked in the domain, blank ones cleared and the required ones named
    # (`recipient_input.parse_recipient`); the model documents them.
    request_model=RecipientInput,
)
def create_recipient(request: ApiRequest) -> Recipient:
    request.spoofed_method(("POST", "PUT"))  # the collection's PUT creates too; no DELETE
    return recipients.create_recipient(request.store_code, request.body)


@routes.route(
    "/recipients/{ref}",
    methods=["GET"],
    roles=STORE_OR_ADMIN,
    summary="Retrieving recipient information, by ID, email or public key (Alpha)",
    errors=NOT_FOUND,
)
def get_recipient(request: ApiRequest, ref: str) -> Recipient:
    return recipients.get_recipient(request.store_code, unquote(ref))


@routes.route(
    "/recipients/{ref}",
    methods=["PUT", "PATCH"],
    roles=STORE_OR_ADMIN,
    summary="Update a recipient: only the fields given change (Alpha)",
    request_model=RecipientInput,
    errors=(*NOT_FOUND, ConflictError),  # changed meanwhile: read it and retry
)
def update_recipient(request: ApiRequest, ref: str) -> Recipient:
    return recipients.update_recipient(request.store_code, unquote(ref), request.body)


@routes.route(
    "/recipients/{ref}",
    methods=["DELETE"],
    roles=STORE_OR_ADMIN,
    summary="Erase a recipient: personal data gone, remaining points forfeited (Alpha)",
    errors=(*NOT_FOUND, ConflictError),  # its points kept changing: retry
)
def delete_recipient(request: ApiRequest, ref: str) -> None:
    actor = request.principal.actor if request.principal else None
    recipients.delete_recipient(request.store_code, unquote(ref), actor)


@routes.route(
    "/recipients/{ref}",
    methods=["POST"],
    roles=STORE_OR_ADMIN,
    summary="Update (`_method=PUT`) or delete (`_method=DELETE`) a recipient with a POST (Alpha)",
    request_model=RecipientInput,
    response_model=Recipient,  # or none: a delete answers 204
    errors=(*NOT_FOUND, ConflictError, InvalidInputError),
)
def post_to_recipient(request: ApiRequest, ref: str) -> Recipient | None:
    """For clients that can only POST: the body's `_method` says which method it stands for."""
    method = request.spoofed_method(("PUT", "PATCH", "DELETE"))
    if method is None:
        raise InvalidInputError({"_method": ["The method field is required."]})
    if method == "DELETE":
        delete_recipient(request, ref)
        return None
    return update_recipient(request, ref)
