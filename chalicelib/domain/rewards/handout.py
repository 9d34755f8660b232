"""Handing out a campaign: the one function that issues (Mokugift) and buys (Open Loyalty).

`acquire(campaign, grants)` gives each grant (a customer, a quantity, an optional points price)
its rewards. Everything one grant needs is written in one DynamoDB transaction together with
the campaign's counters, so every rule is a condition, never a read followed by a write:

- the campaign item: `usage_count` raised under `usage_count <= limit - n` (unless unlimited)
  and `active = true`; `coupons_available` lowered (shown as usageLeft; not a guard);
- the customer's usage item: raised under `count <= limitPerUser - q`, or created, which
  raises the campaign's count of users (`usage.add_use`; who has one is read first);
- each coupon: taken by removing `available_code` under `attribute_exists`, so a code is
  handed out once however many take at the same time;
- the points debit and its ledger entry (`ledger.add_posting`), when there is a price;
- a new customer and the guards of its email / public key, when the recipient is new;
- the reward records, an emailed one marked as owing its queue message (the outbox).

Bulk requests pack many grants into one transaction (up to DynamoDB's 100 items), so 1,000
URL rewards take a few dozen calls. When a transaction is cancelled, the reasons say which
item refused: that grant gets its error (limit per user, not enough points) and the rest are
retried; a campaign condition shrinks the batch to what is left; a coupon somebody else took
is replaced by another. Outcomes come back in the order of the grants.

What a grant is and the refusals it may get are in `grants`; the reward records it writes come
from `new_rewards`. This module stays near 500 lines: one `_Acquisition` packs a transaction,
writes it and reads its cancellation reasons back into the grants, one state machine that
reads best in one place.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pynamodb.transactions import TransactWrite

from chalicelib.domain.catalog import usage
from chalicelib.domain.catalog.campaigns import (
    CampaignInactiveError,
    CampaignNotFoundError,
    ensure_active,
    uses_coupon_pool,
)
from chalicelib.domain.customers.records import CustomerNotFoundError, add_new_customers, guards
from chalicelib.domain.errors import ConflictError, InvalidInputError, RewardsError
from chalicelib.domain.events import event_log
from chalicelib.domain.points import ledger
from chalicelib.domain.points.ledger import EntryKind, Posting
from chalicelib.domain.rewards.grants import (
    Grant,
    GrantOutcome,
    LimitPerUserReachedError,
    LimitReachedError,
    NoCouponsLeftError,
)
from chalicelib.domain.rewards.new_rewards import free_codes, new_reward, single_code
from chalicelib.storage.campaigns import CampaignModel, CampaignUsageModel, CouponModel, pool_key
from chalicelib.storage.customers import CustomerModel, UniqueValueModel
from chalicelib.storage.errors import FailedItem, TransactionCancelledError
from chalicelib.storage.idempotency import NO_PROGRESS, BulkProgress
from chalicelib.storage.rewards import (
    BOUGHT,
    RewardModel,
)
from chalicelib.storage.transactions import Transaction

MAX_TRANSACTION_ITEMS = 100  # DynamoDB's TransactWriteItems limit
MAX_QUANTITY = 40  # 2 items per unit (coupon, reward) + 6 per grant must fit one transaction
# Items of every transaction besides its grants': the campaign item, and a share of the
# customer count.
TRANSACTION_BASE_ITEMS = 2
MAX_ATTEMPTS = 12  # per batch: conflicts back off, refusals shrink the batch
# The point batches one grant's debit may take from: what is left of a transaction when a
# grant of `MAX_QUANTITY` pooled units is in it, with some to spare.
DEBIT_BATCHES = 12


class _GrantRefused(Exception):
    """A grant's debit was refused while the transaction was built: nothing was sent."""

    def __init__(self, grant: Grant, error: RewardsError) -> None:
        super().__init__(error.message)
        self.grant = grant
        self.error = error


@dataclass
class _Packed:
    """A grant placed in one transaction attempt, with the items that identify it."""

    index: int
    rewards: list[RewardModel]
    coupon_codes: list[str]
    debit: Posting | None = None  # the points debit, counted once the transaction committed
    entry_id: str | None = None


def granted_record(rewards: Sequence[RewardModel]) -> dict[str, Any]:
    """What a bulk request's item answered with its rewards: their ids, enough to answer it
    again (each link is made again from its reward; no record holds a token)."""
    return {"rewards": [reward.reward_id for reward in rewards]}


def recorded_rewards(store_code: str, records: Iterable[dict[str, Any]]) -> dict[str, RewardModel]:
    """The rewards that `granted_record`s name, by id: read back (BatchGetItem, consistent)."""
    reward_ids = {reward_id for record in records for reward_id in record["rewards"]}
    if not reward_ids:
        return {}
    return {
        reward.reward_id: reward
        for reward in RewardModel.batch_get(
            [(store_code, reward_id) for reward_id in reward_ids], consistent_read=True
        )
    }


def _items_needed(grant: Grant, pooled: bool) -> int:
    items = grant.quantity * (2 if pooled else 1) + 2  # rewards, coupons, usage counter, event
    if grant.item is not None:
        items += 1  # the record of the bulk request's item
    if grant.new_customer is not None:
        items += 1 + len(guards(grant.new_customer))
    elif grant.points:
        # The balance update, the ledger entry, its event and the batches taken from.
        items += 3 + DEBIT_BATCHES
    return items


class _Acquisition:
    """The state of one `acquire` call: outcomes so far and what is known to be taken."""

    def __init__(
        self,
        campaign: CampaignModel,
        grants: Sequence[Grant],
        source: str,
        actor: str | None,
        email_status: str | None,
        now: datetime,
        progress: BulkProgress = NO_PROGRESS,
        issue_transaction: str | None = None,
        users: set[str] | None = None,
    ) -> None:
        self.campaign = campaign
        self.issue_transaction = issue_transaction
        self.progress = progress
        self.store_code = campaign.store_code
        self.pool = pool_key(campaign.store_code, campaign.campaign_id)
        self.pooled = uses_coupon_pool(campaign)
        self.single_code = single_code(campaign)
        self.outcomes = [GrantOutcome(grant) for grant in grants]
        self.source = source
        self.actor = actor
        self.email_status = email_status
        self.now = now
        self.taken_codes: set[str] = set()
        self.hints = ledger.Hints()  # what refused debits taught (`ledger.learn`)
        # Customers with a usage item in the pool (read here unless the caller did); a new
        # customer has none.
        self.users = (
            set(users)
            if users is not None
            else usage.users_of(
                self.pool, [grant.customer_id for grant in grants if grant.new_customer is None]
            )
        )

    # -- packing ---------------------------------------------------------------------------
    def batches(self) -> list[list[int]]:
        """Grant indexes in transaction-sized batches, one customer at most once per batch."""
        batches: list[list[int]] = []
        current: list[int] = []
        customers: set[str] = set()
        size = TRANSACTION_BASE_ITEMS
        for index, outcome in enumerate(self.outcomes):
            grant = outcome.grant
            needed = _items_needed(grant, self.pooled)
            if current and (
                size + needed > MAX_TRANSACTION_ITEMS or grant.customer_id in customers
            ):
                batches.append(current)
                current, customers, size = [], set(), TRANSACTION_BASE_ITEMS
            current.append(index)
            customers.add(grant.customer_id)
            size += needed
        if current:
            batches.append(current)
        return batches

    def _reward(self, grant: Grant, code: str | None) -> RewardModel:
        return new_reward(
            self.campaign,
            grant,
            code,
            source=self.source,
            actor=self.actor,
            email_status=self.email_status,
            now=self.now,
            issue_transaction=self.issue_transaction,
        )

    # -- one transaction -------------------------------------------------------------------
    def _write(self, transaction: TransactWrite, indexes: list[int]) -> list[_Packed]:
        campaign = self.campaign
        units = sum(self.outcomes[i].grant.quantity for i in indexes)
        codes = free_codes(self.pool, units, self.taken_codes) if self.pooled else []
        if self.pooled and len(codes) < units:
            raise NoCouponsLeftError(left=len(codes))
        condition = CampaignModel.active == True  # noqa: E712 (a DynamoDB condition)
        if not campaign.unlimited and campaign.limit is not None:
            condition &= CampaignModel.usage_count <= int(campaign.limit) - units
        actions = [
            CampaignModel.usage_count.add(units),
            CampaignModel.updated_at.set(self.now),
        ]
        first_uses = sum(self.outcomes[i].grant.customer_id not in self.users for i in indexes)
        if first_uses:
            actions.append(CampaignModel.users_count.add(first_uses))
        if self.pooled:
            # A display counter only: the coupon items' own conditions decide who gets a code.
            actions.append(CampaignModel.coupons_available.add(-units))
        transaction.update(
            CampaignModel(campaign.store_code, campaign.campaign_id),
            actions=actions,
            condition=condition,
            return_values="ALL_OLD",
        )
        packed = []
        for index in indexes:
            grant = self.outcomes[index].grant
            taken, codes = codes[: grant.quantity] if self.pooled else [], codes[grant.quantity :]
            rewards = [
                self._reward(grant, taken[unit] if self.pooled else self.single_code)
                for unit in range(grant.quantity)
            ]
            debit, entry_id = self._write_grant(transaction, grant, rewards, taken)
            packed.append(_Packed(index, rewards, taken, debit, entry_id))
        # A refused guard names its owner: the grant goes to that customer on the next try.
        new = [self.outcomes[i].grant.new_customer for i in indexes]
        add_new_customers(transaction, [c for c in new if c is not None], guard_values="ALL_OLD")
        return packed

    def _write_grant(
        self,
        transaction: TransactWrite,
        grant: Grant,
        rewards: list[RewardModel],
        codes: list[str],
    ) -> tuple[Posting | None, str | None]:
        """Add one grant's items; returns its points debit and ledger entry id, if any."""
        campaign = self.campaign
        usage.add_use(
            transaction,
            self.pool,
            grant.customer_id,
            grant.quantity,
            self.now,
            first=grant.customer_id not in self.users,
            limit_per_user=usage.per_user_limit(campaign),
        )
        for code, reward in zip(codes, rewards, strict=False):
            transaction.update(
                CouponModel(self.pool, code),
                actions=[
                    CouponModel.available_code.remove(),
                    CouponModel.reward_id.set(reward.reward_id),
                    CouponModel.taken_at.set(self.now),
                ],
                condition=CouponModel.available_code.exists(),
            )
        debit, entry_id = None, None
        if grant.new_customer is None and grant.points:
            debit = Posting(
                self.store_code,
                grant.customer_id,
                -grant.points * grant.quantity,
                EntryKind.BUY,
                reference=campaign.campaign_id,
                actor=self.actor,
            )
            try:
                entry = ledger.add_posting(
                    transaction, debit, hints=self.hints, max_batches=DEBIT_BATCHES
                )
            except RewardsError as error:  # decided before writing: the batches do not cover it
                raise _GrantRefused(grant, error) from error
            entry_id = entry.entry_id
        for reward in rewards:
            reward.transaction_id = entry_id
            transaction.save(reward, condition=RewardModel.reward_id.does_not_exist())
        event_log.grant_recorded(transaction, self.source == BOUGHT, rewards)
        if grant.item is not None:
            self.progress.record(transaction, grant.item, granted_record(rewards))
        return debit, entry_id

    # -- refusals --------------------------------------------------------------------------
    def _blame(self, failures: list[FailedItem], indexes: list[int], packed: list[_Packed]) -> bool:
        """Settle the grants whose own items refused; True when anything was learned."""
        learned = False
        by_customer = {self.outcomes[p.index].grant.customer_id: p for p in packed}
        for failure in failures:
            if not failure.condition_failed:
                continue
            model, key = failure.model, failure.key
            if model is CampaignModel:
                learned |= self._campaign_refused(failure, indexes)
            elif model is CouponModel:
                self.taken_codes.add(key["code"])
                learned = True
            elif model is CampaignUsageModel:
                learned |= self._usage_refused(by_customer, key["customer_id"], failure)
            elif model is CustomerModel:
                customer_id = key["customer_id"]
                learned |= self._customer_refused(by_customer.get(customer_id), failure)
            elif model is UniqueValueModel and failure.old_item:
                # The recipient became a customer meanwhile: give the reward to that customer.
                owner = failure.old_item.owner_id
                for p in packed:
                    grant = self.outcomes[p.index].grant
                    new = grant.new_customer
                    if new is not None and key["pk"] in {g.pk for g in guards(new)}:
                        grant.customer_id, grant.new_customer = owner, None
                        self.users |= usage.users_of(self.pool, [owner])
                        learned = True
        return learned

    def _usage_refused(
        self, by_customer: dict[str, _Packed], customer_id: str, failure: FailedItem
    ) -> bool:
        """Over the limit per user, or another request created or removed the usage item."""
        if customer_id not in by_customer:
            return False
        if not usage.misjudged(failure, first=customer_id not in self.users):
            return self._fail(by_customer, customer_id, LimitPerUserReachedError())
        if failure.old_item:
            self.users.add(customer_id)
        else:
            self.users.discard(customer_id)
        return True

    def _fail(self, by_customer: dict[str, _Packed], customer_id: str, error: RewardsError) -> bool:
        found = by_customer.get(customer_id)
        if found is None:
            return False
        self.outcomes[found.index].error = error
        return True

    def _customer_refused(self, found: _Packed | None, failure: FailedItem) -> bool:
        if found is None:
            return False
        outcome = self.outcomes[found.index]
        if failure.old_item and failure.old_item.batched is None:
            return True  # from before batches: `ledger.learn` moved its balance into them
        if not failure.old_item:
            outcome.error = CustomerNotFoundError()
        else:
            available = int(failure.old_item.points_available or 0)
            requested = outcome.grant.points * outcome.grant.quantity
            outcome.error = ledger.InsufficientPointsError(available, requested)
        return True

    def _campaign_refused(self, failure: FailedItem, indexes: list[int]) -> bool:
        """The campaign's condition refused: it went inactive, or fewer rewards are left."""
        old = failure.old_item
        pending = [i for i in indexes if self.outcomes[i].error is None]
        if not old:
            for i in pending:
                self.outcomes[i].error = CampaignNotFoundError()
            return True
        if not old.active:
            for i in pending:
                self.outcomes[i].error = CampaignInactiveError()
            return True
        used = int(old.usage_count or 0)
        left_by_limit = (
            int(self.campaign.limit) - used
            if not self.campaign.unlimited and self.campaign.limit is not None
            else None
        )
        granted = 0
        for i in pending:
            quantity = self.outcomes[i].grant.quantity
            if left_by_limit is not None and granted + quantity > left_by_limit:
                self.outcomes[i].error = LimitReachedError()
            else:
                granted += quantity
        return True

    # -- driving ---------------------------------------------------------------------------
    def run_batch(self, indexes: list[int]) -> list[int]:
        """Write one batch; returns grants to retry in a later batch (their customer repeats)."""
        for attempt in range(MAX_ATTEMPTS):
            pending, deferred = self._split_repeats(indexes)
            if not pending:
                return deferred
            transaction = Transaction()
            packed: list[_Packed] = []
            try:
                with transaction:
                    packed = self._write(transaction, pending)
            except NoCouponsLeftError as error:  # decided before writing anything
                self._share_coupons(pending, error.left)
                continue
            except _GrantRefused as refusal:
                for i in pending:
                    if self.outcomes[i].grant is refusal.grant:
                        self.outcomes[i].error = refusal.error
                continue
            except TransactionCancelledError as error:
                failures = error.failures
                BulkProgress.raise_if_taken(failures, error)
                learned = ledger.learn(failures, self.hints)
                if self._blame(failures, pending, packed) or learned:
                    continue
                if not any(f.busy for f in failures):
                    raise
                time.sleep(0.02 * 2 ** min(attempt, 5))  # another writer holds an item
                continue
            for p in packed:
                outcome = self.outcomes[p.index]
                self.users.add(outcome.grant.customer_id)
                outcome.rewards = p.rewards
                outcome.transaction_id = p.entry_id
                if p.debit is not None:
                    ledger.count_points(p.debit)
            return deferred
        for i in indexes:
            if self.outcomes[i].error is None and not self.outcomes[i].rewards:
                self.outcomes[i].error = ConflictError("The campaign is busy; retry.")
        return []

    def _split_repeats(self, indexes: list[int]) -> tuple[list[int], list[int]]:
        """Unsettled grants of the batch, and those whose customer is already in it (a grant
        can turn out to be an existing customer's after packing; an item goes once per call)."""
        pending, deferred, customers = [], [], set()
        for i in indexes:
            if self.outcomes[i].error is not None:
                continue
            customer_id = self.outcomes[i].grant.customer_id
            (deferred if customer_id in customers else pending).append(i)
            customers.add(customer_id)
        return pending, deferred

    def _share_coupons(self, pending: list[int], left: int) -> None:
        """Give the codes there are to the first grants, in order; the rest get none."""
        for i in pending:
            quantity = self.outcomes[i].grant.quantity
            if quantity > left:
                self.outcomes[i].error = NoCouponsLeftError()
            else:
                left -= quantity


def acquire(
    campaign: CampaignModel,
    grants: Sequence[Grant],
    *,
    source: str,
    actor: str | None = None,
    email_status: str | None = None,
    now: datetime | None = None,
    progress: BulkProgress = NO_PROGRESS,
    issue_transaction: str | None = None,
    users: set[str] | None = None,
) -> list[GrantOutcome]:
    """Give every grant its rewards, or the reason it got none; see the module docstring.

    A grant with an `item` records its rewards as that item of the keyed bulk request's
    `progress`, in the transaction that writes them. `issue_transaction` names the issuing
    call the rewards come from (Mokugift's `transaction_id`), stored on each. `users`: which
    of the grants' customers have a usage item of the campaign, when the caller read them
    (consistently) already.
    """
    now = now or datetime.now(UTC)
    ensure_active(campaign, now)
    for grant in grants:
        if not 1 <= grant.quantity <= MAX_QUANTITY:
            raise InvalidInputError(
                {"quantity": [f"The quantity must be between 1 and {MAX_QUANTITY}."]}
            )
    acquisition = _Acquisition(
        campaign, grants, source, actor, email_status, now, progress, issue_transaction, users
    )
    limit = usage.per_user_limit(campaign)
    for outcome in acquisition.outcomes:
        if limit is not None and outcome.grant.quantity > limit:
            outcome.error = LimitPerUserReachedError()
    queue = acquisition.batches()
    while queue:
        deferred = acquisition.run_batch(queue.pop(0))
        if deferred:
            queue.append(deferred)
    return acquisition.outcomes


def acquire_one(campaign: CampaignModel, grant: Grant, **options: Any) -> GrantOutcome:
    """One grant, whose refusal is raised rather than returned."""
    outcome = acquire(campaign, [grant], **options)[0]
    if outcome.error is not None:
        raise outcome.error
    return outcome
