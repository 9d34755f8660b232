"""The reward email's parts that need no domain: its value, and a campaign's own texts.

A campaign may replace the subject (`email_subject`) and the opening text (`email_body`) with its
own. Those are plain text with `{{ placeholders }}` (the names of `SAMPLE_PLACEHOLDERS`; the
domain fills them, chalicelib/domain/rewards/email_content.py), rendered in the bounded sandbox
of `chalicelib.mail.sandbox`; the HTML email escapes the result like any other text.
`check_campaign_text` renders a text with sample values when a campaign is saved.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


class CampaignTemplateError(Exception):
    """The campaign's own subject or body does not render: it never will, whatever the retries
    (syntax, refused by the sandbox, over its bounds, or failing with these values)."""


@dataclass(frozen=True)
class RewardEmail:
    subject: str
    html: str
    text: str


# What a campaign's own subject and body may use, with values like real ones to try a text with.
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


def one_line(text: str) -> str:
    """The text with its whitespace runs made single spaces (a subject)."""
    return " ".join(text.split())


def paragraphs(text: str) -> str:
    """Plain text with at most one blank line between paragraphs (the template's optional
    parts leave more where they are empty)."""
    return re.sub(r"\n\s*\n(\s*\n)+", "\n\n", text).strip() + "\n"


def campaign_text(source: str | None, fields: dict[str, str]) -> str | None:
    """A campaign's own text rendered with `fields`; None when it has none (or it renders
    empty). Raises `CampaignTemplateError`."""
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
    campaign_text(source, SAMPLE_PLACEHOLDERS)
