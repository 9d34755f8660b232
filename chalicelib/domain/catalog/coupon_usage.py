"""Using a bought coupon, and its delivery status (Open Loyalty).

Marking a coupon used (admin for a customer, or the customer themself) is one conditional
UpdateItem: the coupon is the customer's, of that campaign and store, bought, active, unused
and valid now; when the condition fails, the item as DynamoDB found it says why (404, or 409
with a stable code). Marking it unused needs only that it is theirs. Marking many at once is
chalicelib/domain/catalog/purchases.py, under the same rules (`usage_change`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import model_validator
from pynamodb.expressions.condition import Condition
from pynamodb.transactions import TransactWrite

from chalicelib.domain.catalog.bought import MAX_ID_LENGTH, is_expired, now_utc
from chalicelib.domain.catalog.bought_query import DELIVERY_STATUSES
from chalicelib.domain.catalog.entries import time_of
from chalicelib.domain.catalog.forms import OpenLoyaltyForm
from chalicelib.domain.errors import ConflictError, InvalidInputError, NotFoundError, RewardsError
from chalicelib.domain.events import event_log
from chalicelib.storage.errors import ConditionFailedError, TransactionCancelledError
from chalicelib.storage.rewards import ACTIVE, BOUGHT, CANCELLED, RewardModel
from chalicelib.storage.transactions import Transaction


class BoughtCouponNotFoundError(NotFoundError):
    code = "coupon_not_found"
    default_message = "Coupon not found."


class CouponAlreadyUsedError(ConflictError):
    code = "coupon_already_used"
    default_message = "This coupon has already been used."


class CouponNotActiveYetError(ConflictError):
    code = "coupon_not_active_yet"
    default_message = "This coupon cannot be used yet."


class CouponExpiredError(ConflictError):
    code = "coupon_expired"
    default_message = "This coupon has expired."


class CouponCancelledError(ConflictError):
    code = "coupon_cancelled"
    default_message = "This coupon has been cancelled."


class UsageForm(OpenLoyaltyForm):
    used: bool


class DeliveryStatusForm(OpenLoyaltyForm):
    """`deliveryStatus[status]` (form or JSON), or a bare `status`."""

    status: Literal[DELIVERY_STATUSES]

    @model_validator(mode="before")
    @classmethod
    def _unwrapped(cls, data: Any) -> Any:
        inner = data.get("deliveryStatus", data) if isinstance(data, dict) else data
        if not isinstance(inner, dict):
            raise InvalidInputError({"form": ["Send the status as deliveryStatus[status]."]})
        return inner


@dataclass(frozen=True)
class Usage:
    used: bool
    usage_date: datetime | None


def _coupon_key(coupon_id: str) -> str:
    if not coupon_id or len(coupon_id) > MAX_ID_LENGTH:
        raise BoughtCouponNotFoundError()
    return coupon_id


def _belongs(customer_id: str, campaign_id: str | None) -> Condition:
    condition = (
        RewardModel.reward_id.exists()
        & (RewardModel.source == BOUGHT)
        & (RewardModel.customer_id == customer_id)
    )
    if campaign_id is not None:
        condition &= RewardModel.campaign_id == campaign_id
    return condition


def _is_theirs(reward: RewardModel | None, customer_id: str, campaign_id: str | None) -> bool:
    return (
        reward is not None
        and reward.source == BOUGHT
        and reward.customer_id == customer_id
        and (campaign_id is None or reward.campaign_id == campaign_id)
    )


def _update(
    store_code: str,
    coupon_id: str,
    actions: list[Any],
    condition: Condition,
    refusal: Callable[[RewardModel | None], RewardsError] | None = None,
    event: Callable[[TransactWrite], Any] | None = None,
) -> None:
    """One conditional update; refused, it is not found unless `refusal` says why. `event`
    adds the change's event to the update's transaction, so both are written or neither.

    `refusal` judges the item as DynamoDB found it when it refused (ALL_OLD, which needs a
    one-item transaction) rather than from a second read: the service never reads a coupon on
    behalf of a caller it does not belong to, and a refusal costs no extra call.
    """
    item = RewardModel(store_code, _coupon_key(coupon_id))
    if refusal is None and event is None:
        try:
            item.update(actions=actions, condition=condition)
        except ConditionFailedError as error:
            raise BoughtCouponNotFoundError() from error
        return
    transaction = Transaction()
    try:
        with transaction:
            transaction.update(item, actions=actions, condition=condition, return_values="ALL_OLD")
            if event is not None:
                event(transaction)
    except TransactionCancelledError as error:
        refused = error.refused(RewardModel)
        if not refused:
            raise
        if refusal is None:
            raise BoughtCouponNotFoundError() from error
        raise refusal(refused[0].old_item) from error


def usage_change(
    customer_id: str, campaign_id: str, used: bool, now: datetime
) -> tuple[list[Any], Condition]:
    """The update that marks a customer's bought coupon used (or not), and its condition:
    the coupon is theirs, of that campaign; to be used, also active, unused and valid now."""
    condition = _belongs(customer_id, campaign_id)
    if not used:
        return [RewardModel.used.set(False), RewardModel.usage_date.remove()], condition
    condition &= (
        (RewardModel.status == ACTIVE)
        & ((RewardModel.used == False) | RewardModel.used.does_not_exist())  # noqa: E712
        & (RewardModel.active_since.does_not_exist() | (RewardModel.active_since <= now))
        & (RewardModel.active_to.does_not_exist() | (RewardModel.active_to > now))
    )
    return [RewardModel.used.set(True), RewardModel.usage_date.set(now)], condition


def usage_refusal(
    reward: RewardModel | None, customer_id: str, campaign_id: str, now: datetime
) -> RewardsError:
    """Why `usage_change`'s condition refused the coupon as DynamoDB found it."""
    if reward is None or not _is_theirs(reward, customer_id, campaign_id):
        return BoughtCouponNotFoundError()
    if reward.status == CANCELLED:
        return CouponCancelledError()
    if is_expired(reward, now):
        return CouponExpiredError()
    if reward.used:
        return CouponAlreadyUsedError()
    if reward.active_since is not None and reward.active_since > now:
        return CouponNotActiveYetError(
            f"This coupon can be used from {time_of(reward.active_since)}."
        )
    return ConflictError("The coupon changed meanwhile; retry.")


def set_coupon_usage(
    store_code: str,
    customer_id: str,
    campaign_id: str,
    coupon_id: str,
    used: bool,
    now: datetime | None = None,
) -> Usage:
    """Mark a customer's bought coupon used or not."""
    now = now or now_utc()
    actions, condition = usage_change(customer_id, campaign_id, used, now)
    if not used:
        _update(store_code, coupon_id, actions, condition)
        return Usage(False, None)

    def refusal_of(reward: RewardModel | None) -> RewardsError:
        return usage_refusal(reward, customer_id, campaign_id, now)

    def used_event(transaction: TransactWrite) -> None:
        coupon = event_log.used_coupon(coupon_id, campaign_id, customer_id)
        event_log.coupons_used(transaction, store_code, [coupon], now)

    _update(store_code, coupon_id, actions, condition, refusal_of, used_event)
    return Usage(True, now)


def change_delivery_status(store_code: str, customer_id: str, coupon_id: str, status: str) -> str:
    """Set the shipping status of a customer's bought coupon."""

    def changed_event(transaction: TransactWrite) -> None:
        event_log.delivery_status_changed(transaction, store_code, coupon_id, customer_id, status)

    _update(
        store_code,
        coupon_id,
        [RewardModel.delivery_status.set(status)],
        _belongs(customer_id, None),
        event=changed_event,
    )
    return status
