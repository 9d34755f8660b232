"""Secrets come from the environment locally and from SSM parameters deployed, read once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from moto import mock_aws

from chalicelib import aws as aws_clients
from chalicelib.config import LOCAL_JWT_SECRET, get_settings, reset_settings
from chalicelib.secrets_store import reset_secrets
from tests.conftest import AwsCalls

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
    settings = get_settings()

    assert settings.jwt_secret == STORED_JWT
    assert settings.paytm_secret == STORED_PAYTM
    assert ssm.count("GetParameter", service="ssm") == 2


def test_a_parameter_is_read_once_per_process(ssm: AwsCalls) -> None:
    for _ in range(3):
        assert get_settings().jwt_secret == STORED_JWT
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

    settings = get_settings()

    assert settings.jwt_secret == "jwt-secret-from-the-environment-000000000"
    assert settings.paytm_secret == "paytm-secret-from-the-environment"
    assert ssm.count(service="ssm") == 0


def test_without_either_the_local_defaults_apply(
    ssm: AwsCalls, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("REWARDS_JWT_SECRET_PARAMETER")
    monkeypatch.delenv("REWARDS_PAYTM_SECRET_PARAMETER")
    reset_settings()

    settings = get_settings()

    assert settings.jwt_secret == LOCAL_JWT_SECRET
    assert settings.paytm_secret is None  # PayTM callbacks are refused
    assert ssm.count(service="ssm") == 0


def test_a_missing_parameter_is_an_error_not_a_default(
    ssm: AwsCalls, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REWARDS_JWT_SECRET_PARAMETER", "/rewards/test/absent")
    reset_settings()

    with pytest.raises(aws_clients.client("ssm").exceptions.ParameterNotFound):
        get_settings().jwt_secret  # noqa: B018
