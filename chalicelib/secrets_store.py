"""Secrets kept in SSM Parameter Store (SecureString), read once per process.

Deployed, the JWT and PayTM secrets are not put in the Lambda environment (visible to anyone
who can read the function's configuration): the environment names a parameter instead
(`REWARDS_JWT_SECRET_PARAMETER`), and the first use reads and decrypts it. Lambda reuses a
container for many invocations, so the value is kept for the life of the process; a rotated
secret is seen by new containers. Locally and in tests the secret itself is in the environment
(`REWARDS_JWT_SECRET`), which wins over a parameter. `Settings.jwt_secret` and
`Settings.paytm_secret` (chalicelib.config) are the way in.
"""

from __future__ import annotations

import threading

from chalicelib import aws
from chalicelib.config import get_settings

_values: dict[tuple[str, str, str | None], str] = {}
_lock = threading.Lock()


def parameter(name: str) -> str:
    """The decrypted value of the SSM parameter `name`, read once per process."""
    settings = get_settings()
    key = (name, settings.region, settings.aws_endpoint_url)
    value = _values.get(key)
    if value is None:
        with _lock:
            if key not in _values:
                found = aws.client("ssm").get_parameter(Name=name, WithDecryption=True)
                _values[key] = found["Parameter"]["Value"]
            value = _values[key]
    return value


def secret(value: str | None, parameter_name: str | None) -> str | None:
    """`value` (set in the environment) if any, else the parameter's value, else None."""
    if value:
        return value
    if parameter_name:
        return parameter(parameter_name)
    return None


def reset_secrets() -> None:
    """Forget the values read (tests that change a parameter)."""
    with _lock:
        _values.clear()
