"""The reward email: subject, HTML and plain text, from `templates/reward_email.*`.

A campaign may replace the subject (`email_subject`) and the opening text (`email_body`) with its
own. Those are plain text with `{{ placeholders }}` (the names of `placeholders()`), rendered in
the bounded sandbox of `chalicelib.mail.sandbox`; the HTML email escapes the result like any
other text. The coupon code, the link and the validity always follow, so an override cannot
lose them. `check_campaign_text` renders a text with sample values when a campaign is saved.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from chalicelib.domain.access.stores import Store
from chalicelib.domain.catalog.campaigns import texts
from chalicelib.domain.rewards.handout import reward_url
from chalicelib.mail.templates import day, render
from chalicelib.storage.campaigns import CampaignModel
from chalicelib.storage.rewards import RewardModel


class CampaignTemplateError(Exception):
    """The campaign's own subject or body does not render: it never will, whatever the retries
    (syntax, refused by the sandbox, over its bounds, or failing with these values)."""


@dataclass(frozen=True)
class RewardEmail:
    subject: str
    html: str
    text: str


def placeholders(reward: RewardModel, campaign: CampaignModel, store: Store) -> dict[str, str]:
    """What a campaign's own subject and body may use, all plain strings."""
    return {
        "firstname": reward.firstname or "",
        "surname": reward.surname or "",
        "sender_name": reward.sender_name or "",
        "message": reward.message or "",
        "campaign_name": texts(campaign)["name"] or "",
        "coupon_code": reward.coupon_code or "",
        "url": reward_url(store, reward),
        "store_name": store.name,
        "valid_from": day(reward.active_since),
        "valid_to": day(reward.active_to),
    }


# The names of `placeholders()` with values like real ones, to try a campaign's text with.
SAMPLE_PLACEHOLDERS = {
    "firstname": "Ann",
    "surname": "Smith",
    "sender_name": "Bob",
    "message": "Thank you for everything!",
    "campaign_name": "Welcome gift",
    "coupon_code": "GIFT-0001",
    "url": "https://rewards.example.com/r/sample-token-0123456789",
    "store_name": "Shop",
    "valid_from": "1 March 2099",
    "valid_to": "31 March 2099",
}


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _paragraphs(text: str) -> str:
    """Plain text with at most one blank line between paragraphs (the template's optional
    parts leave more where they are empty)."""
    return re.sub(r"\n\s*\n(\s*\n)+", "\n\n", text).strip() + "\n"


def _campaign_text(source: str | None, fields: dict[str, str]) -> str | None:
    if not source:
        return None
    from chalicelib.mail import sandbox

    try:
        return sandbox.render(source, **fields).strip() or None
    except sandbox.TemplateRefused as error:
        raise CampaignTemplateError(error.reason) from error


def check_campaign_text(source: str) -> None:
    """Raise `CampaignTemplateError` when a campaign's subject or body does not render with
    `SAMPLE_PLACEHOLDERS`: refused, over its bounds, or failing. A failure that depends on a
    reward's own values shows only when it is sent, and fails that email for good."""
    _campaign_text(source, SAMPLE_PLACEHOLDERS)


def render_reward_email(reward: RewardModel, campaign: CampaignModel, store: Store) -> RewardEmail:
    fields = placeholders(reward, campaign, store)
    subject = _campaign_text(campaign.email_subject, fields)
    opening = _campaign_text(campaign.email_body, fields)
    context: dict[str, Any] = {
        **fields,
        "texts": texts(campaign),
        "reward": reward,
        # Paragraphs are separated by blank lines; the templates keep single line breaks.
        "opening": [p.strip() for p in opening.split("\n\n") if p.strip()] if opening else [],
    }
    return RewardEmail(
        subject=_one_line(subject or render("reward_email_subject.txt", **context)),
        html=render("reward_email.html", **context),
        text=_paragraphs(render("reward_email.txt", **context)),
    )
