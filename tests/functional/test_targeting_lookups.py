"""What the catalog asks of targeting: names by id, which ids exist, and how many customers a
campaign is visible to; each with batched reads and never a Scan."""

from __future__ import annotations

from typing import Any

from chalicelib.domain.catalog import targeting
from chalicelib.storage.customers import CustomerModel, level_key
from tests.fixtures.clients import OTHER_STORE, STORE
from tests.fixtures.factories import add_customer, make_campaign


def _level(name: str, store_code: str = STORE) -> str:
    return targeting.create_level(store_code, targeting.LevelInput.of(name=name)).level_id


def _segment(name: str, store_code: str = STORE) -> str:
    return targeting.create_segment(store_code, targeting.SegmentInput.of(name=name)).segment_id


def _category(name: str, store_code: str = STORE) -> str:
    return targeting.create_category(store_code, targeting.CategoryInput.of(name=name)).category_id


def _customer(email: str, level_id: str | None = None, store_code: str = STORE) -> CustomerModel:
    customer = add_customer(store_code, email, firstname="Ann", surname="Lee")
    if level_id:
        targeting.set_customer_level(
            store_code, customer.customer_id, targeting.LevelChoice(levelId=level_id)
        )
    return customer


def test_names_of_existing_ids_only_from_the_callers_store(aws_calls: Any, store: str) -> None:
    gold, silver = _level("Gold"), _level("Silver")
    other = _level("Gold elsewhere", OTHER_STORE)
    vip = _segment("VIP")
    food = _category("Food")

    assert targeting.level_names(STORE, [gold, silver, other, "nope", ""]) == {
        gold: "Gold",
        silver: "Silver",
    }
    assert targeting.segment_names(STORE, [vip, vip]) == {vip: "VIP"}
    assert targeting.category_names(STORE, [food, gold]) == {food: "Food"}
    assert targeting.existing_level_ids(STORE, [gold, other]) == {gold}
    assert targeting.existing_segment_ids(OTHER_STORE, [vip]) == set()
    assert targeting.existing_category_ids(STORE, [food, "x" * 2000]) == {food}


def test_names_of_nothing_asks_nothing(aws_calls: Any, store: str) -> None:
    aws_calls.reset()
    assert targeting.level_names(STORE, []) == {}
    assert aws_calls.count() == 0


def test_names_lookup_batches_at_most_100_keys_per_call(aws_calls: Any, store: str) -> None:
    ids = [_level(f"Level {number}") for number in range(3)]
    aws_calls.reset()
    unknown = [f"missing-{number}" for number in range(230)]
    assert targeting.level_names(STORE, ids + unknown) == {
        level_id: f"Level {number}" for number, level_id in enumerate(ids)
    }
    assert aws_calls.count("BatchGetItem") == 3  # 233 keys: 100 + 100 + 33
    assert aws_calls.count() == 3


def test_visible_count_for_levels_counts_each_levels_customers(aws_calls: Any, store: str) -> None:
    gold, silver, bronze = _level("Gold"), _level("Silver"), _level("Bronze")
    for number in range(3):
        _customer(f"gold{number}@example.com", gold)
    _customer("silver@example.com", silver)
    _customer("bronze@example.com", bronze)
    _customer("none@example.com")
    # Another store's customer naming the same level id is not counted.
    add_customer(
        OTHER_STORE, "other@example.com", level_id=gold, level_key=level_key(OTHER_STORE, gold)
    )
    campaign = make_campaign(target="level", levels=[gold, silver, gold])

    aws_calls.reset()
    assert targeting.visible_customers_count(STORE, campaign) == 4
    # The levels' kept counts: one BatchGetItem, however many customers hold them.
    assert aws_calls.count("BatchGetItem") == 1
    assert aws_calls.count() == 1


def test_visible_count_for_segments_counts_a_customer_in_two_once(store: str) -> None:
    vip, staff = _segment("VIP"), _segment("Staff")
    ann, bob, cy = (_customer(f"{name}@example.com") for name in ("ann", "bob", "cy"))
    targeting.add_members(
        STORE, vip, targeting.MembersInput(customers=[ann.customer_id, bob.customer_id])
    )
    targeting.add_members(
        STORE, staff, targeting.MembersInput(customers=[bob.customer_id, cy.customer_id])
    )
    campaign = make_campaign(target="segment", segments=[vip, staff])
    only_vip = make_campaign(target="segment", segments=[vip])

    assert targeting.visible_customers_count(STORE, campaign) == 3
    assert targeting.visible_customers_count(STORE, only_vip) == 2


def test_visible_count_without_target_is_the_stores_customers(aws_calls: Any, store: str) -> None:
    for number in range(4):
        _customer(f"c{number}@example.com")
    _customer("elsewhere@example.com", store_code=OTHER_STORE)
    campaign = make_campaign()

    aws_calls.reset()
    assert targeting.visible_customers_count(STORE, campaign) == 4
    assert aws_calls.count("Query") == 1
    assert aws_calls.count("Scan") == 0


def test_visible_count_of_a_targeted_campaign_without_ids_is_zero(store: str) -> None:
    _customer("ann@example.com", _level("Gold"))
    assert targeting.visible_customers_count(STORE, make_campaign(target="level")) == 0
    assert targeting.visible_customers_count(STORE, make_campaign(target="segment")) == 0
