"""Campaign lists through the app: one Query per DynamoDB page over a 500-campaign store, and
filters, sort and paging that agree with a brute-force check over the same campaigns.

moto takes seconds to serialise a Query answer of hundreds of items, so the wide matrix of
cases runs over a smaller catalog; the 500-campaign test checks calls and a sorted, filtered
page.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest

from chalicelib.domain.access.auth import Role
from chalicelib.storage.campaigns import REWARD_TYPES, CampaignModel
from tests.fixtures.aws import hooked_clients
from tests.fixtures.campaigns import TableCalls
from tests.fixtures.clients import STORE, body_of, jwt_headers, token_for

NOW = datetime.now(UTC)
LABELS = [
    {"key": "type", "value": "promotion"},
    {"key": "type", "value": "cashback"},
    {"key": "tier", "value": "gold"},
]
CATEGORIES = ["c1", "c2", "c3"]
NAMES = ["alpha", "Beta", "gamma", "Delta", "epsilon", "zeta"]
FILLER = "A long brand description. " * 200  # ~5 KB a campaign: the list spans DynamoDB pages


@pytest.fixture
def table_calls() -> Iterator[TableCalls]:
    calls = TableCalls()
    with hooked_clients(calls.record):
        yield calls


def row(n: int) -> dict[str, Any]:
    """The n-th campaign's facts, varied so every filter and sort has something to do."""
    windowed = n % 7 == 0
    past = n % 11 == 0
    return {
        "n": n,
        "name": f"{NAMES[n % len(NAMES)]} {n:03d}",
        "reward": REWARD_TYPES[n % len(REWARD_TYPES)],
        "cost": (n * 37) % 101,
        "active": n % 3 != 0,
        "featured": n % 5 == 0,
        "public": n % 4 != 0,
        "labels": [LABELS[i] for i in range(3) if (n >> i) % 2],
        "categories": [CATEGORIES[i] for i in range(3) if (n >> (i + 1)) % 3 == 0],
        "all_time_active": not windowed and not past,
        "active_from": NOW - timedelta(days=30 if not past else 60) if windowed or past else None,
        "active_to": NOW + timedelta(days=30)
        if windowed
        else NOW - timedelta(days=1)
        if past
        else None,
        "limit": None if n % 2 else 100 + n % 13,
        "created": NOW - timedelta(minutes=(n * 7919) % 500),
    }


def write_catalog(size: int, description: str | None = None) -> dict[str, dict[str, Any]]:
    """`size` campaigns written straight to the table; {campaign id: facts}."""
    rows = {}
    with CampaignModel.batch_write() as batch:
        for n in range(size):
            facts = row(n)
            campaign_id = f"{(n * 7919) % 1000:04d}-{n:03d}"
            rows[campaign_id] = {**facts, "id": campaign_id}
            batch.save(
                CampaignModel(
                    STORE,
                    campaign_id,
                    reward=facts["reward"],
                    translations={"en": {"name": facts["name"], "brandDescription": description}},
                    active=facts["active"],
                    featured=facts["featured"],
                    public=facts["public"],
                    cost_in_points=facts["cost"],
                    labels=facts["labels"],
                    categories=facts["categories"],
                    all_time_active=facts["all_time_active"],
                    active_from=facts["active_from"],
                    active_to=facts["active_to"],
                    unlimited=facts["limit"] is None,
                    limit=facts["limit"],
                    limit_per_user=None if facts["limit"] is None else 1,
                    created_at=facts["created"],
                    updated_at=facts["created"],
                )
            )
    return rows


@pytest.fixture
def catalog(store: str) -> dict[str, dict[str, Any]]:
    return write_catalog(150)


def admin() -> dict[str, str]:
    return jwt_headers(token_for(Role.ADMIN))


def get(client: Any, path: str, params: list[tuple[str, str]], role: Role = Role.ADMIN) -> Any:
    query = f"?{urlencode(params)}" if params else ""
    response = client.get(f"/api/{STORE}{path}{query}", headers=jwt_headers(token_for(role)))
    assert response.status_code == 200, response.body
    return body_of(response)


def brute_force(
    rows: dict[str, dict[str, Any]],
    keep: Any = lambda facts: True,
    sort: Any = None,
    descending: bool = False,
    page: int = 1,
    per_page: int = 10,
) -> tuple[list[str], int]:
    found = [facts for facts in rows.values() if keep(facts)]
    found.sort(key=lambda facts: (facts["created"], facts["id"]))
    if sort is not None:
        found.sort(key=lambda facts: (sort(facts) is None, sort(facts)), reverse=descending)
    start = (page - 1) * per_page
    return [facts["id"] for facts in found[start : start + per_page]], len(found)


def is_active(facts: dict[str, Any]) -> bool:
    if not facts["active"]:
        return False
    if facts["all_time_active"]:
        return True
    return facts["active_from"] <= NOW <= facts["active_to"]


def has(label: dict[str, str]) -> Any:
    return lambda facts: any(
        all(own.get(part) == value for part, value in label.items()) for own in facts["labels"]
    )


def test_listing_is_one_query_per_dynamodb_page_and_no_scan(
    table_calls: TableCalls, client: Any
) -> None:
    import boto3

    from chalicelib.config import get_settings

    rows = write_catalog(500, FILLER)
    table = get_settings().table_name("campaigns")
    paginator = boto3.client("dynamodb").get_paginator("query")
    pages = sum(
        1
        for _ in paginator.paginate(
            TableName=table,
            KeyConditionExpression="store_code = :s",
            ExpressionAttributeValues={":s": {"S": STORE}},
        )
    )
    table_calls.calls.clear()

    listed = get(client, "/campaign", [("perPage", "100"), ("page", "2")])

    assert pages >= 2  # the store's catalog really spans several DynamoDB pages
    assert table_calls.count("Query", table) == pages
    assert table_calls.count("Scan") == 0
    assert listed["total"] == 500 and len(listed["campaigns"]) == 100
    assert [c["campaignId"] for c in listed["campaigns"]] == brute_force(
        rows, page=2, per_page=100
    )[0]

    sorted_page = get(
        client,
        "/campaign",
        [
            ("labels[0][key]", "type"),
            ("sort", "costInPoints"),
            ("direction", "DESC"),
            ("page", "3"),
        ],
    )
    ids, total = brute_force(
        rows, has({"key": "type"}), lambda f: f["cost"], descending=True, page=3
    )
    assert [c["campaignId"] for c in sorted_page["campaigns"]] == ids
    assert sorted_page["total"] == total


CASES = [
    ("first page, default order", [], {}),
    ("page 3 of 7", [("page", "3"), ("perPage", "7")], {"page": 3, "per_page": 7}),
    ("past the end", [("page", "99")], {"page": 99}),
    (
        "cost DESC",
        [("sort", "costInPoints"), ("direction", "desc"), ("perPage", "25")],
        {"sort": lambda f: f["cost"], "descending": True, "per_page": 25},
    ),
    (
        "name ASC, page 2",
        [("sort", "name"), ("page", "2"), ("perPage", "30")],
        {"sort": lambda f: f["name"].casefold(), "page": 2, "per_page": 30},
    ),
    (
        "limit ASC (blanks last)",
        [("sort", "limit"), ("perPage", "100"), ("page", "3")],
        {"sort": lambda f: f["limit"], "page": 3, "per_page": 100},
    ),
    (
        "label key and value",
        [("labels[0][key]", "type"), ("labels[0][value]", "cashback"), ("perPage", "50")],
        {"keep": has({"key": "type", "value": "cashback"}), "per_page": 50},
    ),
    (
        "two label conditions, one by value only",
        [("labels[0][key]", "tier"), ("labels[1][value]", "promotion"), ("perPage", "50")],
        {
            "keep": lambda f: has({"key": "tier"})(f) and has({"value": "promotion"})(f),
            "per_page": 50,
        },
    ),
    (
        "categories, any of",
        [("categoryId[]", "c1"), ("categoryId[]", "c3"), ("perPage", "40"), ("page", "2")],
        {
            "keep": lambda f: bool({"c1", "c3"} & set(f["categories"])),
            "per_page": 40,
            "page": 2,
        },
    ),
]


# Every sort key the catalog documents, as the row's fact it orders by.
SORTS = {
    "campaignId": lambda f: f["id"],
    "name": lambda f: f["name"].casefold(),
    "reward": lambda f: f["reward"],
    "active": lambda f: f["active"],
    "isFeatured": lambda f: f["featured"],
    "isPublic": lambda f: f["public"],
    "public": lambda f: f["public"],
    "costInPoints": lambda f: f["cost"],
    "limit": lambda f: f["limit"],
    "limitPerUser": lambda f: None if f["limit"] is None else 1,
    "unlimited": lambda f: f["limit"] is None,
    "allTimeActive": lambda f: f["all_time_active"],
    "campaignActivity.allTimeActive": lambda f: f["all_time_active"],
    "campaignActivity.activeFrom": lambda f: f["active_from"],
    "activeTo": lambda f: f["active_to"],
    "createdAt": lambda f: f["created"],
}
FILTERS = [
    ("isPublic=1", [("isPublic", "1")], lambda f: f["public"]),
    ("isPublic=0", [("isPublic", "0")], lambda f: not f["public"]),
    ("isFeatured=true", [("isFeatured", "true")], lambda f: f["featured"]),
    ("active=0", [("active", "0")], lambda f: not f["active"]),
    (
        "isPublic and isFeatured",
        [("isPublic", "1"), ("isFeatured", "0")],
        lambda f: f["public"] and not f["featured"],
    ),
]


def test_every_sort_key_in_both_directions_and_exact_flags(
    client: Any, catalog: dict[str, dict[str, Any]]
) -> None:
    for key, fact in SORTS.items():
        for direction in ("ASC", "DESC"):
            params = [("sort", key), ("direction", direction), ("perPage", "1000")]
            listed = get(client, "/campaign", [*params, ("withoutCoupons", "1")])
            ids, _ = brute_force(catalog, sort=fact, descending=direction == "DESC", per_page=1000)
            assert [c["campaignId"] for c in listed["campaigns"]] == ids, (key, direction)
    for label, params, keep in FILTERS:
        listed = get(client, "/campaign", [*params, ("perPage", "1000"), ("withoutCoupons", "1")])
        ids, total = brute_force(catalog, keep, per_page=1000)
        assert 0 < total < len(catalog), label
        assert [c["campaignId"] for c in listed["campaigns"]] == ids, label
    too_many = client.get(f"/api/{STORE}/campaign?perPage=1001", headers=admin())
    assert too_many.status_code == 400


def test_filters_sort_and_paging_agree_with_brute_force(
    client: Any, catalog: dict[str, dict[str, Any]]
) -> None:
    for label, params, expected in CASES:
        listed = get(client, "/campaign", [*params, ("withoutCoupons", "1")])
        ids, total = brute_force(catalog, **expected)
        assert [c["campaignId"] for c in listed["campaigns"]] == ids, label
        assert listed["total"] == total, label


def test_active_and_public_lists_agree_with_brute_force(
    client: Any, catalog: dict[str, dict[str, Any]]
) -> None:
    active = get(client, "/campaign/active", [("perPage", "20"), ("page", "2")])
    ids, total = brute_force(catalog, is_active, page=2, per_page=20)
    assert [c["id"] for c in active["campaigns"]] == ids
    assert active["total"] == total
    assert active["campaigns"][0] == {"id": ids[0], "name": catalog[ids[0]]["name"]}
    every = get(client, "/campaign/active", [])  # no page asked: all of them, as OL lists them
    ids, total = brute_force(catalog, is_active, per_page=len(catalog))
    assert total > 10 and [c["id"] for c in every["campaigns"]] == ids
    assert every["total"] == total

    def available(facts: dict[str, Any]) -> bool:
        return facts["public"] and is_active(facts)

    cases = [
        ([("perPage", "100")], available),
        (
            [("isFeatured", "1"), ("perPage", "100")],
            lambda f: available(f) and f["featured"],
        ),
        (
            [("campaignType", "gift_code"), ("name", "ALPHA"), ("perPage", "100")],
            lambda f: available(f) and f["reward"] == "gift_code" and "alpha" in f["name"],
        ),
    ]
    roles = [Role.CUSTOMER, Role.SELLER, Role.ADMIN]
    for (params, keep), role in zip(cases, roles, strict=True):
        public = get(client, "/campaign/public/available", params, role)
        ids, total = brute_force(catalog, keep, per_page=100)
        assert [c["campaignId"] for c in public["campaigns"]] == ids, params
        assert public["total"] == total
        assert all("usersWhoUsedThisCampaignCount" not in c for c in public["campaigns"])


def test_seller_list_is_the_same_catalog_with_codes_and_counters(
    client: Any, catalog: dict[str, dict[str, Any]]
) -> None:
    params = [("sort", "costInPoints"), ("perPage", "20")]
    seller = get(client, "/seller/campaign", params, Role.SELLER)
    full = get(client, "/campaign", params)

    assert [c["campaignId"] for c in seller["campaigns"]] == [
        c["campaignId"] for c in full["campaigns"]
    ]
    assert seller["total"] == full["total"] == len(catalog)
    # The document's seller list shows the codes and both counters, as the admin's.
    staff = {"coupons", "visibleForCustomersCount", "usersWhoUsedThisCampaignCount"}
    assert all(staff <= set(c) for c in seller["campaigns"])
    assert seller["campaigns"] == full["campaigns"]


def test_store_api_keys_read_the_public_list_only(client: Any) -> None:
    from tests.fixtures.clients import bearer

    public = client.get(f"/api/{STORE}/campaign/public/available", headers=bearer())
    admin_list = client.get(f"/api/{STORE}/campaign", headers=bearer())

    assert public.status_code == 200 and body_of(public) == {"campaigns": [], "total": 0}
    assert admin_list.status_code == 403


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ([("perPage", "1001")], "perPage"),
        ([("page", "0")], "page"),
        ([("sort", "password")], "sort"),
        ([("direction", "sideways")], "direction"),
        ([("campaignType", "bitcoin")], "campaignType"),
    ],
    ids=["perPage", "page", "sort", "direction", "campaignType"],
)
def test_bad_list_parameters_are_named(
    client: Any, params: list[tuple[str, str]], field: str
) -> None:
    response = client.get(f"/api/{STORE}/campaign?{urlencode(params)}", headers=admin())

    assert response.status_code == 400
    assert body_of(response)["form"]["children"][field]["errors"]


def test_blank_paging_parameters_mean_the_defaults(client: Any) -> None:
    response = client.get(f"/api/{STORE}/campaign?page=&perPage=", headers=admin())

    assert response.status_code == 200, response.body
    assert body_of(response)["total"] == 0
