"""Cashback payouts: points a customer exchanged for money, and where the money stands.

Keyed by (store_code, payout_id), so a payout of one store is never found through another's
path. A payout is written in the same transaction as the points debit; its `status` then moves
forward only, each step an UpdateItem conditioned on the statuses it may come from, so a
provider's callback repeated or replayed changes nothing the second time.
"""

from __future__ import annotations

from pynamodb.attributes import (
    JSONAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from chalicelib.storage.base import DecimalAttribute, table
from chalicelib.storage.tables import TableModel

# Recorded, not (yet) handed to a provider: campaigns without a provider are paid by hand.
PENDING = "pending"
REQUESTED = "requested"  # handed to the provider, no answer yet
ACCEPTED = "accepted"  # the provider took it on
PAID = "paid"  # the provider reports the money sent
FAILED = "failed"  # the provider refused or failed it; the points were given back

# The statuses each status may be reached from; terminal ones are reached once.
REACHABLE_FROM = {
    REQUESTED: (PENDING,),
    ACCEPTED: (PENDING, REQUESTED),
    PAID: (PENDING, REQUESTED, ACCEPTED),
    FAILED: (PENDING, REQUESTED, ACCEPTED),
}


class PayoutsByStoreIndex(GlobalSecondaryIndex["CashbackPayoutModel"]):
    """A store's payouts by redemption time: they are listed among its bought rewards."""

    class Meta:
        index_name = "store-created-index"
        projection = AllProjection()

    store_code = UnicodeAttribute(hash_key=True)
    created_at = UTCDateTimeAttribute(range_key=True)


class PayoutsByCustomerIndex(GlobalSecondaryIndex["CashbackPayoutModel"]):
    """A customer's payouts by redemption time: listed among what the customer bought. Keyed
    by the customer id alone (every payout has one); a query filters on the store too."""

    class Meta:
        index_name = "customer-created-index"
        projection = AllProjection()

    customer_id = UnicodeAttribute(hash_key=True)
    created_at = UTCDateTimeAttribute(range_key=True)


@table("cashback-payouts")
class CashbackPayoutModel(TableModel):
    class Meta:
        pass

    store_code = UnicodeAttribute(hash_key=True)
    payout_id = UnicodeAttribute(range_key=True)
    customer_id = UnicodeAttribute()
    campaign_id = UnicodeAttribute()  # the cashback campaign: the document's cashbackId
    points = NumberAttribute()  # whole points debited
    point_value = DecimalAttribute()  # money per point, as the campaign said when redeemed
    reward_amount = DecimalAttribute()  # points * point_value, to the cent, rounded down
    currency = UnicodeAttribute()
    provider = UnicodeAttribute(null=True)  # the campaign's cashbackProvider
    status = UnicodeAttribute(default=PENDING)
    transaction_id = UnicodeAttribute()  # the ledger entry of the debit
    refund_transaction_id = UnicodeAttribute(null=True)  # the ledger entry giving points back
    provider_request = JSONAttribute(null=True)  # what was sent to the provider
    provider_code = UnicodeAttribute(null=True)  # the provider's last status code and message
    provider_message = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    created_by = UnicodeAttribute(null=True)  # the actor that redeemed
    updated_at = UTCDateTimeAttribute()

    by_store = PayoutsByStoreIndex()
    by_customer = PayoutsByCustomerIndex()
