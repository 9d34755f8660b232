"""Settings are read once from the environment, with defaults for every value."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from chalicelib import secrets_store
from chalicelib.config import get_settings, reset_settings

VARIABLES = (
    "REWARDS_STAGE",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ENDPOINT_URL",
    "REWARDS_RESOURCE_PREFIX",
    "REWARDS_JWT_SECRET",
    "REWARDS_JWT_TTL_SECONDS",
    "REWARDS_JWT_ISSUER",
    "REWARDS_DEFAULT_STORE",
    "REWARDS_DEFAULT_CURRENCY",
    "REWARDS_DEFAULT_POINT_RATIO",
    "REWARDS_DEFAULT_CLAIM_EXPIRY_DAYS",
    "REWARDS_DEFAULT_COUNTRY",
    "REWARDS_EMAIL_SENDER",
    "REWARDS_PUBLIC_BASE_URL",
    "REWARDS_IDEMPOTENCY_TTL_SECONDS",
    "REWARDS_LOG_LEVEL",
    "REWARDS_DEBUG",
)


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """A clean environment; settings are re-read after the test restores the real one."""
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    reset_settings()
    yield monkeypatch
    reset_settings()


def test_defaults(env: pytest.MonkeyPatch) -> None:
    settings = get_settings()

    assert settings.stage == "dev"
    assert settings.region == "us-east-1"
    assert settings.aws_endpoint_url is None
    assert settings.resource_prefix == "rewards-dev-"
    assert settings.table_name("customers") == "rewards-dev-customers"
    assert settings.queue_name("reward-email") == "rewards-dev-reward-email"
    assert settings.jwt_ttl_seconds == 3600
    assert settings.jwt_issuer == "rewards"
    assert settings.default_store_code == "DEFAULT"
    assert settings.default_currency == "USD"
    assert settings.default_point_to_amount_ratio == Decimal("1")
    assert settings.default_claim_expiry_days == 30
    assert settings.default_country_code == "gb"
    assert settings.default_email_sender == "rewards@example.com"
    assert settings.public_base_url == "http://127.0.0.1:8000"
    assert settings.idempotency_ttl_seconds == 86400
    assert (settings.email_owed_grace_seconds, settings.email_owed_max_sweeps) == (300, 5)
    assert settings.log_level == "INFO"
    assert settings.debug is False


def test_environment_values_are_parsed(env: pytest.MonkeyPatch) -> None:
    values = {
        "REWARDS_STAGE": "prod",
        "AWS_REGION": "eu-west-1",
        "AWS_DEFAULT_REGION": "us-west-2",
        "AWS_ENDPOINT_URL": "http://127.0.0.1:5000",
        "REWARDS_JWT_SECRET": "prod-secret-of-sufficient-length-0000",
        "REWARDS_JWT_TTL_SECONDS": "900",
        "REWARDS_JWT_ISSUER": "issuer-x",
        "REWARDS_DEFAULT_STORE": "MAIN",
        "REWARDS_DEFAULT_CURRENCY": "EUR",
        "REWARDS_DEFAULT_POINT_RATIO": "0.25",
        "REWARDS_DEFAULT_CLAIM_EXPIRY_DAYS": " 45 ",
        "REWARDS_DEFAULT_COUNTRY": "DE",
        "REWARDS_EMAIL_SENDER": "shop@example.org",
        "REWARDS_PUBLIC_BASE_URL": "https://rewards.example.org/",
        "REWARDS_IDEMPOTENCY_TTL_SECONDS": "600",
        "REWARDS_EMAIL_OWED_GRACE_SECONDS": "120",
        "REWARDS_EMAIL_OWED_MAX_SWEEPS": "3",
        "REWARDS_LOG_LEVEL": "DEBUG",
    }
    for name, value in values.items():
        env.setenv(name, value)
    reset_settings()

    settings = get_settings()

    assert settings.stage == "prod"
    assert settings.region == "eu-west-1"
    assert settings.aws_endpoint_url == "http://127.0.0.1:5000"
    assert settings.resource_prefix == "rewards-prod-"
    assert settings.jwt_secret_value == "prod-secret-of-sufficient-length-0000"
    assert settings.jwt_ttl_seconds == 900
    assert settings.jwt_issuer == "issuer-x"
    assert settings.default_store_code == "MAIN"
    assert settings.default_currency == "EUR"
    assert settings.default_point_to_amount_ratio == Decimal("0.25")
    assert settings.default_claim_expiry_days == 45
    assert settings.default_country_code == "de"
    assert settings.default_email_sender == "shop@example.org"
    assert settings.public_base_url == "https://rewards.example.org"
    assert settings.idempotency_ttl_seconds == 600
    assert (settings.email_owed_grace_seconds, settings.email_owed_max_sweeps) == (120, 3)
    assert settings.log_level == "DEBUG"


def test_region_falls_back_to_the_default_region(env: pytest.MonkeyPatch) -> None:
    env.setenv("AWS_DEFAULT_REGION", "ap-southeast-2")
    reset_settings()

    assert get_settings().region == "ap-southeast-2"


def test_explicit_resource_prefix_wins(env: pytest.MonkeyPatch) -> None:
    env.setenv("REWARDS_STAGE", "prod")
    env.setenv("REWARDS_RESOURCE_PREFIX", "acme-")
    reset_settings()

    assert get_settings().table_name("stores") == "acme-stores"


def test_empty_endpoint_url_means_real_aws(env: pytest.MonkeyPatch) -> None:
    env.setenv("AWS_ENDPOINT_URL", "")
    reset_settings()

    assert get_settings().aws_endpoint_url is None


@pytest.mark.parametrize("value", ["never", "NEVER", "none", "", "  "])
def test_claims_can_be_set_to_never_expire(env: pytest.MonkeyPatch, value: str) -> None:
    env.setenv("REWARDS_DEFAULT_CLAIM_EXPIRY_DAYS", value)
    reset_settings()

    assert get_settings().default_claim_expiry_days is None


@pytest.mark.parametrize("value", ["1", "true", "TRUE", "yes", "on"])
def test_debug_is_on_only_for_the_local_stage(env: pytest.MonkeyPatch, value: str) -> None:
    env.setenv("REWARDS_DEBUG", value)
    env.setenv("REWARDS_STAGE", "local")
    reset_settings()
    assert get_settings().debug is True

    for stage in ("dev", "prod", "test"):
        env.setenv("REWARDS_STAGE", stage)
        reset_settings()
        assert get_settings().debug is False, stage


@pytest.mark.parametrize("value", ["0", "false", "no", "off", ""])
def test_debug_flag_off_values(env: pytest.MonkeyPatch, value: str) -> None:
    env.setenv("REWARDS_STAGE", "local")
    env.setenv("REWARDS_DEBUG", value)
    reset_settings()

    assert get_settings().debug is False


def test_settings_are_read_once_until_reset(env: pytest.MonkeyPatch) -> None:
    env.setenv("REWARDS_DEFAULT_CURRENCY", "EUR")
    reset_settings()
    first = get_settings()

    env.setenv("REWARDS_DEFAULT_CURRENCY", "GBP")
    assert get_settings() is first
    assert get_settings().default_currency == "EUR"

    reset_settings()
    assert get_settings().default_currency == "GBP"


def test_settings_are_immutable(env: pytest.MonkeyPatch) -> None:
    settings = get_settings()

    with pytest.raises(AttributeError):
        settings.stage = "prod"  # type: ignore[misc]


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_a_deployed_stage_without_a_jwt_secret_refuses_to_sign(
    env: pytest.MonkeyPatch, stage: str
) -> None:
    env.setenv("REWARDS_STAGE", stage)

    with pytest.raises(RuntimeError, match="REWARDS_JWT_SECRET"):
        secrets_store.jwt_secret()


def test_the_local_stage_has_a_development_jwt_secret(
    env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    env.setenv("REWARDS_STAGE", "local")
    env.setenv("REWARDS_DATA_DIR", str(tmp_path))

    assert secrets_store.jwt_secret()


def test_secret_values_stay_out_of_the_settings_repr(env: pytest.MonkeyPatch) -> None:
    env.setenv("REWARDS_JWT_SECRET", "jwt-secret-that-must-not-be-logged")
    env.setenv("REWARDS_PAYTM_SECRET", "paytm-secret-that-must-not-be-logged")

    shown = repr(get_settings())

    assert "must-not-be-logged" not in shown


def test_the_idempotency_lease_is_the_functions_timeout(env: pytest.MonkeyPatch) -> None:
    # A request that held its key longer than this is dead (Lambda stopped it): a retry may
    # take the key over and resume it.
    config = json.loads((Path(__file__).parents[2] / ".chalice" / "config.json").read_text())

    assert get_settings().idempotency_lease_seconds == config["lambda_timeout"] == 30
    env.setenv("REWARDS_IDEMPOTENCY_LEASE_SECONDS", "5")
    reset_settings()
    assert get_settings().idempotency_lease_seconds == 5
