"""`GET /campaign/{campaign}/customers/visible`: who a campaign is offered to, by its targeting."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from chalicelib.domain.access import stores
from chalicelib.domain.access.auth import Role
from chalicelib.domain.catalog import coupon_usage, targeting
from tests.fixtures.bought import T0, buy, new_customer
from tests.fixtures.clients import OTHER_STORE, STORE, body_of, jwt_headers, token_for
from tests.fixtures.factories import add_customer, make_campaign


def admin(store_code: str = STORE) -> dict[str, str]:
    return jwt_headers(token_for(Role.ADMIN, store_code))


def visible(client: Any, campaign_id: str, query: str = "", store_code: str = STORE) -> Any:
    path = f"/api/{store_code}/campaign/{campaign_id}/customers/visible{query}"
    return client.get(path, headers=admin(store_code))


def level(name: str) -> str:
    return targeting.create_level(STORE, targeting.LevelInput.of(name=name)).level_id


def segment(name: str) -> str:
    return targeting.create_segment(STORE, targeting.SegmentInput.of(name=name)).segment_id


def customer(email: str, level_id: str | None = None, **fields: Any) -> str:
    record = add_customer(STORE, email, firstname="Ann", surname="Lee", **fields)
    if level_id:
        targeting.set_customer_level(
            STORE, record.customer_id, targeting.LevelChoice(levelId=level_id)
        )
    return record.customer_id


def ids_of(response: Any) -> list[str]:
    return [row["customerId"] for row in body_of(response)["customers"]]


def test_level_targeting_lists_the_customers_of_its_levels(aws_calls: Any, client: Any) -> None:
    gold, silver, bronze = level("Gold"), level("Silver"), level("Bronze")
    wanted = sorted(
        customer(email, chosen)
        for email, chosen in (("g1@x.com", gold), ("g2@x.com", gold), ("s1@x.com", silver))
    )
    customer("b1@example.com", bronze)
    customer("none@example.com")
    campaign = make_campaign(target="level", levels=[gold, silver])

    aws_calls.reset()
    response = visible(client, campaign.campaign_id)
    assert response.status_code == 200, response.body
    assert ids_of(response) == wanted
    assert body_of(response)["total"] == 3
    assert aws_calls.count("Scan") == 0


def test_segment_targeting_lists_members_once(aws_calls: Any, client: Any) -> None:
    vip, staff = segment("VIP"), segment("Staff")
    ann, bob, cy = (customer(f"{name}@example.com") for name in ("ann", "bob", "cy"))
    customer("outsider@example.com")
    targeting.add_members(STORE, vip, targeting.MembersInput(customers=[ann, bob]))
    targeting.add_members(STORE, staff, targeting.MembersInput(customers=[bob, cy]))
    campaign = make_campaign(target="segment", segments=[vip, staff])

    aws_calls.reset()
    response = visible(client, campaign.campaign_id)
    assert ids_of(response) == sorted([ann, bob, cy])
    assert body_of(response)["total"] == 3
    rows = {row["customerId"]: row for row in body_of(response)["customers"]}
    assert rows[bob]["segments"] == sorted([vip, staff])
    assert aws_calls.count("Scan") == 0


def test_pages_agree_with_the_whole_list(client: Any) -> None:
    gold = level("Gold")
    everyone = sorted(customer(f"c{number}@example.com", gold) for number in range(7))
    campaign = make_campaign(target="level", levels=[gold])

    pages = [visible(client, campaign.campaign_id, f"?page={page}&perPage=3") for page in (1, 2, 3)]
    assert [ids_of(page) for page in pages] == [everyone[0:3], everyone[3:6], everyone[6:7]]
    assert all(body_of(page)["total"] == 7 for page in pages)
    assert ids_of(visible(client, campaign.campaign_id, "?page=4&perPage=3")) == []


def test_customer_fields_as_the_document_shows_them(client: Any) -> None:
    gold = level("Gold")
    customer_id = customer(
        "jane@example.com",
        gold,
        telephone="111112222",
        address1="Test",
        address2="1",
        town="Warszawa",
        postcode="00-000",
        country_code="pl",
    )
    bare = customer("bare@example.com", gold)
    campaign = make_campaign(target="level", levels=[gold])

    rows = {
        row["customerId"]: row
        for row in body_of(visible(client, campaign.campaign_id))["customers"]
    }
    row = rows[customer_id]
    assert row["active"] is True
    assert (row["firstName"], row["lastName"]) == ("Ann", "Lee")
    assert (row["email"], row["phone"], row["levelId"]) == ("jane@example.com", "111112222", gold)
    assert row["address"] == {
        "street": "Test",
        "address1": "1",
        "city": "Warszawa",
        "postal": "00-000",
        "country": "PL",
    }
    assert row["createdAt"].endswith("+0000") and row["updatedAt"]
    assert "address" not in rows[bare]


def test_untargeted_campaign_is_visible_to_every_customer_of_the_store(
    aws_calls: Any, client: Any
) -> None:
    everyone = sorted(customer(f"c{number}@example.com") for number in range(3))
    add_customer(OTHER_STORE, "elsewhere@example.com")
    campaign = make_campaign()

    aws_calls.reset()
    response = visible(client, campaign.campaign_id)
    assert ids_of(response) == everyone
    assert body_of(response)["total"] == 3
    assert aws_calls.count("Scan") == 0


def test_unknown_campaign_and_other_stores_campaign_are_404(client: Any) -> None:
    campaign = make_campaign(target="level", levels=[level("Gold")])
    missing = visible(client, "no-such-campaign")
    assert (missing.status_code, body_of(missing)["code"]) == (404, "campaign_not_found")
    assert visible(client, campaign.campaign_id, store_code=OTHER_STORE).status_code == 404
    cross = client.get(
        f"/api/DEFAULT/campaign/{campaign.campaign_id}/customers/visible",
        headers=admin(OTHER_STORE),
    )
    assert cross.status_code == 403


def test_only_admins_may_look(client: Any) -> None:
    campaign = make_campaign()
    path = f"/api/DEFAULT/campaign/{campaign.campaign_id}/customers/visible"
    for role in (Role.SELLER, Role.CUSTOMER):
        assert client.get(path, headers=jwt_headers(token_for(role))).status_code == 403
    assert client.get(path).status_code == 401


# The document's customer of `customers/visible`: every key and the type of its value.
DOCUMENT_FIELDS: dict[str, tuple[type, ...]] = {
    "customerId": (str,),
    "active": (bool,),
    "firstName": (str,),
    "lastName": (str,),
    "gender": (type(None),),
    "email": (str,),
    "phone": (str, type(None)),
    "birthDate": (type(None),),
    "loyaltyCardNumber": (type(None),),
    "createdAt": (str,),
    "levelId": (str, type(None)),
    "manuallyAssignedLevelId": (dict, type(None)),
    "agreement1": (bool,),
    "agreement2": (bool,),
    "agreement3": (bool,),
    "updatedAt": (str,),
    "campaignPurchases": (list,),
    "transactionsCount": (int,),
    "transactionsAmount": (int,),
    "transactionsAmountWithoutDeliveryCosts": (int,),
    "amountExcludedForLevel": (int,),
    "averageTransactionAmount": (int,),
    "lastTransactionDate": (type(None),),
    "currency": (str,),
    "levelPercent": (type(None),),
}


def test_every_field_the_document_lists_with_one_type_each(client: Any) -> None:
    gold = level("Gold")
    with_level = customer("jane@example.com", gold, telephone="111112222")
    bare = customer("bare@example.com")
    campaign = make_campaign()

    rows = {
        row["customerId"]: row
        for row in body_of(visible(client, campaign.campaign_id))["customers"]
    }

    for row in rows.values():
        assert DOCUMENT_FIELDS.keys() <= row.keys()
        for key, types in DOCUMENT_FIELDS.items():
            assert type(row[key]) in types, (key, row[key])
        currency = stores.get_store(STORE).currency.lower()
        assert (row["agreement1"], row["transactionsCount"], row["currency"]) == (
            False,
            0,
            currency,
        )
        assert row["campaignPurchases"] == []
    assert rows[with_level]["manuallyAssignedLevelId"] == {"levelId": gold}
    assert rows[bare]["manuallyAssignedLevelId"] is None and rows[bare]["levelId"] is None


def test_each_customer_shows_their_purchases_of_this_campaign_only(client: Any) -> None:
    campaign = make_campaign(codes=["A-1", "A-2", "A-3"])
    other = make_campaign(codes=["B-1"])
    ann = new_customer(email="ann@example.com", points=100, firstname="Ann", surname="Lee")
    bob = new_customer(email="bob@example.com", points=100, firstname="Bob", surname="Ray")
    first = buy(campaign, ann, now=T0, cost=10)
    second = buy(campaign, ann, now=T0 + timedelta(hours=1), cost=10)
    buy(other, bob, now=T0, cost=5)
    coupon_usage.set_coupon_usage(
        STORE, ann.customer_id, campaign.campaign_id, first.reward_id, True, T0
    )

    rows = {
        row["customerId"]: row
        for row in body_of(visible(client, campaign.campaign_id))["customers"]
    }

    assert rows[ann.customer_id]["campaignPurchases"] == [
        {
            "purchaseAt": "2024-03-10T00:00:00+0000",
            "costInPoints": 10,
            "campaignId": {"campaignId": campaign.campaign_id},
            "used": True,
            "coupon": {"code": first.coupon_code},
        },
        {
            "purchaseAt": "2024-03-10T01:00:00+0000",
            "costInPoints": 10,
            "campaignId": {"campaignId": campaign.campaign_id},
            "used": False,
            "coupon": {"code": second.coupon_code},
        },
    ]
    assert rows[bob.customer_id]["campaignPurchases"] == []  # bought another campaign only


def test_purchases_cost_reads_bounded_by_the_page_not_the_store(
    aws_calls: Any, client: Any
) -> None:
    gold = level("Gold")
    campaign = make_campaign(target="level", levels=[gold], codes=[f"C-{n}" for n in range(20)])
    buyers = []
    for number in range(12):
        record = new_customer(email=f"c{number}@example.com", points=10)
        targeting.set_customer_level(STORE, record.customer_id, targeting.LevelChoice(levelId=gold))
        buy(campaign, record, now=T0)
        buyers.append(record.customer_id)

    aws_calls.reset()
    page = body_of(visible(client, campaign.campaign_id, "?page=1&perPage=3"))

    assert [row["customerId"] for row in page["customers"]] == sorted(buyers)[:3]
    assert all(len(row["campaignPurchases"]) == 1 for row in page["customers"])
    assert aws_calls.count("Scan") == 0
    assert aws_calls.count("BatchGetItem") == 2  # the page's customers, their usage items
    assert aws_calls.count("Query") <= 3 + 3  # the level's ids, then one Query per buyer shown
