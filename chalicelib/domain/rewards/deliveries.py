"""How a reward reaches its recipient: the reward email's status, resending it, and the link.

The email status (`RewardModel.email_status`) moves only by conditional updates, each with an
event in `email_history`:

    queued --take--> sending --SES accepted--> sent
      ^                 |--SES refused-----------> queued  (the message comes back: a retry)
      |                 |--SES refused on the last receive, or the email cannot be rendered,
      |                 '  or the reward was cancelled --> failed
      '--resend-- sent | failed | queued | none (a URL-only reward) | sending past its lease

Sending once: before calling SES a consumer *takes* the reward, queued -> sending with
`email_attempts + 1`, under the condition that status and attempts are still what it read. Only
one consumer ever wins; one that loses, or that finds the reward sent or failed, sends nothing.
So a message delivered twice sends one email.

Retries: an SES failure puts the reward back to `queued` with the reason (`email_error`) and
reports the message failed, so SQS delivers it again. The message that fails on its
`MAX_RECEIVES`-th receive (the queue's `maxReceiveCount`, which `infra/template.py` takes from
here) marks the reward `failed` with the reason; SQS then moves it to the dead-letter queue.

The outbox: the write that queues a reward (issuing, a resend) also marks its message owed
(`storage.rewards`, the email-owed index), and the take removes the mark in its own update. A
reward still owed after a grace period lost its message before SQS had it (a crash between the
write and the send, SQS refusing), and `owed_emails.sweep` sends one again; a duplicate is
harmless, the take decides.

A consumer that crashes after taking leaves the reward `sending`; its message was not deleted, so
SQS delivers it again after the queue's visibility timeout. The take's history event says when
the lease began; once `SENDING_LEASE` has passed, the next delivery takes the reward over (same
condition: status and attempts unchanged, one winner). The lease is longer than the consumer's
Lambda timeout, so the first consumer cannot still be running, and shorter than the visibility
timeout, so the redelivered message finds it expired. A delivery that finds a live lease leaves
the message for later. The one way a recipient gets a second copy: a crash after SES accepted the
email and before `sent` was written (SES has no idempotency key to ask with).

The link: `/r/{token}` finds the reward with one Query on the index of token digests (the token
itself is never stored) and records the first opening once (`first_opened_at`, set under
`attribute_not_exists`). An email whose link cannot be made again (`LinkTokenError`: the link
token secret changed) is marked failed, like one that cannot be rendered: it is never sent dead.

A sandbox reward's email is never sent: `sandbox.deliver_in_sandbox` walks it through the
same steps and statuses.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import ConfigDict
from pynamodb.exceptions import DoesNotExist
from pynamodb.transactions import TransactWrite

from chalicelib.domain.access.link_tokens import LinkTokenError, digest
from chalicelib.domain.access.stores import Store, get_store
from chalicelib.domain.catalog.campaigns import get_campaign, texts
from chalicelib.domain.errors import (
    ConflictError,
    GoneError,
    InvalidInputError,
    NotFoundError,
    RewardsError,
)
from chalicelib.domain.events import event_log, lifecycle_events
from chalicelib.domain.rewards.email_content import render_reward_email
from chalicelib.domain.rewards.reward import Reward, reward_of
from chalicelib.domain.validation import Email, InputModel
from chalicelib.mail import outbox, ses
from chalicelib.mail.reward_email import CampaignTemplateError, RewardEmail
from chalicelib.mail.templates import day
from chalicelib.observability import Metric, add_metric
from chalicelib.storage.errors import ConditionFailedError, TransactionCancelledError
from chalicelib.storage.rewards import (
    ACTIVE,
    CANCELLED,
    EMAIL_FAILED,
    EMAIL_QUEUED,
    EMAIL_SENDING,
    EMAIL_SENT,
    RewardModel,
    email_event,
    owe_email_actions,
    settle_email_actions,
    store_of,
)
from chalicelib.storage.transactions import Transaction

MAX_RECEIVES = 5  # the reward email queue's maxReceiveCount
SENDING_LEASE = timedelta(minutes=5)  # > the consumer's Lambda timeout, < the visibility timeout
TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,128}$")  # a link token's alphabet; anything else: unknown
MAX_REWARD_ID_LENGTH = 128


class RewardNotFoundError(NotFoundError):
    code = "reward_not_found"
    default_message = "This reward does not exist."


class RewardCancelledError(GoneError):
    code = "reward_cancelled"
    default_message = "This reward has been cancelled."


class RewardExpiredError(GoneError):
    code = "reward_expired"
    default_message = "This reward has expired."


class RewardEmailSendingError(ConflictError):
    code = "reward_email_sending"
    default_message = "This reward's email is being sent right now; try again in a few minutes."


class RewardEmailMissingError(InvalidInputError):
    code = "reward_email_missing"


class RetryLaterError(Exception):
    """The message should come back later: SES refused, or another consumer holds the reward."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class EmailOutcome(StrEnum):
    """What handling one message did."""

    SENT = "sent"
    SKIPPED = "skipped"  # nothing to send: sent or failed already, a link-only or gone reward
    FAILED = "failed"  # given up for good; the reason is on the reward


# -- reading -------------------------------------------------------------------------------
def get_reward(store_code: str, reward_id: str) -> RewardModel:
    """One GetItem; another store's reward is simply not found."""
    if not 0 < len(reward_id) <= MAX_REWARD_ID_LENGTH:
        raise RewardNotFoundError()
    try:
        return RewardModel.get(store_code, reward_id, consistent_read=True)
    except DoesNotExist as error:
        raise RewardNotFoundError() from error


def read_reward(store_code: str, reward_id: str) -> Reward:
    """The store's reward with its email's delivery history (one GetItem)."""
    return reward_of(get_reward(store_code, reward_id))


# -- status moves --------------------------------------------------------------------------
def _as_read(reward: RewardModel) -> Any:
    """The condition that the reward's email is still as this process read it."""
    status = RewardModel.email_status
    same = status.does_not_exist() if reward.email_status is None else status == reward.email_status
    return same & (RewardModel.email_attempts == int(reward.email_attempts or 0))


def _move(
    reward: RewardModel,
    condition: Any,
    status: str,
    detail: str | None,
    now: datetime,
    actions: tuple[Any, ...] = (),
    event: Callable[[TransactWrite], Any] | None = None,
) -> bool:
    """One step: the new status and its history event under `condition`; False if refused.
    An outcome (sent, failed) is written with its `reward.sent`/`reward.failed` event in one
    transaction, a step with an `event` (a resend) with that one; the other steps are one
    conditional update."""
    update = [RewardModel.email_status.set(status), email_event(status, detail, now), *actions]
    if status in (EMAIL_SENT, EMAIL_FAILED):
        sent, reason = status == EMAIL_SENT, None if status == EMAIL_SENT else detail

        def event(transaction: TransactWrite) -> Any:
            return event_log.email_outcome(transaction, reward, sent, reason, now)

    if event is None:
        try:
            reward.update(actions=update, condition=condition)
        except ConditionFailedError:
            return False
        return True
    transaction = Transaction()
    try:
        with transaction:
            transaction.update(reward, actions=update, condition=condition)
            event(transaction)
    except TransactionCancelledError as error:
        failures = error.failures
        if any(f.model is RewardModel and f.condition_failed for f in failures):
            return False
        raise
    return True


def _lease_expired(reward: RewardModel, now: datetime) -> bool:
    taken = next(
        (e.at for e in reversed(reward.email_history or []) if e.status == EMAIL_SENDING), None
    )
    return taken is None or now - taken >= SENDING_LEASE


def _take(reward: RewardModel, now: datetime) -> bool:
    """Make the reward this consumer's to send; False when there is nothing to send."""
    status = reward.email_status
    if status == EMAIL_SENDING and not _lease_expired(reward, now):
        raise RetryLaterError("Another consumer is sending this email.")
    if status not in (EMAIL_QUEUED, EMAIL_SENDING):
        return False
    # Either way the reward leaves the outbox: its message is here, or no email is owed.
    settled = tuple(settle_email_actions())
    if reward.status == CANCELLED:
        _move(reward, _as_read(reward), EMAIL_FAILED, "The reward was cancelled.", now, settled)
        return False
    attempt = int(reward.email_attempts or 0) + 1
    taken = _move(
        reward,
        _as_read(reward) & (RewardModel.status == ACTIVE),
        EMAIL_SENDING,
        f"attempt {attempt}",
        now,
        (RewardModel.email_attempts.set(attempt), *settled),
    )
    if not taken:
        raise RetryLaterError("The reward changed while being taken; looking again later.")
    return True


def _render(reward: RewardModel) -> tuple[Store, RewardEmail]:
    if not reward.email:
        missing = "The reward has no email address."
        raise RewardEmailMissingError({"email": [missing]}, message=missing)
    store = get_store(reward.store_code)
    campaign = get_campaign(reward.store_code, reward.campaign_id)
    return store, render_reward_email(reward, campaign, store)


def unrendered(error: Exception) -> str:
    """Why an email that cannot be rendered failed, for its history."""
    return f"The email could not be rendered: {error}"


def deliver(
    store_code: str, reward_id: str, receive_count: int = 1, now: datetime | None = None
) -> EmailOutcome:
    """Send the reward's email, once; see the module docstring.

    `receive_count` is how many times SQS has delivered the message (1 the first time).
    Raises `RetryLaterError` when the message should come back.
    """
    now = now or datetime.now(UTC)
    try:
        reward = get_reward(store_code, reward_id)
    except RewardNotFoundError:
        return EmailOutcome.SKIPPED
    if not _take(reward, now):
        return EmailOutcome.SKIPPED
    mine = _as_read(reward)  # sending, with the attempt this consumer took
    try:
        store, email = _render(reward)
    # Rendering again changes nothing.
    except (RewardsError, CampaignTemplateError, LinkTokenError) as error:
        reason = unrendered(error)
        _move(reward, mine, EMAIL_FAILED, reason, now, (RewardModel.email_error.set(reason),))
        add_metric(Metric.EMAILS_FAILED)
        return EmailOutcome.FAILED
    try:
        message_id = ses.send_email(
            ses.sender_address(store.name, store.email_sender), reward.email, email
        )
    except ses.SendError as error:
        status = EMAIL_FAILED if receive_count >= MAX_RECEIVES else EMAIL_QUEUED
        _move(reward, mine, status, error.reason, now, (RewardModel.email_error.set(error.reason),))
        if status == EMAIL_FAILED:
            add_metric(Metric.EMAILS_FAILED)
        raise RetryLaterError(error.reason) from error
    # Refused only if a consumer took over after the lease; the email went out all the same.
    _move(
        reward,
        mine,
        EMAIL_SENT,
        message_id,
        now,
        (RewardModel.email_message_id.set(message_id), RewardModel.email_error.remove()),
    )
    add_metric(Metric.EMAILS_SENT)
    return EmailOutcome.SENT


# -- resend --------------------------------------------------------------------------------
class ResendInput(InputModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    email: Email | None = None


def _ensure_resendable(reward: RewardModel, now: datetime) -> None:
    if reward.status == CANCELLED:
        raise RewardCancelledError()
    # A lease that ran out belongs to a consumer that died: resending rescues the reward.
    if reward.email_status == EMAIL_SENDING and not _lease_expired(reward, now):
        raise RewardEmailSendingError()


def resend(
    store_code: str,
    reward_id: str,
    body: ResendInput | None,
    correlation_id: str | None = None,
    now: datetime | None = None,
) -> Reward:
    """Queue the reward's email again, to a corrected address when `body` gives one."""
    given = body.email if body is not None else None
    now = now or datetime.now(UTC)
    reward = get_reward(store_code, reward_id)
    address = given or reward.email
    if not address:
        raise RewardEmailMissingError(
            {"email": ["This reward has no email address; give one in the email field."]}
        )
    _ensure_resendable(reward, now)
    detail = "resend"
    actions: list[Any] = [
        RewardModel.email_error.remove(),
        RewardModel.email_message_id.remove(),
        *owe_email_actions(reward_id, now),  # the outbox, as when issued
    ]
    if address != reward.email:
        detail = f"resend to {address} (was {reward.email or 'no address'})"
        actions.append(RewardModel.email.set(address))
    condition = _as_read(reward) & (RewardModel.status == ACTIVE)
    readdressed = address != reward.email

    def resent(transaction: TransactWrite) -> Any:
        return lifecycle_events.resent(transaction, reward, readdressed, now)

    if not _move(reward, condition, EMAIL_QUEUED, detail, now, tuple(actions), resent):
        _ensure_resendable(get_reward(store_code, reward_id), now)  # changed meanwhile: say how
        raise ConflictError("The reward changed meanwhile; retry.")
    reward.refresh(consistent_read=True)  # a transaction's update leaves the model as read
    outbox.enqueue_owed([reward], correlation_id)
    return reward_of(reward)


# -- the link ------------------------------------------------------------------------------
@dataclass(frozen=True)
class OpenedReward:
    """What the page behind a reward link shows."""

    reward: Reward
    texts: dict[str, Any]  # the campaign's texts (`campaigns.texts`)
    store: Store
    not_yet_active: bool


def _find_by_token(token: str) -> RewardModel:
    if not TOKEN.match(token):
        raise RewardNotFoundError()
    found = next(iter(RewardModel.by_token_digest.query(digest(token), limit=1)), None)
    if found is None:
        raise RewardNotFoundError()
    return found


def _record_first_opening(reward: RewardModel, now: datetime) -> None:
    """Once: the first opening, with its `reward.redeemed` event (the code was shown)."""
    try:
        with Transaction() as transaction:
            transaction.update(
                reward,
                actions=[RewardModel.first_opened_at.set(now)],
                condition=RewardModel.reward_id.exists()
                & RewardModel.first_opened_at.does_not_exist(),
            )
            lifecycle_events.redeemed(transaction, reward, now)
    except TransactionCancelledError as error:
        if not error.refused(RewardModel):  # refused: another opening was first
            raise


def open_reward(token: str, now: datetime | None = None) -> OpenedReward:
    """The reward behind a link, if it can still be used; records the first opening."""
    now = now or datetime.now(UTC)
    reward = _find_by_token(token)
    if reward.status == CANCELLED:
        raise RewardCancelledError()
    if reward.active_to is not None and reward.active_to <= now:
        raise RewardExpiredError(f"This reward expired on {day(reward.active_to)} (UTC).")
    store_code = store_of(reward.store_code)  # a sandbox reward's page too
    campaign = get_campaign(store_code, reward.campaign_id)
    if reward.first_opened_at is None:
        _record_first_opening(reward, now)
    not_yet_active = reward.active_since is not None and reward.active_since > now
    return OpenedReward(reward_of(reward), texts(campaign), get_store(store_code), not_yet_active)
