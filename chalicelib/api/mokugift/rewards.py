"""A store's rewards: one reward with its email delivery history, and resending its email.

- `GET /api/{storeCode}/rewards/{reward}`: the reward as the Mokugift queries show it, plus
  `emailMessageId`, `attempts` and `history` (`[{at, status, detail}]`, oldest first).
- `POST /api/{storeCode}/rewards/{reward}/resend`, optional body `{"email": "..."}` (a corrected
  address): queues the email again; 202 with the reward.
- `GET /api/sandbox_email/{campaign_id}/{reward_id}`, with the campaign's sandbox passcode
  (`X-Passcode` or `?passcode=`): a sandbox reward (chalicelib/domain/rewards/sandbox.py) with its
  simulated delivery and `renderedEmail` (`from`, `to`, `subject`, `html`, `text`), the email
  it would have sent.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from chalicelib.api.logging import correlation_id
from chalicelib.api.mokugift.issuing import reward_body
from chalicelib.api.mokugift.rewards_schemas import RewardDelivery, SandboxDelivery
from chalicelib.api.request import ApiRequest
from chalicelib.api.routes import Routes
from chalicelib.domain.access.auth import STORE_OR_ADMIN, Role
from chalicelib.domain.errors import ConflictError, PermissionDeniedError
from chalicelib.domain.rewards import deliveries, sandbox
from chalicelib.storage.rewards import RewardModel
from chalicelib.timefmt import UTC_SECONDS

STORE_ROLES = STORE_OR_ADMIN
TIME_FORMAT = UTC_SECONDS
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


@routes.route(
    "/api/sandbox_email/{campaign_id}/{reward_id}",
    methods=["GET"],
    roles=(Role.ISSUER,),
    summary="A sandbox reward with its simulated delivery and the email it would have sent",
    response_model=SandboxDelivery,
    errors=(deliveries.RewardNotFoundError,),
)
def get_sandbox_email(request: ApiRequest, campaign_id: str, reward_id: str) -> dict[str, Any]:
    if not request.principal or not request.principal.sandbox:
        raise PermissionDeniedError("Only the campaign's sandbox passcode reads sandbox rewards.")
    reward = sandbox.get_reward(request.store_code, reward_id)
    if reward.campaign_id != campaign_id:
        raise deliveries.RewardNotFoundError()
    email = reward.sandbox_email
    rendered = None
    if email is not None:
        rendered = {
            "from": email.sender,
            "to": email.recipient,
            "subject": email.subject,
            "html": email.html,
            "text": email.text,
        }
    return {**delivery_body(reward), "renderedEmail": rendered}
