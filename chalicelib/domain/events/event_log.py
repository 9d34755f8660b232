"""The event log: each change a business reacts to, recorded in the transaction that makes it.

`record` adds an event to the caller's `TransactWrite` (an outbox): the change and its event
commit together or not at all, so a reader of `GET /events` misses nothing and sees nothing
that did not happen. An event has a stable id that sorts by time, a dotted type (object first:
`points.spent`), its time, its store and its object as the API shows it (`data`).
The recorders below (`posting_recorded`, ...) are the one line a feature adds to its write.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from pydantic import AwareDatetime, field_validator
from pynamodb.exceptions import DoesNotExist
from pynamodb.transactions import TransactWrite

from chalicelib.domain.errors import MalformedRequestError, NotFoundError, RewardsError
from chalicelib.domain.events.publishing import publish_after_commit, published
from chalicelib.domain.paging import decode_cursor, encode_cursor
from chalicelib.domain.validation import InputModel, number_type, validate
from chalicelib.storage.events import EventModel, dispatch_shard, type_key
from chalicelib.storage.paging import key_values, start_key
from chalicelib.storage.transactions import Transaction

if TYPE_CHECKING:
    from chalicelib.storage.claims import ClaimModel
    from chalicelib.storage.ledger import LedgerEntryModel
    from chalicelib.storage.rewards import RewardModel

RETENTION = timedelta(days=31)  # at least the 30 days promised, whenever the TTL sweeps
MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 50

POINTS_EARNED = "points.earned"
POINTS_SPENT = "points.spent"
POINTS_ADJUSTED = "points.adjusted"
POINTS_EXPIRED = "points.expired"
CLAIM_CREATED = "claim.created"
CLAIM_CLAIMED = "claim.claimed"
CLAIM_EXPIRED = "claim.expired"
REWARD_CREATED = "reward.created"
CAMPAIGN_BOUGHT = "campaign.bought"
REWARD_SENT = "reward.sent"
REWARD_FAILED = "reward.failed"
COUPON_USED = "coupon.used"
DELIVERY_STATUS_CHANGED = "delivery_status.changed"
WEBHOOK_DISABLED = "webhook.disabled"
# After a reward's email was sent: what SES reports of it (its notifications).
REWARD_DELIVERED = "reward.delivered"
REWARD_BOUNCED = "reward.bounced"
REWARD_COMPLAINED = "reward.complained"
REWARD_OPENED = "reward.opened"
REWARD_REDEEMED = "reward.redeemed"  # the recipient opened the reward's link: the code shown
REWARD_RESENT = "reward.resent"
CASHBACK_PAID = "cashback.paid"
COUPON_EXPIRED = "coupon.expired"
JOB_FINISHED = "job.finished"

# Every type the service records today; a webhook may subscribe to these only.
EVENT_TYPES = frozenset(
    {
        POINTS_EARNED,
        POINTS_SPENT,
        POINTS_ADJUSTED,
        POINTS_EXPIRED,
        CLAIM_CREATED,
        CLAIM_CLAIMED,
        CLAIM_EXPIRED,
        REWARD_CREATED,
        CAMPAIGN_BOUGHT,
        REWARD_SENT,
        REWARD_FAILED,
        COUPON_USED,
        DELIVERY_STATUS_CHANGED,
        WEBHOOK_DISABLED,
        REWARD_DELIVERED,
        REWARD_BOUNCED,
        REWARD_COMPLAINED,
        REWARD_OPENED,
        REWARD_REDEEMED,
        REWARD_RESENT,
        CASHBACK_PAID,
        COUPON_EXPIRED,
        JOB_FINISHED,
    }
)

# Ledger entry kind -> event type: a claim's credit is points earned, a purchase points spent.
POSTING_TYPES = {
    "earn": POINTS_EARNED,
    "claim": POINTS_EARNED,
    "spend": POINTS_SPENT,
    "buy": POINTS_SPENT,
    "adjust": POINTS_ADJUSTED,
    "refund": POINTS_ADJUSTED,
    "expire": POINTS_EXPIRED,
}


class UnknownEventTypeError(RewardsError):
    code = "unknown_event_type"
    default_message = "Unknown event type."


class EventNotFoundError(NotFoundError):
    code = "event_not_found"
    default_message = "No such event."


@dataclass(frozen=True)
class Event:
    id: str
    type: str
    created_at: datetime
    store_code: str
    data: dict[str, Any]

    def body(self) -> dict[str, Any]:
        """The event as `GET /events` shows it and a webhook receives it."""
        return {
            "id": self.id,
            "type": self.type,
            "createdAt": iso(self.created_at),
            "data": self.data,
        }

    @classmethod
    def of(cls, item: EventModel) -> Event:
        return cls(
            item.event_id, item.event_type, item.created_at, item.store_code, json.loads(item.data)
        )


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _id_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%S%fZ")


EVENT_ID = re.compile(r"evt_\d{8}T\d{12}Z_[0-9a-f]{12}")


def ids_from(moment: datetime) -> str:
    """The lowest id an event of `moment` may have: ids sort by time."""
    return f"evt_{_id_time(moment)}"


def new_event_id(now: datetime) -> str:
    return f"evt_{_id_time(now)}_{secrets.token_hex(6)}"


def check_type(event_type: str) -> str:
    if event_type not in EVENT_TYPES:
        known = ", ".join(sorted(EVENT_TYPES))
        raise UnknownEventTypeError(f"Unknown event type {event_type!r}; known: {known}.")
    return event_type


def record(
    transaction: Transaction,
    store_code: str,
    event_type: str,
    data: dict[str, Any],
    now: datetime | None = None,
) -> Event:
    """Add the event to `transaction`; it exists once, and only if, the transaction commits.
    Once it has, its webhook deliveries are queued at once (`publishing`)."""
    event = new_event(store_code, event_type, data, now)
    transaction.save(_item(event), condition=EventModel.event_id.does_not_exist())
    publish_after_commit(transaction, event)
    return event


def new_event(
    store_code: str, event_type: str, data: dict[str, Any], now: datetime | None = None
) -> Event:
    now = now or datetime.now(UTC)
    return Event(new_event_id(now), check_type(event_type), now, store_code, data)


def _item(event: Event) -> EventModel:
    return EventModel(
        event.store_code,
        event.id,
        store_type=type_key(event.store_code, event.type),
        event_type=event.type,
        created_at=event.created_at,
        data=json.dumps(event.data, separators=(",", ":")),
        expires_at=int((event.created_at + RETENTION).timestamp()),
        dispatch_shard=dispatch_shard(event.id),
    )


# -- the recorders features call -----------------------------------------------------------
def posting_recorded(transaction: TransactWrite, entry: LedgerEntryModel) -> Event:
    """The event of a ledger entry (points earned, spent, adjusted, expired)."""
    data = {
        "id": entry.entry_id,
        "customerId": entry.customer_id,
        "kind": entry.kind,
        "amount": int(entry.amount),
        "reference": entry.reference,
        "reason": entry.reason,
        "actor": entry.actor,
        "createdAt": iso(entry.created_at),
    }
    return record(transaction, entry.store_code, POSTING_TYPES[entry.kind], data, entry.created_at)


def claim_data(claim: ClaimModel, claimed_by: str | None = None) -> dict[str, Any]:
    """A claim as an event shows it: never its token (a bearer secret) nor a bound email."""
    return {
        "id": claim.claim_id,
        "amount": int(claim.amount),
        "status": "claimed" if claimed_by else claim.status,
        "createdAt": iso(claim.created_at),
        "expiresAt": iso(claim.expires_at) if claim.expires_at else None,
        "claimedBy": claimed_by or claim.claimed_by,
    }


def claim_created(transaction: TransactWrite, claim: ClaimModel) -> Event:
    return record(transaction, claim.store_code, CLAIM_CREATED, claim_data(claim), claim.created_at)


def claims_created_unkeyed(claims: list[ClaimModel]) -> None:
    """The events of claims an unkeyed bulk call wrote with BatchWriteItem, written the same
    way right after them: such a call has no transaction to share (a crash between the two
    loses these events; a keyed call records them with its claims)."""
    events = [new_event(claim.store_code, CLAIM_CREATED, claim_data(claim)) for claim in claims]
    with EventModel.batch_write() as batch:
        for event in events:
            batch.save(_item(event))
    published(events)


def claim_claimed(
    transaction: TransactWrite, claim: ClaimModel, customer_id: str, now: datetime
) -> Event:
    """With the update that claims `claim` (read before it) for the customer."""
    return record(transaction, claim.store_code, CLAIM_CLAIMED, claim_data(claim, customer_id), now)


def claim_expired(transaction: TransactWrite, claim: ClaimModel, now: datetime) -> Event:
    """With the update that expires `claim` (read before it) at `now`."""
    data = {**claim_data(claim), "status": "expired", "expiredAt": iso(now)}
    return record(transaction, claim.store_code, CLAIM_EXPIRED, data, now)


def reward_data(reward: RewardModel) -> dict[str, Any]:
    """A reward as an event shows it: never its link token nor its coupon code."""
    return {
        "id": reward.reward_id,
        "campaignId": reward.campaign_id,
        "customerId": reward.customer_id,
        "source": reward.source,
        "costInPoints": int(reward.cost_in_points or 0),
        "activeSince": iso(reward.active_since) if reward.active_since else None,
        "activeTo": iso(reward.active_to) if reward.active_to else None,
        "createdAt": iso(reward.created_at),
    }


def email_outcome(
    transaction: TransactWrite, reward: RewardModel, sent: bool, reason: str | None, now: datetime
) -> Event:
    """With the update that records how the reward's email ended: `reward.sent` (SES accepted
    it) or `reward.failed` (given up for good, with the reason)."""
    data = {**reward_data(reward), "emailStatus": "sent" if sent else "failed", "reason": reason}
    event_type = REWARD_SENT if sent else REWARD_FAILED
    return record(transaction, reward.store_code, event_type, data, now)


def grant_recorded(transaction: TransactWrite, bought: bool, rewards: list[RewardModel]) -> Event:
    """One event per grant of an acquire call, whatever its quantity, so a purchase of many
    units still fits one transaction: `campaign.bought` or `reward.created`."""
    first = rewards[0]
    data = {
        "campaignId": first.campaign_id,
        "customerId": first.customer_id,
        "rewards": [reward_data(reward) for reward in rewards],
    }
    event_type = CAMPAIGN_BOUGHT if bought else REWARD_CREATED
    return record(transaction, first.store_code, event_type, data, first.created_at)


def used_coupon(coupon_id: str, campaign_id: str, customer_id: str) -> dict[str, str]:
    """A coupon as `coupon.used` lists it: never its code."""
    return {"id": coupon_id, "campaignId": campaign_id, "customerId": customer_id}


def coupons_used(
    transaction: TransactWrite, store_code: str, coupons: list[dict[str, str]], now: datetime
) -> Event:
    """One event per call that marks coupons used, listing them (`used_coupon`), so a bulk
    call still fits one transaction: its coupons and this one event."""
    data = {"usageDate": iso(now), "coupons": coupons}
    return record(transaction, store_code, COUPON_USED, data, now)


def delivery_status_changed(
    transaction: Transaction,
    store_code: str,
    coupon_id: str,
    customer_id: str,
    status: str,
    now: datetime | None = None,
) -> Event:
    """With the update that sets a bought coupon's shipping status."""
    data = {"id": coupon_id, "customerId": customer_id, "deliveryStatus": status}
    return record(transaction, store_code, DELIVERY_STATUS_CHANGED, data, now)


def job_finished(transaction: TransactWrite, store_code: str, job: dict[str, Any]) -> Event:
    """With the update that ends a bulk job (done, failed or cancelled): the job as
    `GET /jobs/{id}` shows it then."""
    return record(transaction, store_code, JOB_FINISHED, job)


# -- reading -------------------------------------------------------------------------------
class PageQuery(InputModel):
    """A page of a listing of this context (events, webhook endpoints): `limit` items from
    `cursor` on."""

    cursor: str | None = None
    limit: number_type(int) = DEFAULT_PAGE_SIZE  # type: ignore[valid-type]

    @field_validator("limit")
    @classmethod
    def _page_size(cls, value: int) -> int:
        if not 1 <= value <= MAX_PAGE_SIZE:
            raise ValueError(f"The limit must be between 1 and {MAX_PAGE_SIZE}.")
        return value


class EventsQuery(PageQuery):
    type: str | None = None
    since: AwareDatetime | None = None


@dataclass(frozen=True)
class EventPage:
    events: list[Event]
    next_cursor: str | None


def list_events(store_code: str, query: EventsQuery | dict[str, Any]) -> EventPage:
    """The store's events, newest first, one Query a page (on the type index with `type`)."""
    params = query if isinstance(query, EventsQuery) else validate(EventsQuery, query)
    condition = None
    if params.since is not None:
        condition = EventModel.event_id >= ids_from(params.since)
    start: dict[str, Any] | None = None
    if params.cursor:
        after = decode_cursor(params.cursor)
        if not EVENT_ID.fullmatch(after):
            raise MalformedRequestError("The cursor is not valid.", code="invalid_cursor")
        start = {"store_code": store_code, "event_id": after}
    if params.type is not None:
        partition = type_key(store_code, check_type(params.type))
        if start is not None:
            start["store_type"] = partition
        results = EventModel.by_type.query(
            partition,
            condition,
            scan_index_forward=False,
            limit=params.limit,
            page_size=params.limit,
            last_evaluated_key=start_key(EventModel, **start) if start else None,
        )
    else:
        results = EventModel.query(
            store_code,
            condition,
            scan_index_forward=False,
            limit=params.limit,
            page_size=params.limit,
            last_evaluated_key=start_key(EventModel, **start) if start else None,
        )
    events = [Event.of(item) for item in results]
    last = key_values(EventModel, results.last_evaluated_key)
    next_cursor = encode_cursor(last["event_id"]) if last and events else None
    return EventPage(events, next_cursor)


def get_event(store_code: str, event_id: str) -> Event:
    if not EVENT_ID.fullmatch(event_id):  # nothing DynamoDB would refuse as a key
        raise EventNotFoundError()
    try:
        return Event.of(EventModel.get(store_code, event_id))
    except DoesNotExist as error:
        raise EventNotFoundError() from error
