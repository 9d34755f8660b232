"""A reward as the domain hands it to its callers: a plain value read from its stored record,
with its link made again (`links.reward_url`), so no caller sees the storage model."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from chalicelib.domain.access.stores import get_store
from chalicelib.domain.rewards.links import reward_url
from chalicelib.storage.rewards import RewardModel, store_of


@dataclass(frozen=True)
class EmailStep:
    """One step of the reward email's delivery history."""

    at: datetime
    status: str
    detail: str | None  # the SES message id, the error, or the new address


@dataclass(frozen=True)
class RenderedEmail:
    """A sandbox reward's email as it would have been sent."""

    sender: str
    recipient: str
    subject: str
    html: str
    text: str


@dataclass(frozen=True)
class Reward:
    """One issued (or bought) reward; the recipient as given when it was issued."""

    reward_id: str
    campaign_id: str
    customer_id: str
    issue_transaction: str | None  # the Mokugift issuing call that created it
    url: str  # its page, under its store's public base URL (a sandbox reward's too)
    coupon_code: str | None
    email: str | None
    public_key: str | None  # the recipient's ID in the caller's system
    firstname: str | None
    surname: str | None
    message: str | None
    sender_name: str | None
    status: str
    used: bool
    created_at: datetime
    active_since: datetime | None
    active_to: datetime | None
    first_opened_at: datetime | None
    email_status: str | None
    email_error: str | None
    email_message_id: str | None
    email_attempts: int
    email_history: tuple[EmailStep, ...]
    sandbox_email: RenderedEmail | None


def reward_of(model: RewardModel) -> Reward:
    """The value of a stored reward."""
    stored = model.sandbox_email
    rendered = None
    if stored is not None:
        rendered = RenderedEmail(
            stored.sender, stored.recipient, stored.subject, stored.html, stored.text
        )
    return Reward(
        reward_id=model.reward_id,
        campaign_id=model.campaign_id,
        customer_id=model.customer_id,
        issue_transaction=model.issue_transaction,
        url=reward_url(get_store(store_of(model.store_code)), model),
        coupon_code=model.coupon_code,
        email=model.email,
        public_key=model.public_key,
        firstname=model.firstname,
        surname=model.surname,
        message=model.message,
        sender_name=model.sender_name,
        status=model.status,
        used=bool(model.used),
        created_at=model.created_at,
        active_since=model.active_since,
        active_to=model.active_to,
        first_opened_at=model.first_opened_at,
        email_status=model.email_status,
        email_error=model.email_error,
        email_message_id=model.email_message_id,
        email_attempts=int(model.email_attempts or 0),
        email_history=tuple(
            EmailStep(event.at, event.status, event.detail) for event in model.email_history or []
        ),
        sandbox_email=rendered,
    )
