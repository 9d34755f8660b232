"""The bearer tokens in claim and reward links: made from a secret, kept only as digests.

A link's token is HMAC-SHA256(link token secret, kind, store, record id), cut to the size a
client has always seen (a UUID for a claim, 32 URL-safe characters for a reward). The tables
keep only SHA-256(token), which finds the record with one read. So the service can make a link
again whenever it has to show it later (the reward email, rendered by the queue consumer or
re-sent by a sweeper long after the request; the rewards lists; a replayed answer) without the
token ever being stored, and a copy of the tables yields no working link: the digests cannot be
turned back into tokens, a digest put in a URL is hashed again and finds nothing, and the secret
lives in SSM Parameter Store (deployed) or the local state folder, not in DynamoDB.

An answer kept for an `Idempotency-Key` replay holds no token either: `sealed` cuts the tokens
shown in it out (every shown token goes through `shown`, which notes it while `noting`) and
says where they were, and `unsealed` makes them again for the replay.

The secret must not change while links are live: the digests kept would no longer match the
links made again. `shown` notices that and refuses to show a link that would not work.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import re
import uuid
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from chalicelib import secrets_store
from chalicelib.domain.access.secrets import token_digest, token_matches

REWARD = "reward"
CLAIM = "claim"
REWARD_TOKEN_BYTES = 24  # 192 bits: 32 URL-safe characters, as `secrets.token_urlsafe(24)`
_URL_SAFE_RUN = re.compile(r"[A-Za-z0-9_-]{32,}")  # where a token of any form can be

# A hole left by `sealed`: [offset in the sealed text, kind, store, record id, form index].
Hole = list[Any]


class LinkTokenError(Exception):
    """A link made again does not match its stored digest: the link token secret changed.

    A fault of the deployment, not of the caller: never shown as a 4xx, never emailed."""


@dataclass(frozen=True)
class Link:
    """Which record a link belongs to: all it takes to make its token again."""

    kind: str  # REWARD or CLAIM
    store_code: str
    record_id: str

    def token(self) -> str:
        """A reward's `/r/{token}`; a claim's as in its URL, a v4 UUID's 32 hex digits."""
        message = "\0".join((self.kind, self.store_code, self.record_id)).encode("utf-8")
        key = secrets_store.link_token_secret().encode("utf-8")
        mac = hmac.new(key, message, hashlib.sha256).digest()
        if self.kind == CLAIM:
            return uuid.UUID(bytes=mac[:16], version=4).hex  # 122 secret bits
        return base64.urlsafe_b64encode(mac[:REWARD_TOKEN_BYTES]).decode("ascii").rstrip("=")

    def forms(self) -> tuple[str, ...]:
        """Every way an answer writes the token: a claim's also as a UUID with dashes."""
        token = self.token()
        return (token, str(uuid.UUID(token))) if self.kind == CLAIM else (token,)


_noted: ContextVar[list[Link] | None] = ContextVar("link_tokens_noted", default=None)


def reward_token(store_code: str, reward_id: str) -> str:
    return Link(REWARD, store_code, reward_id).token()


def claim_token(store_code: str, claim_id: str) -> str:
    return Link(CLAIM, store_code, claim_id).token()


def digest(token: str) -> str:
    """What the tables keep of a token, and look it up by."""
    return token_digest(token)


def shown(link: Link, stored_digest: str | None) -> str:
    """The link's token, to be shown: made again and checked against the record's digest."""
    token = link.token()
    if stored_digest is None or not token_matches(token, stored_digest):
        raise LinkTokenError(
            f"The link of {link.kind} {link.record_id} cannot be made again: its stored digest "
            "does not match (the link token secret changed, or the record predates hashed tokens)."
        )
    noted = _noted.get()
    if noted is not None:
        noted.append(link)
    return token


@contextlib.contextmanager
def noting() -> Iterator[list[Link]]:
    """The links shown inside the block (while an answer that may be stored is made)."""
    links: list[Link] = []
    token = _noted.set(links)
    try:
        yield links
    finally:
        _noted.reset(token)


def sealed(text: str, links: Iterable[Link]) -> tuple[str, list[Hole]]:
    """`text` with every form of the links' tokens cut out, and the holes `unsealed` fills.

    Out of band on purpose: a marker written into the text could be forged by a caller whose
    own words (a message, a name) are echoed in the answer. One pass over the text: a token is
    made of URL-safe characters only, so it lies inside a run of them, whatever surrounds it."""
    forms = {form: (link, index) for link in set(links) for index, form in enumerate(link.forms())}
    if not forms:
        return text, []
    lengths = sorted({len(form) for form in forms}, reverse=True)
    parts: list[str] = []
    holes: list[Hole] = []
    position = removed = 0
    for run in _URL_SAFE_RUN.finditer(text):
        at, end = run.span()
        while at + lengths[-1] <= end:
            length = next((n for n in lengths if text[at : at + n] in forms), 0)
            if not length:
                at += 1
                continue
            link, index = forms[text[at : at + length]]
            parts.append(text[position:at])
            holes.append([at - removed, link.kind, link.store_code, link.record_id, index])
            removed += length
            position = at = at + length
    parts.append(text[position:])
    return "".join(parts), holes


def unsealed(text: str, holes: Iterable[Hole]) -> str:
    """The text `sealed` cut, with the tokens made again in their holes."""
    parts: list[str] = []
    position = 0
    for offset, kind, store_code, record_id, index in holes:
        parts += [text[position:offset], Link(kind, store_code, record_id).forms()[index]]
        position = offset
    parts.append(text[position:])
    return "".join(parts)
