"""The bearer tokens in claim and reward links: made from a secret, kept only as digests.

A link's token is HMAC-SHA256(link token secret, kind, store, record id), cut to the size a
client has always seen (a UUID for a claim, 32 URL-safe characters for a reward). The tables
keep only SHA-256(token), which finds the record with one read. So the service can make a link
again whenever it has to show it later (the reward email, rendered by the queue consumer or
re-sent by a sweeper long after the request; the rewards lists; a replayed bulk answer) without
the token ever being stored, and a copy of the tables yields no working link: the digests
cannot be turned back into tokens, a digest put in a URL is hashed again and finds nothing, and
the secret lives in SSM Parameter Store (deployed) or the local state folder, not in DynamoDB.

The secret must not change while links are live: the digests kept would no longer match the
links made again. `checked` notices that and refuses to show a link that would not work.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid

from chalicelib.config import get_settings
from chalicelib.domain.secrets import token_digest, token_matches

REWARD_TOKEN_BYTES = 24  # 192 bits: 32 URL-safe characters, as `secrets.token_urlsafe(24)`


class LinkTokenError(Exception):
    """A link made again does not match its stored digest: the link token secret changed.

    A fault of the deployment, not of the caller: never shown as a 4xx, never emailed."""


def _mac(kind: str, store_code: str, record_id: str) -> bytes:
    message = "\0".join((kind, store_code, record_id)).encode("utf-8")
    key = get_settings().link_token_secret.encode("utf-8")
    return hmac.new(key, message, hashlib.sha256).digest()


def reward_token(store_code: str, reward_id: str) -> str:
    """The `/r/{token}` token of a reward."""
    raw = _mac("reward", store_code, reward_id)[:REWARD_TOKEN_BYTES]
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def claim_token(store_code: str, claim_id: str) -> str:
    """A claim's token in its URL form: a version 4 UUID's 32 hex digits (122 secret bits)."""
    return uuid.UUID(bytes=_mac("claim", store_code, claim_id)[:16], version=4).hex


def digest(token: str) -> str:
    """What the tables keep of a token, and look it up by."""
    return token_digest(token)


def checked(token: str, stored_digest: str | None, what: str) -> str:
    """`token`, once it is known to match the digest stored with `what` (a record's name)."""
    if stored_digest is None or not token_matches(token, stored_digest):
        raise LinkTokenError(
            f"The link of {what} cannot be made again: its stored digest does not match "
            "(the link token secret changed, or the record predates hashed tokens)."
        )
    return token
