"""How many customers a targeted campaign is offered to, kept as memberships change, so the
campaign lists' `visibleForCustomersCount` costs the same whatever the audience's size.

- A level target: each level keeps `customers_count`, moved in the transaction that gives or
  takes a customer's level (a customer holds one level, so the levels' sum has no repeats).
- A segment target: an *audience* per set of segments that campaigns target (campaigns with
  the same set share it) keeps how many customers are in at least one of them. A membership
  transaction moves it by one exactly when the customer enters the set's first segment or
  leaves its last; which segments the customer is in comes from their `segment_ids` mirror,
  and the transaction is conditioned on that mirror being as read, so a customer in two
  segments of the set is counted once.

A count is used only once it is known whole (`counted` / `built`): a level or an audience made
before this bookkeeping existed, or an audience whose segment was deleted, is counted the old
way (reading its members) until `python -m chalicelib.cli count-audiences STORE` rebuilds it.
A rebuild sets the count it read only if no membership transaction moved it meanwhile (the
`changes` counter); otherwise it reads again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from pynamodb.transactions import TransactWrite

from chalicelib.domain.errors import ConflictError
from chalicelib.storage.errors import ConditionFailedError
from chalicelib.storage.targeting import AudienceModel, LevelModel

ATTEMPTS = 3  # recounts after a concurrent membership change before giving up with a 409
Members = Callable[[str], Iterable[str]]  # the customer ids of one segment (or level)


def audience_id(segment_ids: Iterable[str]) -> str:
    """The audience of a set of segments: the same set, in any order, is the same audience."""
    joined = "\n".join(sorted(set(segment_ids)))
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()[:32]


def audiences_of(store_code: str, segment_id: str) -> list[AudienceModel]:
    """The store's audiences that include the segment: one Query on the store's audiences
    (one per distinct segment target of its campaigns, a handful)."""
    return [
        audience
        for audience in AudienceModel.query(store_code, consistent_read=True)
        if segment_id in (audience.segment_ids or ())
    ]


def entering(audience: AudienceModel, segment_id: str, customer_segments: Iterable[str]) -> bool:
    """Whether joining `segment_id` brings the customer into the audience (in none before)."""
    return not (set(audience.segment_ids or ()) - {segment_id}) & set(customer_segments)


def watched(audiences: Iterable[AudienceModel], segment_id: str) -> set[str]:
    """The other segments of these audiences: a membership change that counts on the
    customer's place in them is conditioned on it."""
    return {other for audience in audiences for other in audience.segment_ids or ()} - {segment_id}


def move(transaction: TransactWrite, audience: AudienceModel, change: int) -> None:
    """Add `change` to the audience's count in `transaction` (its `changes` moved too, so a
    recount under way reads again)."""
    actions = [AudienceModel.changes.add(1)]
    if change:
        actions.append(AudienceModel.customers_count.add(change))
    transaction.update(
        AudienceModel(audience.store_code, audience.audience_id),
        actions=actions,
        condition=AudienceModel.audience_id.exists(),
    )


def move_level(transaction: TransactWrite, store_code: str, level_id: str, change: int) -> None:
    transaction.update(
        LevelModel(store_code, level_id),
        actions=[LevelModel.customers_count.add(change), LevelModel.changes.add(1)],
        condition=LevelModel.level_id.exists(),
    )


def segments_count(store_code: str, segment_ids: Iterable[str]) -> int | None:
    """The customers in at least one of the segments, when their audience is counted."""
    try:
        audience = AudienceModel.get(store_code, audience_id(segment_ids))
    except AudienceModel.DoesNotExist:
        return None
    return int(audience.customers_count) if audience.built else None


def levels_count(store_code: str, level_ids: Iterable[str]) -> int | None:
    """The customers holding one of the levels, when every level is counted (one BatchGet)."""
    wanted = set(level_ids)
    levels = list(LevelModel.batch_get([(store_code, level_id) for level_id in wanted]))
    if any(not level.counted for level in levels):
        return None
    return sum(int(level.customers_count or 0) for level in levels)


def ensure_audience(store_code: str, segment_ids: Iterable[str], members: Members) -> None:
    """Make the audience of a campaign's segment target, counted, unless it exists."""
    wanted = sorted(set(segment_ids))
    if not wanted:
        return
    audience = AudienceModel(
        store_code,
        audience_id(wanted),
        segment_ids=set(wanted),
        customers_count=0,
        changes=0,
        built=False,
        created_at=datetime.now(UTC),
    )
    try:
        audience.save(condition=AudienceModel.audience_id.does_not_exist())
    except ConditionFailedError:
        return  # another campaign's: counted already, or by its own rebuild
    recount_audience(audience, members)


def recount_audience(audience: AudienceModel, members: Members) -> int:
    """Count the audience from its segments' members and mark it counted."""
    for _ in range(ATTEMPTS):
        audience.refresh(consistent_read=True)
        seen = audience.changes
        count = len(
            {customer for segment in audience.segment_ids or () for customer in members(segment)}
        )
        try:
            audience.update(
                actions=[AudienceModel.customers_count.set(count), AudienceModel.built.set(True)],
                condition=AudienceModel.changes == seen,
            )
            return count
        except ConditionFailedError:
            continue  # the members changed while counting: count again
    raise ConflictError("The segments' members kept changing; count again.")


def recount_level(level: LevelModel, count: Callable[[], int]) -> int:
    """Count the level's customers and mark it counted (as `recount_audience`)."""
    for _ in range(ATTEMPTS):
        level.refresh(consistent_read=True)
        seen = level.changes or 0
        found = count()
        condition = LevelModel.changes == seen
        if not seen:  # a level made before the bookkeeping has no counter yet
            condition |= LevelModel.changes.does_not_exist()
        try:
            level.update(
                actions=[LevelModel.customers_count.set(found), LevelModel.counted.set(True)],
                condition=condition,
            )
            return found
        except ConditionFailedError:
            continue  # the customers changed while counting: count again
    raise ConflictError("The level's customers kept changing; count again.")


def stale(store_code: str, segment_id: str) -> None:
    """A segment was deleted: its audiences are counted the old way until rebuilt."""
    for audience in audiences_of(store_code, segment_id):
        audience.update(actions=[AudienceModel.built.set(False), AudienceModel.changes.add(1)])
