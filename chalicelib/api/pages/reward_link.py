"""The public page behind a reward link, `GET /r/{token}`: every answer is HTML.

It shows the campaign (name, descriptions, brand), the coupon code, how to use it, its validity
and the sender's message; an unknown token is a 404 page, a cancelled or expired reward a 410
page that says so.
"""

from __future__ import annotations

from chalice import Response

from chalicelib.api.html import HTML, error_page, html_response
from chalicelib.api.request import ApiRequest
from chalicelib.api.routes import Routes
from chalicelib.domain.catalog.campaigns import CampaignNotFoundError
from chalicelib.domain.errors import RewardsError
from chalicelib.domain.rewards import deliveries

PAGE_TITLES = {
    deliveries.RewardNotFoundError.code: "Reward not found",
    CampaignNotFoundError.code: "Reward not found",
    deliveries.RewardCancelledError.code: "This reward has been cancelled",
    deliveries.RewardExpiredError.code: "This reward has expired",
}

routes = Routes(__name__)


@routes.route(
    "/r/{token}",
    methods=["GET"],
    summary="The page behind a reward link: the coupon code and how to use it",
    response_type=HTML,
    errors=(
        deliveries.RewardNotFoundError,
        CampaignNotFoundError,
        deliveries.RewardCancelledError,
        deliveries.RewardExpiredError,
    ),
)
def show_reward(request: ApiRequest, token: str) -> Response:
    try:
        opened = deliveries.open_reward(token)
    except RewardsError as error:
        return error_page(error, PAGE_TITLES)
    return html_response(
        "reward_page.html",
        reward=opened.reward,
        texts=opened.texts,
        store=opened.store,
        not_yet_active=opened.not_yet_active,
    )
