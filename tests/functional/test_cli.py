"""Operator commands: stores, API keys (shown once), users, and the idempotent demo seed."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3
import pytest

from chalicelib import cli
from chalicelib.domain.access import auth, stores
from chalicelib.domain.access.auth import Role
from chalicelib.domain.customers import records
from chalicelib.domain.errors import AuthenticationError
from chalicelib.domain.points import ledger
from local.ports import free_port
from tests.fixtures.clients import bearer, body_of

REPO_ROOT = Path(__file__).resolve().parents[2]

KEY_LINE = re.compile(r"^api key \(shown once\): (\S+)$", re.MULTILINE)
KEY_ID_LINE = re.compile(r"^key id: (\S+)$", re.MULTILINE)


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _new_key(capsys: pytest.CaptureFixture[str], store_code: str) -> tuple[str, str]:
    code, out, _ = _run(capsys, "create-api-key", store_code, "--label", "ops")
    assert code == 0
    key_match, id_match = KEY_LINE.search(out), KEY_ID_LINE.search(out)
    assert key_match and id_match, out
    return id_match.group(1), key_match.group(1)


def _stores_in_table() -> list[dict[str, Any]]:
    table = boto3.resource("dynamodb", region_name="us-east-1").Table("test-stores")
    return table.scan(ConsistentRead=True)["Items"]


def test_create_store(aws: None, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(
        capsys,
        "create-store",
        "SHOP",
        "--name",
        "Shop",
        "--currency",
        "eur",
        "--ratio",
        "200",
        "--claim-expiry-days",
        "7",
        "--sender",
        "shop@example.org",
        "--base-url",
        "https://shop.example.org/",
        "--country",
        "DE",
        "--points-lifetime-days",
        "365",
    )

    assert code == 0
    assert "SHOP" in out
    store = stores.get_store("SHOP")
    assert store.name == "Shop"
    assert store.currency == "EUR"
    assert store.point_to_amount_ratio == Decimal("200")
    assert store.claim_expiry_days == 7
    assert store.email_sender == "shop@example.org"
    assert store.public_base_url == "https://shop.example.org"
    assert store.country_code == "de"
    assert store.points_lifetime_days == 365


def test_create_store_twice_is_an_error(aws: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(capsys, "create-store", "SHOP")[0] == 0

    code, _, err = _run(capsys, "create-store", "SHOP")

    assert code == 1
    assert "error" in err
    assert len(_stores_in_table()) == 1


def test_invalid_store_code_is_an_error(aws: None, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, "create-store", "no spaces allowed")

    assert code == 1
    assert err.startswith("error:")
    assert _stores_in_table() == []


def test_api_key_is_printed_once_and_authenticates(
    client: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(capsys, "create-store", "CLI")[0] == 0
    key_id, key = _new_key(capsys, "CLI")

    principal = auth.principal_for_api_key(key)
    response = client.get("/recipients", headers=bearer(key))

    assert (principal.store_code, principal.role) == ("CLI", Role.STORE)
    assert response.status_code == 200
    assert body_of(response)["data"] == []

    code, listed, _ = _run(capsys, "list-api-keys", "CLI")
    assert code == 0
    assert key not in listed
    (line,) = listed.strip().splitlines()
    assert line.split("\t")[:3] == [key_id, "active", "ops"]


def test_api_key_for_an_unknown_store_is_an_error(
    aws: None, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(capsys, "create-api-key", "NOPE")

    assert code == 1
    assert "api key" not in out
    assert "error" in err


def test_revoke_api_key(client: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(capsys, "create-store", "CLI")[0] == 0
    key_id, key = _new_key(capsys, "CLI")
    other_id, other_key = _new_key(capsys, "CLI")

    code, out, _ = _run(capsys, "revoke-api-key", "CLI", key_id)

    assert code == 0
    assert key_id in out
    assert client.get("/recipients", headers=bearer(key)).status_code == 401
    assert client.get("/recipients", headers=bearer(other_key)).status_code == 200
    with pytest.raises(AuthenticationError):
        auth.principal_for_api_key(key)
    listed = dict(
        line.split("\t")[:2] for line in _run(capsys, "list-api-keys", "CLI")[1].splitlines()
    )
    assert listed == {key_id: "revoked", other_id: "active"}


def test_revoke_an_unknown_key_is_an_error(aws: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(capsys, "create-store", "CLI")[0] == 0

    code, _, err = _run(capsys, "revoke-api-key", "CLI", "000000000000")

    assert code == 1
    assert "error" in err


def test_create_user_reads_the_password_from_the_environment(
    client: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REWARDS_USER_PASSWORD", "from-env-pass")

    code, out, _ = _run(capsys, "create-user", "DEFAULT", "admin", "ops@example.com")

    assert code == 0
    assert "from-env-pass" not in out
    response = client.post(
        "/api/admin/login_check",
        headers={"Content-Type": "application/json"},
        body=b'{"username": "ops@example.com", "password": "from-env-pass"}',
    )
    assert response.status_code == 200
    assert auth.principal_for_token(body_of(response)["token"]).role is Role.ADMIN


def test_create_customer_user_with_subject(
    store: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REWARDS_USER_PASSWORD", "from-env-pass")

    code, out, _ = _run(
        capsys, "create-user", store, "customer", "c@example.com", "--subject", "cust-1"
    )

    assert code == 0
    assert "cust-1" in out
    token = auth.login(store, Role.CUSTOMER, "c@example.com", "from-env-pass")
    assert auth.principal_for_token(token).subject == "cust-1"


def test_create_user_with_an_unknown_role_is_refused(
    store: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REWARDS_USER_PASSWORD", "from-env-pass")

    with pytest.raises(SystemExit) as exited:
        cli.main(["create-user", store, "store", "someone"])
    assert exited.value.code == 2


def test_create_user_twice_is_an_error(
    store: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REWARDS_USER_PASSWORD", "from-env-pass")
    assert _run(capsys, "create-user", store, "seller", "s@example.com")[0] == 0

    code, _, err = _run(capsys, "create-user", store, "seller", "s@example.com")

    assert code == 1
    assert "error" in err


def test_create_user_with_a_short_password_says_why(
    store: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REWARDS_USER_PASSWORD", "abc")

    code, _, err = _run(capsys, "create-user", store, "admin", "a@example.com")

    assert code == 1
    assert "password" in err.lower()


def _seed(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, password: str
) -> None:
    monkeypatch.setenv("REWARDS_DEMO_API_KEY", "demo-api-key-0123456789abcdef")
    monkeypatch.setenv("REWARDS_DEMO_ADMIN_EMAIL", "demo@example.com")
    monkeypatch.setenv("REWARDS_DEMO_ADMIN_PASSWORD", password)
    code, out, err = _run(capsys, "seed-demo", "--store", "DEMO")
    assert code == 0, err
    assert "DEMO" in out


def test_seed_demo_twice_keeps_one_of_each_and_updates_the_password(
    aws: None, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _seed(capsys, monkeypatch, "first-password")
    _seed(capsys, monkeypatch, "second-password")

    assert [item["store_code"] for item in _stores_in_table()] == ["DEMO"]
    assert len(auth.list_api_keys("DEMO")) == 1
    assert auth.principal_for_api_key("demo-api-key-0123456789abcdef").store_code == "DEMO"
    token = auth.login("DEMO", Role.ADMIN, "demo@example.com", "second-password")
    assert auth.principal_for_token(token).store_code == "DEMO"
    with pytest.raises(AuthenticationError):
        auth.login("DEMO", Role.ADMIN, "demo@example.com", "first-password")


def test_seed_demo_over_http(
    aws: None, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalice.test import Client

    from app import app

    _seed(capsys, monkeypatch, "first-password")
    _seed(capsys, monkeypatch, "second-password")

    with Client(app) as test_client:
        http = test_client.http
        login = http.post(
            "/api/admin/login_check",
            headers={"Content-Type": "application/json"},
            body=b'{"username": "demo@example.com", "password": "second-password",'
            b' "storeCode": "DEMO"}',
        )
        old = http.post(
            "/api/admin/login_check",
            headers={"Content-Type": "application/json"},
            body=b'{"username": "demo@example.com", "password": "first-password",'
            b' "storeCode": "DEMO"}',
        )
        listed = http.get("/recipients", headers=bearer("demo-api-key-0123456789abcdef"))

    assert login.status_code == 200
    assert old.status_code == 401
    assert listed.status_code == 200


def test_seed_demo_without_a_key_is_a_clear_error(
    aws: None, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("REWARDS_DEMO_API_KEY", raising=False)

    code, _, err = _run(capsys, "seed-demo")

    assert code != 0
    assert "REWARDS_DEMO_API_KEY" in err


def test_seed_demo_adds_a_campaign_with_codes_and_the_known_passcode(
    aws: None, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.cli import DEMO_CAMPAIGN_ID, DEMO_COUPONS
    from chalicelib.domain.catalog import campaigns

    monkeypatch.setenv("REWARDS_DEMO_PASSCODE", "local-passcode")
    _seed(capsys, monkeypatch, "a-password")
    _seed(capsys, monkeypatch, "a-password")  # twice: still one campaign, its codes once

    campaign = campaigns.get_campaign("DEMO", DEMO_CAMPAIGN_ID)
    assert campaigns.is_active(campaign, campaign.created_at)
    assert (campaign.coupons_total, campaign.coupons_available) == (DEMO_COUPONS, DEMO_COUPONS)
    principal = auth.principal_for_passcode(DEMO_CAMPAIGN_ID, "local-passcode")
    assert (principal.store_code, principal.subject) == ("DEMO", DEMO_CAMPAIGN_ID)
    # Its Mokugift queries answer anyone.
    from chalicelib.domain.rewards import issuing

    assert issuing.public_queries_store(DEMO_CAMPAIGN_ID) == "DEMO"


def test_seed_demo_gives_the_campaign_its_sandbox_passcode_and_make_run_prints_it(
    aws: None, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.cli import DEMO_CAMPAIGN_ID
    from local.run import StackSettings, banner

    monkeypatch.setenv("REWARDS_DEMO_SANDBOX_PASSCODE", "local-sandbox-passcode")
    _seed(capsys, monkeypatch, "a-password")

    principal = auth.principal_for_passcode(DEMO_CAMPAIGN_ID, "local-sandbox-passcode")
    assert (principal.store_code, principal.subject, principal.sandbox) == (
        "DEMO",
        DEMO_CAMPAIGN_ID,
        True,
    )
    assert "passcode local-sandbox-passcode" in banner(StackSettings.from_env())


def _logs_in(role: Role, username: str, password: str) -> bool:
    from chalice.test import Client

    from app import app

    body = json.dumps({"username": username, "password": password, "storeCode": "DEMO"})
    with Client(app) as test_client:
        response = test_client.http.post(
            f"/api/{role.value}/login_check",
            headers={"Content-Type": "application/json"},
            body=body,
        )
    return response.status_code == 200


def test_seed_demo_makes_a_seller_and_a_customer_with_points_once(
    aws: None, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REWARDS_DEMO_CUSTOMER_PASSWORD", "first-password")
    _seed(capsys, monkeypatch, "admin-password")
    monkeypatch.setenv("REWARDS_DEMO_CUSTOMER_PASSWORD", "second-password")
    _seed(capsys, monkeypatch, "admin-password")  # a restart: nothing made or granted again

    customer = records.find_by_email("DEMO", "customer@example.com", consistent=True)
    assert customer is not None
    assert records.customers_count("DEMO") == 1
    assert customer.points_available == cli.DEMO_CUSTOMER_POINTS
    entries = ledger.history("DEMO", customer.customer_id, 10, None).entries
    assert [(e.kind, e.amount) for e in entries] == [("adjust", cli.DEMO_CUSTOMER_POINTS)]
    assert _logs_in(Role.SELLER, "seller@example.com", "seller123")
    assert _logs_in(Role.CUSTOMER, "customer@example.com", "second-password")
    assert not _logs_in(Role.CUSTOMER, "customer@example.com", "first-password")
    token = auth.login("DEMO", Role.CUSTOMER, "customer@example.com", "second-password")
    assert auth.principal_for_token(token).subject == customer.customer_id


def test_seed_demo_takes_the_demo_logins_from_the_environment(
    aws: None, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REWARDS_DEMO_SELLER_EMAIL", "pos@example.com")
    monkeypatch.setenv("REWARDS_DEMO_SELLER_PASSWORD", "pos-password")
    monkeypatch.setenv("REWARDS_DEMO_CUSTOMER_EMAIL", "wallace@example.com")

    _seed(capsys, monkeypatch, "admin-password")

    assert _logs_in(Role.SELLER, "pos@example.com", "pos-password")
    assert not _logs_in(Role.SELLER, "seller@example.com", "seller123")
    assert _logs_in(Role.CUSTOMER, "wallace@example.com", "customer123")


def test_seed_demo_interrupted_after_the_grant_does_not_grant_again(
    aws: None, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    ensure_user = auth.ensure_user

    def crash_at_the_customer_login(store_code: str, role: Role, *args: Any) -> str:
        if role is Role.CUSTOMER:
            raise RuntimeError("crashed between the customer and its login")
        return ensure_user(store_code, role, *args)

    with monkeypatch.context() as patched:
        patched.setattr(auth, "ensure_user", crash_at_the_customer_login)
        with pytest.raises(RuntimeError, match="crashed"):
            _seed(capsys, monkeypatch, "admin-password")
    made = records.find_by_email("DEMO", "customer@example.com", consistent=True)
    assert made is not None  # the crash came after the customer and its points

    _seed(capsys, monkeypatch, "admin-password")

    customer = records.find_by_email("DEMO", "customer@example.com", consistent=True)
    assert customer is not None
    assert customer.customer_id == made.customer_id
    assert customer.points_available == cli.DEMO_CUSTOMER_POINTS
    assert len(ledger.history("DEMO", customer.customer_id, 10, None).entries) == 1
    assert _logs_in(Role.CUSTOMER, "customer@example.com", "customer123")


# -- finding the local stack ---------------------------------------------------------------
def _cli_as_a_user_types_it(data_dir: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    """`python -m chalicelib.cli ...` in a shell with no AWS or REWARDS settings but the data
    folder (the default, .local/, is the repository's own)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "REWARDS_"))}
    env["REWARDS_DATA_DIR"] = str(data_dir)
    return subprocess.run(
        [sys.executable, "-m", "chalicelib.cli", *argv],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_cli_reaches_the_stack_make_run_wrote_down(
    served_aws: dict[str, str], tmp_path: Path
) -> None:
    from local.run import StackSettings, write_stack_file

    aws_port = int(served_aws["AWS_ENDPOINT_URL"].rsplit(":", 1)[1])
    settings = StackSettings(
        aws_port=aws_port,
        api_port=8000,
        data_dir=tmp_path,
        prefix=served_aws["REWARDS_RESOURCE_PREFIX"],
        admin_email="admin@example.com",
        admin_password="not-used",
        passcode="not-used",
    )
    write_stack_file(settings)

    done = _cli_as_a_user_types_it(tmp_path, "create-store", "FOUND")

    assert (done.returncode, done.stdout.strip()) == (0, "created store FOUND"), done.stderr
    assert stores.get_store("FOUND").store_code == "FOUND"  # in the stack's AWS


def test_the_cli_says_no_stack_is_running(tmp_path: Path) -> None:
    done = _cli_as_a_user_types_it(tmp_path, "list-api-keys", "DEFAULT")

    assert done.returncode == cli.NO_STACK_STATUS
    assert done.stdout == ""
    (line,) = done.stderr.splitlines()
    assert line.startswith("error: no local stack is running") and "make run" in line


def test_the_cli_says_the_stack_it_found_is_gone(tmp_path: Path) -> None:
    port = free_port()  # nothing listens there: the stack was killed and left its file
    stack = {"environment": {"AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}"}}
    (tmp_path / cli.LOCAL_STACK_FILE).write_text(json.dumps(stack))

    done = _cli_as_a_user_types_it(tmp_path, "list-api-keys", "DEFAULT")

    assert done.returncode == cli.NO_STACK_STATUS
    (line,) = done.stderr.splitlines()
    assert "not answering" in line and str(port) in line


def test_an_unreachable_endpoint_is_one_line_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.fixtures.aws import reset_process_state

    with monkeypatch.context() as patch:
        patch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")
        patch.setenv("AWS_MAX_ATTEMPTS", "1")
        reset_process_state(fresh_clients=True)
        try:
            code, _, err = _run(capsys, "list-api-keys", "DEFAULT")
        finally:
            patch.undo()
            reset_process_state(fresh_clients=True)

    assert code == cli.NO_STACK_STATUS
    assert err.startswith("error: cannot reach AWS") and len(err.splitlines()) == 1
