"""Secrets come from the environment locally and from SSM parameters deployed, read once."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest
from moto import mock_aws

from chalicelib import aws as aws_clients
from chalicelib.config import get_settings, reset_settings
from chalicelib.domain.access import auth
from chalicelib.domain.access.auth import Principal, Role
from chalicelib.domain.errors import AuthenticationError
from chalicelib.secrets_store import jwt_secret, paytm_secret, reset_secrets
from tests.fixtures.aws import AwsCalls
from tests.fixtures.clients import STORE

JWT_PARAMETER = "/rewards/test/jwt-secret"
PAYTM_PARAMETER = "/rewards/test/paytm-secret"
STORED_JWT = "jwt-secret-from-parameter-store-0000000000"
STORED_PAYTM = "paytm-secret-from-parameter-store"


@pytest.fixture
def ssm(aws_calls: AwsCalls, monkeypatch: pytest.MonkeyPatch) -> Iterator[AwsCalls]:
    """moto with both secrets stored as SecureString parameters; no secret in the environment."""
    for name in ("REWARDS_JWT_SECRET", "REWARDS_PAYTM_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("REWARDS_JWT_SECRET_PARAMETER", JWT_PARAMETER)
    monkeypatch.setenv("REWARDS_PAYTM_SECRET_PARAMETER", PAYTM_PARAMETER)
    with mock_aws():
        reset_settings()
        reset_secrets()
        client = aws_clients.client("ssm")
        client.put_parameter(Name=JWT_PARAMETER, Value=STORED_JWT, Type="SecureString")
        client.put_parameter(Name=PAYTM_PARAMETER, Value=STORED_PAYTM, Type="SecureString")
        aws_calls.reset()
        yield aws_calls
    reset_secrets()
    monkeypatch.undo()
    reset_settings()


def test_secrets_are_read_from_their_parameters(ssm: AwsCalls) -> None:
    assert jwt_secret() == STORED_JWT
    assert paytm_secret() == STORED_PAYTM
    assert ssm.count("GetParameter", service="ssm") == 2


def test_a_parameter_is_read_once_per_process(ssm: AwsCalls) -> None:
    for _ in range(3):
        assert jwt_secret() == STORED_JWT
        reset_settings()  # even settings read again keep the value

    assert ssm.count("GetParameter", service="ssm") == 1


def test_a_secret_is_read_only_when_needed(ssm: AwsCalls) -> None:
    get_settings()

    assert ssm.count(service="ssm") == 0


def test_the_environment_wins_over_the_parameter(
    ssm: AwsCalls, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REWARDS_JWT_SECRET", "jwt-secret-from-the-environment-000000000")
    monkeypatch.setenv("REWARDS_PAYTM_SECRET", "paytm-secret-from-the-environment")
    reset_settings()

    assert jwt_secret() == "jwt-secret-from-the-environment-000000000"
    assert paytm_secret() == "paytm-secret-from-the-environment"
    assert ssm.count(service="ssm") == 0


def test_without_either_the_local_defaults_apply(
    ssm: AwsCalls, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("REWARDS_JWT_SECRET_PARAMETER")
    monkeypatch.delenv("REWARDS_PAYTM_SECRET_PARAMETER")
    monkeypatch.setenv("REWARDS_DATA_DIR", str(tmp_path))
    reset_settings()

    assert jwt_secret() == (tmp_path / "jwt-secret").read_text().strip()
    assert paytm_secret() is None  # PayTM callbacks are refused
    assert ssm.count(service="ssm") == 0


@pytest.fixture
def local_install(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """The local stage given no JWT secret, its state folder in `tmp_path`."""
    monkeypatch.delenv("REWARDS_JWT_SECRET")
    monkeypatch.setenv("REWARDS_STAGE", "local")
    monkeypatch.setenv("REWARDS_DATA_DIR", str(tmp_path / ".local"))
    reset_settings()
    yield tmp_path / ".local"
    monkeypatch.undo()
    reset_settings()


def test_a_local_install_makes_its_own_jwt_secret_once(
    local_install: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    secret = jwt_secret()
    kept = local_install / "jwt-secret"

    assert kept.read_text().strip() == secret and len(secret) >= 32
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    reset_settings()  # a restart reads it back
    assert jwt_secret() == secret
    monkeypatch.setenv("REWARDS_DATA_DIR", str(tmp_path / "another-install"))
    reset_settings()
    assert jwt_secret() != secret  # each install its own


def test_a_token_signed_with_the_once_published_secret_is_refused(local_install: Path) -> None:
    now = datetime.now(UTC)
    claims = {"iss": get_settings().jwt_issuer, "sub": "someone", "store": STORE, "role": "admin"}
    claims |= {"iat": now, "exp": now + timedelta(hours=1)}
    forged = jwt.encode(claims, "local-development-secret-change-me-0000", algorithm="HS256")

    with pytest.raises(AuthenticationError):
        auth.principal_for_token(forged)
    issued = auth.issue_token(Principal(STORE, Role.ADMIN, "someone"))
    assert auth.principal_for_token(issued) == Principal(STORE, Role.ADMIN, "someone")


def test_a_missing_parameter_is_an_error_not_a_default(
    ssm: AwsCalls, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REWARDS_JWT_SECRET_PARAMETER", "/rewards/test/absent")
    reset_settings()

    with pytest.raises(aws_clients.client("ssm").exceptions.ParameterNotFound):
        jwt_secret()
