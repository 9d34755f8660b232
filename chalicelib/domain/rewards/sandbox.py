"""The Mokugift sandbox: the issuing calls made with a campaign's sandbox passcode.

They validate as live calls do and answer the same way, but each reward is a sandbox reward:
written under the store's sandbox partition (`storage.rewards.sandbox_partition`), where no
live read looks (queries made with the live passcode, the store's key or an admin, the bought
list, a customer's rewards, the reward metrics); seen only by the sandbox passcode's queries.
Nothing real is used up or created:
- the campaign's state is read, never written: a call to a campaign switched off, out of its
  dates, used up or out of coupons is refused as a live one is (the recipients past what is
  left, in order), but no usage is counted and no coupon taken; a reward from a campaign with
  coupons shows a `SANDBOX-` code of its own. (No customers exist for sandbox recipients, so
  the limit per user is not applied.)
- no customer is created: recipients are kept on the rewards only;
- no email leaves: an emailed reward's email is rendered, kept on the reward and its delivery
  simulated before the answer (`deliver_in_sandbox`), SES's mailbox simulator
  addresses ending as SES would end them; no queue message, no outbox. Its delivery goes
  through the live steps and statuses (sending, then sent with a message id, or failed with
  the reason), decided by the address: SES's mailbox simulator (`SIMULATOR`) ends as SES ends
  its real deliveries (a bounce or a suppressed address: failed; a complaint: sent, then a
  `complaint` step), any other address as a delivered email.

Each reward is one write (BatchWriteItem, 25 a call) holding everything about it, so there is
no second effect to lose. A keyed request (Idempotency-Key) gives its rewards ids made from the
request and the recipient's place, so a retry after a crash finds those already written (one
BatchGetItem per 100) and writes only the others, answering what one run would have.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from chalicelib.domain.access.link_tokens import LinkTokenError
from chalicelib.domain.access.stores import get_store
from chalicelib.domain.catalog.campaigns import uses_coupon_pool
from chalicelib.domain.errors import RewardsError
from chalicelib.domain.rewards import deliveries
from chalicelib.domain.rewards.email_content import render_reward_email
from chalicelib.domain.rewards.grants import (
    Grant,
    LimitReachedError,
    NoCouponsLeftError,
    Recipient,
)
from chalicelib.domain.rewards.handout import recorded_rewards
from chalicelib.domain.rewards.new_rewards import free_codes, new_reward
from chalicelib.domain.rewards.reward import Reward
from chalicelib.mail import ses
from chalicelib.mail.reward_email import CampaignTemplateError
from chalicelib.storage.campaigns import CampaignModel, pool_key
from chalicelib.storage.idempotency import NO_PROGRESS, BulkProgress
from chalicelib.storage.rewards import (
    EMAIL_FAILED,
    EMAIL_SENDING,
    EMAIL_SENT,
    ISSUED,
    DeliveryEvent,
    RewardModel,
    StoredEmail,
    sandbox_partition,
    store_of,
)

SANDBOX_CUSTOMER = "sandbox"  # the customer id of every sandbox reward: none is created
COUPON_PREFIX = "SANDBOX-"


def _refusals(campaign: CampaignModel, indexes: list[int]) -> dict[int, RewardsError]:
    """The recipients a live call would refuse for want of coupons or of the campaign's
    limit, as it would (codes first, then the limit; earlier recipients served first)."""
    left_by_limit = None
    if not campaign.unlimited and campaign.limit is not None:
        left_by_limit = max(0, int(campaign.limit) - int(campaign.usage_count or 0))
    codes = None
    if uses_coupon_pool(campaign):
        pool = pool_key(campaign.store_code, campaign.campaign_id)
        codes = len(free_codes(pool, len(indexes), set()))
    refused: dict[int, RewardsError] = {}
    for granted, index in enumerate(indexes):
        if codes is not None and granted >= codes:
            refused[index] = NoCouponsLeftError()
        elif left_by_limit is not None and granted >= left_by_limit:
            refused[index] = LimitReachedError()
    return refused


def _coupon(campaign: CampaignModel) -> str | None:
    """A code of the sandbox's own where the campaign hands out one: never a real one."""
    if not (uses_coupon_pool(campaign) or campaign.single_coupon):
        return None
    return f"{COUPON_PREFIX}{secrets.token_hex(4).upper()}"


def _reward_id(progress: BulkProgress, index: int) -> str | None:
    """The reward id of a keyed request's recipient: the same in every run of the request."""
    if progress.request is None:
        return None
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"sandbox-reward:{progress.request}:{index}"))


def issue(
    campaign: CampaignModel,
    recipients: Mapping[int, Recipient],
    emails: bool,
    actor: str | None = None,
    progress: BulkProgress = NO_PROGRESS,
    transaction_id: str | None = None,
) -> dict[int, RewardModel | RewardsError]:
    """Sandbox rewards for the valid `recipients` of an issuing call (by their place in it),
    or why each got none; see the module docstring. The campaign is active (checked)."""
    indexes = sorted(recipients)
    outcomes: dict[int, RewardModel | RewardsError] = dict(_refusals(campaign, indexes))
    partition = sandbox_partition(campaign.store_code)
    ids = {index: _reward_id(progress, index) for index in indexes if index not in outcomes}
    written: dict[str, RewardModel] = {}
    if progress.resumed:
        records = [{"rewards": [reward_id]} for reward_id in ids.values() if reward_id]
        written = recorded_rewards(partition, records)
    now = datetime.now(UTC)
    with RewardModel.batch_write() as batch:
        for index, reward_id in ids.items():
            if reward_id in written:
                outcomes[index] = written[reward_id]
                continue
            reward = new_reward(
                campaign,
                Grant(SANDBOX_CUSTOMER, recipient=recipients[index]),
                _coupon(campaign),
                source=ISSUED,
                actor=actor,
                email_status=None,
                now=now,
                issue_transaction=transaction_id,
                partition=partition,
                reward_id=reward_id,
            )
            if emails:
                deliver_in_sandbox(reward, campaign, now)
            batch.save(reward)
            outcomes[index] = reward
    return outcomes


# -- its emails -----------------------------------------------------------------------------
SIMULATOR_DOMAIN = "simulator.amazonses.com"
COMPLAINT = "complaint"  # the history step of a complaint about an email sent


@dataclass(frozen=True)
class Simulated:
    """How SES ends a delivery to one of its mailbox simulator's addresses."""

    failure: str | None = None  # the bounce's reason: the email ends failed
    complaint: str | None = None  # the complaint after a delivered email


SIMULATOR = {
    "success": Simulated(),
    "bounce": Simulated(failure="Bounce (Permanent, General): the address does not exist."),
    "complaint": Simulated(complaint="The recipient marked the email as spam."),
    "suppressionlist": Simulated(
        failure="Bounce (Permanent, OnAccountSuppressionList): the address is suppressed."
    ),
}


def simulated(address: str) -> Simulated:
    """The end of a sandbox delivery to `address`: the simulator's (`bounce+label@...` too),
    or for any other address, a delivered email."""
    local, _, domain = address.lower().rpartition("@")
    if domain != SIMULATOR_DOMAIN:
        return SIMULATOR["success"]
    return SIMULATOR.get(local.partition("+")[0], SIMULATOR["success"])


def deliver_in_sandbox(reward: RewardModel, campaign: CampaignModel, now: datetime) -> None:
    """Deliver an unsaved sandbox reward's email without sending it: rendered and kept on the
    reward (`sandbox_email`), its status and history as `deliver` would leave them."""
    assert reward.email is not None
    store = get_store(store_of(reward.store_code))
    steps = [(EMAIL_SENDING, "attempt 1")]
    reward.email_attempts = 1
    try:
        email = render_reward_email(reward, campaign, store)
    except (CampaignTemplateError, LinkTokenError) as error:
        reward.email_error = deliveries.unrendered(error)
        steps.append((EMAIL_FAILED, reward.email_error))
    else:
        reward.sandbox_email = StoredEmail(
            sender=ses.sender_address(store.name, store.email_sender),
            recipient=reward.email,
            subject=email.subject,
            html=email.html,
            text=email.text,
        )
        reward.email_message_id = f"sandbox-{uuid.uuid4().hex}"
        steps.append((EMAIL_SENT, reward.email_message_id))
        outcome = simulated(reward.email)
        if outcome.failure is not None:
            reward.email_error = outcome.failure
            steps.append((EMAIL_FAILED, outcome.failure))
        if outcome.complaint is not None:
            steps.append((COMPLAINT, outcome.complaint))
    reward.email_status = EMAIL_FAILED if reward.email_error else EMAIL_SENT
    reward.email_history = [DeliveryEvent(at=now, status=s, detail=d) for s, d in steps]


def get_reward(store_code: str, campaign_id: str, reward_id: str) -> Reward:
    """One sandbox reward of the store's campaign (one GetItem); a live one, or another
    campaign's, is not found here."""
    reward = deliveries.read_reward(sandbox_partition(store_code), reward_id)
    if reward.campaign_id != campaign_id:
        raise deliveries.RewardNotFoundError()
    return reward
