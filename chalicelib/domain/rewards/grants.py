"""What a handout is asked and what it answers: who a reward is for (`Recipient`), one
customer's share of an `acquire` call (`Grant`), its outcome, and the refusals a campaign gives.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from chalicelib.domain.errors import ConflictError, RewardsError
from chalicelib.storage.customers import CustomerModel
from chalicelib.storage.rewards import RewardModel


class LimitReachedError(ConflictError):
    code = "campaign_limit_reached"
    default_message = "This campaign has reached its usage limit."


class LimitPerUserReachedError(ConflictError):
    code = "campaign_limit_per_user_reached"
    default_message = "This customer has reached the campaign's limit per user."


class NoCouponsLeftError(ConflictError):
    code = "no_coupons_left"
    default_message = "This campaign has no coupons left."

    def __init__(self, left: int = 0) -> None:
        super().__init__()
        self.left = left  # codes that were still free when this was decided


@dataclass(frozen=True)
class Recipient:
    """Who the reward is for, as the caller gave it; snapshotted on the reward."""

    email: str | None = None
    public_key: str | None = None
    firstname: str | None = None
    surname: str | None = None
    message: str | None = None
    sender_name: str | None = None


@dataclass
class Grant:
    """One customer's share of an acquire call.

    `customer_id` names an existing customer; `new_customer` (unsaved, from
    `customers.new_customer`) is created in the same transaction as its rewards.
    `points` is the price per unit, debited from the customer's balance.
    """

    customer_id: str
    new_customer: CustomerModel | None = None
    quantity: int = 1
    points: int = 0
    recipient: Recipient = field(default_factory=Recipient)
    # The item of a keyed bulk request this grant answers: its rewards are recorded there, in
    # the same transaction (`storage.idempotency.BulkProgress`).
    item: int | None = None


@dataclass
class GrantOutcome:
    grant: Grant
    rewards: list[RewardModel] = field(default_factory=list)
    transaction_id: str | None = None  # the ledger entry of the points debit
    error: RewardsError | None = None
