"""Segments: a store's hand-picked groups of customers, and which segments a customer is in.

Deleting a segment drops its memberships and the customers' mirrors of them; adding and
removing members is chalicelib/domain/catalog/targeting/members.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from chalicelib.domain.catalog import audiences
from chalicelib.domain.catalog.targeting.sets import (
    ATTEMPTS,
    SEGMENTS,
    Description,
    FormInput,
    Name,
    Page,
    all_items,
    create_item,
    delete_item,
    get_item,
    is_id,
    paged,
    replace_item,
)
from chalicelib.domain.customers.records import CustomerNotFoundError, get_customer
from chalicelib.domain.errors import ConflictError
from chalicelib.storage.customers import CustomerModel
from chalicelib.storage.errors import TransactionCancelledError
from chalicelib.storage.targeting import SegmentMemberModel, SegmentModel, segment_key
from chalicelib.storage.transactions import Transaction

# Two items per member dropped (membership, customer's mirror), within DynamoDB's 100.
DROPS_PER_TRANSACTION = 50


@dataclass(frozen=True)
class Segment:
    segment_id: str
    name: str
    description: str | None
    active: bool
    customers_count: int
    created_at: datetime
    updated_at: datetime


class SegmentInput(FormInput):
    form_key: ClassVar[str] = "segment"

    name: Name
    description: Description | None = None
    active: bool = True


def segment_of(item: SegmentModel) -> Segment:
    return Segment(
        item.segment_id,
        item.name,
        item.description,
        item.active,
        int(item.customers_count or 0),
        item.created_at,
        item.updated_at,
    )


def _fields(form: SegmentInput) -> dict[str, Any]:
    fields = form.model_dump()
    fields["description"] = fields["description"] or None
    return fields


def create_segment(store_code: str, form: SegmentInput) -> Segment:
    return segment_of(create_item(SEGMENTS, store_code, _fields(form)))


def get_segment(store_code: str, segment_id: str) -> Segment:
    return segment_of(get_item(SEGMENTS, store_code, segment_id))


def _by_name(segments: list[Segment]) -> list[Segment]:
    return sorted(segments, key=lambda segment: segment.name.lower())


def list_segments(store_code: str, page: int, per_page: int) -> Page[Segment]:
    """One page of the store's segments, by name."""
    found = _by_name([segment_of(item) for item in all_items(SEGMENTS, store_code)])
    return paged(found, page, per_page)


def update_segment(store_code: str, segment_id: str, form: SegmentInput) -> Segment:
    return segment_of(replace_item(SEGMENTS, store_code, segment_id, _fields(form)))


def member_ids(store_code: str, segment_id: str) -> list[str]:
    """The segment's customer ids in id order: one Query on its partition (paged by DynamoDB)."""
    members = SegmentMemberModel.query(
        segment_key(store_code, segment_id), attributes_to_get=["customer_id"]
    )
    return [member.customer_id for member in members]


def customer_segments(store_code: str, customer_id: str) -> Page[Segment]:
    """The segments the customer is in (from its mirror), by name."""
    if not is_id(customer_id):
        raise CustomerNotFoundError()
    customer = get_customer(store_code, customer_id)
    keys = [(store_code, segment_id) for segment_id in customer.segment_ids or ()]
    found = _by_name([segment_of(item) for item in SegmentModel.batch_get(keys)])
    return Page(found, len(found))


def delete_segment(store_code: str, segment_id: str) -> None:
    """Delete the segment, then its memberships and the customers' mirrors of them.

    The segment goes first: from then on no member can be added (adding checks the segment),
    so the memberships read afterwards are all there is to drop.
    """
    delete_item(SEGMENTS, store_code, segment_id)
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
