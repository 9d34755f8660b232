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

from chalicelib.api.logging import correlation_id
from chalicelib.api.mokugift.rewards_schemas import RewardDelivery, SandboxDelivery
from chalicelib.api.request import ApiRequest
from chalicelib.api.routes import Routes
from chalicelib.domain.access.auth import ISSUER_ONLY, STORE_OR_ADMIN
from chalicelib.domain.errors import ConflictError, PermissionDeniedError
from chalicelib.domain.rewards import deliveries, sandbox
from chalicelib.domain.rewards.deliveries import ResendInput

REWARD_PATH = "/api/{storeCode}/rewards/{reward}"

routes = Routes(__name__)


@routes.route(
    REWARD_PATH,
    methods=["GET"],
    roles=STORE_OR_ADMIN,
    summary="A reward, with its email's delivery history",
    errors=(deliveries.RewardNotFoundError,),
)
def get_reward(request: ApiRequest, storeCode: str, reward: str) -> RewardDelivery:
    return deliveries.read_reward(request.store_code, reward)


@routes.route(
    f"{REWARD_PATH}/resend",
    methods=["POST"],
    roles=STORE_OR_ADMIN,
    status=202,
    summary="Resend a reward's email, optionally to a corrected address",
    errors=(
        deliveries.RewardNotFoundError,
        deliveries.RewardCancelledError,
        deliveries.RewardExpiredError,
        deliveries.RewardEmailSendingError,
        deliveries.RewardEmailMissingError,
        ConflictError,  # the reward changed meanwhile: retry
    ),
)
def resend_reward(
    request: ApiRequest, storeCode: str, reward: str, body: ResendInput | None
) -> RewardDelivery:
    return deliveries.resend(request.store_code, reward, body, correlation_id(request.raw))


@routes.route(
    "/api/sandbox_email/{campaign_id}/{reward_id}",
    methods=["GET"],
    roles=ISSUER_ONLY,
    summary="A sandbox reward with its simulated delivery and the email it would have sent",
    errors=(deliveries.RewardNotFoundError,),
)
def get_sandbox_email(request: ApiRequest, campaign_id: str, reward_id: str) -> SandboxDelivery:
    if not request.principal or not request.principal.sandbox:
        raise PermissionDeniedError("Only the campaign's sandbox passcode reads sandbox rewards.")
    return sandbox.get_reward(request.store_code, campaign_id, reward_id)
