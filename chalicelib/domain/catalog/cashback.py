"""Cashback (Open Loyalty): points exchanged for money through a cashback campaign.

Which campaign: the one named by `cashbackId` (a cashback campaign of the store, active and
visible now, targeted at the customer), or, when none is named, the best of those the
customer may use now: every rule above, usage left under `limit`, and the customer under
`limitPerUser` (one Query on the store's campaigns, one BatchGetItem of the customer's usage
counters). Best is the highest `pointValue`; ties go to the oldest campaign.

The money: `rewardAmount = pointsAmount * pointValue`, in Decimal, to the cent, rounded down
(the customer never gets more than the points are worth); points worth less than a cent are
refused. Simulating reads and writes nothing.

Redeeming is one DynamoDB transaction: the points debit with its ledger entry (`spend`,
referencing the payout), the payout record, and one use of the campaign, counted like a buy
(`usage_count` under `limit`, the customer's counter under `limitPerUser`, the campaign still
active). Any condition failing writes nothing and names the reason. The payout is then handed
to the campaign's provider (`payout_providers`) and its status becomes what the provider says
(`requested` for PayTM) with one conditional UpdateItem.

A provider's callback, once its signature checks (or it carries the store admin's token, as
the document's example does), moves the payout forward: each status is reached only from the
statuses before it, under a condition, so the same callback twice changes nothing. A failed
payout gives the points back (a `refund` entry) and the campaign use, in the same transaction
as the status change: once, whatever the number of failure callbacks.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_DOWN, Decimal
from typing import Annotated, Any

from pydantic import ValidationError as PydanticValidationError
from pynamodb.exceptions import DoesNotExist, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from chalicelib.domain.access import stores
from chalicelib.domain.catalog import usage
from chalicelib.domain.catalog.campaign_form import (
    BLANK,
    FORM_CONFIG,
    MAX_POINTS,
    Blankable,
    Id,
    form_errors,
)
from chalicelib.domain.catalog.campaigns import (
    MAX_ID_LENGTH,
    CampaignInactiveError,
    CampaignNotFoundError,
    CampaignNotTargetedError,
    CampaignNotVisibleError,
    get_campaign,
    is_active,
    is_targeted,
    is_visible,
    usage_left,
)
from chalicelib.domain.catalog.payout_providers import (
    Callback,
    PayoutProvider,
    ProviderMessage,
    ProviderStatus,
    provider_named,
)
from chalicelib.domain.customers.records import get_customer
from chalicelib.domain.errors import (
    AuthenticationError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    RewardsError,
)
from chalicelib.domain.events import lifecycle_events
from chalicelib.domain.points import ledger
from chalicelib.domain.points.ledger import EntryKind, Posting
from chalicelib.domain.rewards.handout import LimitPerUserReachedError, LimitReachedError
from chalicelib.domain.validation import InputModel, number_type
from chalicelib.storage.base import FailedItem, connection, failed_items
from chalicelib.storage.campaigns import CampaignModel, CampaignUsageModel, pool_key
from chalicelib.storage.cashback import (
    FAILED,
    PAID,
    PENDING,
    REACHABLE_FROM,
    CashbackPayoutModel,
)
from chalicelib.storage.customers import CustomerModel

CASHBACK = "cashback"
CENT = Decimal("0.01")
CONDITION_FAILED = "ConditionalCheckFailed"


class CashbackNotFoundError(NotFoundError):
    code = "cashback_not_found"
    default_message = "No cashback campaign with this id in this store."


class NoCashbackAvailableError(NotFoundError):
    code = "cashback_not_available"
    default_message = "No cashback campaign is available to this customer now."


class RewardTooSmallError(InvalidInputError):
    code = "cashback_reward_too_small"

    def __init__(self, points: int) -> None:
        super().__init__(
            {
                "pointsAmount": [
                    f"This value is too small: {points} points are worth less than 0.01."
                ]
            }
        )


class ProviderNotFoundError(NotFoundError):
    code = "provider_not_found"
    default_message = "No cashback provider of this name."


class PayoutNotFoundError(NotFoundError):
    code = "payout_not_found"
    default_message = "No cashback payout for this order."


class CallbackNotAuthenticError(AuthenticationError):
    code = "callback_signature_invalid"
    default_message = "The callback's signature does not check."


# -- the form --------------------------------------------------------------------------------
OptionalId = Annotated[Id | None, Blankable]


class CashbackForm(InputModel):
    model_config = FORM_CONFIG

    customerId: OptionalId = None
    pointsAmount: Annotated[number_type(int, ge=1, le=MAX_POINTS) | None, Blankable] = None
    cashbackId: OptionalId = None


@dataclass(frozen=True)
class Order:
    customer_id: str
    points: int
    cashback_id: str | None = None


def _form(body: Any) -> tuple[CashbackForm, dict[str, list[str]]]:
    """The form and pydantic's findings; bad fields are left out so the rest is still read."""
    if body is not None and not isinstance(body, dict):
        raise InvalidInputError({"form": ["The request body must be an object."]})
    data = dict(body or {})
    try:
        return CashbackForm.model_validate(data), {}
    except PydanticValidationError as error:
        bad = {str(item["loc"][0]) for item in error.errors() if item["loc"]}
        kept = {name: value for name, value in data.items() if name not in bad}
        return CashbackForm.model_validate(kept), form_errors(error)


def read_order(body: Any, customer_id: str | None = None) -> Order:
    """The admin's form (`customerId`, `pointsAmount`, optional `cashbackId`), or with
    `customer_id` (the logged-in customer) a customer's own, whose `cashbackId` the document
    requires and whose `customerId`, if given, must be their own."""
    form, errors = _form(body)
    if customer_id is not None and form.customerId not in (None, customer_id):
        raise PermissionDeniedError("A customer redeems only their own points.")
    required: dict[str, Any] = {"pointsAmount": form.pointsAmount}
    if customer_id is None:
        required["customerId"] = form.customerId
    else:
        required["cashbackId"] = form.cashbackId
    for name, value in required.items():
        if value is None and name not in errors:
            errors[name] = [BLANK]
    if errors:
        raise InvalidInputError(errors)
    assert form.pointsAmount is not None
    return Order(customer_id or form.customerId or "", form.pointsAmount, form.cashbackId)


# -- the quote -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Quote:
    customer: CustomerModel
    campaign: CampaignModel
    points: int
    reward_amount: Decimal

    @property
    def point_value(self) -> Decimal:
        return Decimal(self.campaign.point_value)


def reward_amount(points: int, point_value: Decimal) -> Decimal:
    """What `points` are worth, to the cent, rounded down; refused below one cent."""
    amount = (Decimal(points) * point_value).quantize(CENT, rounding=ROUND_DOWN)
    if amount <= 0:
        raise RewardTooSmallError(points)
    return amount


def _cashback_campaign(store_code: str, campaign_id: str) -> CampaignModel:
    try:
        campaign = get_campaign(store_code, campaign_id)
    except CampaignNotFoundError as error:
        raise CashbackNotFoundError() from error
    if campaign.reward != CASHBACK or campaign.point_value is None:
        raise CashbackNotFoundError()
    return campaign


def _ensure_usable(campaign: CampaignModel, customer: CustomerModel, now: datetime) -> None:
    if not is_active(campaign, now):
        raise CampaignInactiveError()
    if not is_visible(campaign, now):
        raise CampaignNotVisibleError()
    if not is_targeted(campaign, customer):
        raise CampaignNotTargetedError()


def _best_campaign(store_code: str, customer: CustomerModel, now: datetime) -> CampaignModel:
    """The usable cashback campaign with the highest point value (see the module docstring)."""
    usable = [
        campaign
        for campaign in CampaignModel.query(
            store_code, filter_condition=CampaignModel.reward == CASHBACK
        )
        if campaign.point_value is not None
        and is_active(campaign, now)
        and is_visible(campaign, now)
        and is_targeted(campaign, customer)
        and usage_left(campaign) != 0
    ]
    used = usage.uses_of(store_code, customer.customer_id, usable)
    usable = [
        campaign
        for campaign in usable
        if (limit := usage.per_user_limit(campaign)) is None
        or used.get(campaign.campaign_id, 0) < limit
    ]
    if not usable:
        raise NoCashbackAvailableError()
    return min(usable, key=lambda c: (-c.point_value, c.created_at, c.campaign_id))


def quote(store_code: str, order: Order, now: datetime | None = None) -> Quote:
    """The campaign and the money `order.points` would bring; reads only."""
    now = now or datetime.now(UTC)
    customer = get_customer(store_code, order.customer_id)
    if order.cashback_id is None:
        campaign = _best_campaign(store_code, customer, now)
    else:
        campaign = _cashback_campaign(store_code, order.cashback_id)
        _ensure_usable(campaign, customer, now)
    return Quote(
        customer, campaign, order.points, reward_amount(order.points, campaign.point_value)
    )


# -- writing ---------------------------------------------------------------------------------
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
        transaction = TransactWrite(connection=connection())
        try:
            with transaction:
                write(transaction, hints)
            return
        except TransactWriteError as error:
            failures = failed_items(transaction, error)
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


def _campaign_refusal(old_item: dict[str, Any] | None) -> RewardsError:
    if not old_item:
        return CashbackNotFoundError()
    if not old_item.get("active", {}).get("BOOL", False):
        return CampaignInactiveError()
    return LimitReachedError()


def _record(store_code: str, found: Quote, actor: str | None, now: datetime) -> CashbackPayoutModel:
    """The debit, the payout and the campaign use: one transaction."""
    campaign = found.campaign
    customer_id = found.customer.customer_id
    payout = CashbackPayoutModel(
        store_code,
        str(uuid.uuid4()),
        customer_id=customer_id,
        campaign_id=campaign.campaign_id,
        points=found.points,
        point_value=found.point_value,
        reward_amount=found.reward_amount,
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
        -found.points,
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
            if failure.code != CONDITION_FAILED:
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


def _advance(payout: CashbackPayoutModel, status: ProviderStatus, now: datetime) -> None:
    """Move the payout to `status` if it may go there from where it is: one conditional
    UpdateItem, or with its `cashback.paid` event one transaction. When another call moved it
    first, the payout is read again instead."""
    if not _may_reach(payout, status.status):
        return
    assert status.status is not None
    actions, condition = _status_actions(status, now), _reach_condition(status.status)
    if status.status == PAID:
        transaction = TransactWrite(connection=connection())
        try:
            with transaction:
                transaction.update(payout, actions=actions, condition=condition)
                lifecycle_events.cashback_paid(transaction, payout, now)
        except TransactWriteError as error:
            failures = failed_items(transaction, error)
            if not any(
                f.model is CashbackPayoutModel and f.code == CONDITION_FAILED for f in failures
            ):
                raise
        payout.refresh(consistent_read=True)
        return
    try:
        payout.update(actions=actions, condition=condition)
    except UpdateError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
        payout.refresh(consistent_read=True)


def _fail(payout: CashbackPayoutModel, status: ProviderStatus, now: datetime) -> None:
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
        if any(f.model is CashbackPayoutModel and f.code == CONDITION_FAILED for f in failures):
            raise _Settled() from error
        ledger.raise_for_customer(failures, posting, error)

    with contextlib.suppress(_Settled):  # another callback settled it: show what it made
        _transact(write, refused)
    payout.refresh(consistent_read=True)


# -- redeeming -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Redemption:
    quote: Quote
    payout: CashbackPayoutModel


def redeem(
    store_code: str, order: Order, actor: str | None = None, now: datetime | None = None
) -> Redemption:
    """Debit the points and record the payout (one transaction), then hand it to its provider."""
    now = now or datetime.now(UTC)
    found = quote(store_code, order, now)
    payout = _record(store_code, found, actor, now)
    provider = provider_named(payout.provider)
    if provider is not None:
        _advance(payout, provider.request_payout(payout, found.customer), now)
    return Redemption(found, payout)


# -- the provider's callback -----------------------------------------------------------------
@dataclass(frozen=True)
class Settlement:
    provider: PayoutProvider
    message: ProviderMessage
    payout: CashbackPayoutModel

    @property
    def failed(self) -> bool:
        return self.payout.status == FAILED


def _payout_of(
    store_code: str, provider: PayoutProvider, message: ProviderMessage
) -> CashbackPayoutModel:
    """The store's payout the message names, paid through this provider to this customer."""
    if len(message.payout_id) > MAX_ID_LENGTH:
        raise PayoutNotFoundError()
    try:
        payout = CashbackPayoutModel.get(store_code, message.payout_id, consistent_read=True)
    except DoesNotExist as error:
        raise PayoutNotFoundError() from error
    if payout.customer_id != message.customer_id or provider_named(payout.provider) is not provider:
        raise PayoutNotFoundError()
    return payout


def settle(
    store_code: str,
    provider_name: str,
    callback: Callback,
    trusted: bool = False,
    now: datetime | None = None,
) -> Settlement:
    """Apply a provider's callback to its payout. `trusted`: the caller is the store's admin,
    so the provider's signature is not needed."""
    provider = provider_named(provider_name)
    if provider is None:
        raise ProviderNotFoundError()
    if not trusted and not provider.verify(callback):
        raise CallbackNotAuthenticError()
    message = provider.read_callback(callback)
    payout = _payout_of(store_code, provider, message)
    now = now or datetime.now(UTC)
    if message.status.status == FAILED:
        _fail(payout, message.status, now)
    else:
        _advance(payout, message.status, now)
    return Settlement(provider, message, payout)
