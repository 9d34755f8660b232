"""Mokugift queries over HTTP in the JSON contract: a campaign's rewards of one month, and all
of them, whole or by page. (The original contract's XML: test_mokugift_original.py.)"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.api.mokugift import queries
from chalicelib.domain.access.auth import Role
from chalicelib.domain.rewards.grants import Grant, Recipient
from chalicelib.domain.rewards.handout import acquire
from chalicelib.domain.rewards.links import reward_token
from chalicelib.storage.campaigns import CampaignModel
from chalicelib.storage.rewards import ISSUED, RewardModel
from tests.fixtures.aws import AwsCalls
from tests.fixtures.clients import API_KEY, OTHER_API_KEY, bearer, body_of, jwt_headers, token_for
from tests.fixtures.factories import make_campaign

MARCH = datetime(2024, 3, 1, tzinfo=UTC)
JSON = "application/json"


def reader(api_key: str = API_KEY) -> dict[str, str]:
    """The store's API key, asking for the JSON contract."""
    return {**bearer(api_key), "Accept": JSON}


TICK = timedelta(microseconds=1)


def rewards_at(campaign: CampaignModel, moment: datetime, count: int = 1) -> list[str]:
    """`count` rewards created at `moment` (the API always issues now); their ids in order."""
    grants = [
        Grant(f"customer-{moment.timestamp()}-{n}", recipient=Recipient(email=f"{n}@example.com"))
        for n in range(count)
    ]
    outcomes = acquire(campaign, grants, source=ISSUED, now=moment)
    return [outcome.rewards[0].reward_id for outcome in outcomes]


def walk(client: Any, path: str, headers: dict[str, str] | None = None) -> list[list[str]]:
    """Follow the cursors from the first page; the reward ids of each page."""
    pages: list[list[str]] = []
    cursor = None
    while True:
        separator = "&" if "?" in path else "?"
        url = f"{path}{separator}cursor={cursor}" if cursor else path
        response = client.get(url, headers=headers or reader())
        assert response.status_code == 200, response.body
        body = body_of(response)
        pages.append([reward["rewardId"] for reward in body["rewards"]])
        cursor = body["nextCursor"]
        if cursor is None:
            return pages


def flat(pages: list[list[str]]) -> list[str]:
    return [reward_id for page in pages for reward_id in page]


@pytest.fixture
def campaign(store: str) -> CampaignModel:
    return make_campaign()


def test_rewards_in_month_returns_only_that_utc_month_page_by_page(
    client: Any, campaign: CampaignModel
) -> None:
    rewards_at(campaign, MARCH - TICK)  # the last instant of February
    march = [
        *rewards_at(campaign, MARCH),
        *rewards_at(campaign, MARCH + timedelta(days=14), 3),
        *rewards_at(campaign, datetime(2024, 4, 1, tzinfo=UTC) - TICK),
    ]
    rewards_at(campaign, datetime(2024, 4, 1, tzinfo=UTC))
    rewards_at(campaign, MARCH.replace(year=2023))

    pages = walk(client, f"/api/rewards_in_month/{campaign.campaign_id}/3/2024?limit=2")

    assert [len(page) for page in pages] == [2, 2, 1]
    assert sorted(flat(pages)) == sorted(march)
    assert (flat(pages)[0], flat(pages)[-1]) == (march[0], march[-1])


def test_a_month_page_shows_the_rewards(client: Any, campaign: CampaignModel) -> None:
    [reward_id] = rewards_at(campaign, MARCH + timedelta(hours=5))

    body = body_of(
        client.get(f"/api/rewards_in_month/{campaign.campaign_id}/03/2024", headers=reader())
    )

    [reward] = body["rewards"]
    stored = RewardModel.get(campaign.store_code, reward_id)
    assert reward["rewardId"] == reward_id
    assert reward["email"] == "0@example.com"
    assert reward["url"] == f"https://rewards.test/r/{reward_token(stored)}"
    assert reward["createdAt"] == "2024-03-01T05:00:00Z"
    assert body["nextCursor"] is None


def test_all_rewards_answers_every_reward_at_once(
    aws_calls: AwsCalls, client: Any, campaign: CampaignModel
) -> None:
    created = rewards_at(campaign, MARCH, 151)  # past a page of the old contract, and of limit
    other = make_campaign()
    rewards_at(other, MARCH)
    aws_calls.reset()

    response = client.get(f"/api/all_rewards/{campaign.campaign_id}", headers=reader())

    body = body_of(response)
    assert sorted(reward["rewardId"] for reward in body["rewards"]) == sorted(created)
    assert body["summary"] == {"rewardCount": 151, "treeCount": 151}
    assert {reward["treeCount"] for reward in body["rewards"]} == {1}
    assert body["nextCursor"] is None
    assert aws_calls.count("Query") == 1  # one page of DynamoDB's (1 MB) holds them
    assert aws_calls.count("Scan") == 0


def test_limit_still_pages(client: Any, campaign: CampaignModel) -> None:
    created = rewards_at(campaign, MARCH, 51)

    pages = walk(client, f"/api/all_rewards/{campaign.campaign_id}?limit=50")

    assert [len(page) for page in pages] == [50, 1]
    assert sorted(flat(pages)) == sorted(created)


def test_an_answer_past_the_size_limit_continues_by_cursor(
    client: Any, campaign: CampaignModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    created = rewards_at(campaign, MARCH, 7)
    one = len(json.dumps(body_of(walk_first(client, campaign))["rewards"][0]))
    monkeypatch.setattr(queries, "MAX_ANSWER_BYTES", 3 * one + 10)  # three rewards an answer

    pages = walk(client, f"/api/all_rewards/{campaign.campaign_id}")

    assert [len(page) for page in pages] == [3, 3, 1]
    assert sorted(flat(pages)) == sorted(created)


def walk_first(client: Any, campaign: CampaignModel) -> Any:
    return client.get(f"/api/all_rewards/{campaign.campaign_id}?limit=1", headers=reader())


def test_rewards_in_month_without_month_is_this_utc_month(
    client: Any, campaign: CampaignModel
) -> None:
    now = datetime.now(UTC)
    this_month = rewards_at(campaign, now)
    rewards_at(campaign, datetime(now.year, now.month, 1, tzinfo=UTC) - TICK)

    pages = walk(client, f"/api/rewards_in_month/{campaign.campaign_id}")

    assert flat(pages) == this_month


def test_pages_of_one_walk_rewards_created_at_the_same_instant(
    client: Any, campaign: CampaignModel
) -> None:
    created = rewards_at(campaign, MARCH, 4)

    pages = walk(client, f"/api/all_rewards/{campaign.campaign_id}?limit=1")

    assert [len(page) for page in pages] == [1, 1, 1, 1]
    assert sorted(flat(pages)) == sorted(created)


def test_an_admin_may_read_too(client: Any, campaign: CampaignModel) -> None:
    rewards_at(campaign, MARCH)

    response = client.get(
        f"/api/all_rewards/{campaign.campaign_id}",
        headers=jwt_headers(token_for(Role.ADMIN), Accept=JSON),
    )

    assert response.status_code == 200
    assert len(body_of(response)["rewards"]) == 1


def test_a_month_page_is_one_query_and_an_empty_one_checks_the_campaign(
    aws_calls: AwsCalls, client: Any, campaign: CampaignModel
) -> None:
    rewards_at(campaign, MARCH)
    aws_calls.reset()

    client.get(f"/api/rewards_in_month/{campaign.campaign_id}/3/2024", headers=reader())
    # The API key, then the page: rewards found under the store's key prove the campaign.
    assert aws_calls.operations == [("dynamodb", "GetItem"), ("dynamodb", "Query")]

    aws_calls.reset()
    client.get(f"/api/rewards_in_month/{campaign.campaign_id}/4/2024", headers=reader())
    # An empty page reads the campaign, to tell "no rewards" from "no such campaign".
    assert aws_calls.operations == [("dynamodb", op) for op in ("GetItem", "Query", "GetItem")]


@pytest.mark.parametrize(
    "path", ["/api/all_rewards/{id}", "/api/rewards_in_month/{id}/3/2024"], ids=["all", "month"]
)
def test_another_stores_campaign_is_not_found(
    client: Any, campaign: CampaignModel, path: str
) -> None:
    rewards_at(campaign, MARCH)

    response = client.get(path.format(id=campaign.campaign_id), headers=reader(OTHER_API_KEY))

    assert response.status_code == 404
    assert body_of(response)["code"] == "campaign_not_found"


def test_the_queries_need_the_stores_credential(client: Any, campaign: CampaignModel) -> None:
    response = client.get(f"/api/all_rewards/{campaign.campaign_id}", headers={"Accept": JSON})

    assert response.status_code == 401


@pytest.mark.parametrize(
    ("month", "year", "query", "field"),
    [
        ("13", "2024", "", "month"),
        ("0", "2024", "", "month"),
        ("march", "2024", "", "month"),
        ("3", "1999", "", "year"),
        ("3", "3000", "", "year"),
        ("3", "2024", "?limit=0", "limit"),
        ("3", "2024", "?limit=101", "limit"),
        ("3", "2024", "?limit=ten", "limit"),
    ],
)
def test_a_bad_month_year_or_limit_is_422(
    client: Any, campaign: CampaignModel, month: str, year: str, query: str, field: str
) -> None:
    response = client.get(
        f"/api/rewards_in_month/{campaign.campaign_id}/{month}/{year}{query}", headers=reader()
    )

    assert response.status_code == 422
    assert set(body_of(response)["errors"]) == {field}


def test_a_bad_cursor_is_400(client: Any, campaign: CampaignModel) -> None:
    response = client.get(f"/api/all_rewards/{campaign.campaign_id}?cursor=nope", headers=reader())

    assert response.status_code == 400
    assert body_of(response)["code"] == "invalid_cursor"


def test_a_cursor_of_another_month_is_400(client: Any, campaign: CampaignModel) -> None:
    rewards_at(campaign, MARCH, 2)
    first = body_of(
        client.get(f"/api/rewards_in_month/{campaign.campaign_id}/3/2024?limit=1", headers=reader())
    )

    response = client.get(
        f"/api/rewards_in_month/{campaign.campaign_id}/4/2024?cursor={first['nextCursor']}",
        headers=reader(),
    )

    assert response.status_code == 400
    assert body_of(response)["code"] == "invalid_cursor"
