"""Making and checking secrets: API keys, passcodes and passwords are stored only as hashes.

API keys and passcodes are 256-bit random tokens, so a SHA-256 digest is a safe at-rest form and
still lets a key be found with one GetItem. Passwords are chosen by people and get argon2.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from functools import lru_cache
from typing import Any


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_matches(token: str, digest: str) -> bool:
    return hmac.compare_digest(token_digest(token), digest)


@lru_cache(maxsize=1)
def _password_hasher() -> Any:
    # Imported on first use: only login and user creation need argon2.
    from argon2 import PasswordHasher

    return PasswordHasher()


def hash_password(password: str) -> str:
    return _password_hasher().hash(password)


def password_matches(password: str, password_hash: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return bool(_password_hasher().verify(password_hash, password))
    except (VerificationError, InvalidHashError):
        return False
