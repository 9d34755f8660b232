"""Levels, segments and campaign categories: what campaign targeting and filters refer to.

- Lookups for the catalog: names by id (`levelNames`, `segmentNames`, category names) and which
  ids exist, each a BatchGetItem of at most 100 keys per call; unknown ids are left out.
- Admin CRUD of the three sets, each a store's partition, so a listing is one Query and an id
  of another store is simply not found.
- A customer's level: `level_id` on the customer plus `level_key` for the level index, set in
  one transaction with a check that the level exists.
- Segment membership: one `segment-members` item per (segment, customer), mirrored in the
  customer's `segment_ids` and counted in the segment's `customers_count`, all three moved in
  one transaction under conditions, so they never drift apart and re-adding a member is a no-op.
- Who a campaign is visible to: customers of its levels (Query on the level index) or members
  of its segments (Query on the members' partitions), deduplicated; never a Scan.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from itertools import islice
from typing import Annotated, Any

from pydantic import AfterValidator, ConfigDict, Field, StringConstraints
from pynamodb.exceptions import DoesNotExist
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.domain.catalog import audiences
from chalicelib.domain.customers.records import CustomerNotFoundError, customers_count, get_customer
from chalicelib.domain.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    TooManyItemsError,
)
from chalicelib.domain.paging import page_of, page_span
from chalicelib.domain.validation import InputModel, SingleLine, number_type, validate
from chalicelib.storage.campaigns import CampaignModel
from chalicelib.storage.customers import CustomerModel, level_key
from chalicelib.storage.errors import ConditionFailedError, TransactionCancelledError
from chalicelib.storage.idempotency import NO_PROGRESS, BulkProgress
from chalicelib.storage.targeting import (
    AudienceModel,
    CategoryModel,
    LevelModel,
    SegmentMemberModel,
    SegmentModel,
    segment_key,
)
from chalicelib.storage.transactions import Transaction

MAX_ID_LENGTH = 128  # ids we hand out are UUIDs; longer is not one of ours
MAX_MEMBERS_PER_REQUEST = 1000
MAX_CONDITION_VALUE = Decimal(10) ** 13
MAX_TRANSACTION_ITEMS = 100  # DynamoDB's TransactWriteItems limit
# Two items per member dropped (membership, customer's mirror), within DynamoDB's 100.
DROPS_PER_TRANSACTION = 50
ATTEMPTS = 3  # re-reads after a concurrent change before giving up with a 409


class LevelNotFoundError(NotFoundError):
    code = "level_not_found"
    default_message = "Level not found."


class SegmentNotFoundError(NotFoundError):
    code = "segment_not_found"
    default_message = "Segment not found."


class CategoryNotFoundError(NotFoundError):
    code = "category_not_found"
    default_message = "Campaign category not found."


class SegmentMemberNotFoundError(NotFoundError):
    code = "segment_member_not_found"
    default_message = "This customer is not in the segment."


class LevelInUseError(ConflictError):
    code = "level_in_use"
    default_message = "Customers still have this level; move them to another level first."


class TooManyMembersError(TooManyItemsError):
    code = "too_many_members"


@dataclass(frozen=True)
class Kind:
    """One of the three sets: its model, the name of its id attribute, its not-found error."""

    model: type[Model]
    id_attribute: str
    not_found: type[NotFoundError]


LEVELS = Kind(LevelModel, "level_id", LevelNotFoundError)
SEGMENTS = Kind(SegmentModel, "segment_id", SegmentNotFoundError)
CATEGORIES = Kind(CategoryModel, "category_id", CategoryNotFoundError)


def _now() -> datetime:
    return datetime.now(UTC)


def is_id(value: object) -> bool:
    """Whether `value` can be a key at all (DynamoDB refuses empty and over-long keys)."""
    return isinstance(value, str) and 0 < len(value) <= MAX_ID_LENGTH


# --- lookups for the catalog ------------------------------------------------------------------


def _names(kind: Kind, store_code: str, ids: Iterable[str]) -> dict[str, str]:
    keys = {(store_code, value) for value in ids if is_id(value)}
    if not keys:
        return {}
    # PynamoDB sends at most 100 keys per BatchGetItem and retries unprocessed keys.
    items = kind.model.batch_get(keys, attributes_to_get=[kind.id_attribute, "name"])
    return {getattr(item, kind.id_attribute): item.name for item in items}


def level_names(store_code: str, ids: Iterable[str]) -> dict[str, str]:
    """{level id: name} for the ids that are levels of the store."""
    return _names(LEVELS, store_code, ids)


def segment_names(store_code: str, ids: Iterable[str]) -> dict[str, str]:
    return _names(SEGMENTS, store_code, ids)


def category_names(store_code: str, ids: Iterable[str]) -> dict[str, str]:
    return _names(CATEGORIES, store_code, ids)


def existing_level_ids(store_code: str, ids: Iterable[str]) -> set[str]:
    return set(level_names(store_code, ids))


def existing_segment_ids(store_code: str, ids: Iterable[str]) -> set[str]:
    return set(segment_names(store_code, ids))


def existing_category_ids(store_code: str, ids: Iterable[str]) -> set[str]:
    return set(category_names(store_code, ids))


# --- who a campaign is visible to ---------------------------------------------------------------


def level_customers_count(store_code: str, level_id: str) -> int:
    """How many customers hold the level: one COUNT Query on the level index."""
    return CustomerModel.by_level.count(level_key(store_code, level_id))


def member_ids(store_code: str, segment_id: str) -> list[str]:
    """The segment's customer ids in id order: one Query on its partition (paged by DynamoDB)."""
    members = SegmentMemberModel.query(
        segment_key(store_code, segment_id), attributes_to_get=["customer_id"]
    )
    return [member.customer_id for member in members]


def _unique(ids: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(value for value in ids if is_id(value)))


def level_member_ids(store_code: str, level_id: str) -> list[str]:
    """The ids of the customers holding the level: one Query on the level index (paged)."""
    customers = CustomerModel.by_level.query(
        level_key(store_code, level_id), attributes_to_get=["customer_id"]
    )
    return [customer.customer_id for customer in customers]


def _targeted_ids(store_code: str, campaign: CampaignModel) -> set[str]:
    """The customers of the campaign's levels, or the members of its segments, each once."""
    if campaign.target == "level":
        ids, members = campaign.levels, level_member_ids
    else:
        ids, members = campaign.segments, member_ids
    return {customer_id for item in _unique(ids or []) for customer_id in members(store_code, item)}


def visible_customers_count(store_code: str, campaign: CampaignModel) -> int:
    """How many customers the campaign is offered to (the document's visibleForCustomersCount).

    Level target: the levels' kept counts (one BatchGetItem; a customer holds one level, so
    the sum has no repeats). Segment target: the kept count of the segments' audience (one
    GetItem), a customer in two counted once. Either, not counted yet (made before the counts
    were kept): a COUNT Query per level, or the members of each segment. No target: every
    customer of the store, from the store's customer count (one Query).
    """
    if campaign.target == "level":
        level_ids = _unique(campaign.levels or [])
        kept = audiences.levels_count(store_code, level_ids) if level_ids else 0
        if kept is not None:
            return kept
        return sum(level_customers_count(store_code, level_id) for level_id in level_ids)
    if campaign.target == "segment":
        segment_ids = _unique(campaign.segments or [])
        kept = audiences.segments_count(store_code, segment_ids) if segment_ids else 0
        return kept if kept is not None else len(_targeted_ids(store_code, campaign))
    return customers_count(store_code)


def count_audience(store_code: str, target: str | None, segment_ids: Iterable[str]) -> None:
    """A campaign (saved) targets these segments: their audience is counted from now on. Until
    it is (a crash before), the count is read the old way."""
    wanted = _unique(segment_ids)
    if target == "segment" and wanted:
        audiences.ensure_audience(
            store_code, wanted, lambda segment: member_ids(store_code, segment)
        )


def recount(store_code: str) -> tuple[int, int]:
    """Count every level of the store and every audience its campaigns' segment targets need
    (`count-audiences`: for data made before the counts were kept); (levels, audiences)."""
    levels = list_levels(store_code)
    for level in levels:
        audiences.recount_level(
            level, lambda level_id=level.level_id: level_customers_count(store_code, level_id)
        )
    for campaign in CampaignModel.query(store_code):
        count_audience(store_code, campaign.target, campaign.segments or [])
    kept = list(AudienceModel.query(store_code, consistent_read=True))
    for audience in kept:
        audiences.recount_audience(audience, lambda segment: member_ids(store_code, segment))
    return len(levels), len(kept)


@dataclass(frozen=True)
class CustomerPage:
    customers: list[CustomerModel]
    total: int


def customers_by_id(store_code: str, ids: list[str]) -> list[CustomerModel]:
    """The customers with these ids, in this order; ids no longer in the store are skipped."""
    found = {
        customer.customer_id: customer
        for customer in CustomerModel.batch_get([(store_code, value) for value in ids])
    }
    return [found[value] for value in ids if value in found]


def visible_customers(
    store_code: str, campaign: CampaignModel, page: int, per_page: int
) -> CustomerPage:
    """One page of the customers the campaign is offered to, in customer id order.

    Targeted: the ids from the level index or the segments' members (keys only), then one
    BatchGetItem for the page. Untargeted: the store's partition, read up to the page.
    """
    if campaign.target in ("level", "segment"):
        ids = sorted(_targeted_ids(store_code, campaign))
        return CustomerPage(customers_by_id(store_code, page_of(ids, page, per_page)), len(ids))
    start, end = page_span(page, per_page)
    customers = CustomerModel.query(store_code, page_size=min(end, 1000))
    return CustomerPage(list(islice(customers, start, end)), customers_count(store_code))


# --- the three sets: shared CRUD ------------------------------------------------------------


def _get(kind: Kind, store_code: str, item_id: str) -> Any:
    if not is_id(item_id):
        raise kind.not_found()
    try:
        return kind.model.get(store_code, item_id, consistent_read=True)
    except DoesNotExist as error:
        raise kind.not_found() from error


def _all(kind: Kind, store_code: str) -> list[Any]:
    """Every item of the store's set: one Query on its partition (paged by DynamoDB)."""
    return list(kind.model.query(store_code, consistent_read=True))


def _create(kind: Kind, store_code: str, fields: dict[str, Any]) -> Any:
    now = _now()
    values = {name: value for name, value in fields.items() if value is not None}
    item = kind.model(store_code, str(uuid.uuid4()), created_at=now, updated_at=now, **values)
    item.save(condition=getattr(kind.model, kind.id_attribute).does_not_exist())
    return item


def _replace(kind: Kind, store_code: str, item_id: str, fields: dict[str, Any]) -> Any:
    """Set every field (a missing optional one is removed); 404 when the item is not there."""
    if not is_id(item_id):
        raise kind.not_found()
    model = kind.model
    actions = [
        getattr(model, name).set(value) if value is not None else getattr(model, name).remove()
        for name, value in fields.items()
    ]
    item = model(store_code, item_id)
    try:
        item.update(
            actions=[*actions, model.updated_at.set(_now())],
            condition=getattr(model, kind.id_attribute).exists(),
        )
    except ConditionFailedError as error:
        raise kind.not_found() from error
    return item


def _delete(kind: Kind, store_code: str, item_id: str) -> None:
    if not is_id(item_id):
        raise kind.not_found()
    try:
        kind.model(store_code, item_id).delete(
            condition=getattr(kind.model, kind.id_attribute).exists()
        )
    except ConditionFailedError as error:
        raise kind.not_found() from error


def _form(data: Any, name: str) -> Any:
    """The document's forms nest their fields under one name (`level[name]`)."""
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InvalidInputError({"body": ["The request body must be an object."]})
    inner = data.get(name, {})
    if not isinstance(inner, dict):
        raise InvalidInputError({"body": [f"The {name} form must be an object."]})
    return inner


Name = Annotated[str, StringConstraints(min_length=1, max_length=255), SingleLine]
Description = Annotated[str, StringConstraints(max_length=5000)]


class _Form(InputModel):
    model_config = ConfigDict(str_strip_whitespace=True, populate_by_name=True)


# --- levels -----------------------------------------------------------------------------------


def _condition_value(value: Decimal) -> Decimal:
    exponent = value.as_tuple().exponent
    if not value.is_finite() or value < 0 or value >= MAX_CONDITION_VALUE or exponent < -2:
        raise ValueError(
            f"The condition value must be a number from 0 to under {MAX_CONDITION_VALUE:,}, "
            "with at most 2 decimal places."
        )
    return value


ConditionValue = Annotated[number_type(Decimal), AfterValidator(_condition_value)]


class LevelInput(_Form):
    name: Name
    description: Description | None = None
    active: bool = True
    condition_value: Annotated[number_type(Decimal), AfterValidator(_condition_value)] | None = (
        Field(None, alias="conditionValue")
    )


def _level_fields(data: Any) -> dict[str, Any]:
    fields = validate(LevelInput, _form(data, "level")).model_dump()
    fields["description"] = fields["description"] or None
    return fields


def create_level(store_code: str, data: Any) -> LevelModel:
    # A new level is held by no one: counted from the start.
    return _create(LEVELS, store_code, {**_level_fields(data), "counted": True})


def get_level(store_code: str, level_id: str) -> LevelModel:
    return _get(LEVELS, store_code, level_id)


def list_levels(store_code: str) -> list[LevelModel]:
    """The store's levels from the lowest condition up, then by name."""
    return sorted(
        _all(LEVELS, store_code),
        key=lambda level: (level.condition_value or Decimal(0), level.name.lower()),
    )


def update_level(store_code: str, level_id: str, data: Any) -> LevelModel:
    """Full update, as the document's forms are: fields left out take their defaults."""
    return _replace(LEVELS, store_code, level_id, _level_fields(data))


def delete_level(store_code: str, level_id: str) -> None:
    """Refused while any customer holds the level (one Query on the level index, limit 1)."""
    get_level(store_code, level_id)
    if next(iter(CustomerModel.by_level.query(level_key(store_code, level_id), limit=1)), None):
        raise LevelInUseError()
    _delete(LEVELS, store_code, level_id)


# --- categories -------------------------------------------------------------------------------


class CategoryInput(_Form):
    name: Name
    active: bool = True
    sort_order: number_type(int, signed=True) = Field(
        0, alias="sortOrder", ge=-1_000_000, le=1_000_000
    )


def _category_fields(data: Any) -> dict[str, Any]:
    return validate(CategoryInput, _form(data, "campaign_category")).model_dump()


def create_category(store_code: str, data: Any) -> CategoryModel:
    return _create(CATEGORIES, store_code, _category_fields(data))


def get_category(store_code: str, category_id: str) -> CategoryModel:
    return _get(CATEGORIES, store_code, category_id)


def list_categories(store_code: str) -> list[CategoryModel]:
    """The store's categories by sort order, then by name."""
    return sorted(
        _all(CATEGORIES, store_code),
        key=lambda category: (int(category.sort_order or 0), category.name.lower()),
    )


def update_category(store_code: str, category_id: str, data: Any) -> CategoryModel:
    return _replace(CATEGORIES, store_code, category_id, _category_fields(data))


def delete_category(store_code: str, category_id: str) -> None:
    """Campaigns naming the category keep its id; lookups simply no longer find its name."""
    _delete(CATEGORIES, store_code, category_id)


# --- segments ---------------------------------------------------------------------------------


class SegmentInput(_Form):
    name: Name
    description: Description | None = None
    active: bool = True


def _segment_fields(data: Any) -> dict[str, Any]:
    fields = validate(SegmentInput, _form(data, "segment")).model_dump()
    fields["description"] = fields["description"] or None
    return fields


def create_segment(store_code: str, data: Any) -> SegmentModel:
    return _create(SEGMENTS, store_code, _segment_fields(data))


def get_segment(store_code: str, segment_id: str) -> SegmentModel:
    return _get(SEGMENTS, store_code, segment_id)


def list_segments(store_code: str) -> list[SegmentModel]:
    return sorted(_all(SEGMENTS, store_code), key=lambda segment: segment.name.lower())


def update_segment(store_code: str, segment_id: str, data: Any) -> SegmentModel:
    return _replace(SEGMENTS, store_code, segment_id, _segment_fields(data))


def delete_segment(store_code: str, segment_id: str) -> None:
    """Delete the segment, then its memberships and the customers' mirrors of them.

    The segment goes first: from then on no member can be added (adding checks the segment),
    so the memberships read afterwards are all there is to drop.
    """
    _delete(SEGMENTS, store_code, segment_id)
    # Its members leave without their other segments read: its audiences are recounted.
    audiences.stale(store_code, segment_id)
    ids = member_ids(store_code, segment_id)
    for start in range(0, len(ids), DROPS_PER_TRANSACTION):
        _drop_members(store_code, segment_id, ids[start : start + DROPS_PER_TRANSACTION])


def _drop_members(store_code: str, segment_id: str, customer_ids: list[str]) -> None:
    """Delete memberships and take the segment out of each (still existing) customer."""
    gone: set[str] = set()  # customers deleted since: only their membership item is left
    for _ in range(ATTEMPTS):
        transaction = Transaction()
        try:
            with transaction:
                for customer_id in customer_ids:
                    transaction.delete(
                        SegmentMemberModel(segment_key(store_code, segment_id), customer_id)
                    )
                    if customer_id not in gone:
                        transaction.update(
                            CustomerModel(store_code, customer_id),
                            actions=[CustomerModel.segment_ids.delete({segment_id})],
                            condition=CustomerModel.customer_id.exists(),
                        )
            return
        except TransactionCancelledError as error:
            missing = {
                failure.key["customer_id"]
                for failure in error.failures
                if failure.model is CustomerModel
            }
            if not missing:
                raise
            gone |= missing
    raise ConflictError("The segment's members changed meanwhile; retry.")


def _customer_id(value: str) -> str:
    if not is_id(value):
        raise ValueError(f"A customer id is 1 to {MAX_ID_LENGTH} characters.")
    return value


def _some(values: list[str]) -> list[str]:
    if not values:
        raise ValueError("Give at least one customer id.")
    return values


class MembersInput(_Form):
    customers: Annotated[list[Annotated[str, AfterValidator(_customer_id)]], AfterValidator(_some)]


@dataclass(frozen=True)
class MembershipChange:
    segment: SegmentModel
    added: list[str]
    already_members: list[str]


def _member_input(data: Any) -> list[str]:
    customers = data.get("customers") if isinstance(data, dict) else None
    if isinstance(customers, list) and len(customers) > MAX_MEMBERS_PER_REQUEST:
        raise TooManyMembersError(
            {"customers": [f"At most {MAX_MEMBERS_PER_REQUEST} customers per request."]}
        )
    return validate(MembersInput, data if data is not None else {}).customers


def add_members(
    store_code: str, segment_id: str, data: Any, progress: BulkProgress = NO_PROGRESS
) -> MembershipChange:
    """Put customers (`customers[]`, ids of the store) in the segment; members already in it
    are left as they are. Every id is checked before anything is written.

    With a keyed request's `progress`, each new membership is recorded with it (by the id's
    position in the request), so a retry after a crash still answers those as added.
    """
    requested = _member_input(data)
    get_segment(store_code, segment_id)
    ids = list(dict.fromkeys(requested))
    found = {
        customer.customer_id: customer
        for customer in CustomerModel.batch_get(
            [(store_code, value) for value in ids],
            consistent_read=True,
            attributes_to_get=["customer_id", "segment_ids"],
        )
    }
    missing = {
        f"customers.{position}": ["No customer with this id in this store."]
        for position, value in enumerate(requested)
        if value not in found
    }
    if missing:
        raise InvalidInputError(missing)
    earlier = {ids[index] for index in progress.done(range(len(ids)))}
    already = [
        value
        for value in ids
        if value not in earlier and segment_id in (found[value].segment_ids or set())
    ]
    added = [
        value
        for value in ids
        if value not in earlier and segment_id not in (found[value].segment_ids or set())
    ]
    positions = {value: index for index, value in enumerate(ids)}
    counting = audiences.audiences_of(store_code, segment_id)
    segments = {value: set(found[value].segment_ids or ()) for value in added}
    # Per new member: membership, customer's mirror (and its record); plus the segment's
    # counter and each audience's.
    per_transaction = (MAX_TRANSACTION_ITEMS - 1 - len(counting)) // (2 + progress.actions_per_item)
    joined_meanwhile: set[str] = set()
    for start in range(0, len(added), per_transaction):
        chunk = added[start : start + per_transaction]
        joined_meanwhile.update(
            _join(store_code, segment_id, chunk, progress, positions, counting, segments)
        )
    return MembershipChange(
        get_segment(store_code, segment_id),
        [
            value
            for value in ids
            if value in earlier or (value in added and value not in joined_meanwhile)
        ],
        already + [value for value in added if value in joined_meanwhile],
    )


def _join(
    store_code: str,
    segment_id: str,
    customer_ids: list[str],
    progress: BulkProgress = NO_PROGRESS,
    positions: dict[str, int] | None = None,
    counting: list[AudienceModel] | None = None,
    segments: dict[str, set[str]] | None = None,
) -> list[str]:
    """Add these non-members in one transaction; returns those that joined meanwhile. With a
    keyed request's `progress`, each new membership is recorded at its id's `positions`.
    `counting`: the audiences the segment is in, moved by the customers who enter them, as
    their `segments` (read before) say.

    Conditions: the segment exists, the membership does not, the customer exists and does not
    mirror it yet, nor changed their place in the audiences' other segments. If one fails
    because of a concurrent change, the chunk is read again.
    """
    counting = counting or []
    segments = dict(segments or {})
    pending = list(customer_ids)
    joined: list[str] = []
    for _ in range(ATTEMPTS):
        if not pending:
            return joined
        transaction = Transaction()
        try:
            with transaction:
                _write_joins(transaction, store_code, segment_id, pending, counting, segments)
                if positions is not None:
                    for customer_id in pending:
                        progress.record(transaction, positions[customer_id], True)
            return joined
        except TransactionCancelledError as error:
            failures = error.failures
            BulkProgress.raise_if_taken(failures, error)
            if any(failure.model is SegmentModel for failure in failures):
                raise SegmentNotFoundError() from error
            if not failures:
                raise
        current = {
            customer.customer_id: customer
            for customer in CustomerModel.batch_get(
                [(store_code, value) for value in pending],
                consistent_read=True,
                attributes_to_get=["customer_id", "segment_ids"],
            )
        }
        if any(value not in current for value in pending):
            raise CustomerNotFoundError("A customer was deleted meanwhile; nothing more added.")
        segments.update({value: set(current[value].segment_ids or ()) for value in pending})
        joined += [value for value in pending if segment_id in (current[value].segment_ids or ())]
        pending = [value for value in pending if value not in joined]
    raise ConflictError("The segment's members changed meanwhile; retry.")


def _as_read(segment_ids: set[str], customer: set[str]) -> Any:
    """The condition that the customer is in each of `segment_ids` as `customer` says."""
    condition = CustomerModel.customer_id.exists()
    for other in sorted(segment_ids):
        held = CustomerModel.segment_ids.contains(other)
        condition &= held if other in customer else ~held
    return condition


def _write_joins(
    transaction: TransactWrite,
    store_code: str,
    segment_id: str,
    customer_ids: list[str],
    counting: list[AudienceModel],
    segments: dict[str, set[str]],
) -> None:
    now = _now()
    others = audiences.watched(counting, segment_id)
    for customer_id in customer_ids:
        transaction.save(
            SegmentMemberModel(segment_key(store_code, segment_id), customer_id, added_at=now),
            condition=SegmentMemberModel.customer_id.does_not_exist(),
        )
        transaction.update(
            CustomerModel(store_code, customer_id),
            actions=[CustomerModel.segment_ids.add({segment_id})],
            condition=_as_read(others, segments.get(customer_id, set()))
            & ~CustomerModel.segment_ids.contains(segment_id),
        )
    for audience in counting:
        entered = sum(
            audiences.entering(audience, segment_id, segments.get(customer_id, set()))
            for customer_id in customer_ids
        )
        audiences.move(transaction, audience, entered)
    transaction.update(
        SegmentModel(store_code, segment_id),
        actions=[
            SegmentModel.customers_count.add(len(customer_ids)),
            SegmentModel.updated_at.set(now),
        ],
        condition=SegmentModel.segment_id.exists(),
    )


def remove_member(store_code: str, segment_id: str, customer_id: str) -> None:
    """Take the customer out: membership, the customer's mirror, the segment's count and the
    count of each audience they leave (in no other of its segments), together; conditioned on
    the customer's segments as read, so a concurrent change is read again."""
    if not is_id(segment_id):
        raise SegmentNotFoundError()
    if not is_id(customer_id):
        raise SegmentMemberNotFoundError()
    counting = audiences.audiences_of(store_code, segment_id)
    others = audiences.watched(counting, segment_id)
    for _ in range(ATTEMPTS):
        try:
            customer = CustomerModel.get(store_code, customer_id, consistent_read=True)
        except DoesNotExist:
            customer = None
        held = set(customer.segment_ids or ()) if customer is not None else set()
        transaction = Transaction()
        try:
            with transaction:
                transaction.delete(
                    SegmentMemberModel(segment_key(store_code, segment_id), customer_id),
                    condition=SegmentMemberModel.customer_id.exists(),
                )
                transaction.update(
                    CustomerModel(store_code, customer_id),
                    actions=[CustomerModel.segment_ids.delete({segment_id})],
                    condition=_as_read(others, held),
                )
                transaction.update(
                    SegmentModel(store_code, segment_id),
                    actions=[
                        SegmentModel.customers_count.add(-1),
                        SegmentModel.updated_at.set(_now()),
                    ],
                    condition=SegmentModel.segment_id.exists(),
                )
                for audience in counting:
                    leaving = audiences.entering(audience, segment_id, held)
                    audiences.move(transaction, audience, -1 if leaving else 0)
            return
        except TransactionCancelledError as error:
            refused = {failure.model for failure in error.failures}
            for model, not_found in (
                (SegmentModel, SegmentNotFoundError),
                (SegmentMemberModel, SegmentMemberNotFoundError),
            ):
                if model in refused:
                    raise not_found() from error
            if CustomerModel not in refused:
                raise
            if customer is None:
                raise CustomerNotFoundError() from error
    raise ConflictError("The customer's segments changed meanwhile; retry.")


def forget_customer(store_code: str, customer: CustomerModel) -> None:
    """After a customer is deleted: drop their memberships and the segments' counts of them.

    Each segment is one small transaction (membership and counts together); one already
    dropped, or a segment deleted meanwhile, is skipped, so running this twice changes nothing
    more. The segments go in id order, and an audience loses the customer with the last of its
    segments they are in, whichever run drops it.
    """
    held = sorted(customer.segment_ids or ())
    counting = list(AudienceModel.query(store_code, consistent_read=True)) if held else []
    for position, segment_id in enumerate(held):
        later = set(held[position + 1 :])
        try:
            with Transaction() as transaction:
                transaction.delete(
                    SegmentMemberModel(segment_key(store_code, segment_id), customer.customer_id),
                    condition=SegmentMemberModel.customer_id.exists(),
                )
                transaction.update(
                    SegmentModel(store_code, segment_id),
                    actions=[
                        SegmentModel.customers_count.add(-1),
                        SegmentModel.updated_at.set(_now()),
                    ],
                    condition=SegmentModel.segment_id.exists(),
                )
                for audience in counting:
                    if segment_id in (audience.segment_ids or ()):
                        leaving = audiences.entering(audience, segment_id, later)
                        audiences.move(transaction, audience, -1 if leaving else 0)
        except TransactionCancelledError:
            continue  # already dropped, or the segment is gone with its members


def segment_members(store_code: str, segment_id: str, page: int, per_page: int) -> CustomerPage:
    """One page of the segment's customers, in customer id order."""
    get_segment(store_code, segment_id)
    ids = member_ids(store_code, segment_id)
    return CustomerPage(customers_by_id(store_code, page_of(ids, page, per_page)), len(ids))


def customer_segments(store_code: str, customer_id: str) -> list[SegmentModel]:
    """The segments the customer is in (from its mirror), by name."""
    if not is_id(customer_id):
        raise CustomerNotFoundError()
    customer = get_customer(store_code, customer_id)
    keys = [(store_code, segment_id) for segment_id in customer.segment_ids or ()]
    return sorted(SegmentModel.batch_get(keys), key=lambda segment: segment.name.lower())


# --- a customer's level -----------------------------------------------------------------------


class LevelChoice(_Form):
    level_id: Annotated[str, StringConstraints(max_length=MAX_ID_LENGTH)] | None = Field(
        None, alias="levelId"
    )


def set_customer_level(store_code: str, customer_id: str, data: Any) -> str | None:
    """Give the customer a level (`levelId`), or none when it is empty; returns the level id.

    One transaction: the level must exist, and so must the customer, still holding the level
    read before; the old level's count goes down and the new one's up with it. A level changed
    meanwhile is read again.
    """
    if not is_id(customer_id):
        raise CustomerNotFoundError()
    level_id = validate(LevelChoice, data if data is not None else {}).level_id or None
    if level_id is None:
        actions = [CustomerModel.level_id.remove(), CustomerModel.level_key.remove()]
    else:
        actions = [
            CustomerModel.level_id.set(level_id),
            CustomerModel.level_key.set(level_key(store_code, level_id)),
        ]
    for _ in range(ATTEMPTS):
        old = get_customer(store_code, customer_id).level_id
        held = (
            CustomerModel.level_id.does_not_exist()
            if old is None
            else CustomerModel.level_id == old
        )
        transaction = Transaction()
        try:
            with transaction:
                if level_id is not None and level_id == old:
                    transaction.condition_check(
                        LevelModel, store_code, level_id, condition=LevelModel.level_id.exists()
                    )
                elif level_id is not None:
                    audiences.move_level(transaction, store_code, level_id, 1)
                if old is not None and old != level_id:
                    audiences.move_level(transaction, store_code, old, -1)
                transaction.update(
                    CustomerModel(store_code, customer_id),
                    actions=[*actions, CustomerModel.updated_at.set(_now())],
                    condition=CustomerModel.customer_id.exists() & held,
                )
            return level_id
        except TransactionCancelledError as error:
            failures = error.failures
            if any(
                failure.model is LevelModel and failure.key["level_id"] == level_id
                for failure in failures
            ):
                raise InvalidInputError(
                    {"levelId": ["No level with this id in this store."]}
                ) from error
            if not any(failure.model is CustomerModel for failure in failures):
                raise
    raise ConflictError("The customer's level changed meanwhile; retry.")
