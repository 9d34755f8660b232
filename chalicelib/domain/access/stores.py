"""Stores (tenants) and their settings: currency, point ratio, claim expiry, sender, links."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from pynamodb.exceptions import DoesNotExist

from chalicelib.config import get_settings
from chalicelib.domain.errors import ConflictError, InvalidInputError, NotFoundError
from chalicelib.storage.errors import ConditionFailedError
from chalicelib.storage.stores import StoreModel

STORE_CODE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
# Store settings change rarely; a short per-process cache saves a read on most requests.
CACHE_SECONDS = 60.0


@dataclass(frozen=True)
class Store:
    store_code: str
    name: str
    currency: str
    point_to_amount_ratio: Decimal
    claim_expiry_days: int | None
    email_sender: str
    public_base_url: str
    country_code: str
    points_lifetime_days: int | None = None


_cache: dict[str, tuple[float, Store]] = {}


def _from_model(item: StoreModel) -> Store:
    return Store(
        store_code=item.store_code,
        name=item.name,
        currency=item.currency,
        point_to_amount_ratio=item.point_to_amount_ratio,
        claim_expiry_days=None if item.claim_expiry_days is None else int(item.claim_expiry_days),
        email_sender=item.email_sender,
        public_base_url=item.public_base_url,
        country_code=item.country_code,
        points_lifetime_days=(
            None if item.points_lifetime_days is None else int(item.points_lifetime_days)
        ),
    )


def create_store(
    store_code: str,
    *,
    name: str | None = None,
    currency: str | None = None,
    point_to_amount_ratio: Decimal | None = None,
    claim_expiry_days: int | None = None,
    email_sender: str | None = None,
    public_base_url: str | None = None,
    country_code: str | None = None,
    points_lifetime_days: int | None = None,
    exist_ok: bool = False,
) -> Store:
    """Create a store; defaults come from settings. An existing code is a conflict."""
    if not STORE_CODE.match(store_code):
        raise InvalidInputError({"storeCode": ["Use 1-64 letters, digits, '-' or '_'."]})
    settings = get_settings()
    item = StoreModel(
        store_code,
        name=name or store_code,
        currency=(currency or settings.default_currency).upper(),
        point_to_amount_ratio=point_to_amount_ratio or settings.default_point_to_amount_ratio,
        claim_expiry_days=claim_expiry_days
        if claim_expiry_days is not None
        else settings.default_claim_expiry_days,
        email_sender=email_sender or settings.default_email_sender,
        public_base_url=(public_base_url or settings.public_base_url).rstrip("/"),
        country_code=(country_code or settings.default_country_code).lower(),
        points_lifetime_days=points_lifetime_days,
        created_at=datetime.now(UTC),
    )
    try:
        item.save(condition=StoreModel.store_code.does_not_exist())
    except ConditionFailedError as error:
        if exist_ok:
            return get_store(store_code)
        raise ConflictError(f"Store {store_code} already exists.") from error
    return _from_model(item)


def get_store(store_code: str) -> Store:
    cached = _cache.get(store_code)
    now = time.monotonic()
    if cached and now - cached[0] < CACHE_SECONDS:
        return cached[1]
    try:
        store = _from_model(StoreModel.get(store_code))
    except DoesNotExist as error:
        raise NotFoundError(f"Store {store_code} does not exist.") from error
    _cache[store_code] = (now, store)
    return store


def clear_store_cache() -> None:
    _cache.clear()
