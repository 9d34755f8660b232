"""The fixtures pytest must find: an isolated environment, moto in-process with every table, a
demo store, the app's test client.

The environment is fixed before any `chalicelib` import so settings, models and clients all
point at the test prefix; `aws` re-binds them inside `mock_aws` for each test. The helpers the
tests import (stores and keys, factories, receivers, stacks, each area's shared helpers) live
in `tests/fixtures/`; the fixtures defined there are registered below as plugins.
"""

from __future__ import annotations

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
    REWARDS_LINK_TOKEN_SECRET="test-link-token-secret-0123456789abcdef",
    REWARDS_WEBHOOK_SECRET="test-webhook-secret-0123456789abcdef",
    REWARDS_PUBLIC_BASE_URL="https://rewards.test",
    POWERTOOLS_LOG_LEVEL="WARNING",
    POWERTOOLS_METRICS_DISABLED="true",  # tests about metrics turn them on for themselves
    REWARDS_LOG_LEVEL="WARNING",
)
for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
    os.environ.pop(name, None)

# The helpers' asserts explain themselves as the tests' own do.
pytest.register_assert_rewrite("tests.fixtures")

from moto import mock_aws  # noqa: E402

from chalicelib.config import get_settings  # noqa: E402
from chalicelib.domain.access import auth, stores  # noqa: E402
from local import moto_transactions  # noqa: E402
from local.bootstrap import create_resources, load_template  # noqa: E402
from tests.fixtures.aws import AwsCalls, hooked_clients, reset_process_state, resources  # noqa: E402
from tests.fixtures.clients import (  # noqa: E402
    API_KEY,
    OTHER_API_KEY,
    OTHER_STORE,
    RACE_API_KEY,
    RACE_STORE,
    STORE,
)

moto_transactions.install()

# The fixtures of tests/fixtures/ that tests of several files ask for.
pytest_plugins = ["tests.fixtures.emails", "tests.fixtures.stacks"]


@pytest.fixture
def aws_calls() -> Iterator[AwsCalls]:
    """Counts AWS calls through botocore's event hooks (ask for it before `aws`/`store`)."""
    calls = AwsCalls()
    with hooked_clients(calls.record):
        yield calls


@pytest.fixture
def aws() -> Iterator[None]:
    """moto in-process with every table, queue and bucket of `infra/resources.json`."""
    with mock_aws():
        reset_process_state()
        resources.create()
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


@pytest.fixture
def local_api(store: str) -> Iterator[str]:
    """The app served over HTTP as `make run` serves it (local/api_server.py), in a thread,
    with the `store` fixture's data; yields its base URL."""
    import threading

    from chalice.config import Config

    from app import app
    from local.api_server import make_server

    server = make_server(app, Config.create(chalice_app=app), "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server.server_address[1]}"
    finally:
        server.shutdown()
