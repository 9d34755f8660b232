"""Reward campaigns, their coupon pools and per-customer usage counters.

- `campaigns`: keyed by (store_code, campaign_id), so one store's key never reaches another's
  campaign, and listing a store's catalog is a Query on its partition. The item carries the
  counters that limits are enforced on: `usage_count` (rewards issued or bought) and
  `coupons_available` (unused codes in the pool), both moved with `add()` under conditions
  in the same transaction that writes the rewards.
- `coupons`: one item per code, keyed by (pool, code) where pool is `<store>#<campaign>`, so a
  code is in a pool at most once. `available_code` is set only while the code is unused; the
  local index on it lists the unused codes of a pool with a strongly consistent Query, and a
  taker removes it under `attribute_exists`, so a code is handed out once.
- `campaign-usage`: one item per (pool, customer) counting what that customer got, for
  `limitPerUser` and `usersWhoUsedThisCampaignCount`.
"""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import KeysOnlyProjection, LocalSecondaryIndex

from chalicelib.storage.base import DecimalAttribute, table
from chalicelib.storage.tables import TableModel

REWARD_TYPES = (
    "discount_code",
    "free_delivery_code",
    "gift_code",
    "event_code",
    "value_code",
    "cashback",
    "percentage_discount_code",
)
TRANSLATION_FIELDS = (
    "name",
    "shortDescription",
    "conditionsDescription",
    "usageInstruction",
    "brandDescription",
)


def pool_key(store_code: str, campaign_id: str) -> str:
    """The partition of a campaign's coupons and usage counters."""
    return f"{store_code}#{campaign_id}"


class MediaFile(MapAttribute):
    """An uploaded image; the bytes live in S3 under `path`, never in DynamoDB."""

    photo_id = UnicodeAttribute()
    path = UnicodeAttribute()  # S3 object key in the media bucket
    original_name = UnicodeAttribute(null=True)
    mime_type = UnicodeAttribute()
    size = NumberAttribute()
    uploaded_at = UTCDateTimeAttribute()


@table("campaigns")
class CampaignModel(TableModel):
    class Meta:
        pass

    store_code = UnicodeAttribute(hash_key=True)
    campaign_id = UnicodeAttribute(range_key=True)

    reward = UnicodeAttribute()  # one of REWARD_TYPES
    # {locale: {field: text}} for the TRANSLATION_FIELDS; the store's default locale has a name.
    translations = JSONAttribute(default=dict)
    active = BooleanAttribute(default=False)
    featured = BooleanAttribute(default=False)  # the document's isFeatured
    public = BooleanAttribute(default=True)  # listed by /campaign/public/available
    categories = ListAttribute(of=UnicodeAttribute, default=list)
    push_notification_text = UnicodeAttribute(null=True)
    point_value = DecimalAttribute(null=True)  # cashback: money per point
    cashback_provider = UnicodeAttribute(null=True)
    cost_in_points = NumberAttribute(default=0)
    target = UnicodeAttribute(null=True)  # "level" | "segment" | None (everyone)
    levels = ListAttribute(of=UnicodeAttribute, default=list)
    segments = ListAttribute(of=UnicodeAttribute, default=list)
    labels = JSONAttribute(default=list)  # [{"key": ..., "value": ...}]
    unlimited = BooleanAttribute(default=True)
    single_coupon = BooleanAttribute(default=False)
    limit = NumberAttribute(null=True)  # global usage limit when not unlimited
    limit_per_user = NumberAttribute(null=True)
    all_time_visible = BooleanAttribute(default=True)
    visible_from = UTCDateTimeAttribute(null=True)
    visible_to = UTCDateTimeAttribute(null=True)
    all_time_active = BooleanAttribute(default=True)
    active_from = UTCDateTimeAttribute(null=True)
    active_to = UTCDateTimeAttribute(null=True)
    days_inactive = NumberAttribute(default=0)  # coupon becomes active this many days after
    days_valid = NumberAttribute(default=0)  # then valid this many days; 0 = forever
    # Open Loyalty's commercial fields, kept as given: the reward's worth, its tax rate (%)
    # and taxed price, a link to more about it; a percentage discount code's percentage.
    reward_value = DecimalAttribute(null=True)
    tax = DecimalAttribute(null=True)
    tax_price_value = DecimalAttribute(null=True)
    more_information_link = UnicodeAttribute(null=True)
    transaction_percentage_value = NumberAttribute(null=True)

    # Reward emails (Mokugift issuing): per-campaign overrides of the default templates.
    email_subject = UnicodeAttribute(null=True)
    email_body = UnicodeAttribute(null=True)

    photos = ListAttribute(of=MediaFile, default=list)
    brand_icon = MediaFile(null=True)

    usage_count = NumberAttribute(default=0)
    users_count = NumberAttribute(
        default=0
    )  # customers with a usage item (domain/catalog/usage.py)
    coupons_total = NumberAttribute(default=0)  # codes ever put in the pool and still there
    coupons_available = NumberAttribute(default=0)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()


class AvailableCouponsIndex(LocalSecondaryIndex["CouponModel"]):
    class Meta:
        index_name = "available-index"
        projection = KeysOnlyProjection()

    pool = UnicodeAttribute(hash_key=True)
    available_code = UnicodeAttribute(range_key=True)


@table("coupons")
class CouponModel(TableModel):
    class Meta:
        pass

    pool = UnicodeAttribute(hash_key=True)  # pool_key(store, campaign)
    code = UnicodeAttribute(range_key=True)
    available_code = UnicodeAttribute(null=True)  # == code while unused (sparse index)
    reward_id = UnicodeAttribute(null=True)  # the reward that took it
    taken_at = UTCDateTimeAttribute(null=True)
    added_at = UTCDateTimeAttribute()
    position = NumberAttribute(null=True)  # its place in the request that added it

    available = AvailableCouponsIndex()


@table("campaign-usage")
class CampaignUsageModel(TableModel):
    class Meta:
        pass

    pool = UnicodeAttribute(hash_key=True)  # pool_key(store, campaign)
    customer_id = UnicodeAttribute(range_key=True)
    used = NumberAttribute(default=0)  # rewards this customer got from the campaign
    updated_at = UTCDateTimeAttribute(null=True)
