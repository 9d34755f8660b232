"""Shared fixtures: an isolated environment, moto in-process with every table, a demo store.

The environment is fixed before any `chalicelib` import so settings, models and clients all
point at the test prefix; `aws` re-binds them inside `mock_aws` for each test.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
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

from moto import mock_aws  # noqa: E402

from chalicelib import aws as aws_clients  # noqa: E402
from chalicelib.config import get_settings, reset_settings  # noqa: E402
from chalicelib.domain.access import auth, stores  # noqa: E402
from chalicelib.domain.customers import customer_types  # noqa: E402
from chalicelib.domain.events import webhooks  # noqa: E402
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


def reset_process_state(fresh_clients: bool = False) -> None:
    """Forget what a process caches about settings and stores; clients follow the settings
    (kept while they point at the same endpoint), or are all dropped with `fresh_clients`."""
    reset_settings()
    if fresh_clients:
        aws_clients.reset_clients()
    bind_models(force=fresh_clients)
    stores.clear_store_cache()
    customer_types.clear_cache()
    webhooks.forget_subscriptions()


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


def in_fresh_interpreter(script: str) -> Any:
    """Run `script` in a new interpreter at the repository root, with nothing imported yet (as
    Lambda starts one), and return the JSON value it printed last."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=root,
        env={**os.environ, "PYTHONPATH": root},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


@contextlib.contextmanager
def hooked_clients(handler: Callable[..., None], event: str = "before-call") -> Iterator[None]:
    """Every AWS client (boto3's and PynamoDB's) made inside gets `handler` on `event`, as
    clients get moto's stubber: the clients made before are dropped, and again after."""
    from botocore import handlers

    hook = (event, handler)
    handlers.BUILTIN_HANDLERS.append(hook)
    reset_process_state(fresh_clients=True)
    try:
        yield
    finally:
        handlers.BUILTIN_HANDLERS.remove(hook)
        reset_process_state(fresh_clients=True)


@pytest.fixture
def aws_calls() -> Iterator[AwsCalls]:
    """Counts AWS calls through botocore's event hooks (ask for it before `aws`/`store`)."""
    calls = AwsCalls()
    with hooked_clients(calls.record):
        yield calls


class _ResourceSnapshot:
    """The moto state right after `create_resources`, restored instead of recreated.

    Creating every table, the bucket and the sender identity takes dozens of moto calls per
    test; copying moto's DynamoDB, S3 and SES backends once and restoring copies takes
    milliseconds. SQS's backend holds locks and cannot be copied, so its two queues are
    created again each time, from the same template.
    """

    def __init__(self) -> None:
        self.taken_for: tuple[str, str] | None = None
        self.backends: dict[str, dict[str, dict[str, Any]]] = {}
        self.session: Any = None  # one boto3 session: its service data is loaded once

    @staticmethod
    def _copyable() -> dict[str, Any]:
        from moto.dynamodb.models import dynamodb_backends
        from moto.s3.models import s3_backends
        from moto.ses.models import ses_backends

        return {"dynamodb": dynamodb_backends, "s3": s3_backends, "ses": ses_backends}

    def create(self) -> None:
        import copy

        import boto3

        settings = get_settings()
        template = load_template()
        key = (settings.resource_prefix, settings.region)
        if self.session is None:
            self.session = boto3.session.Session(region_name=settings.region)
        if self.taken_for != key:
            create_resources(template, settings.resource_prefix, session=self.session)
            self.backends = {
                name: copy.deepcopy({account: dict(regions) for account, regions in dicts.items()})
                for name, dicts in self._copyable().items()
            }
            self.taken_for = key
            return
        for name, dicts in self._copyable().items():
            for account, regions in self.backends[name].items():
                for region, backend in regions.items():
                    dicts[account][region] = copy.deepcopy(backend)
        queues = {
            logical: resource
            for logical, resource in template["Resources"].items()
            if resource.get("Type") == "AWS::SQS::Queue"
        }
        create_resources(
            {**template, "Resources": queues}, settings.resource_prefix, session=self.session
        )


_resources = _ResourceSnapshot()


@pytest.fixture
def aws() -> Iterator[None]:
    """moto in-process with every table, queue and bucket of `infra/resources.json`."""
    with mock_aws():
        reset_process_state()
        _resources.create()
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


def bearer(key: str = API_KEY, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}", "Content-Type": "application/json", **extra}


def body_of(response: Any) -> Any:
    return json.loads(response.body) if response.body else None


def token_for(role: Any, store_code: str = STORE, subject: str | None = None) -> str:
    """A signed JWT for `role` (admin, seller, customer) without a login round trip."""
    import uuid

    from chalicelib.domain.access.auth import Principal, issue_token

    return issue_token(Principal(store_code, role, subject or str(uuid.uuid4())))


def jwt_headers(token: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json", **extra}
