"""A campaign's count of users (`usersWhoUsedThisCampaignCount`), kept by the writes that
create usage items (chalicelib/domain/catalog/usage.py) instead of counted when campaigns are
listed."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from chalicelib.domain.access.auth import Role
from chalicelib.domain.catalog import cashback
from chalicelib.domain.customers import records
from chalicelib.domain.rewards.grants import Grant, Recipient
from chalicelib.domain.rewards.handout import acquire
from chalicelib.storage.campaigns import CampaignModel, CampaignUsageModel, pool_key
from chalicelib.storage.rewards import BOUGHT, ISSUED
from tests.fixtures.aws import hooked_clients
from tests.fixtures.clients import STORE, jwt_headers, token_for
from tests.fixtures.factories import customer_with_points, make_campaign

ADMIN = jwt_headers(token_for(Role.ADMIN))


def _users(campaign: CampaignModel) -> int:
    campaign.refresh(consistent_read=True)
    return int(campaign.users_count)


def _usage_items(campaign: CampaignModel) -> int:
    pool = pool_key(STORE, campaign.campaign_id)
    return len(list(CampaignUsageModel.query(pool, consistent_read=True)))


def _new(email: str) -> Grant:
    customer = records.new_customer(STORE, email)
    return Grant(customer.customer_id, new_customer=customer, recipient=Recipient(email=email))


def _used_meanwhile(campaign: CampaignModel, customer_id: str) -> Any:
    """A hook that, just before the first transaction, makes the customer a user of the
    campaign as another request would between this one's usage read and its write."""
    done: list[bool] = []

    def use(model: Any, **_: Any) -> None:
        if model.name == "TransactWriteItems" and not done:
            done.append(True)
            pool = pool_key(STORE, campaign.campaign_id)
            CampaignUsageModel(pool, customer_id, used=0).save()
            campaign.update(actions=[CampaignModel.users_count.add(1)])

    return use


def test_new_recipients_are_counted_once_each_in_one_bulk_request(store: str) -> None:
    campaign = make_campaign()
    grants = [_new(f"u{n}@x.com") for n in range(30)]  # two transactions
    assert all(o.error is None for o in acquire(campaign, grants, source=ISSUED))
    assert _users(campaign) == 30 == _usage_items(campaign)


def test_a_customer_is_counted_on_the_first_use_only(store: str) -> None:
    campaign = make_campaign()
    first, second = customer_with_points(), customer_with_points()
    for customer_id in (first, first, second, first):
        assert acquire(campaign, [Grant(customer_id)], source=BOUGHT)[0].error is None
    assert _users(campaign) == 2
    # Twice in one call (two transactions): still one user.
    third = customer_with_points()
    acquire(campaign, [Grant(third), Grant(third)], source=BOUGHT)
    assert _users(campaign) == 3 == _usage_items(campaign)


def test_a_refused_grant_counts_no_user(store: str) -> None:
    campaign = make_campaign(unlimited=False, limit=1, limit_per_user=1)
    customer_id = customer_with_points()
    acquire(campaign, [Grant(customer_id)], source=BOUGHT)
    refused = acquire(campaign, [Grant(customer_with_points())], source=BOUGHT)[0]
    assert refused.error is not None and refused.error.code == "campaign_limit_reached"
    assert _users(campaign) == 1


def test_a_usage_item_created_meanwhile_is_a_later_use_not_a_new_user(store: str) -> None:
    campaign = make_campaign(unlimited=False, limit=10, limit_per_user=5)
    customer_id = customer_with_points()
    with hooked_clients(_used_meanwhile(campaign, customer_id)):
        outcome = acquire(campaign, [Grant(customer_id, quantity=2)], source=BOUGHT)[0]
    assert outcome.error is None and len(outcome.rewards) == 2
    assert _users(campaign) == 1
    usage = CampaignUsageModel.get(pool_key(STORE, campaign.campaign_id), customer_id)
    assert usage.used == 2


def test_the_limit_per_user_still_refuses_a_known_user(store: str) -> None:
    campaign = make_campaign(unlimited=False, limit=10, limit_per_user=1)
    customer_id = customer_with_points()
    acquire(campaign, [Grant(customer_id)], source=BOUGHT)
    again = acquire(campaign, [Grant(customer_id)], source=BOUGHT)[0]
    assert again.error is not None and again.error.code == "campaign_limit_per_user_reached"
    assert _users(campaign) == 1


def _cashback_campaign() -> CampaignModel:
    return make_campaign(
        name="Cashback", reward="cashback", point_value=Decimal("1"), cashback_provider="manual"
    )


def test_cashback_counts_its_first_redeeming_customer_once(store: str) -> None:
    campaign = _cashback_campaign()
    customer_id = customer_with_points(points=100)
    order = cashback.Order(customer_id, 5, campaign.campaign_id)
    for _ in range(2):
        cashback.redeem(STORE, order)
    assert _users(campaign) == 1 == _usage_items(campaign)


def test_cashback_retries_when_the_usage_item_appeared_meanwhile(store: str) -> None:
    campaign = _cashback_campaign()
    customer_id = customer_with_points(points=100)
    pool = pool_key(STORE, campaign.campaign_id)
    with hooked_clients(_used_meanwhile(campaign, customer_id)):
        cashback.redeem(STORE, cashback.Order(customer_id, 5, campaign.campaign_id))
    assert _users(campaign) == 1  # counted by the other request, not again
    assert CampaignUsageModel.get(pool, customer_id).used == 1


def test_the_admin_list_shows_the_count_without_reading_usage_items(client: Any) -> None:
    campaign = make_campaign()
    acquire(campaign, [_new(f"l{n}@x.com") for n in range(3)], source=ISSUED)
    tables: list[str] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        tables.append(str(params.get("TableName")))

    with hooked_clients(record):
        answer = client.get(f"/api/{STORE}/campaign", headers=ADMIN)

    assert answer.status_code == 200, answer.body
    shown = {c["campaignId"]: c for c in json.loads(answer.body)["campaigns"]}
    assert shown[campaign.campaign_id]["usersWhoUsedThisCampaignCount"] == 3
    assert tables and not any(table.endswith("campaign-usage") for table in tables)
