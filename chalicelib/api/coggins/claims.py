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
from chalicelib.domain.access.auth import Role
from chalicelib.domain.access.stores import get_store
from chalicelib.domain.errors import ConflictError, InvalidInputError, RewardsError
from chalicelib.domain.points import claims
from chalicelib.storage.claims import ClaimModel

ECHOED_FIELDS = ("amount", "email", "customerType", "expires")
PAGE_TITLES = {
    claims.ClaimNotFoundError.code: "Claim not found",
    claims.ClaimAlreadyClaimedError.code: "Already claimed",
    claims.ClaimExpiredError.code: "This claim has expired",
    claims.ClaimEmailMismatchError.code: "Not your claim",
}

CLAIM_ERRORS = (
    claims.ClaimNotFoundError,
    claims.ClaimAlreadyClaimedError,
    claims.ClaimExpiredError,
    claims.ClaimEmailMismatchError,
)
# Claiming also answers 409 `conflict` when the claim stays busy: retry.
CLAIMING_ERRORS = (*CLAIM_ERRORS, ConflictError)

routes = Routes(__name__)


def _expires_at(claim: ClaimModel) -> str | None:
    return None if claim.expires_at is None else claim.expires_at.strftime("%Y-%m-%dT%H:%M:%SZ")


def outcome_body(outcome: claims.ClaimOutcome) -> dict[str, Any]:
    claim = outcome.claim
    if claim is None:
        given = outcome.request if isinstance(outcome.request, dict) else {}
        echoed = {field: given[field] for field in ECHOED_FIELDS if field in given}
        return {**echoed, "created": False, "errors": outcome.errors}
    return {
        "amount": int(claim.amount),
        "email": claim.email,
        "customerType": claim.customer_type,
        "expires": None if claim.expires_days is None else int(claim.expires_days),
        "expiresAt": _expires_at(claim),
        "claimToken": claims.claim_token(claim),
        "claimUrl": outcome.url,
        "created": True,
    }


def _submitted_email(request: ApiRequest) -> Any:
    body = request.body
    if body is not None and not isinstance(body, dict):
        raise InvalidInputError({"body": ["The request body must be an object."]})
    return (body or {}).get("email")


# -- API -----------------------------------------------------------------------------------
@routes.route(
    "/api/v1/points",
    methods=["POST"],
    roles=(Role.STORE,),
    summary="Point claims request: create point claims and their claim URLs (Coggins)",
    request_model=claims.ClaimRequests,
    response_model=ClaimOutcomes,
    errors=(claims.TooManyClaimsError,),
)
def create_claims(request: ApiRequest) -> list[dict[str, Any]]:
    actor = request.principal.actor if request.principal else None
    outcomes = claims.create_claims(
        request.store_code, request.body, actor, progress=request.progress
    )
    return [outcome_body(outcome) for outcome in outcomes]


@routes.route(
    "/api/v1/claims/{token}",
    methods=["GET"],
    summary="A point claim's amount, status and expiry (Coggins claim URL, as JSON)",
    response_model=Claim,
    errors=(claims.ClaimNotFoundError,),
)
def get_claim(request: ApiRequest, token: str) -> dict[str, Any]:
    claim = claims.get_claim(token)
    return {
        "amount": int(claim.amount),
        "status": claims.effective_status(claim),
        "expiresAt": _expires_at(claim),
        "bound": claim.email is not None,
    }


@routes.route(
    "/api/v1/claims/{token}",
    methods=["POST"],
    summary="Claim a point claim's points by email (Coggins claim URL, as JSON)",
    request_model=claims.ClaimantInput,
    response_model=Claimed,
    errors=CLAIMING_ERRORS,
)
def claim_points(request: ApiRequest, token: str) -> Any:
    result = claims.claim(token, _submitted_email(request))
    return {
        "claimed": True,
        "amount": result.amount,
        "customerId": result.customer_id,
        "availablePoints": result.available_points,
    }


# -- the claim page ------------------------------------------------------------------------
def claim_error_page(error: RewardsError) -> Response:
    return error_page(error, PAGE_TITLES)


def claim_form(
    claim: ClaimModel, status: int = 200, email: Any = None, errors: Any = None
) -> Response:
    return html_response(
        "claim_form.html",
        status,
        store=get_store(claim.store_code),
        amount=int(claim.amount),
        last_day=claims.last_claim_day(claim),
        bound_to=claims.mask_email(claim.email) if claim.email else None,
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
        claim = claims.get_claim(token)
        claims.ensure_claimable(claim)
    except RewardsError as error:
        return claim_error_page(error)
    return claim_form(claim)


@routes.route(
    "/claim/points/{token}",
    methods=["POST"],
    summary="Claim the points from the claim URL's page form (Coggins)",
    request_model=claims.ClaimantInput,
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
            claim = claims.get_claim(token)
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
