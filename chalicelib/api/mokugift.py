"""Mokugift rewards API: issue rewards by email or URL, one or in bulk; passcodes; queries.

- `POST /api/reward/{campaign_id}`, `/api/reward_url/...`, `/api/reward_url2/...`: one
  recipient in the body, the reward out (201). Issuing needs the campaign's passcode
  (`X-Passcode` header, `passcode` query parameter or body field).
- `POST /api/multi_rewards/{campaign_id}`, `/api/multi_reward_urls/...`,
  `/api/multi_reward_urls2/...`: `{"recipients": [...]}` in, one result per recipient out.
- `GET /api/rewards_in_month/{campaign_id}/{month}/{year}`, `GET /api/all_rewards/{campaign_id}`:
  the campaign's rewards, paged (`limit`, `cursor`), with the store's API key or an admin JWT.
- `POST /api/{storeCode}/campaign/{campaign}/passcode` (admin): a new passcode, shown once.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from chalicelib.api.errors import default_error_body
from chalicelib.api.logging import correlation_id
from chalicelib.api.request import ApiRequest
from chalicelib.api.responses.mokugift import (
    IssuedReward,
    IssueResults,
    Passcode,
    RewardsPage,
)
from chalicelib.api.routes import Routes
from chalicelib.domain import issuing
from chalicelib.domain.auth import Role
from chalicelib.domain.campaigns import CampaignInactiveError, CampaignNotFoundError
from chalicelib.domain.errors import ConflictError, InvalidInputError, MalformedRequestError
from chalicelib.domain.issuing import Delivery, IssueOutcome, RewardPage
from chalicelib.domain.rewards import (
    LimitPerUserReachedError,
    LimitReachedError,
    NoCouponsLeftError,
    reward_url,
)
from chalicelib.domain.stores import get_store
from chalicelib.storage.rewards import RewardModel

ISSUER = (Role.ISSUER,)
READERS = (Role.STORE, Role.ADMIN)
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"

# What refuses a whole issuing call; a bulk call reports each recipient's refusal in its results.
CAMPAIGN_ERRORS = (CampaignNotFoundError, CampaignInactiveError)
ISSUE_ONE_ERRORS = (
    *CAMPAIGN_ERRORS,
    issuing.InvalidRecipientError,
    LimitReachedError,
    LimitPerUserReachedError,
    NoCouponsLeftError,
    ConflictError,  # the campaign stayed busy: retry
)
ISSUE_MANY_ERRORS = (*CAMPAIGN_ERRORS, issuing.TooManyRecipientsError)
# Bad `limit`/`month`/`year`, a cursor that is not ours, another store's campaign.
QUERY_ERRORS = (InvalidInputError, MalformedRequestError, CampaignNotFoundError)

routes = Routes(__name__)


def iso_time(moment: datetime | None) -> str | None:
    """How every reward time is shown: UTC to the second, `2025-03-01T09:30:00Z`."""
    return None if moment is None else moment.astimezone(UTC).strftime(TIME_FORMAT)


def reward_body(reward: RewardModel) -> dict[str, Any]:
    return {
        "rewardId": reward.reward_id,
        "campaignId": reward.campaign_id,
        "url": reward_url(get_store(reward.store_code), reward),
        "couponCode": reward.coupon_code,
        "email": reward.email,
        "uniqueId": reward.public_key,
        "firstName": reward.firstname,
        "lastName": reward.surname,
        "message": reward.message,
        "senderName": reward.sender_name,
        "status": reward.status,
        "emailStatus": reward.email_status,
        "emailError": reward.email_error,
        "used": reward.used,
        "openedAt": iso_time(reward.first_opened_at),
        "createdAt": iso_time(reward.created_at),
        "validFrom": iso_time(reward.active_since),
        "validTo": iso_time(reward.active_to),
    }


def result_body(index: int, outcome: IssueOutcome) -> dict[str, Any]:
    if outcome.reward is not None:
        return {"index": index, "created": True, "reward": reward_body(outcome.reward)}
    assert outcome.error is not None
    return {"index": index, "created": False, **default_error_body(outcome.error)}


def page_body(page: RewardPage) -> dict[str, Any]:
    return {
        "rewards": [reward_body(reward) for reward in page.rewards],
        "nextCursor": page.next_cursor,
    }


def _options(request: ApiRequest) -> dict[str, Any]:
    """Who issues (for the rewards' audit field) and the request id the emails carry."""
    assert request.principal is not None
    return {
        "actor": request.principal.actor,
        "correlation_id": correlation_id(request.raw),
    }


def _issue_one(request: ApiRequest, campaign_id: str, delivery: Delivery) -> dict[str, Any]:
    return reward_body(
        issuing.issue_one(
            request.store_code,
            campaign_id,
            request.body,
            delivery,
            **_options(request),
            progress=request.progress,
        )
    )


def _issue_many(request: ApiRequest, campaign_id: str, delivery: Delivery) -> dict[str, Any]:
    recipients = issuing.recipients_of(request.body)
    outcomes = issuing.issue(
        request.store_code,
        campaign_id,
        recipients,
        delivery,
        **_options(request),
        progress=request.progress,
    )
    created = sum(1 for outcome in outcomes if outcome.reward is not None)
    return {
        "results": [result_body(index, outcome) for index, outcome in enumerate(outcomes)],
        "created": created,
        "failed": len(outcomes) - created,
    }


# -- issuing -------------------------------------------------------------------------------
@routes.route(
    "/api/reward/{campaign_id}",
    methods=["POST"],
    roles=ISSUER,
    status=201,
    summary="Create & send a reward by email (Mokugift)",
    request_model=issuing.EmailRecipientInput,
    response_model=IssuedReward,
    errors=ISSUE_ONE_ERRORS,
)
def create_and_send_reward(request: ApiRequest, campaign_id: str) -> dict[str, Any]:
    return _issue_one(request, campaign_id, Delivery.EMAIL)


@routes.route(
    "/api/reward_url/{campaign_id}",
    methods=["POST"],
    roles=ISSUER,
    status=201,
    summary="Create a reward, no send: its URL, no email sent (Mokugift)",
    request_model=issuing.EmailRecipientInput,
    response_model=IssuedReward,
    errors=ISSUE_ONE_ERRORS,
)
def create_reward_url(request: ApiRequest, campaign_id: str) -> dict[str, Any]:
    return _issue_one(request, campaign_id, Delivery.URL)


@routes.route(
    "/api/reward_url2/{campaign_id}",
    methods=["POST"],
    roles=ISSUER,
    status=201,
    summary="Create a reward, no send, no email address: by unique ID (Mokugift)",
    request_model=issuing.UniqueIdRecipientInput,
    response_model=IssuedReward,
    errors=ISSUE_ONE_ERRORS,
)
def create_reward_url_for_unique_id(request: ApiRequest, campaign_id: str) -> dict[str, Any]:
    return _issue_one(request, campaign_id, Delivery.UNIQUE_ID)


@routes.route(
    "/api/multi_rewards/{campaign_id}",
    methods=["POST"],
    roles=ISSUER,
    summary="Create & send multiple rewards by email (Mokugift)",
    request_model=issuing.EmailRecipients,
    response_model=IssueResults,
    errors=ISSUE_MANY_ERRORS,
)
def create_and_send_rewards(request: ApiRequest, campaign_id: str) -> dict[str, Any]:
    return _issue_many(request, campaign_id, Delivery.EMAIL)


@routes.route(
    "/api/multi_reward_urls/{campaign_id}",
    methods=["POST"],
    roles=ISSUER,
    summary="Create multiple rewards, no send: their URLs, no emails sent (Mokugift)",
    request_model=issuing.EmailRecipients,
    response_model=IssueResults,
    errors=ISSUE_MANY_ERRORS,
)
def create_reward_urls(request: ApiRequest, campaign_id: str) -> dict[str, Any]:
    return _issue_many(request, campaign_id, Delivery.URL)


@routes.route(
    "/api/multi_reward_urls2/{campaign_id}",
    methods=["POST"],
    roles=ISSUER,
    summary="Create multiple rewards, no send, no email addresses: by unique IDs (Mokugift)",
    request_model=issuing.UniqueIdRecipients,
    response_model=IssueResults,
    errors=ISSUE_MANY_ERRORS,
)
def create_reward_urls_for_unique_ids(request: ApiRequest, campaign_id: str) -> dict[str, Any]:
    return _issue_many(request, campaign_id, Delivery.UNIQUE_ID)


# -- queries -------------------------------------------------------------------------------
@routes.route(
    "/api/rewards_in_month/{campaign_id}/{month}/{year}",
    roles=READERS,
    summary="Query rewards for the month: the campaign's rewards of a month (Mokugift)",
    query_model=issuing.PageQuery,  # `month` and `year` are in the path
    response_model=RewardsPage,
    errors=QUERY_ERRORS,
)
def rewards_in_month(request: ApiRequest, campaign_id: str, month: str, year: str) -> Any:
    params = {**request.query, "month": month, "year": year}
    return page_body(issuing.rewards_in_month(request.store_code, campaign_id, params))


@routes.route(
    "/api/all_rewards/{campaign_id}",
    roles=READERS,
    summary="Query all rewards ever created for the campaign (Mokugift)",
    query_model=issuing.PageQuery,
    response_model=RewardsPage,
    errors=QUERY_ERRORS,
)
def all_rewards(request: ApiRequest, campaign_id: str) -> dict[str, Any]:
    return page_body(issuing.campaign_rewards(request.store_code, campaign_id, request.query))


# -- passcodes -----------------------------------------------------------------------------
@routes.route(
    "/api/{storeCode}/campaign/{campaign}/passcode",
    methods=["POST"],
    roles=(Role.ADMIN,),
    summary="A new passcode for creating the campaign's rewards, shown once (Mokugift)",
    response_model=Passcode,
    errors=(CampaignNotFoundError,),
    no_store=True,
)
def rotate_passcode(request: ApiRequest, storeCode: str, campaign: str) -> dict[str, Any]:
    passcode = issuing.rotate_passcode(request.store_code, campaign)
    return {"campaignId": campaign, "passcode": passcode}
