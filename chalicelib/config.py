"""Settings of the service, read once per process from the environment.

Every other module asks `get_settings()`; nothing else reads `os.environ`. Tests that change the
environment call `reset_settings()` (and `chalicelib.aws.reset_clients()`). This module is the
ground floor: it imports nothing of the service. The secrets it names (a value or an SSM
parameter) are resolved above it, by `chalicelib.secrets_store`, which reads SSM through
`chalicelib.aws`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

# The only stages that may make their own secrets (in `data_dir`) instead of being given them.
UNDEPLOYED_STAGES = frozenset({"local", "test"})
REPO_ROOT = Path(__file__).resolve().parents[1]


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    stage: str
    region: str
    aws_endpoint_url: str | None
    resource_prefix: str
    # Secrets, set in the environment (locally) or named SSM parameters read on first use
    # (deployed): read them through chalicelib.secrets_store (`jwt_secret()`, `paytm_secret()`).
    jwt_secret_value: str | None = field(repr=False)
    jwt_secret_parameter: str | None
    jwt_ttl_seconds: int
    jwt_issuer: str
    # How long a refresh token may be traded for a new token (Open Loyalty's default: 30 days).
    refresh_ttl_seconds: int
    default_store_code: str
    default_currency: str
    default_point_to_amount_ratio: Decimal
    default_claim_expiry_days: int | None
    default_country_code: str
    default_email_sender: str
    public_base_url: str
    idempotency_ttl_seconds: int
    # How long a request holds its Idempotency-Key before a retry may take it over: the
    # function's timeout (.chalice/config.json `lambda_timeout`), after which it is dead.
    idempotency_lease_seconds: int
    claim_expiry_rate_minutes: int
    coupon_expiry_rate_minutes: int
    points_expiry_rate_minutes: int
    # The outbox sweeper: a reward email owed a queue message this long is sent again, at most
    # `email_owed_max_sweeps` times before it is marked failed.
    email_owed_grace_seconds: int
    email_owed_max_sweeps: int
    log_level: str
    debug: bool
    # Cashback through PayTM: the secret its callbacks are signed with (None: refuse them all)
    # and the merchant's identifiers put in each payout request.
    paytm_secret_value: str | None = field(repr=False)
    paytm_secret_parameter: str | None
    paytm_merchant_guid: str | None
    paytm_sales_wallet_guid: str | None
    # The key claim and reward link tokens are derived from
    # (chalicelib/domain/access/link_tokens.py).
    link_token_secret_value: str | None = field(repr=False)
    link_token_secret_parameter: str | None
    # The key webhook endpoints' signing secrets are derived from
    # (chalicelib/domain/events/webhooks.py): its own, so rotating one never touches the other.
    webhook_secret_value: str | None = field(repr=False)
    webhook_secret_parameter: str | None
    # The local state folder (`.local`): the embedded AWS's recording, the demo key, and the
    # secrets a local install makes for itself.
    data_dir: Path

    def table_name(self, name: str) -> str:
        return f"{self.resource_prefix}{name}"

    def queue_name(self, name: str) -> str:
        return f"{self.resource_prefix}{name}"

    def bucket_name(self, name: str) -> str:
        return f"{self.resource_prefix}{name}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    env = os.environ
    stage = env.get("REWARDS_STAGE", "dev")
    expiry = env.get("REWARDS_DEFAULT_CLAIM_EXPIRY_DAYS", "30").strip().lower()
    return Settings(
        stage=stage,
        region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1",
        aws_endpoint_url=env.get("AWS_ENDPOINT_URL") or None,
        resource_prefix=env.get("REWARDS_RESOURCE_PREFIX", f"rewards-{stage}-"),
        jwt_secret_value=env.get("REWARDS_JWT_SECRET") or None,
        jwt_secret_parameter=env.get("REWARDS_JWT_SECRET_PARAMETER") or None,
        jwt_ttl_seconds=int(env.get("REWARDS_JWT_TTL_SECONDS", "3600")),
        jwt_issuer=env.get("REWARDS_JWT_ISSUER", "rewards"),
        refresh_ttl_seconds=int(env.get("REWARDS_REFRESH_TTL_SECONDS", "2592000")),
        default_store_code=env.get("REWARDS_DEFAULT_STORE", "DEFAULT"),
        default_currency=env.get("REWARDS_DEFAULT_CURRENCY", "USD"),
        default_point_to_amount_ratio=Decimal(env.get("REWARDS_DEFAULT_POINT_RATIO", "1")),
        default_claim_expiry_days=None if expiry in {"", "never", "none"} else int(expiry),
        default_country_code=env.get("REWARDS_DEFAULT_COUNTRY", "gb").lower(),
        default_email_sender=env.get("REWARDS_EMAIL_SENDER", "rewards@example.com"),
        public_base_url=env.get("REWARDS_PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/"),
        idempotency_ttl_seconds=int(env.get("REWARDS_IDEMPOTENCY_TTL_SECONDS", "86400")),
        idempotency_lease_seconds=int(env.get("REWARDS_IDEMPOTENCY_LEASE_SECONDS", "30")),
        claim_expiry_rate_minutes=int(env.get("REWARDS_CLAIM_EXPIRY_RATE_MINUTES", "60")),
        coupon_expiry_rate_minutes=int(env.get("REWARDS_COUPON_EXPIRY_RATE_MINUTES", "60")),
        points_expiry_rate_minutes=int(env.get("REWARDS_POINTS_EXPIRY_RATE_MINUTES", "60")),
        email_owed_grace_seconds=int(env.get("REWARDS_EMAIL_OWED_GRACE_SECONDS", "300")),
        email_owed_max_sweeps=int(env.get("REWARDS_EMAIL_OWED_MAX_SWEEPS", "5")),
        log_level=env.get("REWARDS_LOG_LEVEL", "INFO"),
        debug=_flag(env.get("REWARDS_DEBUG")) and stage == "local",
        paytm_secret_value=env.get("REWARDS_PAYTM_SECRET") or None,
        paytm_secret_parameter=env.get("REWARDS_PAYTM_SECRET_PARAMETER") or None,
        paytm_merchant_guid=env.get("REWARDS_PAYTM_MERCHANT_GUID") or None,
        paytm_sales_wallet_guid=env.get("REWARDS_PAYTM_SALES_WALLET_GUID") or None,
        link_token_secret_value=env.get("REWARDS_LINK_TOKEN_SECRET") or None,
        link_token_secret_parameter=env.get("REWARDS_LINK_TOKEN_SECRET_PARAMETER") or None,
        webhook_secret_value=env.get("REWARDS_WEBHOOK_SECRET") or None,
        webhook_secret_parameter=env.get("REWARDS_WEBHOOK_SECRET_PARAMETER") or None,
        data_dir=Path(env.get("REWARDS_DATA_DIR") or REPO_ROOT / ".local").resolve(),
    )


def reset_settings() -> None:
    get_settings.cache_clear()
