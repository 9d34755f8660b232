"""The rules of a point claim (Coggins document): its errors, its token, its expiry, what a
claim request may say, and the values the faces show of a claim. Creating, claiming and
expiring them is chalicelib/domain/points/claims.py.

Validation: `amount` is a JSON integer from 1 to `MAX_AMOUNT` (no floats, booleans or numeric
strings); `expires` a JSON integer of days from 0 to `MAX_EXPIRY_DAYS`, or missing/null for the
store's default (`claim_expiry_days`, which may be "never"); `email` a valid address, stored
trimmed and lowercased, which binds the claim to it; `customerType` a string of at most 64
characters (blank means none) naming a customer type of the store by id or name. Other fields
are ignored.

Expiry rule (time of day not factored in, as the document says): `expires = N` days means the
claim may be claimed through the end of the UTC day N days after the UTC day it was created:
`expires_at = (created UTC date + N + 1 days) at 00:00 UTC`, and it is expired from that instant
on. `expires = 0` means through the end of today (UTC). No expiry: never expires.
`pointsExpires` (optional, days 0 to `MAX_EXPIRY_DAYS`) is how long the points last once
claimed: they go to the batch expiring that many days after the claim day (`domain/points/batches`);
missing, the store's points lifetime applies.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from pydantic import AfterValidator, ConfigDict, Field, StrictInt

from chalicelib.domain.access import link_tokens
from chalicelib.domain.access.stores import Store
from chalicelib.domain.customers import customer_type_input
from chalicelib.domain.errors import (
    ConflictError,
    GoneError,
    NotFoundError,
    PermissionDeniedError,
    TooManyItemsError,
)
from chalicelib.domain.validation import DeferredRootModel, Email, InputModel, number_type
from chalicelib.storage.claims import CLAIMED, EXPIRED, PENDING, ClaimModel

MAX_CLAIMS_PER_REQUEST = 1000
MAX_AMOUNT = 1_000_000_000
MAX_EXPIRY_DAYS = 36_500  # a hundred years; beyond that is a typo, not a policy
# A UUID with or without its dashes, any case: the claim URL drops them, the API shows them.
TOKEN = re.compile(
    r"^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$", re.IGNORECASE
)
ISO_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"  # fixed width, so the strings sort as the times do


class TooManyClaimsError(TooManyItemsError):
    code = "too_many_claims"


class ClaimNotFoundError(NotFoundError):
    code = "claim_not_found"
    default_message = "This claim does not exist."


class ClaimAlreadyClaimedError(ConflictError):
    code = "claim_already_claimed"
    default_message = "These points have already been claimed."


class ClaimExpiredError(GoneError):
    code = "claim_expired"
    default_message = "This claim has expired."


class ClaimEmailMismatchError(PermissionDeniedError):
    code = "claim_email_mismatch"
    default_message = "These points can only be claimed with the email address they were sent to."


# -- rules ---------------------------------------------------------------------------------
def expires_at(created: datetime, days: int | None) -> datetime | None:
    """The first instant the claim is expired: the UTC midnight ending its last day."""
    if days is None:
        return None
    last_day = created.astimezone(UTC).date() + timedelta(days=days)
    return datetime(last_day.year, last_day.month, last_day.day, tzinfo=UTC) + timedelta(days=1)


def last_claim_day(claim: ClaimModel) -> date | None:
    """The last UTC day the claim may be claimed on; None when it never expires."""
    return None if claim.expires_at is None else (claim.expires_at - timedelta(days=1)).date()


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(ISO_FORMAT)


def token_key(token: str) -> str:
    """The claim's key for a token given with or without dashes (the digest of its 32 lowercase
    hex digits); not a UUID: not found. A digest given as a token is hashed again: not found."""
    token = token.strip()
    if not TOKEN.match(token):
        raise ClaimNotFoundError()
    return link_tokens.digest(token.replace("-", "").lower())


def _url_token(claim: ClaimModel) -> str:
    """The claim's token, made again from its id: 32 hex digits, as in the claim URL."""
    link = link_tokens.Link(link_tokens.CLAIM, claim.store_code, claim.claim_id)
    return link_tokens.shown(link, claim.token_digest)


def claim_token(claim: ClaimModel) -> str:
    """The token as the API shows it: the UUID with dashes."""
    return str(uuid.UUID(_url_token(claim)))


def claim_url(store: Store, claim: ClaimModel) -> str:
    return f"{store.public_base_url}/claim/points/{_url_token(claim)}"


def mask_email(email: str) -> str:
    """`t***@atest.com`: enough for the rightful owner to recognise, little for anyone else."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


def effective_status(claim: ClaimModel | ClaimState, now: datetime | None = None) -> str:
    """The status as it stands now: a pending claim past its expiry is expired already."""
    now = now or datetime.now(UTC)
    if claim.status == PENDING and claim.expires_at is not None and claim.expires_at <= now:
        return EXPIRED
    return claim.status


def ensure_claimable(claim: ClaimModel | ClaimState, now: datetime | None = None) -> None:
    status = effective_status(claim, now)
    if status == CLAIMED:
        raise ClaimAlreadyClaimedError()
    if status == EXPIRED:
        raise ClaimExpiredError()


# -- validation ----------------------------------------------------------------------------
def _bounded(label: str, low: int, high: int) -> AfterValidator:
    def check(value: int) -> int:
        if value < low:
            raise ValueError(f"The {label} must be at least {low}.")
        if value > high:
            raise ValueError(f"The {label} may not be greater than {high}.")
        return value

    return AfterValidator(check)


class ClaimRequest(InputModel):
    """One item of the request array; JSON integers only for `amount` and `expires`."""

    model_config = ConfigDict(str_strip_whitespace=True)

    amount: Annotated[number_type(int, text=False), _bounded("amount", 1, MAX_AMOUNT)]
    email: Email | None = None
    customerType: customer_type_input.CustomerTypeRef | None = None  # the document's field name
    expires: Annotated[StrictInt, _bounded("expires", 0, MAX_EXPIRY_DAYS)] | None = None
    # Days the points last once claimed (through that UTC day); missing: the store's lifetime.
    pointsExpires: Annotated[StrictInt, _bounded("pointsExpires", 0, MAX_EXPIRY_DAYS)] | None = None


class ClaimRequests(
    DeferredRootModel[Annotated[list[ClaimRequest], Field(max_length=MAX_CLAIMS_PER_REQUEST)]]
):
    """The request: an array of claims, each validated and answered in its place."""


class ClaimantInput(InputModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    email: Email | None = None


# -- what the faces show -------------------------------------------------------------------
@dataclass(frozen=True)
class CreatedClaim:
    """A claim just created, as the store that asked for it sees it: with its token and URL."""

    amount: int
    email: str | None
    customer_type: str | None
    expires_days: int | None
    expires_at: datetime | None
    token: str  # the UUID with dashes
    url: str

    @classmethod
    def of(cls, store: Store, claim: ClaimModel) -> CreatedClaim:
        return cls(
            int(claim.amount),
            claim.email,
            claim.customer_type,
            None if claim.expires_days is None else int(claim.expires_days),
            claim.expires_at,
            claim_token(claim),
            claim_url(store, claim),
        )


@dataclass(frozen=True)
class ClaimState:
    """A claim as its link shows it to anyone holding the token: no token, no full email."""

    store_code: str
    amount: int
    status: str  # as it stands now: a pending claim past its expiry is expired
    expires_at: datetime | None
    last_day: date | None
    bound_to: str | None  # the bound email, masked

    @property
    def bound(self) -> bool:
        """Whether only one email may claim it."""
        return self.bound_to is not None

    @classmethod
    def of(cls, claim: ClaimModel, now: datetime | None = None) -> ClaimState:
        return cls(
            claim.store_code,
            int(claim.amount),
            effective_status(claim, now),
            claim.expires_at,
            last_claim_day(claim),
            mask_email(claim.email) if claim.email else None,
        )


@dataclass(frozen=True)
class ClaimResult:
    """A claim claimed: the points, the customer credited (made if new) and its balance."""

    amount: int
    customer_id: str
    email: str
    available_points: int
    new_customer: bool
