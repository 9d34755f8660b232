"""What a reward's email says: its placeholders and its subject, HTML and text, from
`templates/reward_email.*` (chalicelib/mail renders and sends; the domain fills it in).

A campaign may replace the subject (`email_subject`) and the opening text (`email_body`) with its
own (`mail.reward_email.campaign_text`). The coupon code, the link and the validity always
follow, so an override cannot lose them.
"""

from __future__ import annotations

from typing import Any

from chalicelib.domain.access.stores import Store
from chalicelib.domain.catalog.campaigns import texts
from chalicelib.domain.rewards.links import reward_url
from chalicelib.mail.reward_email import RewardEmail, campaign_text, one_line, paragraphs
from chalicelib.mail.templates import day, render
from chalicelib.storage.campaigns import CampaignModel
from chalicelib.storage.rewards import RewardModel


def placeholders(reward: RewardModel, campaign: CampaignModel, store: Store) -> dict[str, str]:
    """What a campaign's own subject and body may use (`mail.reward_email.SAMPLE_PLACEHOLDERS`
    names them), all plain strings."""
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


def render_reward_email(reward: RewardModel, campaign: CampaignModel, store: Store) -> RewardEmail:
    """The reward's email (raises `mail.reward_email.CampaignTemplateError`)."""
    fields = placeholders(reward, campaign, store)
    subject = campaign_text(campaign.email_subject, fields)
    opening = campaign_text(campaign.email_body, fields)
    context: dict[str, Any] = {
        **fields,
        "texts": texts(campaign),
        "reward": reward,
        # Paragraphs are separated by blank lines; the templates keep single line breaks.
        "opening": [p.strip() for p in opening.split("\n\n") if p.strip()] if opening else [],
    }
    return RewardEmail(
        subject=one_line(subject or render("reward_email_subject.txt", **context)),
        html=render("reward_email.html", **context),
        text=paragraphs(render("reward_email.txt", **context)),
    )
