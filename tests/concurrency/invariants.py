"""What must hold after any concurrency run, read straight from the tables of the test's own
embedded AWS (Scans are fine here: the tables hold this test's data only).

- Points: no balance negative; every balance (available + pending, and used) is the sum of its
  ledger entries; no entry outside a customer's account; the customer's batches hold exactly
  its available and pending points, none of them negative.
- Coupons: no code handed out twice: each code of a pool in at most one reward, the coupon and
  the reward naming each other, and the pool's counters matching its coupons.
- Limits: a campaign's `usage_count` at most its `limit`, a customer's usage at most its
  `limitPerUser`; both counters equal to what was handed out (rewards, and cashback payouts
  that did not fail); the campaign's count of users equal to its usage items.
- Claims: one claim entry per claimed token, on the claimant's account, none for the others.
- Cashback: each payout debited once, by its own points, and refunded once if it failed.
- Customers: the store's customer count equals its customers.

`check` returns what it read, so a test can go on to its own exact figures.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from chalicelib.domain.customers.records import customers_count
from chalicelib.domain.points.ledger import USED_KINDS, EntryKind
from chalicelib.storage.batches import PointBatchModel
from chalicelib.storage.campaigns import CampaignModel, CampaignUsageModel, CouponModel, pool_key
from chalicelib.storage.cashback import FAILED, CashbackPayoutModel
from chalicelib.storage.claims import CLAIMED, ClaimModel
from chalicelib.storage.customers import CustomerModel
from chalicelib.storage.ledger import LedgerEntryModel, account_key
from chalicelib.storage.rewards import RewardModel
from tests.conftest import RACE_STORE


@dataclass
class Books:
    """The store's records as the run left them."""

    customers: dict[str, CustomerModel]
    entries: dict[str, list[LedgerEntryModel]]  # by customer id
    campaigns: list[CampaignModel]
    rewards: list[RewardModel]
    payouts: list[CashbackPayoutModel]
    claims: list[ClaimModel]
    batches: dict[str, list[PointBatchModel]] = field(default_factory=dict)  # by customer id
    violations: list[str] = field(default_factory=list)

    def balance(self, customer_id: str) -> int:
        return int(self.customers[customer_id].points_available)

    def used(self, customer_id: str) -> int:
        return int(self.customers[customer_id].points_used or 0)

    def broken(self, message: str) -> None:
        self.violations.append(message)


def read(store_code: str) -> Books:
    customers = {
        customer.customer_id: customer
        for customer in CustomerModel.query(store_code, consistent_read=True)
    }
    entries: dict[str, list[LedgerEntryModel]] = defaultdict(list)
    orphans = []
    for entry in LedgerEntryModel.scan(LedgerEntryModel.store_code == store_code):
        if entry.account != account_key(store_code, entry.customer_id):
            orphans.append(entry)
        entries[entry.customer_id].append(entry)
    books = Books(
        customers,
        entries,
        list(CampaignModel.query(store_code, consistent_read=True)),
        list(RewardModel.query(store_code, consistent_read=True)),
        list(CashbackPayoutModel.query(store_code, consistent_read=True)),
        list(ClaimModel.scan(ClaimModel.store_code == store_code)),
    )
    for batch in PointBatchModel.scan(PointBatchModel.store_code == store_code):
        books.batches.setdefault(batch.customer_id, []).append(batch)
    for entry in orphans:
        books.broken(f"ledger entry {entry.entry_id} is filed under {entry.account}")
    return books


def _check_balances(books: Books) -> None:
    for customer_id in sorted(set(books.entries) - set(books.customers)):
        books.broken(f"ledger entries for {customer_id}, who is not a customer")
    for customer_id, customer in books.customers.items():
        entries = books.entries.get(customer_id, [])
        available = int(customer.points_available or 0)
        used = int(customer.points_used or 0)
        summed = sum(int(entry.amount) for entry in entries)
        summed_used = -sum(int(e.amount) for e in entries if EntryKind(e.kind) in USED_KINDS)
        if available < 0:
            books.broken(f"customer {customer_id} has a negative balance: {available}")
        pending = int(customer.points_pending or 0)
        if available + pending != summed:
            books.broken(
                f"customer {customer_id} has {available}+{pending} points, the ledger {summed}"
            )
        _check_batches(books, customer)
        if used != summed_used:
            books.broken(f"customer {customer_id} used {used} points, the ledger {summed_used}")


def _check_batches(books: Books, customer: CustomerModel) -> None:
    customer_id = customer.customer_id
    held = {True: 0, False: 0}  # pending or not -> points
    for batch in books.batches.get(customer_id, []):
        remaining = int(batch.remaining or 0)
        if remaining < 0:
            books.broken(f"batch {batch.batch_id} of {customer_id} holds {remaining}")
        held[batch.pending_until is not None] += remaining
    figures = (int(customer.points_available or 0), int(customer.points_pending or 0))
    if (held[False], held[True]) != figures and customer.batched:
        books.broken(
            f"customer {customer_id} has {figures} points (available, pending), its batches "
            f"{(held[False], held[True])}"
        )


def _check_coupons(books: Books, campaign: CampaignModel) -> None:
    if campaign.single_coupon:  # every reward shows the one shared code
        return
    pool = pool_key(campaign.store_code, campaign.campaign_id)
    coupons = {c.code: c for c in CouponModel.query(pool, consistent_read=True)}
    rewards = [r for r in books.rewards if r.campaign_id == campaign.campaign_id]
    given = Counter(reward.coupon_code for reward in rewards if reward.coupon_code)
    for code, times in sorted(given.items()):
        if times > 1:
            books.broken(f"coupon {code} of {pool} is in {times} rewards")
    for reward in rewards:
        code = reward.coupon_code
        if code and (code not in coupons or coupons[code].reward_id != reward.reward_id):
            books.broken(f"reward {reward.reward_id} has coupon {code}, not taken for it")
    for code, coupon in sorted(coupons.items()):
        if coupon.reward_id is not None and (coupon.available_code is not None or given[code] != 1):
            books.broken(f"coupon {code} of {pool} was taken by {coupon.reward_id} but not given")
    free = sum(1 for coupon in coupons.values() if coupon.available_code is not None)
    counters = (int(campaign.coupons_total or 0), int(campaign.coupons_available or 0))
    if counters != (len(coupons), free):
        books.broken(f"{pool} counts {counters} coupons (total, free), not {len(coupons), free}")


def _check_limits(books: Books, campaign: CampaignModel) -> None:
    pool = pool_key(campaign.store_code, campaign.campaign_id)
    uses: Counter[str] = Counter(
        reward.customer_id for reward in books.rewards if reward.campaign_id == campaign.campaign_id
    )
    uses.update(
        payout.customer_id
        for payout in books.payouts
        if payout.campaign_id == campaign.campaign_id and payout.status != FAILED
    )
    count = int(campaign.usage_count or 0)
    if count != uses.total():
        books.broken(f"{pool} counts {count} uses; {uses.total()} were handed out")
    limited = not campaign.unlimited
    if limited and campaign.limit is not None and count > int(campaign.limit):
        books.broken(f"{pool} was used {count} times, over its limit {int(campaign.limit)}")
    usage = CampaignUsageModel.query(pool, consistent_read=True)
    counted = {u.customer_id: int(u.used or 0) for u in usage}
    if int(campaign.users_count or 0) != len(counted):
        books.broken(
            f"{pool} counts {int(campaign.users_count or 0)} users; {len(counted)} used it"
        )
    for customer_id in sorted(set(counted) | set(uses)):
        used = counted.get(customer_id, 0)
        if used != uses[customer_id]:
            books.broken(f"{pool} counts {used} uses by {customer_id}; {uses[customer_id]} given")
        per_user = campaign.limit_per_user
        if limited and per_user is not None and uses[customer_id] > int(per_user):
            books.broken(
                f"{customer_id} used {pool} {uses[customer_id]} times, over {int(per_user)}"
            )


def _check_claims(books: Books) -> None:
    credited: dict[str, list[LedgerEntryModel]] = defaultdict(list)
    for entries in books.entries.values():
        for entry in entries:
            if entry.kind == EntryKind.CLAIM:
                credited[entry.reference or ""].append(entry)
    for claim in books.claims:
        entries = credited.pop(claim.token_digest, [])
        if claim.status != CLAIMED:
            if entries:
                broken = f"claim {claim.claim_id} is {claim.status} but credited {len(entries)}"
                books.broken(broken)
            continue
        paid = [(e.customer_id, int(e.amount)) for e in entries]
        if paid != [(claim.claimed_by, int(claim.amount))]:
            books.broken(f"claim {claim.claim_id} claimed by {claim.claimed_by} credited {paid}")
    for reference in sorted(credited):
        books.broken(f"claim entries reference {reference}, which is no claim")


def _check_payouts(books: Books) -> None:
    for payout in books.payouts:
        moves: dict[str, list[int]] = defaultdict(list)
        for entry in books.entries.get(payout.customer_id, []):
            if entry.reference == payout.payout_id:
                moves[entry.kind].append(int(entry.amount))
        points = int(payout.points)
        refunds = [points] if payout.status == FAILED else []
        if moves[EntryKind.SPEND] != [-points] or moves[EntryKind.REFUND] != refunds:
            books.broken(
                f"payout {payout.payout_id} of {points}, {payout.status}: debited "
                f"{moves[EntryKind.SPEND]}, refunded {moves[EntryKind.REFUND]}"
            )


def _check_customer_count(books: Books, store_code: str) -> None:
    counted = customers_count(store_code)
    if counted != len(books.customers):
        books.broken(f"the store counts {counted} customers and has {len(books.customers)}")


def check(store_code: str = RACE_STORE) -> Books:
    """Read the store's records and assert every invariant; the records, for more checks."""
    books = read(store_code)
    _check_balances(books)
    for campaign in books.campaigns:
        _check_coupons(books, campaign)
        _check_limits(books, campaign)
    _check_claims(books)
    _check_payouts(books)
    _check_customer_count(books, store_code)
    assert not books.violations, "\n".join(books.violations)
    return books
