"""A cashback payout provider's callback (Open Loyalty): once its signature checks (or it
carries the store admin's token, as the document's example does), it moves the payout forward
(chalicelib/domain/catalog/cashback_payouts.py); a failed payout gives its points back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from pynamodb.exceptions import DoesNotExist

from chalicelib.domain.catalog.campaigns import MAX_ID_LENGTH
from chalicelib.domain.catalog.cashback_payouts import advance, fail
from chalicelib.domain.catalog.payout_providers import (
    Callback,
    PayoutProvider,
    ProviderMessage,
    provider_named,
)
from chalicelib.domain.errors import AuthenticationError, NotFoundError
from chalicelib.storage.cashback import FAILED, CashbackPayoutModel


class ProviderNotFoundError(NotFoundError):
    code = "provider_not_found"
    default_message = "No cashback provider of this name."


class PayoutNotFoundError(NotFoundError):
    code = "payout_not_found"
    default_message = "No cashback payout for this order."


class CallbackNotAuthenticError(AuthenticationError):
    code = "callback_signature_invalid"
    default_message = "The callback's signature does not check."


@dataclass(frozen=True)
class Settlement:
    """A payout after its provider's callback, and what the provider said."""

    payout_id: str
    order_id: str
    customer_id: str
    code: str | None  # the provider's status code, as it sent it
    message: str | None
    provider: str
    status: str

    @property
    def failed(self) -> bool:
        return self.status == FAILED


def _payout_of(
    store_code: str, provider: PayoutProvider, message: ProviderMessage
) -> CashbackPayoutModel:
    """The store's payout the message names, paid through this provider to this customer."""
    if len(message.payout_id) > MAX_ID_LENGTH:
        raise PayoutNotFoundError()
    try:
        payout = CashbackPayoutModel.get(store_code, message.payout_id, consistent_read=True)
    except DoesNotExist as error:
        raise PayoutNotFoundError() from error
    if payout.customer_id != message.customer_id or provider_named(payout.provider) is not provider:
        raise PayoutNotFoundError()
    return payout


def settle(
    store_code: str,
    provider_name: str,
    callback: Callback,
    trusted: bool = False,
    now: datetime | None = None,
) -> Settlement:
    """Apply a provider's callback to its payout. `trusted`: the caller is the store's admin,
    so the provider's signature is not needed."""
    provider = provider_named(provider_name)
    if provider is None:
        raise ProviderNotFoundError()
    if not trusted and not provider.verify(callback):
        raise CallbackNotAuthenticError()
    message = provider.read_callback(callback)
    payout = _payout_of(store_code, provider, message)
    now = now or datetime.now(UTC)
    if message.status.status == FAILED:
        fail(payout, message.status, now)
    else:
        advance(payout, message.status, now)
    return Settlement(
        payout.payout_id,
        message.order_id,
        payout.customer_id,
        message.status.code,
        message.status.message,
        provider.name,
        payout.status,
    )
