"""A campaign's Mokugift settings, for an admin: its passcodes and its public queries.

- `POST /api/{storeCode}/campaign/{campaign}/passcode`: a new passcode for issuing, shown once;
  `.../sandbox_passcode`: a new sandbox passcode, shown once (the same calls, on sandbox
  rewards: chalicelib/domain/rewards/sandbox.py).
- `PUT /api/{storeCode}/campaign/{campaign}/public_queries`, `{"enabled": true|false}`: whether
  anyone may query the campaign's rewards (chalicelib/api/mokugift/queries.py); off by default.
"""

from __future__ import annotations

from chalicelib.api.mokugift.passcodes_schemas import Passcode, PublicQueries
from chalicelib.api.request import ApiRequest
from chalicelib.api.routes import Routes
from chalicelib.domain.access.auth import ADMIN_ONLY
from chalicelib.domain.catalog.campaigns import CampaignNotFoundError
from chalicelib.domain.rewards import issuing
from chalicelib.domain.rewards.issuing import PublicQueriesInput
from chalicelib.domain.validation import validate

routes = Routes(__name__)


@routes.route(
    "/api/{storeCode}/campaign/{campaign}/passcode",
    methods=["POST"],
    roles=ADMIN_ONLY,
    summary="A new passcode for creating the campaign's rewards, shown once (Mokugift)",
    errors=(CampaignNotFoundError,),
    no_store=True,
)
def rotate_passcode(request: ApiRequest, storeCode: str, campaign: str) -> Passcode:
    return issuing.rotate_passcode(request.store_code, campaign)


@routes.route(
    "/api/{storeCode}/campaign/{campaign}/sandbox_passcode",
    methods=["POST"],
    roles=ADMIN_ONLY,
    summary=(
        "A new sandbox passcode, shown once: the same calls, creating sandbox rewards that use "
        "nothing up and send nothing (Mokugift)"
    ),
    errors=(CampaignNotFoundError,),
    no_store=True,
)
def rotate_sandbox_passcode(request: ApiRequest, storeCode: str, campaign: str) -> Passcode:
    return issuing.rotate_passcode(request.store_code, campaign, sandbox=True)


@routes.route(
    "/api/{storeCode}/campaign/{campaign}/public_queries",
    methods=["PUT"],
    roles=ADMIN_ONLY,
    summary="Let anyone query the campaign's rewards, or stop it; off by default (Mokugift)",
    # Not a typed `body` parameter: another store's campaign is a 404 whatever the body, so
    # the body is parsed once the domain has found the campaign.
    request_model=PublicQueriesInput,
    errors=(CampaignNotFoundError, issuing.PublicQueriesTakenError),
)
def set_public_queries(request: ApiRequest, storeCode: str, campaign: str) -> PublicQueries:
    return issuing.set_public_queries(
        request.store_code,
        campaign,
        lambda: validate(PublicQueriesInput, request.body).enabled,
    )
