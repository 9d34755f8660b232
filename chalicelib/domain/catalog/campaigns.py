"""Reward campaigns: reading one, its texts per locale, and the rules of when it can be had.

The rules (active now, visible now, targeted at a customer) are written once here and used by
every path that hands out a campaign: Mokugift issuing, buying with points, availability.
The catalog's create/update/list live in `domain.catalog.entries`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pynamodb.exceptions import DoesNotExist

from chalicelib.domain.errors import ConflictError, NotFoundError, PermissionDeniedError
from chalicelib.storage.campaigns import TRANSLATION_FIELDS, CampaignModel
from chalicelib.storage.customers import CustomerModel

DEFAULT_LOCALE = "en"
# The locales every campaign form has (Open Loyalty's defaults): its 400 tree shows a node for
# each, beside any other locale sent.
FORM_LOCALES = ("en", "pl")


class CampaignNotFoundError(NotFoundError):
    code = "campaign_not_found"
    default_message = "Campaign not found."


class CampaignInactiveError(ConflictError):
    code = "campaign_inactive"
    default_message = "This campaign is not active."


class CampaignOutOfDatesError(CampaignInactiveError):
    """Switched on, but outside its activity window (not started yet, or over)."""

    default_message = "This campaign is not active at this date."


class CampaignNotVisibleError(ConflictError):
    code = "campaign_not_visible"
    default_message = "This campaign is not visible now."


class CampaignNotTargetedError(PermissionDeniedError):
    code = "campaign_not_targeted"
    default_message = "This campaign is not offered to this customer."


MAX_ID_LENGTH = 128  # DynamoDB refuses longer keys; no campaign has one


def get_campaign(store_code: str, campaign_id: str) -> CampaignModel:
    """One GetItem; a campaign of another store is simply not found."""
    if not campaign_id or len(campaign_id) > MAX_ID_LENGTH:
        raise CampaignNotFoundError()
    try:
        return CampaignModel.get(store_code, campaign_id)
    except DoesNotExist as error:
        raise CampaignNotFoundError() from error


def texts(campaign: CampaignModel, locale: str | None = None) -> dict[str, Any]:
    """The translatable fields in `locale`, each falling back to the default locale's text."""
    translations: dict[str, dict[str, Any]] = campaign.translations or {}
    default = translations.get(DEFAULT_LOCALE) or next(iter(translations.values()), {})
    wanted = translations.get(locale or DEFAULT_LOCALE) or {}
    return {field: wanted.get(field) or default.get(field) for field in TRANSLATION_FIELDS}


def name(campaign: CampaignModel, locale: str | None = None) -> str:
    return texts(campaign, locale)["name"] or ""


def _within(moment: datetime, start: datetime | None, end: datetime | None) -> bool:
    return (start is None or start <= moment) and (end is None or moment <= end)


def is_active(campaign: CampaignModel, now: datetime) -> bool:
    """Switched on, and inside its activity window unless it is active all the time."""
    if not campaign.active:
        return False
    return campaign.all_time_active or _within(now, campaign.active_from, campaign.active_to)


def is_visible(campaign: CampaignModel, now: datetime) -> bool:
    return campaign.all_time_visible or _within(now, campaign.visible_from, campaign.visible_to)


def is_targeted(campaign: CampaignModel, customer: CustomerModel) -> bool:
    """Whether the campaign is offered to the customer's level or one of their segments."""
    if campaign.target == "level":
        return bool(customer.level_id) and customer.level_id in (campaign.levels or [])
    if campaign.target == "segment":
        return bool(set(customer.segment_ids or ()) & set(campaign.segments or []))
    return True


def ensure_active(campaign: CampaignModel, now: datetime) -> None:
    """Refuse a campaign switched off (`CampaignInactiveError`) or outside its dates (the
    subclass `CampaignOutOfDatesError`, the same code: only the Mokugift face tells them apart)."""
    if not campaign.active:
        raise CampaignInactiveError()
    if not is_active(campaign, now):
        raise CampaignOutOfDatesError()


def uses_coupon_pool(campaign: CampaignModel) -> bool:
    """Whether each reward takes its own code from the pool (single-coupon campaigns share one)."""
    return not campaign.single_coupon and int(campaign.coupons_total or 0) > 0


def usage_left(campaign: CampaignModel) -> int | None:
    """How many more rewards the campaign can give; None when nothing bounds it."""
    bounds = []
    if not campaign.unlimited and campaign.limit is not None:
        bounds.append(max(0, int(campaign.limit) - int(campaign.usage_count or 0)))
    if uses_coupon_pool(campaign):
        bounds.append(int(campaign.coupons_available or 0))
    return min(bounds) if bounds else None
