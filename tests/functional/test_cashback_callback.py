"""The cashback provider's callback (PayTM) through the app, against moto."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.config import reset_settings
from chalicelib.domain.access.auth import Role
from chalicelib.domain.points.ledger import EntryKind
from chalicelib.storage.campaigns import CampaignModel, CampaignUsageModel, pool_key
from chalicelib.storage.cashback import ACCEPTED, FAILED, PAID, REQUESTED, CashbackPayoutModel
from chalicelib.storage.customers import CustomerModel
from tests.fixtures.aws import AwsCalls
from tests.fixtures.cashback import (
    SECRET,
    WRITES,
    balance,
    cashback_campaign,
    entries,
    message,
    redeem,
    sign,
)
from tests.fixtures.clients import OTHER_STORE, STORE, body_of, token_for
from tests.fixtures.factories import customer_with_points

CALLBACK = f"/api/{STORE}/campaign/cashback/callback/paytm"


@pytest.fixture
def paytm_secret(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("REWARDS_PAYTM_SECRET", SECRET)
    reset_settings()
    yield SECRET
    monkeypatch.delenv("REWARDS_PAYTM_SECRET")
    reset_settings()


def call_back(
    client: Any,
    order_id: str,
    code: str | None = "ACCEPTED",
    path: str = CALLBACK,
    secret: str | None = SECRET,
) -> Any:
    content = message(order_id, code)
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Paytm-Signature"] = sign(content, secret)
    return client.post(path, body=content, headers=headers)


@pytest.fixture
def redeemed(client: Any) -> dict[str, Any]:
    """A customer with 20 points who redeemed 5 of them at 2.00 each through PayTM."""
    customer_id = customer_with_points(points=20)
    campaign = cashback_campaign("2", unlimited=False, limit=10, limit_per_user=3)
    payout_id = redeem(client, customer_id, 5).json_body["payoutId"]
    return {
        "customer_id": customer_id,
        "campaign": campaign,
        "payout_id": payout_id,
        "order_id": f"{customer_id}_{payout_id}",
    }


def payout_of(redeemed: dict[str, Any]) -> CashbackPayoutModel:
    return CashbackPayoutModel.get(STORE, redeemed["payout_id"], consistent_read=True)


def test_accepted_as_the_document_sends_it(
    paytm_secret: str, client: Any, redeemed: dict[str, Any]
) -> None:
    content = message(redeemed["order_id"])

    # The document's call: a form content type, no body, the message in a `Content` header.
    response = client.post(
        CALLBACK,
        headers={
            "Accept": "application/json",
            "Content-Type": "application/x-www-form-urlencoded",
            "Content": content,
            "X-Paytm-Signature": sign(content),
        },
    )

    assert response.status_code == 200
    assert body_of(response) == {
        "couponId": redeemed["payout_id"],
        "id": redeemed["order_id"],
        "customerId": redeemed["customer_id"],
        "code": "ACCEPTED",
        "message": "ACCEPTED",
        "provider": "paytm",
        "failed": False,
        "status": ACCEPTED,
    }
    payout = payout_of(redeemed)
    assert (payout.status, payout.provider_code) == (ACCEPTED, "ACCEPTED")
    assert balance(redeemed["customer_id"]) == 15


def test_the_message_may_be_a_signed_form_body(
    paytm_secret: str, client: Any, redeemed: dict[str, Any]
) -> None:
    body = f"orderId={redeemed['order_id']}&statusCode=SUCCESS&statusMessage=Paid"
    response = client.post(
        CALLBACK,
        body=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Paytm-Signature": sign(body),
        },
    )
    assert (response.status_code, body_of(response)["message"]) == (200, "Paid")
    assert payout_of(redeemed).status == PAID


def test_the_same_callback_twice_changes_nothing(
    aws_calls: AwsCalls, paytm_secret: str, client: Any, redeemed: dict[str, Any]
) -> None:
    first = call_back(client, redeemed["order_id"])
    updated_at = payout_of(redeemed).updated_at
    aws_calls.reset()

    second = call_back(client, redeemed["order_id"])

    assert body_of(second) == body_of(first)
    assert sum(aws_calls.count(operation) for operation in WRITES) == 0
    assert payout_of(redeemed).updated_at == updated_at


def test_paid_is_final_a_late_failure_gives_nothing_back(
    paytm_secret: str, client: Any, redeemed: dict[str, Any]
) -> None:
    assert body_of(call_back(client, redeemed["order_id"], "SUCCESS"))["status"] == PAID

    late = call_back(client, redeemed["order_id"], "FAILURE")

    assert (late.status_code, body_of(late)["failed"], body_of(late)["status"]) == (
        200,
        False,
        PAID,
    )
    assert balance(redeemed["customer_id"]) == 15


def test_a_pending_callback_changes_nothing(
    paytm_secret: str, client: Any, redeemed: dict[str, Any]
) -> None:
    response = call_back(client, redeemed["order_id"], "PENDING")
    assert (response.status_code, body_of(response)["status"]) == (200, REQUESTED)
    assert payout_of(redeemed).provider_code is None


def _refunds(customer_id: str) -> list[Any]:
    return [entry for entry in entries(customer_id) if entry.kind == EntryKind.REFUND]


def _assert_refunded_once(redeemed: dict[str, Any]) -> None:
    customer_id = redeemed["customer_id"]
    refunds = _refunds(customer_id)
    assert [(r.amount, r.reference) for r in refunds] == [(5, redeemed["payout_id"])]
    customer = CustomerModel.get(STORE, customer_id, consistent_read=True)
    assert customer.points_available == 20 == sum(e.amount for e in entries(customer_id))
    assert customer.points_used == 0
    payout = payout_of(redeemed)
    assert (payout.status, payout.refund_transaction_id) == (FAILED, refunds[0].entry_id)
    campaign = redeemed["campaign"]
    assert CampaignModel.get(STORE, campaign.campaign_id).usage_count == 0
    usage = CampaignUsageModel.get(pool_key(STORE, campaign.campaign_id), customer_id)
    assert usage.used == 0


def test_a_failed_payout_gives_the_points_back_once(
    paytm_secret: str, client: Any, redeemed: dict[str, Any]
) -> None:
    call_back(client, redeemed["order_id"])  # accepted first, then it failed

    first = call_back(client, redeemed["order_id"], "FAILURE")
    second = call_back(client, redeemed["order_id"], "FAILURE")

    assert (first.status_code, second.status_code) == (200, 200)
    assert body_of(first)["failed"] is body_of(second)["failed"] is True
    _assert_refunded_once(redeemed)


def test_two_failures_past_the_read_still_refund_once(
    paytm_secret: str, client: Any, redeemed: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.domain.catalog import cashback_payouts

    # As if both callbacks read the payout before either wrote: only the condition decides.
    monkeypatch.setattr(cashback_payouts, "_may_reach", lambda payout, target: True)

    first = call_back(client, redeemed["order_id"], "FAILURE")
    second = call_back(client, redeemed["order_id"], "FAILURE")

    assert body_of(first)["failed"] is body_of(second)["failed"] is True
    _assert_refunded_once(redeemed)


def test_a_failure_code_with_status_failure_fails_the_payout(
    paytm_secret: str, client: Any, redeemed: dict[str, Any]
) -> None:
    content = json.dumps(
        {"orderId": redeemed["order_id"], "status": "FAILURE", "statusCode": "GE_1032"}
    )
    response = client.post(
        CALLBACK,
        body=content,
        headers={"Content-Type": "application/json", "X-Paytm-Signature": sign(content)},
    )
    assert (body_of(response)["failed"], body_of(response)["code"]) == (True, "GE_1032")
    _assert_refunded_once(redeemed)


@pytest.mark.parametrize("secret", ["not-the-secret", None])
def test_a_callback_whose_signature_does_not_check_is_refused(
    paytm_secret: str, client: Any, redeemed: dict[str, Any], secret: str | None
) -> None:
    response = call_back(client, redeemed["order_id"], "FAILURE", secret=secret)

    assert (response.status_code, body_of(response)["code"]) == (401, "callback_signature_invalid")
    assert payout_of(redeemed).status == REQUESTED
    assert _refunds(redeemed["customer_id"]) == []


def test_a_tampered_message_is_refused(
    paytm_secret: str, client: Any, redeemed: dict[str, Any]
) -> None:
    signature = sign(message(redeemed["order_id"], "ACCEPTED"))
    response = client.post(
        CALLBACK,
        body=message(redeemed["order_id"], "FAILURE"),
        headers={"Content-Type": "application/json", "X-Paytm-Signature": signature},
    )
    assert response.status_code == 401
    assert payout_of(redeemed).status == REQUESTED


def test_without_a_configured_secret_every_signature_fails(
    client: Any, redeemed: dict[str, Any]
) -> None:
    response = call_back(client, redeemed["order_id"], "FAILURE", secret="")
    assert response.status_code == 401
    assert payout_of(redeemed).status == REQUESTED


def test_the_store_admins_token_may_settle_as_in_the_document(
    client: Any, redeemed: dict[str, Any]
) -> None:
    def with_token(role: Role, store_code: str = STORE) -> Any:
        return client.post(
            CALLBACK,
            body=message(redeemed["order_id"]),
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {token_for(role, store_code)}",
            },
        )

    assert with_token(Role.ADMIN, OTHER_STORE).status_code == 403
    assert with_token(Role.CUSTOMER).status_code == 403
    assert payout_of(redeemed).status == REQUESTED
    assert with_token(Role.ADMIN).status_code == 200
    assert payout_of(redeemed).status == ACCEPTED


def test_unknown_provider_and_unknown_orders_are_404(
    paytm_secret: str, client: Any, redeemed: dict[str, Any]
) -> None:
    other_customer = customer_with_points()
    unknown = call_back(client, redeemed["order_id"], path=CALLBACK.replace("paytm", "paypal"))
    missing = call_back(client, f"{redeemed['customer_id']}_no-such-payout")
    not_theirs = call_back(client, f"{other_customer}_{redeemed['payout_id']}")
    elsewhere = call_back(client, redeemed["order_id"], path=CALLBACK.replace(STORE, OTHER_STORE))

    assert (unknown.status_code, body_of(unknown)["code"]) == (404, "provider_not_found")
    for response in (missing, not_theirs, elsewhere):
        assert (response.status_code, body_of(response)["code"]) == (404, "payout_not_found")
    assert payout_of(redeemed).status == REQUESTED


@pytest.mark.parametrize(
    ("content", "status"),
    [("not json", 400), ("[1, 2]", 400), (json.dumps({"statusCode": "ACCEPTED"}), 400), ("", 400)],
)
def test_malformed_signed_messages_are_4xx(
    paytm_secret: str, client: Any, content: str, status: int
) -> None:
    response = client.post(
        CALLBACK,
        body=content,
        headers={"Content-Type": "application/json", "X-Paytm-Signature": sign(content)},
    )
    assert response.status_code == status
