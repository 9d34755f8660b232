"""What every table model shares: naming from settings, the registry, and custom attributes.

Table names carry the stage prefix from settings (`rewards-dev-customers`). Models are bound
to the settings when first imported and can be re-bound by tests (`bind_models`), which also
drops PynamoDB's cached connections.

Retries: PynamoDB's clients, like the boto3 clients of `chalicelib.aws`, use botocore's
standard retry mode with `aws.MAX_ATTEMPTS` attempts, so throttling
(`ProvisionedThroughputExceededException`, `ThrottlingException`, ...) is retried with
exponential backoff and jitter. botocore does not retry a transaction DynamoDB cancelled
because other transactions held its items (`TransactionConflict`); the connection of
`connection()` sends such a transaction again, with backoff. What still escapes is recognised by
`is_busy`.
"""

from __future__ import annotations

import random
import time
import zlib
from decimal import Decimal
from typing import Any, TypeVar

from botocore.exceptions import ClientError
from pynamodb.attributes import Attribute
from pynamodb.connection import Connection
from pynamodb.constants import NUMBER
from pynamodb.exceptions import TransactWriteError
from pynamodb.models import Model

from chalicelib import dry_run
from chalicelib.aws import MAX_ATTEMPTS
from chalicelib.config import get_settings
from chalicelib.storage.errors import BUSY_CANCELLATION_CODES

M = TypeVar("M", bound=type[Model])

MODELS: list[type[Model]] = []


def table(name: str, ttl_attribute: str | None = None) -> Any:
    """Register a model as the table `name` (prefixed per stage), optionally with a TTL."""

    def register(model: M) -> M:
        model.Meta.table_basename = name  # type: ignore[attr-defined]
        model.Meta.ttl_attribute = ttl_attribute  # type: ignore[attr-defined]
        model.Meta.billing_mode = "PAY_PER_REQUEST"
        model.Meta.max_retry_attempts = MAX_ATTEMPTS - 1  # type: ignore[attr-defined]
        MODELS.append(model)
        _bind(model)
        return model

    return register


def _bind(model: type[Model], force: bool = False) -> None:
    settings = get_settings()
    binding = (
        settings.table_name(model.Meta.table_basename),  # type: ignore[attr-defined]
        settings.region,
        settings.aws_endpoint_url,
    )
    if force or getattr(model.Meta, "binding", None) != binding:
        model.Meta.table_name, model.Meta.region, model.Meta.host = binding  # type: ignore[attr-defined]
        model.Meta.binding = binding  # type: ignore[attr-defined]
        model._connection = None  # a connection to the old table or endpoint


def bind_models(force: bool = False) -> None:
    """Point every model at the tables and endpoint of the current settings.

    Connections are kept when nothing changed (making one loads botocore's service data);
    `force` drops them anyway, for tests that hook into client creation.
    """
    global _connection
    if force:
        _connection = None
    for model in MODELS:
        _bind(model, force)


TRANSACTION_BACKOFF_SECONDS = 0.05  # the first resend's maximum delay; doubles each time


class _TransactionConnection(Connection):
    """A connection that sends a transaction again while DynamoDB cancels it only for being
    busy (`BUSY_CANCELLATION_CODES`): a cancelled transaction wrote nothing, so resending the
    same items is safe, and their conditions are checked again. A condition that refused is
    never retried here (`transactions.Transaction` raises it as `TransactionCancelledError`).
    Every model's calls go through it (storage/tables.py), so in a dry run its writes are
    rehearsed (storage/rehearsal.py)."""

    def _make_api_call(self, operation_name: str, operation_kwargs: dict[str, Any]) -> Any:
        # The one path of every DynamoDB call: in a dry run, writes are rehearsed, not made.
        rehearsal = dry_run.current()
        if rehearsal is not None and rehearsal.covers(operation_name):
            send = super()._make_api_call
            return rehearsal.rehearse(rehearsal.plan, operation_name, operation_kwargs, send)
        return super()._make_api_call(operation_name, operation_kwargs)

    def transact_write_items(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                return super().transact_write_items(*args, **kwargs)
            except TransactWriteError as error:
                # Throttling was retried by botocore already; only cancellations are left.
                cancelled = error.cause_response_code == "TransactionCanceledException"
                if attempt == MAX_ATTEMPTS or not (cancelled and is_busy(error)):
                    raise
                # Full jitter, so transactions that collided do not collide again in step.
                time.sleep(random.uniform(0, TRANSACTION_BACKOFF_SECONDS * 2 ** (attempt - 1)))
        raise AssertionError("unreachable")


_connection: Connection | None = None


def connection() -> Connection:
    """The process-wide connection that every table and transaction (`Transaction`) uses."""
    global _connection
    settings = get_settings()
    if _connection is None or (_connection.region, _connection.host) != (
        settings.region,
        settings.aws_endpoint_url,
    ):
        _connection = _TransactionConnection(
            region=settings.region,
            host=settings.aws_endpoint_url,
            max_retry_attempts=MAX_ATTEMPTS - 1,
        )
    return _connection


def cancellation_codes(error: Exception) -> list[str | None]:
    """Per transaction item, why DynamoDB cancelled it (`ConditionalCheckFailed`, ...)."""
    reasons = getattr(error, "cancellation_reasons", None) or []
    return [reason.code if reason is not None else None for reason in reasons]


# DynamoDB's "not now": the request was refused as a whole and may succeed if sent again.
BUSY_ERROR_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "TransactionConflictException",  # a write to an item a transaction is writing
        "TransactionInProgressException",
    }
)


def is_busy(error: BaseException) -> bool:
    """Whether `error` (or what caused it) is DynamoDB still throttling or a transaction still
    conflicting once the retries are spent; such a request wrote nothing."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ClientError):
            code = current.response.get("Error", {}).get("Code")
            if code == "TransactionCanceledException":
                reasons = {c for c in cancellation_codes(current) if c not in (None, "None")}
                return bool(reasons) and reasons <= BUSY_CANCELLATION_CODES
            return code in BUSY_ERROR_CODES
        # PynamoDB keeps the botocore error as `cause`; others chain it with `raise ... from`.
        current = getattr(current, "cause", None) or current.__cause__
    return False


class DecimalAttribute(Attribute[Decimal]):
    """A DynamoDB number read back as `Decimal` (PynamoDB's NumberAttribute returns floats)."""

    attr_type = NUMBER

    def serialize(self, value: Decimal) -> str:
        return str(Decimal(value))

    def deserialize(self, value: str) -> Decimal:
        return Decimal(value)


def shard_of(key: str, shards: int) -> str:
    """The partition of a sparse outbox index that `key`'s item goes to: fixed, spread evenly."""
    return str(zlib.crc32(key.encode()) % shards)
