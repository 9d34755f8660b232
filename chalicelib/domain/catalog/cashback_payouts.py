"""Writing cashback payouts: a redemption's debit, payout record and campaign use in one
transaction, a payout's status moving forward, and a failed payout's points and use given back.

Each status is reached only from the statuses before it, under a condition, so the same
provider's word twice changes nothing; a failure gives the points back (a `refund` entry) and
the campaign use in the same transaction as the status change: once, whatever the number of
failure callbacks.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pynamodb.transactions import TransactWrite

from chalicelib.domain.access import stores
from chalicelib.domain.catalog import usage
from chalicelib.domain.catalog.campaigns import CampaignInactiveError
from chalicelib.domain.catalog.payout_providers import ProviderStatus
from chalicelib.domain.errors import ConflictError, NotFoundError, RewardsError
from chalicelib.domain.events import lifecycle_events
from chalicelib.domain.points import ledger
from chalicelib.domain.points.ledger import EntryKind, Posting
from chalicelib.domain.rewards.handout import LimitPerUserReachedError, LimitReachedError
from chalicelib.storage.campaigns import CampaignModel, CampaignUsageModel, pool_key
from chalicelib.storage.cashback import FAILED, PAID, PENDING, REACHABLE_FROM, CashbackPayoutModel
from chalicelib.storage.errors import ConditionFailedError, FailedItem, TransactionCancelledError
from chalicelib.storage.transactions import Transaction

if TYPE_CHECKING:
    from chalicelib.domain.catalog.cashback import Choice


class CashbackNotFoundError(NotFoundError):
    code = "cashback_not_found"
    default_message = "No cashback campaign with this id in this store."


class _Settled(Exception):
    """Another callback moved the payout first."""


def _transact(
    write: Callable[[TransactWrite, ledger.Hints], None],
    refused: Callable[[list[FailedItem], Exception], None],
) -> None:
    """Run `write` in one transaction; `refused` raises the reason a condition refused it.

    Busy transactions are resent by the storage connection (`storage.base`), not here; one
    whose points posting `ledger.learn` can fix is built again with what it learned.
    """
    hints = ledger.Hints()
    for _ in range(ledger.POST_ATTEMPTS):
        transaction = Transaction()
        try:
            with transaction:
                write(transaction, hints)
            return
        except TransactionCancelledError as error:
            failures = error.failures
            if ledger.learn(failures, hints):
                continue
            refused(failures, error)
            raise
    raise ConflictError("The balance is busy; retry.")


class _UseMisjudged(Exception):
    """The customer's usage item appeared (or went) between its read and the transaction."""


def _take_use(
    transaction: TransactWrite,
    campaign: CampaignModel,
    customer_id: str,
    now: datetime,
    first: bool,
) -> None:
    """One use of the campaign, under its limits and while it is active, as a buy counts;
    `first` when the customer has no usage item yet (see `usage`)."""
    condition = CampaignModel.active == True  # noqa: E712 (a DynamoDB condition)
    if not campaign.unlimited and campaign.limit is not None:
        condition &= CampaignModel.usage_count <= int(campaign.limit) - 1
    actions = [CampaignModel.usage_count.add(1), CampaignModel.updated_at.set(now)]
    if first:
        actions.append(CampaignModel.users_count.add(1))
    transaction.update(
        CampaignModel(campaign.store_code, campaign.campaign_id),
        actions=actions,
        condition=condition,
        return_values="ALL_OLD",
    )
    pool = pool_key(campaign.store_code, campaign.campaign_id)
    limit = usage.per_user_limit(campaign)
    usage.add_use(transaction, pool, customer_id, 1, now, first=first, limit_per_user=limit)


def _give_back_use(transaction: TransactWrite, payout: CashbackPayoutModel, now: datetime) -> None:
    transaction.update(
        CampaignModel(payout.store_code, payout.campaign_id),
        actions=[CampaignModel.usage_count.add(-1), CampaignModel.updated_at.set(now)],
    )
    transaction.update(
        CampaignUsageModel(pool_key(payout.store_code, payout.campaign_id), payout.customer_id),
        actions=[CampaignUsageModel.used.add(-1), CampaignUsageModel.updated_at.set(now)],
    )


def _campaign_refusal(old_item: CampaignModel | None) -> RewardsError:
    if old_item is None:
        return CashbackNotFoundError()
    if not old_item.active:
        return CampaignInactiveError()
    return LimitReachedError()


def record(store_code: str, found: Choice, actor: str | None, now: datetime) -> CashbackPayoutModel:
    """The debit, the payout and the campaign use of a redemption: one transaction."""
    campaign = found.campaign
    customer_id = found.customer.customer_id
    quote = found.quote
    payout = CashbackPayoutModel(
        store_code,
        str(uuid.uuid4()),
        customer_id=customer_id,
        campaign_id=campaign.campaign_id,
        points=quote.points,
        point_value=quote.point_value,
        reward_amount=quote.reward_amount,
        currency=stores.get_store(store_code).currency,
        provider=campaign.cashback_provider,
        status=PENDING,
        created_at=now,
        created_by=actor,
        updated_at=now,
    )
    posting = Posting(
        store_code,
        customer_id,
        -quote.points,
        EntryKind.SPEND,
        reference=payout.payout_id,
        reason="Cashback",
        actor=actor,
    )

    pool = pool_key(store_code, campaign.campaign_id)
    first = customer_id not in usage.users_of(pool, [customer_id])

    def write(transaction: TransactWrite, hints: ledger.Hints) -> None:
        payout.transaction_id = ledger.add_posting(transaction, posting, hints=hints).entry_id
        transaction.save(payout, condition=CashbackPayoutModel.payout_id.does_not_exist())
        _take_use(transaction, campaign, customer_id, now, first)

    def refused(failures: list[FailedItem], error: Exception) -> None:
        for failure in failures:
            if not failure.condition_failed:
                continue
            if failure.model is CampaignModel:
                raise _campaign_refusal(failure.old_item) from error
            if failure.model is CampaignUsageModel:
                if usage.misjudged(failure, first):
                    raise _UseMisjudged() from error
                raise LimitPerUserReachedError() from error
        ledger.raise_for_customer(failures, posting, error)

    for attempt in range(2):
        try:
            _transact(write, refused)
            break
        except _UseMisjudged as error:
            if attempt:
                raise ConflictError("The campaign is busy; retry.") from error
            first = not first  # what the refusal showed
    ledger.count_points(posting)
    return payout


def _status_actions(status: ProviderStatus, now: datetime) -> list[Any]:
    assert status.status is not None
    actions = [
        CashbackPayoutModel.status.set(status.status),
        CashbackPayoutModel.updated_at.set(now),
    ]
    if status.code is not None:
        actions.append(CashbackPayoutModel.provider_code.set(status.code))
    if status.message is not None:
        actions.append(CashbackPayoutModel.provider_message.set(status.message))
    if status.request is not None:
        actions.append(CashbackPayoutModel.provider_request.set(status.request))
    return actions


def _may_reach(payout: CashbackPayoutModel, target: str | None) -> bool:
    return target is not None and payout.status in REACHABLE_FROM[target]


def _reach_condition(target: str) -> Any:
    return CashbackPayoutModel.status.is_in(*REACHABLE_FROM[target])


def advance(payout: CashbackPayoutModel, status: ProviderStatus, now: datetime) -> None:
    """Move the payout to `status` if it may go there from where it is: one conditional
    UpdateItem, or with its `cashback.paid` event one transaction. When another call moved it
    first, the payout is read again instead."""
    if not _may_reach(payout, status.status):
        return
    assert status.status is not None
    actions, condition = _status_actions(status, now), _reach_condition(status.status)
    if status.status == PAID:
        try:
            with Transaction() as transaction:
                transaction.update(payout, actions=actions, condition=condition)
                lifecycle_events.cashback_paid(transaction, payout, now)
        except TransactionCancelledError as error:
            if not error.refused(CashbackPayoutModel):
                raise
        payout.refresh(consistent_read=True)
        return
    try:
        payout.update(actions=actions, condition=condition)
    except ConditionFailedError:
        payout.refresh(consistent_read=True)


def fail(payout: CashbackPayoutModel, status: ProviderStatus, now: datetime) -> None:
    """Mark the payout failed and give the points and the campaign use back, together."""
    if not _may_reach(payout, FAILED):
        return
    posting = Posting(
        payout.store_code,
        payout.customer_id,
        int(payout.points),
        EntryKind.REFUND,
        reference=payout.payout_id,
        reason="Cashback payout failed",
        actor=f"provider:{payout.provider}",
    )

    def write(transaction: TransactWrite, hints: ledger.Hints) -> None:
        entry = ledger.add_posting(transaction, posting, hints=hints)
        transaction.update(
            CashbackPayoutModel(payout.store_code, payout.payout_id),
            actions=[
                *_status_actions(status, now),
                CashbackPayoutModel.refund_transaction_id.set(entry.entry_id),
            ],
            condition=_reach_condition(FAILED),
        )
        _give_back_use(transaction, payout, now)

    def refused(failures: list[FailedItem], error: Exception) -> None:
        if any(f.model is CashbackPayoutModel and f.condition_failed for f in failures):
            raise _Settled() from error
        ledger.raise_for_customer(failures, posting, error)

    with contextlib.suppress(_Settled):  # another callback settled it: show what it made
        _transact(write, refused)
    payout.refresh(consistent_read=True)
