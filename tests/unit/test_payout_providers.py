"""Payout providers without AWS: PayTM's request, signature check and callback reading."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from chalicelib.config import reset_settings
from chalicelib.domain.catalog.payout_providers import Callback, Paytm, provider_named
from chalicelib.domain.errors import InvalidInputError, MalformedRequestError
from chalicelib.storage.cashback import ACCEPTED, FAILED, PAID, REQUESTED, CashbackPayoutModel
from chalicelib.storage.customers import CustomerModel

SECRET = "unit-test-paytm-secret"
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def paytm(monkeypatch: pytest.MonkeyPatch) -> Iterator[Paytm]:
    monkeypatch.setenv("REWARDS_PAYTM_SECRET", SECRET)
    monkeypatch.setenv("REWARDS_PAYTM_MERCHANT_GUID", "merchant-guid")
    reset_settings()
    yield Paytm()
    for name in ("REWARDS_PAYTM_SECRET", "REWARDS_PAYTM_MERCHANT_GUID"):
        monkeypatch.delenv(name, raising=False)
    reset_settings()


def signed(content: str, content_type: str = JSON, secret: str = SECRET) -> Callback:
    signature = hmac.new(secret.encode(), content.encode(), hashlib.sha256).hexdigest()
    return Callback(content.encode(), content_type, {"x-paytm-signature": signature})


def test_providers_are_found_by_name_in_any_case() -> None:
    assert isinstance(provider_named("PayTM"), Paytm)
    assert provider_named("paypal") is None and provider_named(None) is None


def test_the_payout_request_is_built_and_the_payout_requested(paytm: Paytm) -> None:
    now = datetime.now(UTC)
    payout = CashbackPayoutModel(
        "DEFAULT",
        "p-1",
        customer_id="c_1",
        campaign_id="k",
        points=5,
        point_value=Decimal("2.5"),
        reward_amount=Decimal("12.5"),
        currency="INR",
        provider="paytm",
        transaction_id="t",
        created_at=now,
        updated_at=now,
    )
    customer = CustomerModel("DEFAULT", "c_1", email="a@x.com", telephone="+91999")

    status = paytm.request_payout(payout, customer)

    assert status.status == REQUESTED
    request = status.request["request"]
    assert request["merchantOrderId"] == "c_1_p-1"
    assert (request["amount"], request["currencyCode"]) == ("12.50", "INR")
    assert (request["payeeEmailId"], request["payeePhoneNumber"]) == ("a@x.com", "+91999")
    assert request["merchantGuid"] == "merchant-guid"
    assert status.request["operationType"] == "SALES_TO_USER_CREDIT"


def test_only_a_message_signed_with_the_secret_checks(
    paytm: Paytm, monkeypatch: pytest.MonkeyPatch
) -> None:
    content = json.dumps({"orderId": "c_p", "statusCode": "ACCEPTED"})
    assert paytm.verify(signed(content))
    assert not paytm.verify(Callback(content.encode(), JSON, {}))  # unsigned
    assert not paytm.verify(signed(content, secret="another"))
    hex_digits = signed(content).headers["x-paytm-signature"]
    assert paytm.verify(Callback(content.encode(), JSON, {"x-paytm-signature": hex_digits.upper()}))
    monkeypatch.delenv("REWARDS_PAYTM_SECRET")
    reset_settings()
    # No secret configured: nothing checks, not even a message signed with an empty key.
    assert not paytm.verify(signed(content, secret=""))


def test_the_message_may_come_in_the_content_header(paytm: Paytm) -> None:
    content = json.dumps({"orderId": "f0b9_1c50", "statusCode": "ACCEPTED", "statusMessage": "OK"})
    by_header = signed(content)
    callback = Callback(b"", FORM, {"content": content, **by_header.headers})

    assert paytm.verify(callback)
    message = paytm.read_callback(callback)
    assert (message.order_id, message.customer_id, message.payout_id) == (
        "f0b9_1c50",
        "f0b9",
        "1c50",
    )
    assert (message.status.status, message.status.code, message.status.message) == (
        ACCEPTED,
        "ACCEPTED",
        "OK",
    )


def test_form_bodies_carry_the_fields_or_a_content_field(paytm: Paytm) -> None:
    fields = paytm.read_callback(signed("orderId=a_b&statusCode=SUCCESS", FORM))
    embedded = paytm.read_callback(
        signed("Content=" + json.dumps({"orderId": "a_b", "statusCode": "FAILURE"}), FORM)
    )
    assert (fields.payout_id, fields.status.status) == ("b", PAID)
    assert embedded.status.status == FAILED


@pytest.mark.parametrize(
    ("fields", "outcome"),
    [
        ({"statusCode": "ACCEPTED"}, ACCEPTED),
        ({"statusCode": "success"}, PAID),
        ({"statusCode": "FAILURE"}, FAILED),
        ({"statusCode": "REJECTED"}, FAILED),
        ({"statusCode": "GE_1032", "status": "FAILURE"}, FAILED),
        ({"statusCode": "PENDING"}, None),
        ({"statusCode": "SOMETHING_NEW"}, None),
        ({}, None),
    ],
)
def test_status_codes_map_to_payout_statuses(
    paytm: Paytm, fields: dict[str, str], outcome: str | None
) -> None:
    message = paytm.read_callback(signed(json.dumps({"orderId": "c_p", **fields})))
    assert message.status.status == outcome


def test_the_customer_id_is_all_before_the_last_underscore(paytm: Paytm) -> None:
    message = paytm.read_callback(signed(json.dumps({"orderId": "shop_42_p-9"})))
    assert (message.customer_id, message.payout_id) == ("shop_42", "p-9")


@pytest.mark.parametrize(
    ("content", "error"),
    [
        ("not json", MalformedRequestError),
        ("[]", MalformedRequestError),
        ("", MalformedRequestError),
        (json.dumps({"statusCode": "ACCEPTED"}), InvalidInputError),
        (json.dumps({"orderId": "no-underscore"}), InvalidInputError),
        (json.dumps({"orderId": "_p"}), InvalidInputError),
        (json.dumps({"orderId": 7}), InvalidInputError),
        (json.dumps({"orderId": "c_p", "x": "y" * 20_000}), MalformedRequestError),
    ],
)
def test_malformed_messages_are_refused(paytm: Paytm, content: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        paytm.read_callback(signed(content))
