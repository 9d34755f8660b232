"""Bought rewards (Open Loyalty): the admin's list and CSV export, using a coupon, its delivery
status, and the scheduled expiry of bought coupons.

Reading: a store's rewards are read from the store-created index, with the purchase-date range
(`purchasedAtFrom/To`) as the key condition and every other filter (bought only, `used`, usage,
validity and delivery filters) as DynamoDB filter expressions, one Query per result page, never
a Scan. The list needs its `total`, so it reads every match, keeping only what the asked page
needs (a bounded heap); campaigns and customers of a page come with one BatchGetItem each. The
CSV export streams the same Query page by page, each page written with one BatchGetItem of its
customers (campaign names are kept for the whole export).

Dates are shown in UTC (`2019-03-14T10:29:05+0000`, in the CSV `2019-03-14 10:29:05`). Date
filters take `YYYY-MM-DD`, `YYYY-MM-DD HH:mm` or ISO 8601 (UTC unless a zone is given); a
`...To` bound given as a bare date includes that whole day.

A coupon is valid from `active_since` until `active_to` (excluded; none: forever). It can be
used (`canBeUsed`) while it is active, unused and valid now. Marking it used (admin for a
customer, or the customer themself) is one conditional UpdateItem: the coupon is the customer's,
of that campaign and store, bought, active, unused and valid now; when the condition fails, one
read says why (404, or 409 with a stable code). Marking it unused needs only that it is theirs.

Expiry job: a bought coupon with an end of validity carries `pending_active_to`, which puts it
in the sparse bought-expiry index under its status. The job queries the `active` partition up to
now, page by page, and expires each coupon with a conditional update (still active, `active_to`
passed) that also removes the attribute. A coupon cancelled meanwhile has left the partition; a
second run finds nothing. Between `active_to` and the job's next run the coupon already shows
`expired` and cannot be used.
"""

from __future__ import annotations

import csv
import heapq
import itertools
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator
from pydantic import ValidationError as PydanticValidationError
from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.pagination import ResultIterator
from pynamodb.transactions import TransactWrite

from chalicelib.domain.catalog import campaigns
from chalicelib.domain.catalog.campaign_form import (
    FORM_CONFIG,
    Blankable,
    Flag,
    Moment,
    form_errors,
    parse_moment,
)
from chalicelib.domain.catalog.entries import DEFAULT_PER_PAGE, MAX_PER_PAGE, time_of
from chalicelib.domain.errors import ConflictError, InvalidInputError, NotFoundError, RewardsError
from chalicelib.domain.events import event_log, lifecycle_events
from chalicelib.domain.paging import page_span
from chalicelib.domain.points.claims import ExpiryRun
from chalicelib.domain.validation import InputModel, number_type
from chalicelib.storage.base import connection, failed_items
from chalicelib.storage.campaigns import CampaignModel
from chalicelib.storage.cashback import FAILED, CashbackPayoutModel
from chalicelib.storage.customers import CustomerModel
from chalicelib.storage.rewards import (
    ACTIVE,
    BOUGHT,
    CANCELLED,
    EXPIRED,
    RewardModel,
    customer_key,
)

DELIVERY_STATUSES = ("ordered", "canceled", "shipped", "delivered")
MAX_ID_LENGTH = 128  # longer cannot be a DynamoDB key, so it is simply not found
EXPORT_PAGE_SIZE = 1000  # rewards per Query page and per CSV chunk
EXPIRY_PAGE_SIZE = 100
# Open Loyalty sends the export as an attachment whose name starts with a configured prefix
# (its own test checks `attachment; filename="<prefix>`) and is made unique per export.
CSV_FILENAME_PREFIX = "campaigns_bought_"
CSV_HEADER = (
    "0.Name",
    "1.Date",
    "2.Cost",
    "3.Tax value",
    "4.email",
    "5.phone",
    "6.Firstname",
    "7.Surname",
    "8.Points balance",
    "9.Is used",
)
CSV_DATE_FORMAT = "%Y-%m-%d %H:%M:%S"
DATE_ONLY = re.compile(r"^\s*\d{4}-\d{2}-\d{2}\s*$")


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


# -- rules -----------------------------------------------------------------------------------
def _now() -> datetime:
    return datetime.now(UTC)


def is_expired(reward: RewardModel, now: datetime) -> bool:
    """Expired by the job, or past `active_to` already (the job may not have run yet)."""
    if reward.status == EXPIRED:
        return True
    return reward.status == ACTIVE and reward.active_to is not None and reward.active_to <= now


def effective_status(reward: RewardModel, now: datetime) -> str:
    return EXPIRED if is_expired(reward, now) else reward.status


def can_be_used(reward: RewardModel, now: datetime) -> bool:
    return (
        effective_status(reward, now) == ACTIVE
        and not reward.used
        and (reward.active_since is None or reward.active_since <= now)
    )


# -- the query ---------------------------------------------------------------------------------
def _end_of(value: Any) -> Any:
    """An upper bound: a bare date means through the end of that day."""
    moment = parse_moment(value)
    if isinstance(value, str) and DATE_ONLY.match(value):
        return moment + timedelta(days=1) - timedelta(microseconds=1)
    return moment


Until = Annotated[datetime | None, BeforeValidator(_end_of)]


def _upper(value: Any) -> Any:
    return value.strip().upper() or None if isinstance(value, str) else value


def _blank_key(value: Any) -> tuple[bool, Any]:
    """Blanks sort after values (ASC), as in the campaign lists."""
    return value is None, value


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


class BoughtQuery(InputModel):
    """The list's query string; the export takes the same filters."""

    model_config = FORM_CONFIG

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


RANGES = (
    ("purchasedAtFrom", "purchasedAtTo"),
    ("usageDateFrom", "usageDateTo"),
    ("activeSinceFrom", "activeSinceTo"),
    ("activeToFrom", "activeToTo"),
)


def read_query(query: dict[str, Any]) -> BoughtQuery:
    try:
        wanted = BoughtQuery.model_validate(query)
    except PydanticValidationError as error:
        raise InvalidInputError(form_errors(error)) from error
    inverted = {
        high: [f"This value should not be earlier than {low}."]
        for low, high in RANGES
        if getattr(wanted, low)
        and getattr(wanted, high)
        and getattr(wanted, low) > getattr(wanted, high)
    }
    if inverted:
        raise InvalidInputError(inverted)
    return wanted


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


def _lists_cashback(wanted: BoughtQuery) -> bool:
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
    if not _lists_cashback(wanted):
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


def _all_bought(
    store_code: str,
    wanted: BoughtQuery,
    page_size: int | None = None,
    customer_id: str | None = None,
) -> Iterator[RewardModel]:
    """Bought rewards and cashback redemptions, merged in purchase order."""
    return heapq.merge(
        _bought(store_code, wanted, page_size, customer_id),
        _cashback(store_code, wanted, page_size, customer_id),
        key=lambda r: (r.created_at, r.reward_id),
    )


# -- what a page needs from elsewhere ----------------------------------------------------------
def _campaigns(store_code: str, ids: Iterable[str]) -> dict[str, CampaignModel]:
    keys = [(store_code, campaign_id) for campaign_id in set(ids)]
    return {c.campaign_id: c for c in CampaignModel.batch_get(keys)} if keys else {}


def _customers(store_code: str, ids: Iterable[str]) -> dict[str, CustomerModel]:
    keys = [(store_code, customer_id) for customer_id in set(ids)]
    return {c.customer_id: c for c in CustomerModel.batch_get(keys)} if keys else {}


@dataclass(frozen=True)
class Buyer:
    """Who bought: the customer as they are now, or the reward's snapshot if they are gone."""

    email: str
    firstname: str
    surname: str
    phone: str
    points: int

    @classmethod
    def of(cls, reward: RewardModel, customer: CustomerModel | None) -> Buyer:
        if customer is None:
            return cls(reward.email or "", reward.firstname or "", reward.surname or "", "", 0)
        return cls(
            customer.email or "",
            customer.firstname or "",
            customer.surname or "",
            customer.telephone or "",
            int(customer.points_available or 0),
        )


# -- the list ------------------------------------------------------------------------------------
def bought_body(
    reward: RewardModel, campaign: CampaignModel | None, buyer: Buyer, now: datetime
) -> dict[str, Any]:
    """One bought reward in the document's shape."""
    body: dict[str, Any] = {
        "canBeUsed": can_be_used(reward, now),
        "rewardCampaignId": reward.campaign_id,
        "campaignId": reward.campaign_id,
        "customerId": reward.customer_id,
        "purchasedAt": time_of(reward.created_at),
        "coupon": {"code": reward.coupon_code or "", "id": reward.reward_id},
        "campaignType": campaign.reward if campaign else None,
        "campaignName": campaigns.name(campaign) if campaign else "",
        "customerEmail": buyer.email,
        "customerName": buyer.firstname,
        "customerLastname": buyer.surname,
        "campaignShippingAddress": {},
        "costInPoints": int(reward.cost_in_points or 0),
        "currentPointsAmount": buyer.points,
        "used": bool(reward.used),
    }
    if reward.usage_date is not None:
        body["usageDate"] = time_of(reward.usage_date)
    body["status"] = effective_status(reward, now)
    if reward.transaction_id:
        body["transactionId"] = {"transactionId": reward.transaction_id}
    body["returnedAmount"] = 0
    body["deliveryStatus"] = {"status": reward.delivery_status or ""}
    for name, moment in (("activeSince", reward.active_since), ("activeTo", reward.active_to)):
        if moment is not None:
            body[name] = time_of(moment)
    return body


def _order_key(sort: str | None) -> Callable[[RewardModel], Any]:
    value = SORT_KEYS[sort or "purchasedAt"]
    return lambda r: (_blank_key(value(r)), r.created_at, r.reward_id)


@dataclass(frozen=True)
class BoughtPage:
    """One page of bought rows (the document's shape), the campaign of each, and the total."""

    rows: list[dict[str, Any]]
    campaigns: list[CampaignModel | None]
    total: int


def bought_page(
    store_code: str, query: dict[str, Any], customer_id: str | None = None
) -> BoughtPage:
    """A page of the store's (or one customer's) bought rewards and how many match."""
    wanted = read_query(query)
    start, end = page_span(wanted.page, wanted.perPage or DEFAULT_PER_PAGE)
    total = 0

    def counted() -> Iterator[RewardModel]:
        nonlocal total
        for reward in _all_bought(store_code, wanted, customer_id=customer_id):
            total += 1
            yield reward

    # Only the rows up to the end of the asked page are kept, however many match.
    pick = heapq.nlargest if wanted.direction == "DESC" else heapq.nsmallest
    shown = pick(end, counted(), key=_order_key(wanted.sort))[start:]
    now = _now()
    found = _campaigns(store_code, (r.campaign_id for r in shown))
    buyers = _customers(store_code, (r.customer_id for r in shown))
    rows = [
        bought_body(r, found.get(r.campaign_id), Buyer.of(r, buyers.get(r.customer_id)), now)
        for r in shown
    ]
    return BoughtPage(rows, [found.get(r.campaign_id) for r in shown], total)


def list_bought(store_code: str, query: dict[str, Any]) -> dict[str, Any]:
    """`GET /campaign/bought`: a page of the store's bought rewards and how many match."""
    page = bought_page(store_code, query)
    return {"boughtCampaigns": page.rows, "total": page.total}


# -- the CSV export ------------------------------------------------------------------------------
class _CsvText:
    """CSV rows as text, quoted as the document's export is (PHP's `fputcsv`): besides the
    delimiter, quotes and line breaks, a value with a space or a tab is quoted too.

    The csv module quotes a value holding any character of the line terminator, so the writer
    ends its lines with those two characters first; they are cut off each line it writes.
    """

    QUOTED_TOO = " \t"
    LINE_END = "\r\n"

    def __init__(self) -> None:
        self._lines: list[str] = []
        self._writer = csv.writer(self, lineterminator=self.QUOTED_TOO + self.LINE_END)

    def write(self, line: str) -> None:  # called by the csv writer, once per row
        self._lines.append(line.removesuffix(self.QUOTED_TOO + self.LINE_END) + self.LINE_END)

    def rows(self, rows: Iterable[Iterable[Any]]) -> str:
        self._writer.writerows(rows)
        text = "".join(self._lines)
        self._lines.clear()
        return text


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
NUMBER_LIKE = re.compile(r"^[+-]?[\d\s().-]+$")  # a phone number such as +44 20 7946 0000


def _text_cell(value: str | None) -> str | None:
    """A name or address as a cell a spreadsheet shows as text: one that would start a formula
    (`=HYPERLINK(...)` in a customer's name) is prefixed with a quote, as OWASP advises."""
    if value and value.startswith(FORMULA_STARTS) and not NUMBER_LIKE.match(value):
        return f"'{value}"
    return value


def _csv_row(reward: RewardModel, name: str, buyer: Buyer) -> tuple[Any, ...]:
    return (
        _text_cell(name),
        reward.created_at.astimezone(UTC).strftime(CSV_DATE_FORMAT),
        int(reward.cost_in_points or 0),
        "",  # tax value: campaigns carry none
        _text_cell(buyer.email),
        _text_cell(buyer.phone),
        _text_cell(buyer.firstname),
        _text_cell(buyer.surname),
        buyer.points,
        1 if reward.used else "",
    )


def _chunks(items: Iterator[RewardModel], size: int) -> Iterator[list[RewardModel]]:
    while chunk := list(itertools.islice(items, size)):
        yield chunk


def csv_filename() -> str:
    """The export's attachment name: the prefix and the UTC time of the export."""
    return f"{CSV_FILENAME_PREFIX}{_now().strftime('%Y%m%d_%H%M%S')}.csv"


def export_csv(store_code: str, query: dict[str, Any]) -> Iterator[str]:
    """`GET /campaign/bought/export/csv`: the header, then one text chunk per Query page, in
    purchase order; the list's filters apply (the document names `purchasedAtFrom/To`)."""
    wanted = read_query(query)
    text = _CsvText()
    yield text.rows([CSV_HEADER])
    names: dict[str, str] = {}  # campaign id → name, over the whole export
    for chunk in _chunks(_all_bought(store_code, wanted, EXPORT_PAGE_SIZE), EXPORT_PAGE_SIZE):
        new = {r.campaign_id for r in chunk} - names.keys()
        found = _campaigns(store_code, new)
        names.update({i: campaigns.name(found[i]) if i in found else "" for i in new})
        buyers = _customers(store_code, (r.customer_id for r in chunk))
        yield text.rows(
            _csv_row(r, names[r.campaign_id], Buyer.of(r, buyers.get(r.customer_id))) for r in chunk
        )


# -- one coupon ----------------------------------------------------------------------------------
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
        except UpdateError as error:
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise
            raise BoughtCouponNotFoundError() from error
        return
    transaction = TransactWrite(connection=connection())
    try:
        with transaction:
            transaction.update(item, actions=actions, condition=condition, return_values="ALL_OLD")
            if event is not None:
                event(transaction)
    except TransactWriteError as error:
        refused = [
            f
            for f in failed_items(transaction, error)
            if f.model is RewardModel and f.code == "ConditionalCheckFailed"
        ]
        if not refused:
            raise
        if refusal is None:
            raise BoughtCouponNotFoundError() from error
        found = refused[0].old_item
        raise refusal(RewardModel.from_raw_data(found) if found else None) from error


class UsageForm(InputModel):
    model_config = FORM_CONFIG

    used: bool


class DeliveryStatusForm(InputModel):
    model_config = FORM_CONFIG

    status: Literal[DELIVERY_STATUSES]


def _form(model: type[BaseModel], data: Any) -> Any:
    if data is not None and not isinstance(data, dict):
        raise InvalidInputError({"form": ["The request body must be an object."]})
    try:
        return model.model_validate(data or {})
    except PydanticValidationError as error:
        raise InvalidInputError(form_errors(error)) from error


@dataclass(frozen=True)
class Usage:
    used: bool
    usage_date: datetime | None


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
    body: Any,
    now: datetime | None = None,
) -> Usage:
    """Mark a customer's bought coupon used (`used=1`) or not (`used=0`)."""
    used = _form(UsageForm, body).used
    now = now or _now()
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


def delivery_status_of(body: Any) -> str:
    """`deliveryStatus[status]` (form or JSON), or a bare `status`."""
    data = body.get("deliveryStatus", body) if isinstance(body, dict) else body
    if not isinstance(data, dict):
        raise InvalidInputError({"form": ["Send the status as deliveryStatus[status]."]})
    return _form(DeliveryStatusForm, data).status


def change_delivery_status(store_code: str, customer_id: str, coupon_id: str, body: Any) -> str:
    """Set the shipping status of a customer's bought coupon."""
    status = delivery_status_of(body)

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


# -- expiry --------------------------------------------------------------------------------------
def expire_coupon(reward: RewardModel, now: datetime) -> bool:
    """Expire one due active coupon and take it out of the index, with its `coupon.expired`
    event in one transaction; False if it was not."""
    transaction = TransactWrite(connection=connection())
    try:
        with transaction:
            transaction.update(
                reward,
                actions=[
                    RewardModel.status.set(EXPIRED),
                    RewardModel.expired_at.set(now),
                    RewardModel.pending_active_to.remove(),
                ],
                condition=(RewardModel.status == ACTIVE) & (RewardModel.active_to <= now),
            )
            lifecycle_events.coupon_expired(transaction, reward, now)
    except TransactWriteError as error:
        failures = failed_items(transaction, error)
        if any(f.model is RewardModel and f.code == "ConditionalCheckFailed" for f in failures):
            return False
        raise
    return True


def expire_due_coupons(now: datetime | None = None) -> ExpiryRun:
    """Expire every active bought coupon past `active_to`: the sparse index, 100 per page."""
    now = now or _now()
    expired = skipped = 0
    due = RewardModel.by_pending_expiry.query(
        ACTIVE, RewardModel.pending_active_to <= now, page_size=EXPIRY_PAGE_SIZE
    )
    for reward in due:
        if expire_coupon(reward, now):
            expired += 1
        else:
            skipped += 1
    return ExpiryRun(expired, skipped)
