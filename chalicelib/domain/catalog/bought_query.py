"""Which bought rewards a query asks for: the filters of the bought list and its CSV export,
and the DynamoDB Queries they make.

A store's rewards are read from the store-created index (one customer's from the customer
index), with the purchase-date range (`purchasedAtFrom/To`) as the key condition and every
other filter (bought only, `used`, usage, validity and delivery filters) as DynamoDB filter
expressions, one Query per result page, never a Scan. Cashback redemptions are listed among
the bought rewards, read from the payouts' store (or customer) index, merged in purchase order.

Date filters take `YYYY-MM-DD`, `YYYY-MM-DD HH:mm` or ISO 8601 (UTC unless a zone is given); a
`...To` bound given as a bare date includes that whole day.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, model_validator
from pynamodb.expressions.condition import Condition
from pynamodb.pagination import ResultIterator

from chalicelib.domain.catalog.campaign_form import Blankable, Flag, Moment, parse_moment
from chalicelib.domain.catalog.entries import MAX_PER_PAGE
from chalicelib.domain.catalog.forms import OpenLoyaltyForm
from chalicelib.domain.errors import InvalidInputError
from chalicelib.domain.validation import number_type
from chalicelib.storage.cashback import FAILED, CashbackPayoutModel
from chalicelib.storage.rewards import ACTIVE, BOUGHT, CANCELLED, RewardModel, customer_key

DELIVERY_STATUSES = ("ordered", "canceled", "shipped", "delivered")
DATE_ONLY = re.compile(r"^\s*\d{4}-\d{2}-\d{2}\s*$")


def _end_of(value: Any) -> Any:
    """An upper bound: a bare date means through the end of that day."""
    moment = parse_moment(value)
    if isinstance(value, str) and DATE_ONLY.match(value):
        return moment + timedelta(days=1) - timedelta(microseconds=1)
    return moment


Until = Annotated[datetime | None, BeforeValidator(_end_of)]


def _upper(value: Any) -> Any:
    return value.strip().upper() or None if isinstance(value, str) else value


SORT_KEYS: dict[str, Callable[[RewardModel], Any]] = {
    "purchasedAt": lambda r: r.created_at,
    "campaignId": lambda r: r.campaign_id,
    "rewardCampaignId": lambda r: r.campaign_id,
    "customerId": lambda r: r.customer_id,
    "costInPoints": lambda r: int(r.cost_in_points or 0),
    "used": lambda r: bool(r.used),
    "usageDate": lambda r: r.usage_date,
    "activeSince": lambda r: r.active_since,
    "activeTo": lambda r: r.active_to,
    "deliveryStatus": lambda r: r.delivery_status,
}
RANGES = (
    ("purchasedAtFrom", "purchasedAtTo"),
    ("usageDateFrom", "usageDateTo"),
    ("activeSinceFrom", "activeSinceTo"),
    ("activeToFrom", "activeToTo"),
)


class BoughtQuery(OpenLoyaltyForm):
    """The list's query string; the export takes the same filters."""

    page: Annotated[number_type(int, ge=1) | None, Blankable] = None
    perPage: Annotated[number_type(int, ge=1, le=MAX_PER_PAGE) | None, Blankable] = None
    sort: Annotated[Literal[tuple(SORT_KEYS)] | None, Blankable] = None
    direction: Annotated[Literal["ASC", "DESC"] | None, BeforeValidator(_upper)] = None
    used: Flag = None
    purchasedAtFrom: Moment = None
    purchasedAtTo: Until = None
    usageDateFrom: Moment = None
    usageDateTo: Until = None
    activeSinceFrom: Moment = None
    activeSinceTo: Until = None
    activeToFrom: Moment = None
    activeToTo: Until = None
    deliveryStatus: Annotated[Literal[DELIVERY_STATUSES] | None, Blankable] = None

    @model_validator(mode="after")
    def _ranges_in_order(self) -> BoughtQuery:
        inverted = {
            high: [f"This value should not be earlier than {low}."]
            for low, high in RANGES
            if getattr(self, low)
            and getattr(self, high)
            and getattr(self, low) > getattr(self, high)
        }
        if inverted:
            raise InvalidInputError(inverted)  # not a ValueError: named by field, as it is
        return self


def read_query(query: dict[str, Any]) -> BoughtQuery:
    """The query string as a `BoughtQuery` (InvalidInputError naming every bad field)."""
    return BoughtQuery.read(query)


def _purchase_range(wanted: BoughtQuery) -> Condition | None:
    start, end = wanted.purchasedAtFrom, wanted.purchasedAtTo
    if start is not None and end is not None:
        return RewardModel.created_at.between(start, end)
    if start is not None:
        return RewardModel.created_at >= start
    if end is not None:
        return RewardModel.created_at <= end
    return None


def _filter(wanted: BoughtQuery) -> Condition:
    condition = RewardModel.source == BOUGHT
    if wanted.used is not None:
        condition &= (
            RewardModel.used == True  # noqa: E712 (a DynamoDB condition)
            if wanted.used
            else (RewardModel.used == False) | RewardModel.used.does_not_exist()  # noqa: E712
        )
    ranges = (
        (RewardModel.usage_date, wanted.usageDateFrom, wanted.usageDateTo),
        (RewardModel.active_since, wanted.activeSinceFrom, wanted.activeSinceTo),
        (RewardModel.active_to, wanted.activeToFrom, wanted.activeToTo),
    )
    for attribute, low, high in ranges:
        if low is not None:
            condition &= attribute >= low
        if high is not None:
            condition &= attribute <= high
    if wanted.deliveryStatus is not None:
        condition &= RewardModel.delivery_status == wanted.deliveryStatus
    return condition


def _bought(
    store_code: str,
    wanted: BoughtQuery,
    page_size: int | None = None,
    customer_id: str | None = None,
) -> ResultIterator[RewardModel]:
    """The store's (or one customer's) bought rewards that match, oldest purchase first,
    fetched page by page."""
    if customer_id is not None:
        return RewardModel.by_customer.query(
            customer_key(store_code, customer_id),
            _purchase_range(wanted),
            _filter(wanted),
            page_size=page_size,
        )
    return RewardModel.by_store.query(
        store_code, _purchase_range(wanted), _filter(wanted), page_size=page_size
    )


def lists_cashback(wanted: BoughtQuery) -> bool:
    """Whether cashback redemptions can match: they are never used and have no validity
    dates nor delivery status, so a filter on any of these leaves them out."""
    dated = (
        wanted.usageDateFrom,
        wanted.usageDateTo,
        wanted.activeSinceFrom,
        wanted.activeSinceTo,
        wanted.activeToFrom,
        wanted.activeToTo,
        wanted.deliveryStatus,
    )
    return wanted.used is not True and all(value is None for value in dated)


def _as_bought(payout: CashbackPayoutModel) -> RewardModel:
    """A cashback redemption as a bought row (never saved): campaign type `cashback`, no
    coupon code, as Open Loyalty lists it; a failed payout gave the points back: cancelled."""
    return RewardModel(
        payout.store_code,
        payout.payout_id,
        campaign_id=payout.campaign_id,
        customer_id=payout.customer_id,
        source=BOUGHT,
        status=CANCELLED if payout.status == FAILED else ACTIVE,
        cost_in_points=0,
        used=False,
        created_at=payout.created_at,
    )


def _cashback(
    store_code: str,
    wanted: BoughtQuery,
    page_size: int | None = None,
    customer_id: str | None = None,
) -> Iterator[RewardModel]:
    """The store's (or one customer's) cashback redemptions that match, oldest first, from
    the payouts' store (or customer) index (one Query per page)."""
    if not lists_cashback(wanted):
        return iter(())
    start, end = wanted.purchasedAtFrom, wanted.purchasedAtTo
    created = CashbackPayoutModel.created_at
    condition = (
        created.between(start, end)
        if start is not None and end is not None
        else created >= start
        if start is not None
        else created <= end
        if end is not None
        else None
    )
    if customer_id is not None:
        payouts = CashbackPayoutModel.by_customer.query(
            customer_id,
            condition,
            CashbackPayoutModel.store_code == store_code,
            page_size=page_size,
        )
    else:
        payouts = CashbackPayoutModel.by_store.query(store_code, condition, page_size=page_size)
    return (_as_bought(payout) for payout in payouts)


def all_bought(
    store_code: str,
    wanted: BoughtQuery,
    page_size: int | None = None,
    customer_id: str | None = None,
) -> Iterator[RewardModel]:
    """Bought rewards and cashback redemptions that match, merged in purchase order."""
    return heapq.merge(
        _bought(store_code, wanted, page_size, customer_id),
        _cashback(store_code, wanted, page_size, customer_id),
        key=lambda r: (r.created_at, r.reward_id),
    )
