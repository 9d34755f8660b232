"""The store's customer count (`customer-counts`): kept by every transaction that creates or
deletes a customer, and read in one Query for `visibleForCustomersCount`, however many."""

from __future__ import annotations

import json
from typing import Any

from chalicelib.config import get_settings
from chalicelib.domain.customers.records import COUNT_SHARES, customers_count
from chalicelib.storage.customers import CustomerCountModel, CustomerModel
from tests.fixtures.aws import hooked_clients
from tests.fixtures.campaigns import admin
from tests.fixtures.clients import OTHER_STORE, STORE, bearer, body_of
from tests.fixtures.factories import make_campaign
from tests.fixtures.mokugift import person, post_many
from tests.fixtures.points import _instant, claim_json, make_claim
from tests.fixtures.recipients import WALLACE


def stored(store_code: str = STORE) -> int:
    return sum(1 for _ in CustomerModel.query(store_code, consistent_read=True))


def test_every_way_in_and_out_of_the_directory_moves_the_count(client: Any) -> None:
    created = client.post("/recipients", headers=bearer(), body=json.dumps(WALLACE))
    claimed = claim_json(client, make_claim(), {"email": "claimant@example.com"})
    _instant(client, [{"amount": 5, "email": "a@example.com"}, {"amount": 5, "email": "b@x.com"}])
    issued = post_many(client, make_campaign(), "multi_reward_urls", [person(n) for n in range(30)])
    assert (created.status_code, claimed.status_code, issued.status_code) == (201, 200, 200)
    assert customers_count(STORE) == stored() == 1 + 1 + 2 + 30

    client.delete(f"/recipients/{body_of(created)['id']}", headers=bearer())
    assert customers_count(STORE) == stored() == 33
    assert customers_count(OTHER_STORE) == 0


def test_known_customers_and_refused_creations_are_not_counted(client: Any) -> None:
    client.post("/recipients", headers=bearer(), body=json.dumps(WALLACE))
    taken = client.post("/recipients", headers=bearer(), body=json.dumps(WALLACE))
    claim_json(client, make_claim(), {"email": WALLACE["email"]})
    _instant(client, [{"amount": 5, "email": WALLACE["email"]}])
    # Named twice in one request: one customer, with two rewards.
    post_many(client, make_campaign(), "multi_reward_urls", [person(1), person(1)])

    assert taken.status_code == 422  # the email is taken
    assert customers_count(STORE) == stored() == 2


def test_the_count_is_spread_over_its_shares(client: Any) -> None:
    post_many(client, make_campaign(), "multi_reward_urls", [person(n) for n in range(100)])
    for n in range(40):
        _instant(client, [{"amount": 1, "email": f"one{n}@example.com"}])

    shares = list(
        CustomerCountModel.query(STORE, CustomerCountModel.shard >= 0, consistent_read=True)
    )
    assert sum(int(share.customers) for share in shares) == 140
    assert 1 < len(shares) <= COUNT_SHARES  # 45 transactions: not all on one item


def test_the_campaign_list_reads_the_count_not_the_customers(client: Any) -> None:
    _instant(client, [{"amount": 1, "email": f"c{n}@example.com"} for n in range(30)])
    make_campaign()
    queried: list[str] = []
    settings = get_settings()

    def record(model: Any, params: dict[str, Any], **_: Any) -> None:
        if model.name == "Query":
            queried.append(json.loads(params["body"])["TableName"])

    with hooked_clients(record):
        listed = body_of(client.get(f"/api/{STORE}/campaign", headers=admin()))

    assert [c["visibleForCustomersCount"] for c in listed["campaigns"]] == [30]
    # The campaigns, then the count's shares: never the customers themselves.
    assert queried == [settings.table_name("campaigns"), settings.table_name("customer-counts")]
