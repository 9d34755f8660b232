"""Coggins point claims: create them in bulk, and the claim link's page plus its JSON twin.

- `POST /api/v1/points?csapikey=KEY`: an array of claim requests in, an array of outcomes out.
- `GET|POST /claim/points/{token}`: the public HTML page behind the claim URL and its form.
  Every answer of these two routes is HTML, errors included.
- `GET|POST /api/v1/claims/{token}`: the same for integrations, in JSON.
"""

from __future__ import annotations

from typing import Any

from chalice import Response

from chalicelib.api.coggins.claims_schemas import Claim, Claimed, ClaimOutcomes
from chalicelib.api.html import HTML, error_page, html_response
from chalicelib.api.request import ApiRequest
from chalicelib.api.routes import Routes
from chalicelib.domain.access.auth import STORE_ONLY
from chalicelib.domain.access.stores import get_store
from chalicelib.domain.errors import ConflictError, InvalidInputError, RewardsError
from chalicelib.domain.points import claim_rules as rules
from chalicelib.domain.points import claims

PAGE_TITLES = {
    rules.ClaimNotFoundError.code: "Claim not found",
    rules.ClaimAlreadyClaimedError.code: "Already claimed",
    rules.ClaimExpiredError.code: "This claim has expired",
    rules.ClaimEmailMismatchError.code: "Not your claim",
}

CLAIM_ERRORS = (
    rules.ClaimNotFoundError,
    rules.ClaimAlreadyClaimedError,
    rules.ClaimExpiredError,
    rules.ClaimEmailMismatchError,
)
# Claiming also answers 409 `conflict` when the claim stays busy: retry.
CLAIMING_ERRORS = (*CLAIM_ERRORS, ConflictError)

routes = Routes(__name__)


def _submitted_email(request: ApiRequest) -> Any:
    body = request.body
    if body is not None and not isinstance(body, dict):
        raise InvalidInputError({"body": ["The request body must be an object."]})
    return (body or {}).get("email")


# -- API -----------------------------------------------------------------------------------
@routes.route(
    "/api/v1/points",
    methods=["POST"],
    roles=STORE_ONLY,
    summary="Point claims request: create point claims and their claim URLs (Coggins)",
    # Each item is validated in its place (an invalid one is its outcome's `errors`): the body
    # is the domain's to read, the model documents it.
    request_model=rules.ClaimRequests,
    errors=(rules.TooManyClaimsError,),
)
def create_claims(request: ApiRequest) -> ClaimOutcomes:
    actor = request.principal.actor if request.principal else None
    return claims.create_claims(request.store_code, request.body, actor, progress=request.progress)


@routes.route(
    "/api/v1/claims/{token}",
    methods=["GET"],
    summary="A point claim's amount, status and expiry (Coggins claim URL, as JSON)",
    errors=(rules.ClaimNotFoundError,),
)
def get_claim(request: ApiRequest, token: str) -> Claim:
    return claims.read_claim(token)


@routes.route(
    "/api/v1/claims/{token}",
    methods=["POST"],
    summary="Claim a point claim's points by email (Coggins claim URL, as JSON)",
    # No body at all is an empty one (a bound claim needs no email): read by `_submitted_email`.
    request_model=rules.ClaimantInput,
    errors=CLAIMING_ERRORS,
)
def claim_points(request: ApiRequest, token: str) -> Claimed:
    return claims.claim(token, _submitted_email(request))


# -- the claim page ------------------------------------------------------------------------
def claim_error_page(error: RewardsError) -> Response:
    return error_page(error, PAGE_TITLES)


def claim_form(
    claim: rules.ClaimState, status: int = 200, email: Any = None, errors: Any = None
) -> Response:
    return html_response(
        "claim_form.html",
        status,
        store=get_store(claim.store_code),
        amount=claim.amount,
        last_day=claim.last_day,
        bound_to=claim.bound_to,
        email=email if isinstance(email, str) else "",
        errors=errors or {},
    )


@routes.route(
    "/claim/points/{token}",
    methods=["GET"],
    summary="The claim URL's page: a form to claim the points (Coggins)",
    response_type=HTML,
    errors=CLAIM_ERRORS,
)
def show_claim_page(request: ApiRequest, token: str) -> Response:
    try:
        claim = claims.read_claim(token)
        rules.ensure_claimable(claim)
    except RewardsError as error:
        return claim_error_page(error)
    return claim_form(claim)


@routes.route(
    "/claim/points/{token}",
    methods=["POST"],
    summary="Claim the points from the claim URL's page form (Coggins)",
    request_model=rules.ClaimantInput,
    response_type=HTML,
    errors=CLAIMING_ERRORS,
)
def claim_from_page(request: ApiRequest, token: str) -> Response:
    email = None
    try:
        email = _submitted_email(request)
        result = claims.claim(token, email)
    except InvalidInputError as error:  # the form again, with what was wrong
        try:
            claim = claims.read_claim(token)
        except RewardsError as not_found:
            return claim_error_page(not_found)
        return claim_form(claim, 422, email, error.errors)
    except RewardsError as error:
        return claim_error_page(error)
    return html_response(
        "claim_success.html",
        amount=result.amount,
        email=result.email,
        balance=result.available_points,
    )
