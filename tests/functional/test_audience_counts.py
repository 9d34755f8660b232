"""`visibleForCustomersCount` of targeted campaigns from kept counts: the levels' counts and
the segment audiences' move with every membership change, a customer in two segments counted
once, and each equals a count made from scratch at every step; one read whatever the size."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib import cli
from chalicelib.domain.catalog import audiences, targeting
from chalicelib.domain.customers import recipients
from chalicelib.domain.errors import InvalidInputError
from chalicelib.storage.customers import CustomerModel, level_key
from chalicelib.storage.targeting import AudienceModel, LevelModel
from tests.fixtures.aws import AwsCalls, hooked_clients
from tests.fixtures.clients import STORE
from tests.fixtures.factories import add_customer, make_campaign


def _level(name: str) -> str:
    return targeting.create_level(STORE, targeting.LevelInput.of(name=name)).level_id


def _segment(name: str) -> str:
    return targeting.create_segment(STORE, targeting.SegmentInput.of(name=name)).segment_id


def _customer(email: str) -> str:
    return add_customer(STORE, email, firstname="Ann", surname="Lee").customer_id


def _join(segment_id: str, *customer_ids: str) -> None:
    targeting.add_members(STORE, segment_id, targeting.MembersInput(customers=list(customer_ids)))


def _from_scratch(campaign: Any) -> int:
    """The count made the old way: every member read."""
    if campaign.target == "level":
        return sum(targeting.level_customers_count(STORE, level) for level in set(campaign.levels))
    return len(
        {
            customer
            for segment in campaign.segments
            for customer in targeting.member_ids(STORE, segment)
        }
    )


def _kept(campaign: Any) -> int:
    """The count as the campaign lists show it, checked to come from the kept counts."""
    if campaign.target == "level":
        kept = audiences.levels_count(STORE, campaign.levels)
    else:
        kept = audiences.segments_count(STORE, campaign.segments)
    assert kept is not None
    assert targeting.visible_customers_count(STORE, campaign) == kept
    return kept


def test_level_counts_follow_the_customers_levels(store: str) -> None:
    gold, silver, bronze = _level("Gold"), _level("Silver"), _level("Bronze")
    campaign = make_campaign(target="level", levels=[gold, silver])
    ann, bob, cy = (_customer(f"{name}@example.com") for name in ("ann", "bob", "cy"))
    steps = [
        (ann, gold),
        (bob, gold),
        (cy, bronze),
        (bob, silver),  # from one targeted level to another: still counted once
        (ann, bronze),  # out of the target
        (cy, silver),
        (bob, None),  # no level at all
        (bob, None),  # again: nothing moves
        (cy, silver),  # the same level again: nothing moves
    ]
    for customer_id, level_id in steps:
        targeting.set_customer_level(
            STORE, customer_id, targeting.LevelChoice(levelId=level_id or "")
        )
        assert _kept(campaign) == _from_scratch(campaign), (customer_id, level_id)

    recipients.delete_recipient(STORE, cy)
    assert _kept(campaign) == _from_scratch(campaign) == 0


def test_an_unknown_level_is_refused_and_moves_nothing(store: str) -> None:
    gold = _level("Gold")
    ann = _customer("ann@example.com")
    targeting.set_customer_level(STORE, ann, targeting.LevelChoice(levelId=gold))

    with pytest.raises(InvalidInputError) as refused:
        targeting.set_customer_level(STORE, ann, targeting.LevelChoice(levelId="no-such-level"))

    assert refused.value.errors == {"levelId": ["No level with this id in this store."]}
    assert CustomerModel.get(STORE, ann).level_id == gold
    assert LevelModel.get(STORE, gold).customers_count == 1


def test_a_segment_target_counts_a_customer_in_two_segments_once(store: str) -> None:
    vip, staff, other = _segment("VIP"), _segment("Staff"), _segment("Other")
    ann, bob, cy, dee = (_customer(f"{name}@example.com") for name in ("ann", "bob", "cy", "dee"))
    _join(vip, ann, bob)
    campaign = make_campaign(target="segment", segments=[vip, staff])
    targeting.count_audience(STORE, "segment", [staff, vip])  # as saving the campaign does
    assert _kept(campaign) == 2

    steps = [
        lambda: _join(staff, bob, cy),  # bob in both: once
        lambda: _join(other, ann, dee),  # not in the target
        lambda: targeting.remove_member(STORE, vip, bob),  # still in staff
        lambda: targeting.remove_member(STORE, staff, bob),  # out
        lambda: _join(vip, bob, dee),
        lambda: recipients.delete_recipient(STORE, bob),
        lambda: recipients.delete_recipient(STORE, ann),
    ]
    for number, step in enumerate(steps):
        step()
        assert _kept(campaign) == _from_scratch(campaign), number


def test_campaigns_with_the_same_segments_share_one_audience(store: str) -> None:
    vip, staff = _segment("VIP"), _segment("Staff")
    targeting.count_audience(STORE, "segment", [vip, staff])
    targeting.count_audience(STORE, "segment", [staff, vip, vip])
    targeting.count_audience(STORE, "level", [vip])  # not a segment target: nothing

    assert len(list(AudienceModel.query(STORE))) == 1


def test_the_count_is_one_read_whatever_the_audience(store: str, aws_calls: AwsCalls) -> None:
    vip, staff = _segment("VIP"), _segment("Staff")
    _join(vip, *[_customer(f"v{n}@example.com") for n in range(30)])
    _join(staff, *[_customer(f"s{n}@example.com") for n in range(30)])
    campaign = make_campaign(target="segment", segments=[vip, staff])
    targeting.count_audience(STORE, "segment", [vip, staff])

    aws_calls.reset()
    assert targeting.visible_customers_count(STORE, campaign) == 60
    assert aws_calls.operations == [("dynamodb", "GetItem")]


def test_a_deleted_segment_makes_its_audience_counted_the_old_way(store: str) -> None:
    vip, staff = _segment("VIP"), _segment("Staff")
    ann, bob = _customer("ann@example.com"), _customer("bob@example.com")
    _join(vip, ann)
    _join(staff, ann, bob)
    campaign = make_campaign(target="segment", segments=[vip, staff])
    targeting.count_audience(STORE, "segment", [vip, staff])

    targeting.delete_segment(STORE, staff)

    assert audiences.segments_count(STORE, [vip, staff]) is None
    assert targeting.visible_customers_count(STORE, campaign) == _from_scratch(campaign) == 1
    cli.main(["count-audiences", STORE])
    assert _kept(campaign) == 1


def test_count_audiences_counts_what_was_made_before(store: str, capsys: Any) -> None:
    # A level made before the counts were kept, and customers given it straight.
    level = LevelModel(STORE, "old-level", name="Old", created_at=_now(), updated_at=_now())
    level.save()
    for number in range(3):
        add_customer(
            STORE,
            f"old{number}@example.com",
            level_id="old-level",
            level_key=level_key(STORE, "old-level"),
        )
    vip = _segment("VIP")
    _join(vip, _customer("ann@example.com"), _customer("bob@example.com"))
    by_level = make_campaign(target="level", levels=["old-level"])
    by_segment = make_campaign(target="segment", segments=[vip])
    # Not counted yet: the old way, still right.
    assert audiences.levels_count(STORE, ["old-level"]) is None
    assert targeting.visible_customers_count(STORE, by_level) == 3
    assert targeting.visible_customers_count(STORE, by_segment) == 2

    assert cli.main(["count-audiences", STORE]) == 0

    assert capsys.readouterr().out == f"1 level(s) and 1 audience(s) of store {STORE} counted\n"
    assert _kept(by_level) == 3
    assert _kept(by_segment) == 2


def test_a_recount_reads_again_when_members_moved_meanwhile(store: str) -> None:
    vip = _segment("VIP")
    ann, bob = _customer("ann@example.com"), _customer("bob@example.com")
    _join(vip, ann)
    targeting.count_audience(STORE, "segment", [vip])
    audience = AudienceModel.get(STORE, audiences.audience_id([vip]))
    reads = []

    def members(segment_id: str) -> list[str]:
        found = targeting.member_ids(STORE, segment_id)
        if not reads:
            _join(vip, bob)  # joins after the recount read the members
        reads.append(found)
        return found

    assert audiences.recount_audience(audience, members) == 2
    assert len(reads) == 2
    assert audiences.segments_count(STORE, [vip]) == 2


def test_a_crash_while_counting_a_new_audience_leaves_the_old_way(store: str) -> None:
    vip = _segment("VIP")
    _join(vip, _customer("ann@example.com"))
    campaign = make_campaign(target="segment", segments=[vip])

    def crash(event_name: str, **_: Any) -> None:
        if event_name.endswith("UpdateItem"):
            raise RuntimeError("crash between making the audience and counting it")

    with hooked_clients(crash), pytest.raises(RuntimeError):
        targeting.count_audience(STORE, "segment", [vip])

    assert audiences.segments_count(STORE, [vip]) is None  # made, not counted
    _join(vip, _customer("bob@example.com"))
    assert targeting.visible_customers_count(STORE, campaign) == 2
    cli.main(["count-audiences", STORE])
    assert _kept(campaign) == 2


def test_a_crash_in_a_join_moves_no_count(store: str) -> None:
    vip = _segment("VIP")
    campaign = make_campaign(target="segment", segments=[vip])
    targeting.count_audience(STORE, "segment", [vip])
    ann = _customer("ann@example.com")

    def crash(event_name: str, **_: Any) -> None:
        if event_name.endswith("TransactWriteItems"):
            raise RuntimeError("crash before the join's transaction")

    with hooked_clients(crash), pytest.raises(RuntimeError):
        _join(vip, ann)

    assert _kept(campaign) == 0
    _join(vip, ann)
    assert _kept(campaign) == 1


def _now() -> Any:
    from datetime import UTC, datetime

    return datetime.now(UTC)
