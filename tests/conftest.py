"""Shared fixtures: an isolated environment, moto in-process with every table, a demo store.

The environment is fixed before any `chalicelib` import so settings, models and clients all
point at the test prefix; `aws` re-binds them inside `mock_aws` for each test.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import pytest

os.environ.update(
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_DEFAULT_REGION="us-east-1",
    REWARDS_STAGE="test",
    REWARDS_RESOURCE_PREFIX="test-",
    REWARDS_JWT_SECRET="test-secret-that-is-long-enough-for-hs256",
    REWARDS_PUBLIC_BASE_URL="https://rewards.test",
    POWERTOOLS_LOG_LEVEL="WARNING",
    REWARDS_LOG_LEVEL="WARNING",
)
for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
    os.environ.pop(name, None)

from moto import mock_aws  # noqa: E402

from chalicelib import aws as aws_clients  # noqa: E402
from chalicelib.api.idempotency import reset_persistence  # noqa: E402
from chalicelib.config import get_settings, reset_settings  # noqa: E402
from chalicelib.domain import auth, customer_types, stores  # noqa: E402
from chalicelib.storage.base import bind_models  # noqa: E402
from local import moto_transactions  # noqa: E402
from local.bootstrap import create_resources, load_template  # noqa: E402

moto_transactions.install()

STORE = "DEFAULT"
OTHER_STORE = "OTHER"
RACE_STORE = "RACE"
API_KEY = "test-api-key-DEFAULT-0123456789"
OTHER_API_KEY = "test-api-key-OTHER-0123456789"
RACE_API_KEY = "test-api-key-RACE-0123456789"


def reset_process_state() -> None:
    """Forget everything a process caches about settings, clients and stores."""
    reset_settings()
    aws_clients.reset_clients()
    bind_models()
    stores.clear_store_cache()
    customer_types.clear_cache()
    reset_persistence()


class AwsCalls:
    """Every AWS API call made by any client created during a test, in order."""

    def __init__(self) -> None:
        self.operations: list[tuple[str, str]] = []  # (service, operation)

    def record(self, model: Any, **_: Any) -> None:
        self.operations.append((model.service_model.service_name, model.name))

    def count(self, operation: str | None = None, service: str = "dynamodb") -> int:
        return sum(
            1
            for called_service, called in self.operations
            if called_service == service and operation in (None, called)
        )

    def reset(self) -> None:
        self.operations.clear()


@pytest.fixture
def aws_calls() -> Iterator[AwsCalls]:
    """Counts AWS calls through botocore's event hooks (ask for it before `aws`/`store`)."""
    from botocore import handlers

    calls = AwsCalls()
    hook = ("before-call", calls.record)
    # Clients (boto3's and PynamoDB's) created from here on get the hook, as they get moto's.
    handlers.BUILTIN_HANDLERS.append(hook)
    try:
        yield calls
    finally:
        handlers.BUILTIN_HANDLERS.remove(hook)


@pytest.fixture
def aws() -> Iterator[None]:
    """moto in-process with every table, queue and bucket of `infra/resources.json`."""
    with mock_aws():
        reset_process_state()
        create_resources(load_template(), get_settings().resource_prefix)
        yield
    reset_process_state()


@pytest.fixture
def served_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """The serialized embedded AWS over real HTTP (in a thread) with every resource and the
    store RACE: for concurrency tests, where moto in-process would not serialize calls.

    Yields the environment a child process needs to reach the same AWS.
    """
    from local.aws_server import start_in_thread

    server = start_in_thread()
    monkeypatch.setenv("AWS_ENDPOINT_URL", server.url)
    reset_process_state()
    try:
        create_resources(load_template(), get_settings().resource_prefix)
        stores.create_store(RACE_STORE, country_code="gb")
        auth.create_api_key(RACE_STORE, key=RACE_API_KEY)
        yield {
            name: value
            for name, value in os.environ.items()
            if name.startswith(("AWS_", "REWARDS_", "POWERTOOLS_"))
        }
    finally:
        monkeypatch.delenv("AWS_ENDPOINT_URL")
        reset_process_state()
        server.stop()


@pytest.fixture
def store(aws: None) -> str:
    """The DEFAULT store with an API key, and a second store to test tenancy against."""
    for code, key in ((STORE, API_KEY), (OTHER_STORE, OTHER_API_KEY)):
        stores.create_store(code, country_code="gb")
        auth.create_api_key(code, key=key)
    return STORE


@pytest.fixture
def client(store: str) -> Iterator[Any]:
    from chalice.test import Client

    from app import app

    with Client(app) as test_client:
        yield test_client.http


def bearer(key: str = API_KEY, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}", "Content-Type": "application/json", **extra}


def body_of(response: Any) -> Any:
    return json.loads(response.body) if response.body else None


def token_for(role: Any, store_code: str = STORE, subject: str | None = None) -> str:
    """A signed JWT for `role` (admin, seller, customer) without a login round trip."""
    import uuid

    from chalicelib.domain.auth import Principal, issue_token

    return issue_token(Principal(store_code, role, subject or str(uuid.uuid4())))


def jwt_headers(token: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json", **extra}
