"""Secrets kept in SSM Parameter Store (SecureString), read once per process.

Deployed, the JWT and PayTM secrets are not put in the Lambda environment (visible to anyone
who can read the function's configuration): the environment names a parameter instead
(`REWARDS_JWT_SECRET_PARAMETER`), and the first use reads and decrypts it. Lambda reuses a
container for many invocations, so the value is kept for the life of the process; a rotated
secret is seen by new containers. Locally and in tests the secret itself is in the environment
(`REWARDS_JWT_SECRET`), which wins over a parameter; a local install given none makes its own,
kept in the local state folder (`local_secret`). `jwt_secret()`, `paytm_secret()`,
`link_token_secret()` and `webhook_secret()` are the way in. The settings (chalicelib.config)
only name each secret: resolving it reads SSM through chalicelib.aws, which itself reads the
settings, so the resolving lives here, above both, and the settings stay a plain read of the
environment.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import threading
from pathlib import Path

from chalicelib import aws
from chalicelib.config import UNDEPLOYED_STAGES, get_settings

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


def _signing_secret(value: str | None, parameter_name: str | None, name: str) -> str:
    # The configured secret; locally a random one made once per install (never one published
    # with the code, which would let anybody forge a token or a link); a deployed stage without
    # its own refuses.
    found = secret(value, parameter_name)
    if found:
        return found
    settings = get_settings()
    if settings.stage not in UNDEPLOYED_STAGES:
        variable = f"REWARDS_{name.upper().replace('-', '_')}"
        raise RuntimeError(f"Stage {settings.stage!r} needs {variable} or {variable}_PARAMETER.")
    return local_secret(settings.data_dir, name)


def jwt_secret() -> str:
    """The key JWTs are signed with (chalicelib.domain.access.auth)."""
    settings = get_settings()
    return _signing_secret(settings.jwt_secret_value, settings.jwt_secret_parameter, "jwt-secret")


def paytm_secret() -> str | None:
    """The key PayTM signs its callbacks with; None refuses them all."""
    settings = get_settings()
    return secret(settings.paytm_secret_value, settings.paytm_secret_parameter)


def link_token_secret() -> str:
    """The key claim and reward link tokens are derived from."""
    settings = get_settings()
    return _signing_secret(
        settings.link_token_secret_value,
        settings.link_token_secret_parameter,
        "link-token-secret",
    )


def webhook_secret() -> str:
    """The key each webhook endpoint's signing secret is derived from
    (chalicelib.domain.events.webhooks)."""
    settings = get_settings()
    return _signing_secret(
        settings.webhook_secret_value, settings.webhook_secret_parameter, "webhook-secret"
    )


def reset_secrets() -> None:
    """Forget the values read (tests that change a parameter)."""
    with _lock:
        _values.clear()


def local_secret(data_dir: Path, name: str) -> str:
    """The random secret `name` of this local install, kept in `data_dir` (readable by its
    owner only): made on first use, the same afterwards, and the same for every process of
    the stack (two starting at once agree: the file appears whole, once)."""
    path = data_dir / name
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        draft = data_dir / f".{name}.{os.getpid()}.{threading.get_ident()}"
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(secrets.token_urlsafe(32) + "\n")
        try:
            os.link(draft, path)  # fails if another process made it first: theirs stands
        except FileExistsError:
            pass
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(draft)
    return path.read_text(encoding="utf-8").strip()
