"""The benchmark's own AWS and service: the serialized moto server, the resources, the data.

`start()` runs `python -m local.aws_server` on a free port (nothing persisted), points this
process's settings at it, creates the resources of `infra/resources.json` and seeds one store
with an API key, a passcode campaign and customers. Every AWS call any client of this process
makes (boto3's and PynamoDB's) passes `CallLog`, through botocore's event hooks.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from local.ports import free_port, port_open

REPO_ROOT = Path(__file__).resolve().parents[1]
STORE = "BENCH"
API_KEY = "bench-api-key-0123456789abcdef"
PASSCODE = "bench-passcode"
START_SECONDS = 60

# What every process of the benchmark sees: the embedded AWS and a deployed-like stage
# (logs at INFO and metrics on, as in production; their output goes to /dev/null). The variables
# every deployed function gets (.chalice/config.json) are added in `start()`.
ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "REWARDS_STAGE": "bench",
    "REWARDS_RESOURCE_PREFIX": "bench-",
    "REWARDS_JWT_SECRET": "bench-secret-that-is-long-enough-for-hs256",
    "REWARDS_LINK_TOKEN_SECRET": "bench-link-token-secret-0123456789abcdef",
    "REWARDS_WEBHOOK_SECRET": "bench-webhook-secret-0123456789abcdef",
    "REWARDS_PUBLIC_BASE_URL": "https://rewards.bench",
    "REWARDS_LOG_LEVEL": "INFO",
    "POWERTOOLS_METRICS_NAMESPACE": "Rewards",
}


@dataclass
class Call:
    """One AWS call as botocore sent it: its service, operation and JSON body (for replay)."""

    service: str
    operation: str
    body: bytes


def items_read(parsed: Any) -> int:
    """How many items a DynamoDB answer says were read (what a read is billed by)."""
    if not isinstance(parsed, dict):
        return 0
    if "ScannedCount" in parsed:  # Query, Scan: every item examined, returned or not
        return int(parsed["ScannedCount"])
    if "Responses" in parsed and isinstance(parsed["Responses"], dict):  # BatchGetItem
        return sum(len(items) for items in parsed["Responses"].values())
    return 1 if "Item" in parsed else 0


@dataclass
class CallLog:
    """Every AWS call made while `recording`, and the items they read; installed once, before
    any client exists."""

    calls: list[Call] = field(default_factory=list)
    read: int = 0
    recording: bool = False

    def __call__(self, model: Any, params: Any = None, **_: Any) -> None:
        if self.recording:
            body = params.get("body", b"") if isinstance(params, dict) else b""
            if isinstance(body, str):
                body = body.encode()
            # An S3 object's body is a stream or chunks: not kept (nothing replays it).
            kept = bytes(body) if isinstance(body, bytes | bytearray) else b""
            self.calls.append(Call(model.service_model.service_name, model.name, kept))

    def answered(self, model: Any, parsed: Any = None, **_: Any) -> None:
        if self.recording and model.service_model.service_name == "dynamodb":
            self.read += items_read(parsed)

    @contextlib.contextmanager
    def record(self) -> Iterator[list[Call]]:
        """The calls made inside the block (a fresh list each time)."""
        self.calls, self.read = [], 0
        self.recording = True
        try:
            yield self.calls
        finally:
            self.recording = False

    def install(self) -> None:
        from botocore import handlers

        handlers.BUILTIN_HANDLERS.append(("before-call", self))
        handlers.BUILTIN_HANDLERS.append(("after-call", self.answered))


def child_answer(
    module: str, args: list[str], what: str, environment: dict[str, str] | None = None
) -> dict[str, Any]:
    """Runs `python -m <module> <args>` (a fresh process), and returns the JSON object it
    printed last, which must say `"status": 200`; `what` names the run in an error."""
    done = subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=REPO_ROOT,
        env=environment,
        capture_output=True,
        check=True,
    )
    answer: dict[str, Any] = json.loads(done.stdout.decode().strip().splitlines()[-1])
    if answer["status"] != 200:
        raise RuntimeError(f"{what}: status {answer['status']}")
    return answer


def counted(calls: list[Call]) -> Counter[str]:
    """`{"dynamodb:GetItem": 1, ...}` for a list of calls."""
    return Counter(f"{call.service}:{call.operation}" for call in calls)


@dataclass
class Stack:
    """The running embedded AWS and what the benchmark seeded in it."""

    server: subprocess.Popen[bytes]
    environment: dict[str, str]
    log: CallLog
    campaign_id: str = ""  # issued by passcode, no coupons: never runs out
    buy_campaign_id: str = ""  # the demo campaign: coupons for points
    cashback_campaign_id: str = ""
    client: Any = None  # chalice.test.Client(app).http

    def stop(self) -> None:
        self.server.terminate()
        try:
            self.server.wait(10)
        except subprocess.TimeoutExpired:
            self.server.kill()


def chalice_config() -> dict[str, Any]:
    """.chalice/config.json: what the deployed functions are given."""
    config: dict[str, Any] = json.loads((REPO_ROOT / ".chalice" / "config.json").read_text())
    return config


def deployed_environment() -> dict[str, str]:
    """The variables of a benchmark process: every deployed function's, then `ENVIRONMENT`."""
    return {**chalice_config().get("environment_variables", {}), **ENVIRONMENT}


def start() -> Stack:
    """Start the embedded AWS, point this process at it, create and seed everything."""
    port = free_port()
    environment = {**deployed_environment(), "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}"}
    os.environ.update(environment)
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):  # real credentials have no place here
        os.environ.pop(name, None)
    server_env = {**os.environ, "AWS_PORT": str(port), "REWARDS_AWS_PERSIST": "0"}
    server = subprocess.Popen(
        [sys.executable, "-m", "local.aws_server"],
        cwd=REPO_ROOT,
        env=server_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + START_SECONDS
    while not port_open(port):
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            raise RuntimeError("the embedded AWS did not start")
        time.sleep(0.1)
    log = CallLog()
    log.install()
    stack = Stack(server, environment, log)
    try:
        _seed(stack)
    except BaseException:
        stack.stop()
        raise
    return stack


def _seed(stack: Stack) -> None:
    from chalice.test import Client

    from app import app
    from chalicelib.cli import DEMO_CAMPAIGN_ID, seed_demo
    from chalicelib.domain.access import auth
    from local import bootstrap
    from tests.fixtures.factories import make_campaign

    template = bootstrap.load_template()
    bootstrap.create_resources(template, os.environ["REWARDS_RESOURCE_PREFIX"])
    seed_demo(STORE, API_KEY, "admin@example.com", "bench-password")
    stack.buy_campaign_id = DEMO_CAMPAIGN_ID
    stack.campaign_id = make_campaign(STORE, name="Bench gift").campaign_id
    auth.set_passcode(STORE, stack.campaign_id, passcode=PASSCODE)
    cashback = make_campaign(
        STORE, name="Cashback", reward="cashback", point_value=Decimal(1), cashback_provider="paytm"
    )
    stack.cashback_campaign_id = cashback.campaign_id
    stack.client = Client(app).__enter__().http


def bearer(**extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json", **extra}


def jwt(role: str, store_code: str = STORE, **extra: str) -> dict[str, str]:
    """Headers with a signed JWT for `role` of a store (no login round trip)."""
    import uuid

    from chalicelib.domain.access.auth import Principal, Role, issue_token

    principal = Principal(store_code, Role(role), str(uuid.uuid4()))
    return {"Authorization": f"Bearer {issue_token(principal)}", **extra}


def body_of(response: Any) -> Any:
    return json.loads(response.body) if response.body else None


_plain_clients: dict[str, Any] = {}


def plain_client(service: str) -> Any:
    """A plain boto3 client of the embedded AWS, made once (the floor's client)."""
    if service not in _plain_clients:
        import boto3

        _plain_clients[service] = boto3.client(
            service, endpoint_url=os.environ["AWS_ENDPOINT_URL"], region_name="us-east-1"
        )
    return _plain_clients[service]


def replay(calls: list[Call]) -> int:
    """Make `calls` again with plain clients, as sent; a refused write (its condition already
    met once) costs the same round trip, so errors are ignored. Returns the calls made."""
    from botocore import xform_name
    from botocore.exceptions import ClientError

    for call in calls:
        method = getattr(plain_client(call.service), xform_name(call.operation))
        with contextlib.suppress(ClientError):
            method(**json.loads(call.body or b"{}"))
    return len(calls)
