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
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BeforeValidator

from chalicelib.domain.catalog import coupons, targeting
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
from chalicelib.domain.catalog.views import Lookups, View, time_of, translation_id
from chalicelib.storage.campaigns import CampaignModel
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
