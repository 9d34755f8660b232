"""Segment membership: adding customers to a segment, taking them out, forgetting a deleted
customer, and listing a segment's members.

One `segment-members` item per (segment, customer), mirrored in the customer's `segment_ids`
and counted in the segment's `customers_count` (and the audiences the segment is in), all moved
in one transaction under conditions, so they never drift apart and re-adding a member is a
no-op.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import AfterValidator, model_validator
from pynamodb.exceptions import DoesNotExist
from pynamodb.transactions import TransactWrite

from chalicelib.domain.catalog import audiences
from chalicelib.domain.catalog.targeting.customers import (
    CustomerPage,
    customer_of,
    customers_by_id,
)
from chalicelib.domain.catalog.targeting.segments import get_segment, member_ids
from chalicelib.domain.catalog.targeting.sets import (
    ATTEMPTS,
    MAX_ID_LENGTH,
    FormInput,
    SegmentMemberNotFoundError,
    SegmentNotFoundError,
    TooManyMembersError,
    is_id,
    now,
)
from chalicelib.domain.customers.records import CustomerNotFoundError
from chalicelib.domain.errors import ConflictError, InvalidInputError
from chalicelib.domain.paging import page_of
from chalicelib.storage.customers import CustomerModel
from chalicelib.storage.errors import TransactionCancelledError
from chalicelib.storage.idempotency import NO_PROGRESS, BulkProgress
from chalicelib.storage.targeting import (
    AudienceModel,
    SegmentMemberModel,
    SegmentModel,
    segment_key,
)
from chalicelib.storage.transactions import Transaction

MAX_MEMBERS_PER_REQUEST = 1000
MAX_TRANSACTION_ITEMS = 100  # DynamoDB's TransactWriteItems limit


def _customer_id(value: str) -> str:
    if not is_id(value):
        raise ValueError(f"A customer id is 1 to {MAX_ID_LENGTH} characters.")
    return value


def _some(values: list[str]) -> list[str]:
    if not values:
        raise ValueError("Give at least one customer id.")
    return values


class MembersInput(FormInput):
    customers: Annotated[list[Annotated[str, AfterValidator(_customer_id)]], AfterValidator(_some)]

    @model_validator(mode="before")
    @classmethod
    def _not_too_many(cls, data: Any) -> Any:
        """Over the limit is its own refusal (`too_many_members`), before any other check."""
        customers = data.get("customers") if isinstance(data, dict) else None
        if isinstance(customers, list) and len(customers) > MAX_MEMBERS_PER_REQUEST:
            raise TooManyMembersError(
                {"customers": [f"At most {MAX_MEMBERS_PER_REQUEST} customers per request."]}
            )
        return data


@dataclass(frozen=True)
class MembershipChange:
    segment_id: str
    added: list[str]
    already_members: list[str]
    customers_count: int  # the segment's, after the change


def add_members(
    store_code: str,
    segment_id: str,
    form: MembersInput,
    progress: BulkProgress = NO_PROGRESS,
) -> MembershipChange:
    """Put customers (`customers[]`, ids of the store) in the segment; members already in it
    are left as they are. Every id is checked before anything is written.

    With a keyed request's `progress`, each new membership is recorded with it (by the id's
    position in the request), so a retry after a crash still answers those as added.
    """
    requested = form.customers
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
        segment_id,
        [
            value
            for value in ids
            if value in earlier or (value in added and value not in joined_meanwhile)
        ],
        already + [value for value in added if value in joined_meanwhile],
        get_segment(store_code, segment_id).customers_count,
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
    moment = now()
    others = audiences.watched(counting, segment_id)
    for customer_id in customer_ids:
        transaction.save(
            SegmentMemberModel(segment_key(store_code, segment_id), customer_id, added_at=moment),
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
            SegmentModel.updated_at.set(moment),
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
                        SegmentModel.updated_at.set(now()),
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
                        SegmentModel.updated_at.set(now()),
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
    shown = customers_by_id(store_code, page_of(ids, page, per_page))
    return CustomerPage([customer_of(item) for item in shown], len(ids))
