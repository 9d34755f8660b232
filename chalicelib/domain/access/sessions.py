"""Sessions of a login: the JWT it answers, and the refresh token traded for the next one.

Open Loyalty's clients log in once and then call `POST /api/token/refresh` with the
`refresh_token` the login gave them, for a fresh JWT when theirs expires. Here a refresh token
is a random 256-bit string, stored only as its SHA-256 digest, expiring
(`REWARDS_REFRESH_TTL_SECONDS`, 30 days after it was issued) and single use: a refresh answers
a new JWT *and* a new refresh token, and the one traded is used up. A used token presented
again was copied or replayed, so the whole session (every token descended from that login) is
revoked (refresh token rotation, as the OAuth 2.0 Security BCP describes it). Logging out
revokes the session too. One exception keeps the `Idempotency-Key` promise: a retry of the very
trade (same token, same key), whose answer was lost, trades again while the token it was
answered is still unused; that one is used up instead (the client never had it).

Each call makes one write, after everything it answers has been computed, so a crash leaves
the old state (the old token still trades) or the new one.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

from chalicelib.config import get_settings
from chalicelib.domain.access import auth, secrets
from chalicelib.domain.access.auth import Principal, Role
from chalicelib.domain.errors import AuthenticationError
from chalicelib.storage import refresh_tokens
from chalicelib.storage.refresh_tokens import RotationRefusal, RotationRefusedError, StoredToken


@dataclass(frozen=True)
class Tokens:
    token: str  # the JWT
    refresh_token: str


def _successor(principal: Principal, user_pk: str, family_id: str) -> tuple[str, StoredToken]:
    """A new refresh token of the session, and how it is stored."""
    token = secrets.new_token()
    stored = StoredToken(
        digest=secrets.token_digest(token),
        store_code=principal.store_code,
        role=principal.role.value,
        subject=principal.subject,
        user_pk=user_pk,
        family_id=family_id,
        expires=int(time.time()) + get_settings().refresh_ttl_seconds,
        used=False,
    )
    return token, stored


def log_in(store_code: str, role: Role, username: str, password: str) -> Tokens:
    """Check the password; a JWT and the first refresh token of a new session."""
    user = auth.check_login(store_code, role, username, password)
    jwt = auth.issue_token(user.principal)
    refresh_token, stored = _successor(user.principal, user.user_pk, str(uuid.uuid4()))
    refresh_tokens.start_family(stored)
    return Tokens(jwt, refresh_token)


def _refused(message: str, code: str) -> AuthenticationError:
    return AuthenticationError(message, code=code)


def refresh(refresh_token: str, idempotency_key: str | None = None) -> Tokens:
    """Trade a refresh token for a new JWT and a new refresh token (the old one used up);
    `idempotency_key`, the request's, lets a retry of it trade again (see above)."""
    old = refresh_tokens.get_token(secrets.token_digest(refresh_token))
    if old is None:
        raise _refused("Invalid refresh token.", "invalid_refresh_token")
    if old.expires <= int(time.time()):
        raise _refused("The refresh token has expired.", "refresh_token_expired")
    retry_key = secrets.token_digest(idempotency_key) if idempotency_key else None
    retrying = old.used and retry_key is not None and old.retry_key == retry_key
    if old.used and not retrying:
        refresh_tokens.revoke_family(old.family_id)
        raise _refused("This refresh token was used already.", "refresh_token_reused")
    principal = Principal(old.store_code, Role(old.role), old.subject)
    jwt = auth.issue_token(principal)
    new_token, new = _successor(principal, old.user_pk, old.family_id)
    try:
        if retrying:
            refresh_tokens.retrade(old, new)
        else:
            refresh_tokens.rotate(old, new, retry_key)
    except RotationRefusedError as error:
        if error.reason is RotationRefusal.USED:
            # Traded by another request meanwhile: one of the two is a copy.
            refresh_tokens.revoke_family(old.family_id)
            raise _refused(
                "This refresh token was used already.", "refresh_token_reused"
            ) from error
        if error.reason is RotationRefusal.USER_GONE:
            raise _refused("This login no longer exists.", "invalid_refresh_token") from error
        raise _refused("The session was revoked.", "refresh_token_revoked") from error
    return Tokens(jwt, new_token)


def revoke(refresh_token: str) -> None:
    """Log out: end the session of this refresh token (nothing when it is unknown, so the
    answer tells nothing about which tokens exist; RFC 7009 section 2.2)."""
    stored = refresh_tokens.get_token(secrets.token_digest(refresh_token))
    if stored is not None:
        refresh_tokens.revoke_family(stored.family_id)
