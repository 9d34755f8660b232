"""The reward campaign catalog of the Open Loyalty document: create, update, state, coupons.

Writing: create and full update take the campaign form as read at the edge (a
`campaign_form.Draft`), check that the levels, segments and categories named exist in the
store (one BatchGetItem each), and write nothing unless everything holds. An update is one
conditional UpdateItem of the form's fields only, so counters moved by buyers meanwhile
(`usage_count`, `coupons_available`) are never overwritten. Coupons given with the form go
through `coupons.put_codes`.

Reading is `listing` (the lists and a campaign's details) and `views` (how a campaign is shown);
their names used across the catalog are re-exported here (`time_of`, `ListQuery`, ...).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BeforeValidator

from chalicelib.domain.catalog import campaigns, coupons, targeting
from chalicelib.domain.catalog.campaign_form import Draft
from chalicelib.domain.catalog.campaigns import CampaignNotFoundError
from chalicelib.domain.catalog.form_values import DocumentForm, Flag, as_list

# The catalog's reading, under the names its other modules know it by.
from chalicelib.domain.catalog.listing import (
    DEFAULT_PER_PAGE,
    MAX_PER_PAGE,
    ListQuery,
    campaign_key,
    list_query,
    select_page,
)
from chalicelib.domain.catalog.views import (
    DESCRIPTIONS,
    Lookups,
    View,
    time_of,
    translation_id,
)
from chalicelib.mail import markup
from chalicelib.storage.campaigns import TRANSLATION_FIELDS, CampaignModel, MediaFile
from chalicelib.storage.errors import ConditionFailedError
from chalicelib.storage.idempotency import NO_PROGRESS, BulkProgress

__all__ = [
    "DEFAULT_PER_PAGE",
    "MAX_PER_PAGE",
    "ListQuery",
    "Lookups",
    "View",
    "list_query",
    "select_page",
    "time_of",
    "translation_id",
]
REFERENCES = (
    ("levels", targeting.existing_level_ids, "No level with this id in this store."),
    ("segments", targeting.existing_segment_ids, "No segment with this id in this store."),
    ("categories", targeting.existing_category_ids, "No category with this id in this store."),
)


# -- writing ---------------------------------------------------------------------------------
def _now() -> datetime:
    return datetime.now(UTC)


def _checked(store_code: str, draft: Draft) -> Draft:
    """The form's ids checked against the store; raises the form tree if anything is wrong,
    before any write."""
    for name, existing, message in REFERENCES:
        ids = draft.attributes.get(name) or []
        if ids and not draft.has_error(name):
            known = existing(store_code, ids)
            for position, value in enumerate(ids):
                if value not in known:
                    draft.add(f"{name}.{position}", message)
    draft.ensure_valid()
    return draft


def create_campaign(store_code: str, draft: Draft, campaign_id: str | None = None) -> str:
    """Create a campaign from the form; returns its id (a new UUID unless one is given)."""
    _checked(store_code, draft)
    now = _now()
    values = {name: value for name, value in draft.attributes.items() if value is not None}
    campaign = CampaignModel(
        store_code, campaign_id or str(uuid.uuid4()), created_at=now, updated_at=now, **values
    )
    campaign.save(condition=CampaignModel.campaign_id.does_not_exist())
    if draft.coupons:
        coupons.put_codes(store_code, campaign.campaign_id, draft.coupons, append=True)
    targeting.count_audience(store_code, campaign.target, campaign.segments or [])
    return campaign.campaign_id


def _update(store_code: str, campaign_id: str, actions: list[Any]) -> None:
    """One UpdateItem on an existing campaign; a missing one is a 404."""
    item = CampaignModel(store_code, campaign_key(campaign_id))
    try:
        item.update(
            actions=[*actions, CampaignModel.updated_at.set(_now())],
            condition=CampaignModel.campaign_id.exists(),
        )
    except ConditionFailedError as error:
        raise CampaignNotFoundError() from error


def update_campaign(store_code: str, campaign_id: str, draft: Draft) -> str:
    """Replace every field of the form (the whole data, as the document warns); coupons given
    replace the unused codes of the pool."""
    _checked(store_code, draft)
    _update(
        store_code,
        campaign_id,
        [
            getattr(CampaignModel, name).set(value)
            if value is not None
            else getattr(CampaignModel, name).remove()
            for name, value in draft.attributes.items()
        ],
    )
    if draft.coupons is not None:
        coupons.put_codes(store_code, campaign_id, draft.coupons, append=False)
    attributes = draft.attributes
    targeting.count_audience(store_code, attributes.get("target"), attributes.get("segments") or [])
    return campaign_id


def set_active(store_code: str, campaign_id: str, active: bool) -> str:
    _update(store_code, campaign_id, [CampaignModel.active.set(active)])
    return campaign_id


class CouponsForm(DocumentForm):
    """`coupons` (a list, or one code) and whether to `append` them."""

    coupons: Annotated[list[Any], BeforeValidator(as_list)]
    append: Flag = None


@dataclass(frozen=True)
class CouponsPut:
    """What a replace or an append did to the campaign's pool."""

    campaign_id: str
    added: int
    duplicates: list[str]  # given twice, or already in the pool
    removed: int  # unused codes a replace took out
    available: int
    total: int


def put_coupons(
    store_code: str, campaign_id: str, form: CouponsForm, progress: BulkProgress = NO_PROGRESS
) -> CouponsPut:
    """Replace the pool's unused codes with `coupons`, or `append` them (resumable with a keyed
    request's `progress`, see `coupons.put_codes`)."""
    change = coupons.put_codes(
        store_code, campaign_key(campaign_id), form.coupons, bool(form.append), progress
    )
    return CouponsPut(
        campaign_id,
        len(change.added),
        change.duplicates,
        change.removed,
        change.available,
        change.total,
    )


# -- the wire dict of a campaign ----------------------------------------------------------------
# For the faces that still build their answers as dicts (buying's available campaigns, the
# purchases with details): the catalog's own routes map `views.campaign_view` through
# `campaigns_schemas.Campaign` instead. Goes once those faces do the same.
def _window(flag: str, always: bool, bounds: dict[str, datetime | None]) -> dict[str, Any]:
    shown: dict[str, Any] = {flag: bool(always)}
    shown.update({name: time_of(value) for name, value in bounds.items() if value is not None})
    return shown


def _texts(texts: dict[str, Any], view: View) -> dict[str, Any]:
    """The translatable fields that have text, descriptions rendered when HTML is asked."""
    shown = {name: texts.get(name) for name in TRANSLATION_FIELDS if texts.get(name)}
    if view.html:
        shown.update(
            {name: markup.to_inline_html(shown[name]) for name in DESCRIPTIONS if name in shown}
        )
    return shown


def _names_of(ids: Iterable[str], names: dict[str, str]) -> dict[str, str] | list[Any]:
    """`{id: name}`; empty is `[]`, as the document shows it (its server's empty array)."""
    found = {value: names[value] for value in ids if value in names}
    return found or []


def _photo(photo: MediaFile) -> dict[str, Any]:
    return {
        "photoId": photo.photo_id,
        "path": photo.path,
        "orginalName": photo.original_name,  # sic: the document's spelling
        "mimeType": photo.mime_type,
    }


def campaign_body(campaign: CampaignModel, view: View, lookups: Lookups) -> dict[str, Any]:
    """One campaign in the document's shape, for the admin or (less) for everyone else."""
    levels, segments = list(campaign.levels or []), list(campaign.segments or [])
    body: dict[str, Any] = {"levels": levels, "segments": segments}
    if view.internal and view.with_coupons:
        has_codes = bool(campaign.coupons_total)
        body["coupons"] = (
            coupons.codes_of(campaign.store_code, campaign.campaign_id) if has_codes else []
        )
    texts = _texts(campaigns.texts(campaign, view.locale), view)
    body.update(
        {
            "campaignId": campaign.campaign_id,
            "reward": campaign.reward,
            **texts,
            "active": bool(campaign.active),
            "costInPoints": int(campaign.cost_in_points or 0),
            "singleCoupon": bool(campaign.single_coupon),
            "unlimited": bool(campaign.unlimited),
        }
    )
    if campaign.limit is not None:
        body["limit"] = int(campaign.limit)
    if campaign.limit_per_user is not None:
        body["limitPerUser"] = int(campaign.limit_per_user)
    body.update(
        {
            "daysValid": int(campaign.days_valid or 0),
            "daysInactive": int(campaign.days_inactive or 0),
            "campaignActivity": _window(
                "allTimeActive",
                campaign.all_time_active,
                {"activeFrom": campaign.active_from, "activeTo": campaign.active_to},
            ),
            "campaignVisibility": _window(
                "allTimeVisible",
                campaign.all_time_visible,
                {"visibleFrom": campaign.visible_from, "visibleTo": campaign.visible_to},
            ),
            "labels": list(campaign.labels or []),
            "segmentNames": _names_of(segments, lookups.segments),
            "levelNames": _names_of(levels, lookups.levels),
        }
    )
    if not campaign.all_time_active and not campaigns.is_active(campaign, lookups.now):
        # Open Loyalty tells when a campaign that is off now would be on.
        upcoming = {
            "will_be_active_from": time_of(campaign.active_from),
            "will_be_active_to": time_of(campaign.active_to),
        }
        body.update({key: value for key, value in upcoming.items() if value is not None})
    body["usageLeft"] = campaigns.usage_left(campaign)
    if view.internal:
        body["visibleForCustomersCount"] = lookups.visible_customers(campaign)
        body["usersWhoUsedThisCampaignCount"] = int(campaign.users_count or 0)
    photos = list(campaign.photos or [])
    body.update(
        {
            "hasPhoto": bool(photos),
            "photos": [_photo(photo) for photo in photos],
            "translations": [
                {
                    **_texts(texts, view),
                    "id": translation_id(campaign.campaign_id, locale),
                    "locale": locale,
                }
                for locale, texts in (campaign.translations or {}).items()
            ],
            "categories": list(campaign.categories or []),
            "isFeatured": bool(campaign.featured),
            "public": bool(campaign.public),
        }
    )
    optional = {
        "pushNotificationText": campaign.push_notification_text,
        "pointValue": campaign.point_value,
        "cashbackProvider": campaign.cashback_provider,
        "emailSubject": campaign.email_subject,
        "emailBody": campaign.email_body,
        "rewardValue": campaign.reward_value,
        "tax": campaign.tax,
        "taxPriceValue": campaign.tax_price_value,
        "moreInformationLink": campaign.more_information_link,
        "transactionPercentageValue": campaign.transaction_percentage_value,
    }
    body.update({name: value for name, value in optional.items() if value is not None})
    return body
