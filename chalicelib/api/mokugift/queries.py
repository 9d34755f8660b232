"""Mokugift reward queries: every reward of a campaign, or those of one UTC month.

- `GET /api/rewards_in_month/{campaign_id}[/{month}/{year}]` (none: this UTC month),
  `GET /api/all_rewards/{campaign_id}`: `<summary>` (`reward_count`, `tree_count`) and every
  reward of the campaign, oldest first. Asked with the store's API key, an admin JWT or the
  campaign's passcode (header, query or form field), or with nothing when the campaign answers
  public queries (`PUT /api/{storeCode}/campaign/{campaign}/public_queries`, admin; off by
  default). An answer that would pass `MAX_ANSWER_BYTES` (under Lambda's 6 MB) holds the first
  rewards and `next_cursor` (`nextCursor`): the same call with `cursor=<it>` continues. `limit`
  (1-100) asks for a page.

A query made with the campaign's sandbox passcode answers only its sandbox rewards; the live
passcode's, the store key's, an admin's and public queries only the live ones. Both contracts
answer from the same `Listed` page: the JSON one through `RewardsPage`, the original one as
XML (chalicelib/api/mokugift/original.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chalice import Response

from chalicelib.api.mokugift.original import (
    XML,
    answers_xml,
    listed_reward,
    listing_xml,
    original_error,
)
from chalicelib.api.mokugift.queries_schemas import ListedReward, RewardsPage
from chalicelib.api.request import ApiRequest
from chalicelib.api.routes import Routes, shaped
from chalicelib.api.security import authenticate
from chalicelib.domain.access.auth import Role
from chalicelib.domain.catalog.campaigns import CampaignNotFoundError
from chalicelib.domain.errors import AuthenticationError, InvalidInputError, MalformedRequestError
from chalicelib.domain.rewards import issuing, queries
from chalicelib.domain.rewards.queries import MonthQuery, PageQuery, RewardListing, Summary
from chalicelib.domain.rewards.reward import Reward
from chalicelib.domain.validation import validate

# The store's API key, an admin, or the campaign's own passcode; anyone when the campaign
# answers public queries (`query_store`).
QUERY_ROLES = (Role.STORE, Role.ADMIN, Role.ISSUER)
NO_CREDENTIAL = AuthenticationError.default_message
# Bad `limit`/`month`/`year`, a cursor that is not ours, another store's campaign.
QUERY_ERRORS = (InvalidInputError, MalformedRequestError, CampaignNotFoundError)
# Under Lambda's 6 MB response limit, with room for the headers and the document around.
MAX_ANSWER_BYTES = 5_000_000

routes = Routes(__name__)


@dataclass(frozen=True)
class Listed:
    """One answer of a query: its rewards (each also as the answer renders it, to measure),
    and where the next answer starts."""

    rewards: list[Reward]
    rendered: list[Any]
    next_cursor: str | None

    @property
    def summary(self) -> Summary:
        return Summary(len(self.rewards))


def listed(listing: RewardListing, render: Callable[[Reward], Any]) -> Listed:
    """Every reward of the listing, or its page; an answer that would pass `MAX_ANSWER_BYTES`
    (each reward measured as `render` gives it) stops before it, with the cursor of the rest."""
    rewards: list[Reward] = []
    rendered: list[Any] = []
    size = 0
    for reward in listing.rewards:
        item = render(reward)
        size += len(item) if isinstance(item, str) else len(json.dumps(item))
        full = listing.limit is not None and len(rewards) == listing.limit
        if rewards and (full or size > MAX_ANSWER_BYTES):
            return Listed(rewards, rendered, queries.cursor_after(rewards[-1]))
        rewards.append(reward)
        rendered.append(item)
    return Listed(rewards, rendered, None)


def in_sandbox(request: ApiRequest) -> bool:
    """Whether the request came with a sandbox passcode: sandbox rewards only."""
    return request.principal is not None and request.principal.sandbox


def query_store(request: ApiRequest, campaign_id: str) -> str:
    """Whose campaign the query reads: the credential's store (the store's API key, an admin,
    the campaign's passcode), or with no credential at all, the store whose campaign of this
    id answers public queries."""
    try:
        request.principal = request.principal or authenticate(request, QUERY_ROLES)
    except AuthenticationError as error:
        # Only a request presenting nothing: a wrong credential stays refused.
        presented_nothing = error.message == NO_CREDENTIAL  # `security` found no credential
        public = issuing.public_queries_store(campaign_id) if presented_nothing else None
        if public is None:
            raise
        return public
    return request.store_code


def answer_query(
    request: ApiRequest, campaign_id: str, read: Callable[[str], RewardListing]
) -> Listed | Response:
    """Authenticate, read the listing and answer it in the contract the request speaks (its
    errors too, `original_error`)."""
    listing = read(query_store(request, campaign_id))
    if not answers_xml(request.raw):
        return listed(listing, lambda reward: shaped(ListedReward, reward))
    found = listed(listing, listed_reward)
    return listing_xml(found.summary, found.rendered, found.next_cursor)


def _query_route(path: str, summary: str) -> Callable[[Any], Any]:
    return routes.route(
        path,
        handler_roles=QUERY_ROLES,
        summary=summary,
        also_answers=(XML,),
        errors=QUERY_ERRORS,
        answer_error=original_error,
    )


@_query_route(
    "/api/rewards_in_month/{campaign_id}/{month}/{year}",
    "Query rewards for the month: every reward of the campaign in a UTC month (Mokugift)",
)
def rewards_in_month(
    request: ApiRequest, campaign_id: str, month: str, year: str, query: PageQuery
) -> RewardsPage:
    in_month = validate(MonthQuery, {**query.model_dump(), "month": month, "year": year})
    return answer_query(
        request,
        campaign_id,
        lambda store_code: queries.rewards_in_month(
            store_code, campaign_id, in_month, sandbox=in_sandbox(request)
        ),
    )


@_query_route(
    "/api/rewards_in_month/{campaign_id}",
    "Query rewards for this month (UTC): every reward of the campaign (Mokugift)",
)
def rewards_this_month(request: ApiRequest, campaign_id: str, query: MonthQuery) -> RewardsPage:
    return answer_query(
        request,
        campaign_id,
        lambda store_code: queries.rewards_in_month(
            store_code, campaign_id, query, sandbox=in_sandbox(request)
        ),
    )


@_query_route(
    "/api/all_rewards/{campaign_id}",
    "Query all rewards ever created for the campaign: every one (Mokugift)",
)
def all_rewards(request: ApiRequest, campaign_id: str, query: PageQuery) -> RewardsPage:
    return answer_query(
        request,
        campaign_id,
        lambda store_code: queries.campaign_rewards(
            store_code, campaign_id, query, sandbox=in_sandbox(request)
        ),
    )
