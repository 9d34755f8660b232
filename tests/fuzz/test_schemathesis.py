"""Schemathesis against the running local stack: every operation of the generated OpenAPI
document, fed generated requests (valid and invalid), answers without a 5xx and as documented.

One test drives every operation, so the stack starts once and the case count is one number.
Every request carries a valid credential for one of its operation's `x-roles` (the demo store's
API key, a JWT from a login route, the demo campaign's passcode), so generated data reaches the
handlers instead of stopping at a 401. Every distinct failure is collected, and the test fails
listing them all (operation, request as curl, response) rather than stopping at the first.
"""

from __future__ import annotations

import base64
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.errors import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from chalicelib.cli import DEMO_CAMPAIGN_ID
from local.run import STORE_CODE, StackSettings
from tests.fixtures.stacks import API_KEY, REPO_ROOT, Stack, start_stack

pytestmark = pytest.mark.e2e

# 99 operations today: about 1,350 cases, three minutes on two busy CPUs (a few operations
# have fewer distinct requests than this, and get only those).
EXAMPLES_PER_OPERATION = 14
MIN_CASES = 1_000
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
ADMIN = ("admin@example.com", "admin123")  # local.run's demo admin
PASSWORD = "fuzz-password-0123"  # of the seller and customer this module creates
PASSCODE = "demo-passcode"  # local.run's demo campaign passcode
# Path parameters that name the credential's own tenant: generated values would only meet 403.
FIXED_PATH = {"storeCode": STORE_CODE, "csapikey": API_KEY, "campaign_id": DEMO_CAMPAIGN_ID}
CREDENTIAL_HEADERS = ("authorization", "x-passcode")
CREDENTIAL_QUERY = ("csapikey", "passcode")


@dataclass
class Run:
    """What the generated cases did: how many were sent, and each distinct failure once."""

    cases: int = 0
    failures: dict[tuple[str, str], str] = field(default_factory=dict)

    def fail(self, operation: str, kind: str, report: str) -> None:
        self.failures.setdefault((operation, kind), report)


def stack_env(stack: Stack) -> dict[str, str]:
    """What the stack's own processes see: its embedded AWS and resource prefix."""
    stack_settings = StackSettings(
        aws_port=stack.aws_port,
        api_port=stack.api_port,
        data_dir=stack.log.parent,
        prefix="rewards-local-",  # local.run's default; start_stack sets no other
        admin_email=ADMIN[0],
        admin_password=ADMIN[1],
        passcode=PASSCODE,
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "REWARDS_"))}
    return {**env, **stack_settings.service_env(), "REWARDS_USER_PASSWORD": PASSWORD}


def login(stack: Stack, role: str, username: str, password: str) -> str:
    answer = requests.post(
        f"{stack.url}/api/{role}/login_check",
        json={"username": username, "password": password},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["token"])


def credentials(stack: Stack) -> dict[str, dict[str, str]]:
    """Headers of a valid credential per role, in the demo store (seller and customer made
    here with the CLI, as an operator would)."""
    tokens = {"admin": login(stack, "admin", *ADMIN)}
    for role in ("seller", "customer"):
        username = f"fuzz-{role}@example.com"
        created = subprocess.run(
            [sys.executable, "-m", "chalicelib.cli", "create-user", STORE_CODE, role, username],
            cwd=REPO_ROOT,
            env=stack_env(stack),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert created.returncode == 0, created.stderr
        tokens[role] = login(stack, role, username, PASSWORD)
    basic = base64.b64encode(f"{API_KEY}:X".encode()).decode()
    return {
        "store": {"Authorization": f"Bearer {API_KEY}"},
        "store-basic": {"Authorization": f"Basic {basic}"},
        **{role: {"Authorization": f"Bearer {token}"} for role, token in tokens.items()},
        "issuer": {"X-Passcode": PASSCODE},
    }


def authorise(case: Any, roles: list[str], pick: int, headers: dict[str, dict[str, str]]) -> None:
    """Replace the generated credentials of `case` by a valid one for one of `roles`."""
    case.headers = {
        name: value
        for name, value in (case.headers or {}).items()
        if name.lower() not in CREDENTIAL_HEADERS
    }
    case.query = {k: v for k, v in (case.query or {}).items() if k not in CREDENTIAL_QUERY}
    if not roles:
        return
    role = roles[pick % len(roles)]
    if role == "store" and pick % 3 == 1:
        role = "store-basic"  # the API key as Basic user, beside the Bearer style
    elif role == "store" and pick % 3 == 2:
        case.query = {**case.query, "csapikey": API_KEY}  # the query style
        return
    case.headers = {**case.headers, **headers[role]}


def fuzz(operation: Any, stack: Stack, headers: dict[str, dict[str, str]], run: Run) -> None:
    """EXAMPLES_PER_OPERATION generated requests to `operation`, valid and invalid data mixed."""
    roles = list(operation.definition.raw.get("x-roles") or [])
    names = [parameter.name for parameter in operation.path_parameters]
    fixed = {name: FIXED_PATH[name] for name in names if name in FIXED_PATH}
    modes = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
    strategy = st.one_of(
        [operation.as_strategy(generation_mode=mode, path_parameters=fixed) for mode in modes]
    )
    session = requests.Session()

    @given(case=strategy, pick=st.integers(min_value=0, max_value=5))
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        database=None,  # nothing kept between runs or written into the repo
        deadline=None,
        phases=[Phase.generate],  # failures are collected, not shrunk
        suppress_health_check=list(HealthCheck),
        derandomize=True,  # the same cases each run: CI failures reproduce
    )
    def send(case: Any, pick: int) -> None:
        authorise(case, roles, pick, headers)
        run.cases += 1
        try:
            case.call_and_validate(base_url=stack.url, session=session, checks=CHECKS, timeout=60)
        except FailureGroup as group:
            for failure in group.exceptions:
                run.fail(operation.label, failure.title, str(group))
        except requests.RequestException as error:
            run.fail(operation.label, type(error).__name__, f"{case.as_curl_command()}\n{error}")

    try:
        send()
    except Exception as error:  # the operation's cases could not even be generated
        run.fail(operation.label, type(error).__name__, str(error))


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    started = start_stack(tmp_path_factory.mktemp("fuzz") / "data")
    try:
        yield started
    finally:
        try:
            started.stop()
        except subprocess.TimeoutExpired:
            os.killpg(started.process.pid, signal.SIGKILL)


def test_generated_requests_get_documented_answers_and_no_5xx(stack: Stack) -> None:
    schema = schemathesis.openapi.from_url(f"{stack.url}/openapi.json", timeout=60)
    operations = [result.ok() for result in schema.get_all_operations()]
    headers = credentials(stack)
    run = Run()
    started = time.monotonic()
    for operation in operations:
        fuzz(operation, stack, headers, run)
    seconds = time.monotonic() - started
    print(f"schemathesis: {run.cases} cases over {len(operations)} operations in {seconds:.0f} s")

    report = "\n\n".join(
        f"=== {operation}: {kind}\n{detail}" for (operation, kind), detail in run.failures.items()
    )
    assert not run.failures, f"{len(run.failures)} distinct failures:\n\n{report}"
    assert run.cases >= MIN_CASES, f"only {run.cases} generated cases"
