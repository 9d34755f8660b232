"""Cashback payout providers: each a small class behind one interface, found by its name.

A cashback campaign names its provider (`cashbackProvider`). After a redemption is recorded,
the provider is asked to pay it (`request_payout`); later the provider calls back, and its
message, once `verify` has checked the shared secret, says what became of the payout
(`read_callback`). A campaign whose provider is not listed here is paid by the store by hand:
its payouts stay `pending`.

PayTM (the document's provider): a payout is the wallet's "sales to user credit" request for
the order `<customerId>_<payoutId>`. The service has no network route to PayTM, so the request
is built and kept on the payout, which is then `requested`. PayTM's answer arrives at the
callback endpoint as the document's message (`orderId`, `status`, `statusCode`,
`statusMessage`), signed: `X-Paytm-Signature` is the hex HMAC-SHA256 of the message as sent,
keyed with `REWARDS_PAYTM_SECRET`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar
from urllib.parse import parse_qsl

from chalicelib import secrets_store
from chalicelib.config import get_settings
from chalicelib.domain.errors import InvalidInputError, MalformedRequestError
from chalicelib.storage.cashback import ACCEPTED, FAILED, PAID, REQUESTED, CashbackPayoutModel
from chalicelib.storage.customers import CustomerModel

FORM_TYPE = "application/x-www-form-urlencoded"
JSON_TYPE = "application/json"
SIGNATURE_HEADER = "x-paytm-signature"
MAX_MESSAGE_BYTES = 16_384


@dataclass(frozen=True)
class ProviderStatus:
    """Where a payout stands by the provider's word; `status` None means no change."""

    status: str | None
    code: str | None = None
    message: str | None = None
    request: dict[str, Any] | None = None  # what was sent to the provider, kept on the payout


@dataclass(frozen=True)
class ProviderMessage:
    """A callback, read: which payout it is about and what the provider says of it."""

    order_id: str
    customer_id: str
    payout_id: str
    status: ProviderStatus


@dataclass(frozen=True)
class Callback:
    """A provider's call as it arrived; `headers` have lower-case names."""

    body: bytes
    content_type: str
    headers: Mapping[str, str]


class PayoutProvider(ABC):
    """What the service needs from a payment provider."""

    name: ClassVar[str]

    @abstractmethod
    def request_payout(
        self, payout: CashbackPayoutModel, customer: CustomerModel
    ) -> ProviderStatus:
        """Ask the provider to pay `payout` to `customer`."""

    @abstractmethod
    def verify(self, callback: Callback) -> bool:
        """Whether the callback was sent by the provider (its signature checks)."""

    @abstractmethod
    def read_callback(self, callback: Callback) -> ProviderMessage:
        """The verified callback's message; a malformed one is a 4xx."""


def _fields(content: bytes, content_type: str) -> dict[str, Any]:
    """The message as an object: JSON, or a form of its fields, or a form whose `Content`
    field holds the JSON."""
    try:
        text = content.decode("utf-8")
        if content_type == FORM_TYPE:
            fields: Any = dict(parse_qsl(text, keep_blank_values=True))
            embedded = fields.get("Content", fields.get("content"))
            if isinstance(embedded, str):
                fields = json.loads(embedded)
        else:
            fields = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise MalformedRequestError(
            "The callback message is not valid JSON or form data."
        ) from error
    if not isinstance(fields, dict):
        raise MalformedRequestError("The callback message must be an object.")
    return fields


def _text(fields: dict[str, Any], name: str) -> str | None:
    value = fields.get(name)
    return value.strip() if isinstance(value, str) and value.strip() else None


class Paytm(PayoutProvider):
    name = "paytm"
    # statusCode (or status) → payout status; PENDING and codes not listed change nothing.
    OUTCOMES: ClassVar[dict[str, str]] = {
        "ACCEPTED": ACCEPTED,
        "SUCCESS": PAID,
        "FAILURE": FAILED,
        "FAILED": FAILED,
        "REJECTED": FAILED,
        "CANCELLED": FAILED,
    }

    @staticmethod
    def order_id(customer_id: str, payout_id: str) -> str:
        return f"{customer_id}_{payout_id}"

    def request_payout(
        self, payout: CashbackPayoutModel, customer: CustomerModel
    ) -> ProviderStatus:
        settings = get_settings()
        amount: Decimal = payout.reward_amount
        request = {
            "request": {
                "requestType": None,
                "merchantGuid": settings.paytm_merchant_guid,
                "merchantOrderId": self.order_id(payout.customer_id, payout.payout_id),
                "salesWalletName": None,
                "salesWalletGuid": settings.paytm_sales_wallet_guid,
                "payeeEmailId": customer.email,
                "payeePhoneNumber": customer.telephone,
                "payeeSsoId": "",
                "appliedToNewUsers": "N",
                "amount": f"{amount:.2f}",
                "currencyCode": payout.currency,
            },
            "metadata": f"cashback {payout.campaign_id}",
            "platformName": "PayTM",
            "operationType": "SALES_TO_USER_CREDIT",
        }
        return ProviderStatus(REQUESTED, request=request)

    @staticmethod
    def _message(callback: Callback) -> tuple[bytes, str]:
        """The message and its type: the body, or the `Content` header the document uses."""
        if callback.body.strip():
            return callback.body, callback.content_type
        return callback.headers.get("content", "").encode("utf-8"), JSON_TYPE

    def verify(self, callback: Callback) -> bool:
        secret = secrets_store.paytm_secret()
        signature = callback.headers.get(SIGNATURE_HEADER, "").strip().lower()
        if not secret or not signature:
            return False
        content, _ = self._message(callback)
        expected = hmac.new(secret.encode("utf-8"), content, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, signature)

    def read_callback(self, callback: Callback) -> ProviderMessage:
        content, content_type = self._message(callback)
        if not content.strip():
            raise MalformedRequestError("The callback carries no message.")
        if len(content) > MAX_MESSAGE_BYTES:
            raise MalformedRequestError("The callback message is too large.")
        fields = _fields(content, content_type)
        order_id = _text(fields, "orderId") or ""
        customer_id, _, payout_id = order_id.rpartition("_")
        if not customer_id or not payout_id:
            raise InvalidInputError(
                {"orderId": ["This value should be <customerId>_<payoutId>."]},
                message="The callback names no order.",
            )
        code = _text(fields, "statusCode")
        # An error code (not listed) comes with `status` FAILURE; `status` decides then.
        outcome = self.OUTCOMES.get((code or "").upper()) or self.OUTCOMES.get(
            (_text(fields, "status") or "").upper()
        )
        return ProviderMessage(
            order_id,
            customer_id,
            payout_id,
            ProviderStatus(outcome, code=code, message=_text(fields, "statusMessage")),
        )


PROVIDERS: dict[str, PayoutProvider] = {provider.name: provider for provider in (Paytm(),)}


def provider_named(name: str | None) -> PayoutProvider | None:
    """The provider a campaign or a callback names (any letter case); None when unknown."""
    return PROVIDERS.get((name or "").strip().lower())
