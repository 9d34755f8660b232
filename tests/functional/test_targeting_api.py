"""Admin endpoints for levels, segments, campaign categories and a customer's level/segments."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib.domain.access.auth import Role
from chalicelib.domain.catalog import targeting
from chalicelib.domain.customers.records import email_guard
from chalicelib.storage.customers import CustomerModel
from chalicelib.storage.targeting import SegmentMemberModel, SegmentModel, segment_key
from tests.fixtures.clients import OTHER_STORE, STORE, bearer, body_of, jwt_headers, token_for
from tests.fixtures.targeting_api import add_members, admin, create_segment, customer, post_form


def send(client: Any, method: str, path: str, body: Any = None, store_code: str = STORE) -> Any:
    payload = json.dumps(body) if body is not None else None
    return getattr(client, method)(path, body=payload, headers=admin(store_code))


def create_level(client: Any, name: str, value: str = "0") -> str:
    pairs = [("level[name]", name), ("level[conditionValue]", value)]
    response = post_form(client, "/api/DEFAULT/level", pairs)
    assert response.status_code == 200, response.body
    return body_of(response)["id"]


def set_level(client: Any, customer_id: str, level_id: str | None) -> Any:
    path = f"/api/DEFAULT/customer/{customer_id}/level"
    return send(client, "post", path, {"levelId": level_id})


def stored(customer_id: str) -> CustomerModel:
    return CustomerModel.get(STORE, customer_id, consistent_read=True)


# --- levels -----------------------------------------------------------------------------------


def test_level_crud_from_form_data(client: Any) -> None:
    response = post_form(
        client,
        "/api/DEFAULT/level",
        [
            ("level[name]", "Gold"),
            ("level[description]", "Our best customers"),
            ("level[active]", "1"),
            ("level[conditionValue]", "1000.50"),
        ],
    )
    assert response.status_code == 200, response.body
    level_id = body_of(response)["id"]

    shown = body_of(send(client, "get", f"/api/DEFAULT/level/{level_id}"))
    assert shown["levelId"] == level_id
    assert shown["name"] == "Gold"
    assert shown["description"] == "Our best customers"
    assert shown["active"] is True
    assert shown["conditionValue"] == 1000.5
    assert shown["customersCount"] == 0

    changed = send(
        client,
        "put",
        f"/api/DEFAULT/level/{level_id}",
        {"level": {"name": "Platinum", "active": False, "conditionValue": 5000}},
    )
    assert changed.status_code == 200, changed.body
    body = body_of(changed)
    assert (body["name"], body["active"], body["conditionValue"]) == ("Platinum", False, 5000)
    assert body["description"] is None  # a full update: what is left out is cleared

    assert send(client, "delete", f"/api/DEFAULT/level/{level_id}").status_code == 204
    missing = send(client, "get", f"/api/DEFAULT/level/{level_id}")
    assert missing.status_code == 404
    assert body_of(missing)["code"] == "level_not_found"
    assert body_of(missing)["error"] == {"code": 404, "message": "Not Found"}


@pytest.mark.parametrize(
    ("pairs", "field"),
    [
        ([], "name"),
        ([("level[name]", "   ")], "name"),
        ([("level[name]", "Gold"), ("level[conditionValue]", "-1")], "conditionValue"),
        ([("level[name]", "Gold"), ("level[conditionValue]", "lots")], "conditionValue"),
        ([("level[name]", "Gold"), ("level[conditionValue]", "1e400")], "conditionValue"),
        ([("level[name]", "Gold"), ("level[active]", "maybe")], "active"),
    ],
)
def test_invalid_level_is_a_400_form_tree_and_writes_nothing(
    client: Any, pairs: list[tuple[str, str]], field: str
) -> None:
    response = post_form(client, "/api/DEFAULT/level", pairs)
    assert response.status_code == 400, response.body
    body = body_of(response)
    assert body["form"]["children"][field]["errors"]
    assert body["code"] == "validation_failed"
    assert body_of(send(client, "get", "/api/DEFAULT/level"))["total"] == 0


def test_levels_list_is_paginated_in_condition_order(client: Any) -> None:
    silver = create_level(client, "Silver", "100")
    gold = create_level(client, "Gold", "1000")
    bronze = create_level(client, "Bronze", "0")

    first = body_of(send(client, "get", "/api/DEFAULT/level?page=1&perPage=2"))
    second = body_of(send(client, "get", "/api/DEFAULT/level?page=2&perPage=2"))
    assert [level["levelId"] for level in first["levels"]] == [bronze, silver]
    assert [level["levelId"] for level in second["levels"]] == [gold]
    assert first["total"] == second["total"] == 3

    bad = send(client, "get", "/api/DEFAULT/level?perPage=0")
    assert bad.status_code == 400
    assert body_of(bad)["form"]["children"]["perPage"]["errors"]


def test_a_level_held_by_a_customer_cannot_be_deleted(client: Any) -> None:
    level_id = create_level(client, "Gold")
    customer_id = customer("ann@example.com")
    assert set_level(client, customer_id, level_id).status_code == 200
    assert body_of(send(client, "get", f"/api/DEFAULT/level/{level_id}"))["customersCount"] == 1

    refused = send(client, "delete", f"/api/DEFAULT/level/{level_id}")
    assert refused.status_code == 409
    assert body_of(refused)["code"] == "level_in_use"
    assert send(client, "get", f"/api/DEFAULT/level/{level_id}").status_code == 200

    assert set_level(client, customer_id, None).status_code == 200
    assert send(client, "delete", f"/api/DEFAULT/level/{level_id}").status_code == 204


def test_updating_or_deleting_a_missing_level_is_404(client: Any) -> None:
    update = send(client, "put", "/api/DEFAULT/level/nope", {"level": {"name": "X"}})
    assert update.status_code == 404
    assert send(client, "delete", "/api/DEFAULT/level/nope").status_code == 404
    assert body_of(send(client, "get", "/api/DEFAULT/level"))["total"] == 0  # no upsert


# --- customer's level -------------------------------------------------------------------------


def test_setting_and_clearing_a_customers_level(client: Any) -> None:
    level_id = create_level(client, "Gold")
    customer_id = customer("ann@example.com")

    response = set_level(client, customer_id, level_id)
    assert response.status_code == 200, response.body
    assert body_of(response) == {"customerId": customer_id, "levelId": level_id}
    record = stored(customer_id)
    assert (record.level_id, record.level_key) == (level_id, f"{STORE}#{level_id}")

    form = post_form(client, f"/api/DEFAULT/customer/{customer_id}/level", [("levelId", "")])
    assert form.status_code == 200, form.body
    assert body_of(form)["levelId"] is None
    record = stored(customer_id)
    assert (record.level_id, record.level_key) == (None, None)


def test_an_unknown_level_or_customer_changes_nothing(client: Any) -> None:
    level_id = create_level(client, "Gold")
    customer_id = customer("ann@example.com")
    set_level(client, customer_id, level_id)

    unknown_level = set_level(client, customer_id, "no-such-level")
    assert unknown_level.status_code == 400
    assert body_of(unknown_level)["form"]["children"]["levelId"]["errors"]
    assert stored(customer_id).level_id == level_id

    unknown_customer = set_level(client, "no-such-customer", level_id)
    assert unknown_customer.status_code == 404
    assert body_of(unknown_customer)["code"] == "customer_not_found"
    assert CustomerModel.count(STORE) == 1  # the update did not create a customer


# --- categories -------------------------------------------------------------------------------


def test_category_crud_and_sort_order(client: Any) -> None:
    ids = {}
    for name, order in (("Food", "3"), ("Travel", "1"), ("Books", "2")):
        response = post_form(
            client,
            "/api/DEFAULT/campaignCategory",
            [
                ("campaign_category[name]", name),
                ("campaign_category[active]", "1"),
                ("campaign_category[sortOrder]", order),
            ],
        )
        assert response.status_code == 200, response.body
        ids[name] = body_of(response)["campaignCategoryId"]

    listed = body_of(send(client, "get", "/api/DEFAULT/campaignCategory"))
    assert [category["name"] for category in listed["categories"]] == ["Travel", "Books", "Food"]
    assert listed["total"] == 3

    path = f"/api/DEFAULT/campaignCategory/{ids['Food']}"
    changed = send(client, "put", path, {"campaign_category": {"name": "Dining", "sortOrder": 0}})
    assert body_of(changed) == {
        "campaignCategoryId": ids["Food"],
        "name": "Dining",
        "active": True,
        "sortOrder": 0,
    }
    listed = body_of(send(client, "get", "/api/DEFAULT/campaignCategory"))
    assert listed["categories"][0]["name"] == "Dining"

    assert send(client, "delete", path).status_code == 204
    missing = send(client, "get", path)
    assert (missing.status_code, body_of(missing)["code"]) == (404, "category_not_found")


def test_invalid_category_is_refused(client: Any) -> None:
    response = post_form(
        client, "/api/DEFAULT/campaignCategory", [("campaign_category[sortOrder]", "first")]
    )
    assert response.status_code == 400
    children = body_of(response)["form"]["children"]
    assert set(children) == {"name", "sortOrder"}


# --- segments ---------------------------------------------------------------------------------


def test_segment_crud(client: Any) -> None:
    response = post_form(
        client,
        "/api/DEFAULT/segment",
        [("segment[name]", "VIP"), ("segment[description]", "Big spenders")],
    )
    assert response.status_code == 200, response.body
    segment_id = body_of(response)["segmentId"]
    path = f"/api/DEFAULT/segment/{segment_id}"

    shown = body_of(send(client, "get", path))
    assert shown["segmentId"] == segment_id
    assert (shown["name"], shown["description"], shown["active"]) == ("VIP", "Big spenders", True)
    assert shown["customersCount"] == 0

    changed = body_of(send(client, "put", path, {"segment": {"name": "VVIP", "active": "0"}}))
    assert (changed["name"], changed["description"], changed["active"]) == ("VVIP", None, False)

    listed = body_of(send(client, "get", "/api/DEFAULT/segment"))
    assert [segment["segmentId"] for segment in listed["segments"]] == [segment_id]
    assert send(client, "delete", path).status_code == 204
    assert send(client, "get", path).status_code == 404


def test_adding_members_keeps_mirror_and_count_in_step_and_is_idempotent(client: Any) -> None:
    segment_id = create_segment(client, "VIP")
    ann, bob = customer("ann@example.com"), customer("bob@example.com")

    response = add_members(client, segment_id, ann, bob, ann)
    assert response.status_code == 200, response.body
    assert body_of(response) == {
        "segmentId": segment_id,
        "added": [ann, bob],
        "alreadyMembers": [],
        "customersCount": 2,
    }
    again = body_of(add_members(client, segment_id, bob))
    assert (again["added"], again["alreadyMembers"], again["customersCount"]) == ([], [bob], 2)

    assert stored(ann).segment_ids == {segment_id}
    members = SegmentMemberModel.query(segment_key(STORE, segment_id))
    assert sorted(member.customer_id for member in members) == sorted([ann, bob])
    assert SegmentModel.get(STORE, segment_id).customers_count == 2

    listed = body_of(send(client, "get", f"/api/DEFAULT/segment/{segment_id}/customers"))
    assert listed["total"] == 2
    assert {row["customerId"] for row in listed["customers"]} == {ann, bob}
    assert all(row["segments"] == [segment_id] for row in listed["customers"])

    segments = body_of(send(client, "get", f"/api/DEFAULT/customer/{ann}/segments"))
    assert [row["segmentId"] for row in segments["segments"]] == [segment_id]


def test_adding_members_in_more_than_one_transaction(client: Any) -> None:
    segment_id = create_segment(client, "Many")
    ids = [customer(f"c{number}@example.com") for number in range(60)]
    response = add_members(client, segment_id, *ids)
    assert response.status_code == 200, response.body
    assert body_of(response)["customersCount"] == 60
    page = body_of(send(client, "get", f"/api/DEFAULT/segment/{segment_id}/customers?perPage=50"))
    assert (len(page["customers"]), page["total"]) == (50, 60)


def test_adding_an_unknown_customer_adds_nobody(client: Any) -> None:
    segment_id = create_segment(client, "VIP")
    ann = customer("ann@example.com")
    elsewhere = customer("bob@example.com", OTHER_STORE)

    response = add_members(client, segment_id, ann, elsewhere, "ghost")
    assert response.status_code == 400
    children = body_of(response)["form"]["children"]["customers"]["children"]
    assert set(children) == {"1", "2"}
    assert stored(ann).segment_ids == set()
    assert SegmentModel.get(STORE, segment_id).customers_count == 0

    empty = add_members(client, segment_id)
    assert empty.status_code == 400
    assert body_of(empty)["form"]["children"]["customers"]["errors"]


def test_adding_to_a_missing_segment_is_404(client: Any) -> None:
    ann = customer("ann@example.com")
    response = add_members(client, "no-such-segment", ann)
    assert (response.status_code, body_of(response)["code"]) == (404, "segment_not_found")
    assert stored(ann).segment_ids == set()


def test_removing_a_member(client: Any) -> None:
    segment_id = create_segment(client, "VIP")
    ann, bob = customer("ann@example.com"), customer("bob@example.com")
    add_members(client, segment_id, ann, bob)
    path = f"/api/DEFAULT/segment/{segment_id}/customers/{ann}"

    assert send(client, "delete", path).status_code == 204
    assert stored(ann).segment_ids == set()
    assert stored(bob).segment_ids == {segment_id}
    assert SegmentModel.get(STORE, segment_id).customers_count == 1

    again = send(client, "delete", path)
    assert (again.status_code, body_of(again)["code"]) == (404, "segment_member_not_found")
    assert SegmentModel.get(STORE, segment_id).customers_count == 1


def test_deleting_a_segment_removes_its_memberships(client: Any) -> None:
    vip, staff = create_segment(client, "VIP"), create_segment(client, "Staff")
    ids = [customer(f"c{number}@example.com") for number in range(55)]
    add_members(client, vip, *ids)
    add_members(client, staff, ids[0])

    assert send(client, "delete", f"/api/DEFAULT/segment/{vip}").status_code == 204
    assert SegmentMemberModel.count(segment_key(STORE, vip)) == 0
    assert stored(ids[0]).segment_ids == {staff}
    assert all(not stored(customer_id).segment_ids for customer_id in ids[1:])
    assert SegmentModel.get(STORE, staff).customers_count == 1


def test_deleting_a_recipient_takes_them_out_of_their_segments(client: Any) -> None:
    vip, staff = create_segment(client, "VIP"), create_segment(client, "Staff")
    ann, bob = customer("ann@example.com"), customer("bob@example.com")
    email_guard(CustomerModel.get(STORE, ann)).save()  # as the recipients API would have
    add_members(client, vip, ann, bob)
    add_members(client, staff, ann)

    deleted = client.delete(f"/recipients/{ann}", headers=bearer())

    assert deleted.status_code == 204, deleted.body
    assert SegmentMemberModel.count(segment_key(STORE, vip)) == 1
    assert SegmentMemberModel.count(segment_key(STORE, staff)) == 0
    assert SegmentModel.get(STORE, vip).customers_count == 1
    assert SegmentModel.get(STORE, staff).customers_count == 0


# --- roles and tenancy ------------------------------------------------------------------------


def test_seller_and_anonymous_callers_are_refused(client: Any) -> None:
    seller = jwt_headers(token_for(Role.SELLER))
    for path in ("/api/DEFAULT/level", "/api/DEFAULT/segment", "/api/DEFAULT/campaignCategory"):
        denied = client.post(path, body=json.dumps({}), headers=seller)
        assert denied.status_code == 403
        assert client.get(path, headers=seller).status_code == 403
        assert client.get(path).status_code == 401
    assert body_of(send(client, "get", "/api/DEFAULT/level"))["total"] == 0


def test_another_stores_admin_can_neither_see_nor_change(client: Any) -> None:
    level_id = create_level(client, "Gold")
    segment_id = create_segment(client, "VIP")
    ann = customer("ann@example.com")
    add_members(client, segment_id, ann)
    set_level(client, ann, level_id)

    # Addressing the other store: the credential's store does not match.
    for method in ("get", "delete"):
        response = send(client, method, f"/api/DEFAULT/level/{level_id}", store_code=OTHER_STORE)
        assert response.status_code == 403
    # Addressing its own store: the ids are not there.
    for method, path, body in (
        ("get", f"/api/OTHER/level/{level_id}", None),
        ("put", f"/api/OTHER/level/{level_id}", {"level": {"name": "Mine"}}),
        ("delete", f"/api/OTHER/level/{level_id}", None),
        ("get", f"/api/OTHER/segment/{segment_id}", None),
        ("put", f"/api/OTHER/segment/{segment_id}", {"segment": {"name": "Mine"}}),
        ("delete", f"/api/OTHER/segment/{segment_id}", None),
        ("delete", f"/api/OTHER/segment/{segment_id}/customers/{ann}", None),
        ("post", f"/api/OTHER/customer/{ann}/level", {"levelId": None}),
        ("get", f"/api/OTHER/customer/{ann}/segments", None),
    ):
        response = send(client, method, path, body, store_code=OTHER_STORE)
        assert response.status_code == 404, (method, path, response.body)

    assert body_of(send(client, "get", f"/api/DEFAULT/level/{level_id}"))["name"] == "Gold"
    assert body_of(send(client, "get", f"/api/DEFAULT/segment/{segment_id}"))["name"] == "VIP"
    record = stored(ann)
    assert (record.level_id, record.segment_ids) == (level_id, {segment_id})
    assert body_of(send(client, "get", "/api/OTHER/level", store_code=OTHER_STORE))["total"] == 0


def test_admin_paths_issue_no_scan(aws_calls: Any, client: Any) -> None:
    level_id = create_level(client, "Gold")
    segment_id = create_segment(client, "VIP")
    ann = customer("ann@example.com")
    set_level(client, ann, level_id)
    add_members(client, segment_id, ann)
    for path in (
        "/api/DEFAULT/level",
        f"/api/DEFAULT/level/{level_id}",
        "/api/DEFAULT/segment",
        f"/api/DEFAULT/segment/{segment_id}/customers",
        "/api/DEFAULT/campaignCategory",
        f"/api/DEFAULT/customer/{ann}/segments",
    ):
        assert send(client, "get", path).status_code == 200
    send(client, "delete", f"/api/DEFAULT/segment/{segment_id}")
    assert aws_calls.count("Scan") == 0


def test_a_customer_who_joined_meanwhile_is_not_counted_twice(client: Any) -> None:
    segment_id = create_segment(client, "VIP")
    ann, bob = customer("ann@example.com"), customer("bob@example.com")
    add_members(client, segment_id, ann)

    # As if `ann` joined between add_members' read and its write: the transaction is refused
    # by ann's conditions, the chunk is read again, and only bob is added.
    assert targeting.members._join(STORE, segment_id, [ann, bob]) == [ann]
    assert SegmentModel.get(STORE, segment_id).customers_count == 2
    assert stored(bob).segment_ids == {segment_id}


def test_deleted_customers_memberships_are_dropped_without_recreating_them(client: Any) -> None:
    segment_id = create_segment(client, "VIP")
    ann, bob = customer("ann@example.com"), customer("bob@example.com")
    add_members(client, segment_id, ann, bob)
    stored(ann).delete()

    gone = send(client, "delete", f"/api/DEFAULT/segment/{segment_id}/customers/{ann}")
    assert (gone.status_code, body_of(gone)["code"]) == (404, "customer_not_found")

    assert send(client, "delete", f"/api/DEFAULT/segment/{segment_id}").status_code == 204
    assert SegmentMemberModel.count(segment_key(STORE, segment_id)) == 0
    assert CustomerModel.count(STORE) == 1  # ann was not brought back by the mirror update
    assert stored(bob).segment_ids == set()
