"""Rewards: one issued instance of a campaign for one customer, sent free or bought with points.

Keyed by (store_code, reward_id). Indexes, each serving one read the API needs with a Query:
- `token-digest-index`: the landing page `/r/{token}` finds a reward by the SHA-256 of its
  unguessable URL token (the token itself is never stored: chalicelib/domain/access/link_tokens.py);
- `campaign-created-index` (`<store>#<campaign>`, created_at): rewards of a campaign, all or
  in a month, in creation order;
- `customer-created-index` (`<store>#<customer>`, created_at): a customer's rewards;
- `store-created-index` (store_code, created_at): every reward of a store (bought list, CSV);
- `bought-expiry-index` (status, pending_active_to): sparse, the bought coupons that will expire.
  Only a bought reward with an end of validity carries `pending_active_to` (its `active_to`);
  the expiry job queries the `active` partition up to now and moves what it expires to the
  `expired` one (and removes the attribute), so every run reads only coupons it has to expire.
- `email-owed-index` (email_owed_shard, email_owed_since): sparse, the outbox of reward emails.
  A reward whose email is queued carries these from the write that queues it (the issuing
  transaction, a resend) until a consumer takes it, so a reward whose queue message was never
  sent (a crash between the write and SendMessageBatch, SQS refusing) is found by a Query and
  sent again by the sweeper (`domain.rewards.owed_emails`). `OWED_SHARDS` partitions spread a bulk
  call's writes; the sweeper queries each.
- `issue-transaction-index` (issue_transaction, created_at): sparse, the rewards one Mokugift
  issuing call created (its `transaction_id`).
- `email-message-index` (email_message_id): sparse, keys only: the reward an SES notification
  (delivery, bounce, complaint, open) is about, found by the message id SES gave its email.

`created_at` is stored in PynamoDB's fixed-width UTC form, so its strings sort as the times do.

Sandbox rewards (a campaign's sandbox passcode, chalicelib/domain/rewards/sandbox.py) live in this
table
under their store's sandbox partition, `sandbox#<store>` (`sandbox_partition`), in `store_code`
and so in every key made from it (`campaign_key`, `customer_key`). Every live read is keyed by
the store (the table's key, the store, campaign, customer and transaction indexes), so none
sees them; they never carry the outbox or expiry attributes. `store_of` gives the store back.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import (
    AllProjection,
    GlobalSecondaryIndex,
    IncludeProjection,
    KeysOnlyProjection,
)

from chalicelib.storage.base import shard_of, table
from chalicelib.storage.tables import TableModel

# How the reward came to be.
ISSUED = "issued"  # sent free through the rewards API (Mokugift)
BOUGHT = "bought"  # bought with points (Open Loyalty)

# The reward itself.
ACTIVE = "active"
CANCELLED = "cancelled"
EXPIRED = "expired"  # a bought coupon past its `active_to`, set by the expiry job

# Email delivery (`email_status`). URL-only rewards have none.
EMAIL_QUEUED = "queued"
EMAIL_SENDING = "sending"  # taken by a consumer, SES call under way
EMAIL_SENT = "sent"
EMAIL_FAILED = "failed"

OWED_SHARDS = 10  # partitions of the email-owed index
SANDBOX_PREFIX = "sandbox#"  # no store code holds a `#`


def sandbox_partition(store_code: str) -> str:
    """Where the store's sandbox rewards are kept, in place of its store code."""
    return f"{SANDBOX_PREFIX}{store_code}"


def store_of(partition: str) -> str:
    """The store a reward's `store_code` belongs to, a sandbox partition's too."""
    return partition.removeprefix(SANDBOX_PREFIX)


def is_sandbox(reward: RewardModel) -> bool:
    return reward.store_code.startswith(SANDBOX_PREFIX)


def customer_key(store_code: str, customer_id: str) -> str:
    return f"{store_code}#{customer_id}"


def pending_active_to(source: str, active_to: datetime | None) -> datetime | None:
    """A new reward's key in the expiry index: only bought coupons that stop being valid."""
    return active_to if source == BOUGHT else None


def owed_shard(reward_id: str) -> str:
    """The email-owed index partition of a reward: fixed per reward, spread evenly."""
    return shard_of(reward_id, OWED_SHARDS)


class DeliveryEvent(MapAttribute):
    """One step of the email delivery history."""

    at = UTCDateTimeAttribute()
    status = UnicodeAttribute()
    detail = UnicodeAttribute(null=True)  # SES message id, error reason, new address


class StoredEmail(MapAttribute):
    """A sandbox reward's email as rendered: kept to be read back, never sent."""

    sender = UnicodeAttribute()
    recipient = UnicodeAttribute()
    subject = UnicodeAttribute()
    html = UnicodeAttribute()
    text = UnicodeAttribute()


class RewardsByTokenDigestIndex(GlobalSecondaryIndex["RewardModel"]):
    class Meta:
        index_name = "token-digest-index"
        projection = AllProjection()

    token_digest = UnicodeAttribute(hash_key=True)


class RewardsByCampaignIndex(GlobalSecondaryIndex["RewardModel"]):
    class Meta:
        index_name = "campaign-created-index"
        projection = AllProjection()

    campaign_key = UnicodeAttribute(hash_key=True)
    created_at = UTCDateTimeAttribute(range_key=True)


class RewardsByCustomerIndex(GlobalSecondaryIndex["RewardModel"]):
    class Meta:
        index_name = "customer-created-index"
        projection = AllProjection()

    customer_key = UnicodeAttribute(hash_key=True)
    created_at = UTCDateTimeAttribute(range_key=True)


class RewardsByStoreIndex(GlobalSecondaryIndex["RewardModel"]):
    class Meta:
        index_name = "store-created-index"
        projection = AllProjection()

    store_code = UnicodeAttribute(hash_key=True)
    created_at = UTCDateTimeAttribute(range_key=True)


class BoughtRewardsByExpiryIndex(GlobalSecondaryIndex["RewardModel"]):
    class Meta:
        index_name = "bought-expiry-index"
        projection = KeysOnlyProjection()  # the job updates by key; conditions read the item

    status = UnicodeAttribute(hash_key=True)
    pending_active_to = UTCDateTimeAttribute(range_key=True)


class RewardsOwingEmailIndex(GlobalSecondaryIndex["RewardModel"]):
    class Meta:
        index_name = "email-owed-index"
        # The sweeper updates by key under conditions; it reads only how often it swept.
        projection = IncludeProjection(["email_owed_sweeps"])

    email_owed_shard = UnicodeAttribute(hash_key=True)
    email_owed_since = UTCDateTimeAttribute(range_key=True)


class RewardsByEmailMessageIndex(GlobalSecondaryIndex["RewardModel"]):
    class Meta:
        index_name = "email-message-index"
        projection = KeysOnlyProjection()

    email_message_id = UnicodeAttribute(hash_key=True)


class RewardsByIssueTransactionIndex(GlobalSecondaryIndex["RewardModel"]):
    class Meta:
        index_name = "issue-transaction-index"
        projection = AllProjection()

    issue_transaction = UnicodeAttribute(hash_key=True)
    created_at = UTCDateTimeAttribute(range_key=True)


@table("rewards")
class RewardModel(TableModel):
    class Meta:
        pass

    store_code = UnicodeAttribute(hash_key=True)
    reward_id = UnicodeAttribute(range_key=True)  # also the document's coupon id
    campaign_id = UnicodeAttribute()
    campaign_key = UnicodeAttribute()  # pool_key(store, campaign)
    customer_id = UnicodeAttribute()
    customer_key = UnicodeAttribute()
    token_digest = UnicodeAttribute()  # SHA-256 hex of the landing page's URL token
    source = UnicodeAttribute()  # ISSUED | BOUGHT
    status = UnicodeAttribute(default=ACTIVE)

    # The recipient as given when issued (the customer record may change later).
    email = UnicodeAttribute(null=True)
    public_key = UnicodeAttribute(null=True)
    firstname = UnicodeAttribute(null=True)
    surname = UnicodeAttribute(null=True)
    message = UnicodeAttribute(null=True)
    sender_name = UnicodeAttribute(null=True)

    coupon_code = UnicodeAttribute(null=True)
    cost_in_points = NumberAttribute(default=0)
    transaction_id = UnicodeAttribute(null=True)  # the ledger entry of a points debit
    active_since = UTCDateTimeAttribute(null=True)  # daysInactive after creation
    active_to = UTCDateTimeAttribute(null=True)  # None: valid forever
    pending_active_to = UTCDateTimeAttribute(null=True)  # bought with an end: the expiry index
    expired_at = UTCDateTimeAttribute(null=True)

    used = BooleanAttribute(default=False)
    usage_date = UTCDateTimeAttribute(null=True)
    delivery_status = UnicodeAttribute(null=True)  # shipping: ordered, canceled, shipped, ...
    first_opened_at = UTCDateTimeAttribute(null=True)

    email_status = UnicodeAttribute(null=True)
    email_message_id = UnicodeAttribute(null=True)  # SES MessageId once sent
    email_error = UnicodeAttribute(null=True)
    email_attempts = NumberAttribute(default=0)
    email_history = ListAttribute(of=DeliveryEvent, default=list)
    # "<SES message id>:<notification kind>" of each SES notification applied: each once.
    email_notifications = UnicodeSetAttribute(null=True)
    # The outbox: present while a queue message is owed and no consumer has taken the reward.
    email_owed_shard = UnicodeAttribute(null=True)
    email_owed_since = UTCDateTimeAttribute(null=True)  # when the message became owed
    email_owed_sweeps = NumberAttribute(null=True)  # messages the sweeper sent again
    sandbox_email = StoredEmail(null=True)  # a sandbox reward's email, rendered and kept

    created_at = UTCDateTimeAttribute()
    created_by = UnicodeAttribute(null=True)  # the actor that issued or bought it
    issue_transaction = UnicodeAttribute(null=True)  # the Mokugift call that issued it

    by_token_digest = RewardsByTokenDigestIndex()
    by_campaign = RewardsByCampaignIndex()
    by_customer = RewardsByCustomerIndex()
    by_store = RewardsByStoreIndex()
    by_pending_expiry = BoughtRewardsByExpiryIndex()
    by_email_owed = RewardsOwingEmailIndex()
    by_issue_transaction = RewardsByIssueTransactionIndex()
    by_email_message = RewardsByEmailMessageIndex()


def email_event(status: str, detail: str | None, at: datetime) -> Any:
    """The update action appending one step to the reward's email history."""
    event = DeliveryEvent(at=at, status=status, detail=detail)
    return RewardModel.email_history.set((RewardModel.email_history | []).append([event]))


def owe_email(reward: RewardModel, since: datetime) -> None:
    """Put a reward not yet written in the outbox: its write records the message as owed."""
    reward.email_owed_shard = owed_shard(reward.reward_id)
    reward.email_owed_since = since


def owe_email_actions(reward_id: str, since: datetime) -> list[Any]:
    """The update actions putting a written reward in the outbox, its sweeps counted anew."""
    return [
        RewardModel.email_owed_shard.set(owed_shard(reward_id)),
        RewardModel.email_owed_since.set(since),
        RewardModel.email_owed_sweeps.remove(),
    ]


def settle_email_actions() -> list[Any]:
    """The update actions taking a reward out of the outbox: its message is not owed anymore."""
    return [
        RewardModel.email_owed_shard.remove(),
        RewardModel.email_owed_since.remove(),
        RewardModel.email_owed_sweeps.remove(),
    ]
