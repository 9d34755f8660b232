"""A store's rewards: one reward with its email delivery history, and resending its email.

- `GET /api/{storeCode}/rewards/{reward}`: the reward as the Mokugift queries show it, plus
  `emailMessageId`, `attempts` and `history` (`[{at, status, detail}]`, oldest first).
- `POST /api/{storeCode}/rewards/{reward}/resend`, optional body `{"email": "..."}` (a corrected
  address): queues the email again; 202 with the reward.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from chalicelib.api.logging import correlation_id
from chalicelib.api.mokugift import reward_body
from chalicelib.api.request import ApiRequest
from chalicelib.api.responses.rewards import RewardDelivery
from chalicelib.api.routes import Routes
from chalicelib.domain import deliveries
from chalicelib.domain.auth import Role
from chalicelib.domain.errors import ConflictError
from chalicelib.storage.rewards import RewardModel

STORE_ROLES = (Role.STORE, Role.ADMIN)
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
REWARD_PATH = "/api/{storeCode}/rewards/{reward}"

routes = Routes(__name__)


def delivery_body(reward: RewardModel) -> dict[str, Any]:
    return {
        **reward_body(reward),
        "customerId": reward.customer_id,
        "emailMessageId": reward.email_message_id,
        "attempts": int(reward.email_attempts or 0),
        "history": [
            {
                "at": event.at.astimezone(UTC).strftime(TIME_FORMAT),
                "status": event.status,
                "detail": event.detail,
            }
            for event in reward.email_history or []
        ],
    }


@routes.route(
    REWARD_PATH,
    methods=["GET"],
    roles=STORE_ROLES,
    summary="A reward, with its email's delivery history",
    response_model=RewardDelivery,
    errors=(deliveries.RewardNotFoundError,),
)
def get_reward(request: ApiRequest, storeCode: str, reward: str) -> dict[str, Any]:
    return delivery_body(deliveries.get_reward(request.store_code, reward))


@routes.route(
    f"{REWARD_PATH}/resend",
    methods=["POST"],
    roles=STORE_ROLES,
    status=202,
    summary="Resend a reward's email, optionally to a corrected address",
    request_model=deliveries.ResendInput,
    response_model=RewardDelivery,
    errors=(
        deliveries.RewardNotFoundError,
        deliveries.RewardCancelledError,
        deliveries.RewardExpiredError,
        deliveries.RewardEmailSendingError,
        deliveries.RewardEmailMissingError,
        ConflictError,  # the reward changed meanwhile: retry
    ),
)
def resend_reward(request: ApiRequest, storeCode: str, reward: str) -> dict[str, Any]:
    resent = deliveries.resend(
        request.store_code, reward, request.body, correlation_id(request.raw)
    )
    return delivery_body(resent)
