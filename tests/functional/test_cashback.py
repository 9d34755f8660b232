"""Cashback simulate and redeem (admin and customer) through the app, against moto."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from chalicelib.domain.access.auth import Role
from chalicelib.domain.points.ledger import EntryKind
from chalicelib.storage.campaigns import CampaignModel, CampaignUsageModel, pool_key
from chalicelib.storage.cashback import PENDING, REQUESTED, CashbackPayoutModel
from tests.fixtures.aws import AwsCalls
from tests.fixtures.cashback import (
    ADMIN_PATH,
    WRITES,
    balance,
    cashback_campaign,
    entries,
    form_headers,
    redeem,
)
from tests.fixtures.clients import OTHER_STORE, STORE, body_of, jwt_headers, token_for
from tests.fixtures.factories import customer_with_points, make_campaign

CUSTOMER_REDEEM = f"/api/{STORE}/customer/campaign/cashback/redeem"


def payouts(store_code: str = STORE) -> list[CashbackPayoutModel]:
    return list(CashbackPayoutModel.query(store_code, consistent_read=True))


def redeem_as(
    client: Any, headers: dict[str, str], customer_id: str, store_code: str = STORE
) -> Any:
    return client.post(
        f"/api/{store_code}/admin/campaign/cashback/redeem",
        body=f"customerId={customer_id}&pointsAmount=5",
        headers=headers,
    )


# -- simulate --------------------------------------------------------------------------------
def test_simulate_answers_the_document_fields_and_writes_nothing(
    aws_calls: AwsCalls, client: Any
) -> None:
    customer_id = customer_with_points(points=5)
    campaign = cashback_campaign("3.00")
    aws_calls.reset()

    response = client.post(
        f"{ADMIN_PATH}/simulate",
        body=f"customerId={customer_id}&pointsAmount=10",
        headers=form_headers(Role.ADMIN),
    )

    assert response.status_code == 200
    assert body_of(response) == {
        "customerId": customer_id,
        "pointsAmount": 10,
        "pointValue": "3.00",  # as the document writes it
        "rewardAmount": 30,
        "cashbackId": campaign.campaign_id,
    }
    assert sum(aws_calls.count(operation) for operation in WRITES) == 0
    assert balance(customer_id) == 5 and payouts() == []


def test_simulate_picks_the_best_point_value_the_customer_may_use(
    aws_calls: AwsCalls, client: Any
) -> None:
    customer_id = customer_with_points(level_id="silver")
    now = datetime.now(UTC)
    cashback_campaign("0.10")
    silver = cashback_campaign("0.25", target="level", levels=["silver"])
    cashback_campaign("0.90", target="level", levels=["gold"])  # not targeted at silver
    cashback_campaign("0.80", active=False)
    cashback_campaign("0.70", all_time_visible=False, visible_from=now + timedelta(days=1))
    cashback_campaign("0.65", unlimited=False, limit=2, limit_per_user=1, usage_count=2)
    cashback_campaign("0.60", unlimited=False, limit=5, limit_per_user=1)
    used_up = cashback_campaign("0.50", unlimited=False, limit=5, limit_per_user=1)
    CampaignUsageModel(pool_key(STORE, used_up.campaign_id), customer_id, used=1).save()
    make_campaign(reward="gift_code", point_value=Decimal("9"))  # not a cashback campaign

    response = client.post(
        f"{ADMIN_PATH}/simulate",
        body=json.dumps({"customerId": customer_id, "pointsAmount": 3}),
        headers=jwt_headers(token_for(Role.ADMIN)),
    )

    # 0.60 (not used by this customer yet) beats 0.25 (for silver); 0.65 has no use left,
    # 0.50 is used up by this customer.
    found = body_of(response)
    assert found["pointValue"] == "0.60" and found["rewardAmount"] == 1.8
    assert silver.campaign_id != found["cashbackId"]
    # The campaigns are one Query, the usage counters of the limited ones one BatchGetItem.
    assert aws_calls.count("Scan") == 0 and aws_calls.count("BatchGetItem") == 1


def test_simulate_with_a_named_campaign_applies_its_rules(client: Any) -> None:
    customer_id = customer_with_points()
    gold_only = cashback_campaign("0.90", target="level", levels=["gold"])
    gift = make_campaign(reward="gift_code")

    def simulate(cashback_id: str) -> Any:
        body = f"customerId={customer_id}&pointsAmount=2&cashbackId={cashback_id}"
        return client.post(f"{ADMIN_PATH}/simulate", body=body, headers=form_headers(Role.ADMIN))

    refused = simulate(gold_only.campaign_id)
    assert (refused.status_code, body_of(refused)["code"]) == (403, "campaign_not_targeted")
    not_cashback = simulate(gift.campaign_id)
    assert (not_cashback.status_code, body_of(not_cashback)["code"]) == (404, "cashback_not_found")


def test_simulate_without_any_usable_campaign_is_a_404(client: Any) -> None:
    customer_id = customer_with_points()
    cashback_campaign("1", active=False)
    response = client.post(
        f"{ADMIN_PATH}/simulate",
        body=f"customerId={customer_id}&pointsAmount=2",
        headers=form_headers(Role.ADMIN),
    )
    assert (response.status_code, body_of(response)["code"]) == (404, "cashback_not_available")


def test_simulate_refuses_bad_forms_with_the_form_tree(client: Any) -> None:
    response = client.post(
        f"{ADMIN_PATH}/simulate", body="pointsAmount=-3", headers=form_headers(Role.ADMIN)
    )
    assert response.status_code == 400
    children = body_of(response)["form"]["children"]
    assert children["pointsAmount"]["errors"] == [
        "This value should be greater than or equal to 1."
    ]
    assert children["customerId"]["errors"] == ["This value should not be blank."]


def test_points_worth_less_than_a_cent_are_refused(client: Any) -> None:
    customer_id = customer_with_points(points=10)
    cashback_campaign("0.001")
    response = redeem(client, customer_id, 9)
    assert (response.status_code, body_of(response)["code"]) == (400, "cashback_reward_too_small")
    assert balance(customer_id) == 10 and payouts() == []


# -- redeem ----------------------------------------------------------------------------------
def test_admin_redeem_debits_the_points_and_records_the_payout(client: Any) -> None:
    customer_id = customer_with_points(points=20, telephone="+919999999999")
    campaign = cashback_campaign("10")

    response = redeem(client, customer_id, 5)

    assert response.status_code == 200
    answer = body_of(response)
    payout_id = answer.pop("payoutId")
    assert answer == {
        "customerId": customer_id,
        "pointsAmount": 5,
        "pointValue": 10,
        "rewardAmount": 50,
        "cashbackId": campaign.campaign_id,
        "status": REQUESTED,
    }
    assert balance(customer_id) == 15
    debit = [entry for entry in entries(customer_id) if entry.kind == EntryKind.SPEND]
    assert [(d.amount, d.reference) for d in debit] == [(-5, payout_id)]
    assert debit[0].actor.startswith("admin:")
    payout = CashbackPayoutModel.get(STORE, payout_id)
    assert (payout.customer_id, payout.campaign_id, payout.points) == (
        customer_id,
        campaign.campaign_id,
        5,
    )
    assert (payout.point_value, payout.reward_amount) == (Decimal("10"), Decimal("50.00"))
    assert (payout.provider, payout.status, payout.currency) == ("paytm", REQUESTED, "USD")
    assert payout.transaction_id == debit[0].entry_id
    sent = payout.provider_request["request"]
    assert sent["merchantOrderId"] == f"{customer_id}_{payout_id}"
    assert (sent["amount"], sent["payeePhoneNumber"]) == ("50.00", "+919999999999")
    campaign.refresh()
    assert campaign.usage_count == 1
    assert CampaignUsageModel.get(pool_key(STORE, campaign.campaign_id), customer_id).used == 1


def test_redeem_takes_one_transaction_and_one_status_update(
    aws_calls: AwsCalls, client: Any
) -> None:
    customer_id = customer_with_points(points=20)
    cashback_campaign("1")
    aws_calls.reset()

    assert redeem(client, customer_id, 5).status_code == 200

    assert aws_calls.count("TransactWriteItems") == 1
    assert aws_calls.count("UpdateItem") == 1  # requested, with what was sent to PayTM
    assert aws_calls.count("PutItem") == aws_calls.count("Scan") == 0


def test_a_campaign_without_a_known_provider_leaves_the_payout_pending(client: Any) -> None:
    customer_id = customer_with_points(points=20)
    cashback_campaign("1", cashback_provider=None)
    response = redeem(client, customer_id, 5)
    assert body_of(response)["status"] == PENDING
    assert payouts()[0].provider_request is None


def test_customer_redeems_their_own_points(client: Any) -> None:
    customer_id = customer_with_points(points=8)
    campaign = cashback_campaign("0.5")

    response = client.post(
        CUSTOMER_REDEEM,
        body=f"cashbackId={campaign.campaign_id}&pointsAmount=5",
        headers=form_headers(Role.CUSTOMER, subject=customer_id),
    )

    assert response.status_code == 200
    answer = body_of(response)
    assert (answer["customerId"], answer["rewardAmount"], answer["cashbackId"]) == (
        customer_id,
        2.5,
        campaign.campaign_id,
    )
    assert balance(customer_id) == 3
    assert payouts()[0].created_by == f"customer:{customer_id}"


def test_customer_cannot_redeem_for_another_customer(client: Any) -> None:
    mine, theirs = customer_with_points(points=8), customer_with_points(points=8)
    campaign = cashback_campaign("1")
    headers = form_headers(Role.CUSTOMER, subject=mine)

    other = client.post(
        CUSTOMER_REDEEM,
        body=f"customerId={theirs}&cashbackId={campaign.campaign_id}&pointsAmount=5",
        headers=headers,
    )
    admin_route = redeem_as(client, headers, theirs)

    assert (other.status_code, admin_route.status_code) == (403, 403)
    assert balance(mine) == balance(theirs) == 8 and payouts() == []


def test_customer_form_needs_the_cashback_id(client: Any) -> None:
    customer_id = customer_with_points(points=8)
    cashback_campaign("1")
    response = client.post(
        CUSTOMER_REDEEM,
        body=json.dumps({"pointsAmount": 5}),
        headers=jwt_headers(token_for(Role.CUSTOMER, subject=customer_id)),
    )
    assert response.status_code == 400
    assert body_of(response)["form"]["children"]["cashbackId"]["errors"]
    assert balance(customer_id) == 8


def test_insufficient_points_leave_no_trace(client: Any) -> None:
    customer_id = customer_with_points(points=4)
    campaign = cashback_campaign("1", unlimited=False, limit=10, limit_per_user=3)

    response = redeem(client, customer_id, 5)

    assert response.status_code == 422
    assert body_of(response)["code"] == "insufficient_points"
    assert balance(customer_id) == 4
    assert [entry.kind for entry in entries(customer_id)] == [EntryKind.EARN]
    assert payouts() == []
    campaign.refresh()
    assert campaign.usage_count == 0
    assert CampaignUsageModel.count(pool_key(STORE, campaign.campaign_id)) == 0


def test_limit_per_user_is_enforced_in_the_transaction(client: Any) -> None:
    customer_id = customer_with_points(points=50)
    campaign = cashback_campaign("1", unlimited=False, limit=10, limit_per_user=1)
    assert redeem(client, customer_id, 5, cashbackId=campaign.campaign_id).status_code == 200

    again = redeem(client, customer_id, 5, cashbackId=campaign.campaign_id)

    assert (again.status_code, body_of(again)["code"]) == (409, "campaign_limit_per_user_reached")
    assert balance(customer_id) == 45 and len(payouts()) == 1


def test_global_limit_is_enforced_in_the_transaction(client: Any) -> None:
    first, second = customer_with_points(points=50), customer_with_points(points=50)
    campaign = cashback_campaign("1", unlimited=False, limit=1, limit_per_user=1)
    assert redeem(client, first, 5, cashbackId=campaign.campaign_id).status_code == 200

    refused = redeem(client, second, 5, cashbackId=campaign.campaign_id)

    assert (refused.status_code, body_of(refused)["code"]) == (409, "campaign_limit_reached")
    assert balance(second) == 50


def test_a_campaign_switched_off_after_the_read_refuses_in_the_transaction(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.domain.catalog import cashback

    customer_id = customer_with_points(points=50)
    campaign = cashback_campaign("1")
    read = cashback.choose

    def read_then_switch_off(*args: Any, **kwargs: Any) -> Any:
        found = read(*args, **kwargs)
        CampaignModel(STORE, campaign.campaign_id).update(actions=[CampaignModel.active.set(False)])
        return found

    monkeypatch.setattr(cashback, "choose", read_then_switch_off)
    response = redeem(client, customer_id, 5)

    assert (response.status_code, body_of(response)["code"]) == (409, "campaign_inactive")
    assert balance(customer_id) == 50 and payouts() == []


def test_unknown_customer_is_a_404(client: Any) -> None:
    cashback_campaign("1")
    response = redeem(client, "nobody", 5)
    assert (response.status_code, body_of(response)["code"]) == (404, "customer_not_found")


# -- tenancy and roles -----------------------------------------------------------------------
def test_another_stores_admin_cannot_redeem_here(client: Any) -> None:
    customer_id = customer_with_points(points=20)
    cashback_campaign("1")

    theirs = form_headers(Role.ADMIN, store_code=OTHER_STORE)
    on_this_store = redeem_as(client, theirs, customer_id)
    on_their_store = redeem_as(client, theirs, customer_id, store_code=OTHER_STORE)

    assert on_this_store.status_code == 403
    # Through their own store the customer does not exist.
    assert (on_their_store.status_code, body_of(on_their_store)["code"]) == (
        404,
        "customer_not_found",
    )
    assert balance(customer_id) == 20 and payouts() == payouts(OTHER_STORE) == []


def test_sellers_may_not_redeem_or_simulate(client: Any) -> None:
    customer_id = customer_with_points(points=20)
    cashback_campaign("1")
    redeemed = redeem_as(client, form_headers(Role.SELLER), customer_id)
    simulated = client.post(
        f"{ADMIN_PATH}/simulate",
        body=f"customerId={customer_id}&pointsAmount=5",
        headers=form_headers(Role.SELLER),
    )
    as_customer = client.post(
        CUSTOMER_REDEEM, body="pointsAmount=5&cashbackId=x", headers=form_headers(Role.SELLER)
    )
    assert (redeemed.status_code, simulated.status_code, as_customer.status_code) == (
        403,
        403,
        403,
    )
    assert balance(customer_id) == 20


# -- among the bought campaigns ------------------------------------------------------------------
def test_a_redemption_is_listed_among_bought_campaigns_and_in_the_csv(client: Any) -> None:
    customer_id = customer_with_points(points=20, firstname="Max", surname="Nowacki")
    campaign = cashback_campaign("1", cashback_provider=None)
    redeemed = body_of(redeem(client, customer_id, 5))
    admin = jwt_headers(token_for(Role.ADMIN))

    listed = body_of(client.get(f"/api/{STORE}/campaign/bought", headers=admin))
    used_only = body_of(client.get(f"/api/{STORE}/campaign/bought?used=1", headers=admin))
    exported = client.get(f"/api/{STORE}/campaign/bought/export/csv", headers=admin)

    [row] = listed["boughtCampaigns"]
    assert listed["total"] == 1 and used_only["total"] == 0
    assert (row["campaignType"], row["coupon"]) == (
        "cashback",
        {"code": "", "id": redeemed["payoutId"]},
    )
    assert (row["campaignId"], row["customerId"]) == (campaign.campaign_id, customer_id)
    assert (row["costInPoints"], row["used"], row["status"]) == (0, False, "active")
    assert (row["customerName"], row["currentPointsAmount"]) == ("Max", 15)
    lines = exported.body.decode("utf-8").split("\r\n")
    assert lines[1].startswith("Cashback,") and ",Max,Nowacki,15," in lines[1]
    # Buying it is refused in Open Loyalty's words.
    refused = client.post(
        f"/api/{STORE}/admin/customer/{customer_id}/campaign/{campaign.campaign_id}/buy",
        headers=admin,
    )
    assert refused.status_code == 400
    assert body_of(refused)["message"] == "This campaign cannot be bought manually."
