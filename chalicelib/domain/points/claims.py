"""Point claims (Coggins document): points waiting behind a token until claimed, or expired.
The rules (errors, token, expiry, what a request may say) are chalicelib/domain/points/
claim_rules.py.

Creating: a store posts an array of claim requests; each valid one becomes a pending claim keyed
by the digest of its token, written with BatchWriteItem 25 at a time. The token is a UUID made
from the claim's random id and the link token secret (`link_tokens.claim_token`; the claim URL
uses its 32 hex digits); only its SHA-256 is stored. An invalid item is reported with its
errors and the others still go in. A request with more than `MAX_CLAIMS_PER_REQUEST` items is
refused before any write. A request sent with an Idempotency-Key writes each claim in a
transaction (50 a call) with the record of its id, so a retry after a crash creates only the
claims still missing and answers the others with the tokens already given (made again from the
recorded ids: no record holds a token). A `customerType` naming no type of the store is that
item's error (`customerType`), the store's types read once for the request. With an
Idempotency-Key that refusal is recorded, so a retry answers it the same even if the type was
created meanwhile.

Claiming: one TransactWrite holds the ledger posting (kind `claim`, reference = the token's
digest, so the ledger holds no token either; creating the customer when the email is new, and
setting the claim's customer type on the customer) and the claim's flip pending → claimed under
the condition that it is still pending and not past its expiry, so a token is claimed once,
ever, however many try at the same time. An expired claim is refused from `expires_at` on,
whether or not the expiry job has run yet.

Expiring due claims is chalicelib/domain/points/claim_expiry.py.
"""

from __future__ import annotations

import uuid
from collections.abc import Container
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pydantic import ValidationError as PydanticValidationError
from pynamodb.exceptions import DoesNotExist

from chalicelib.domain.access import link_tokens
from chalicelib.domain.access.stores import Store, get_store
from chalicelib.domain.customers import customer_types
from chalicelib.domain.customers.records import find_by_email, new_customer, normalize_email
from chalicelib.domain.errors import ConflictError, InvalidInputError
from chalicelib.domain.events import event_log
from chalicelib.domain.points import ledger
from chalicelib.domain.points.claim_rules import (
    MAX_CLAIMS_PER_REQUEST,
    ClaimAlreadyClaimedError,
    ClaimantInput,
    ClaimEmailMismatchError,
    ClaimExpiredError,
    ClaimNotFoundError,
    ClaimRequest,
    ClaimResult,
    ClaimState,
    CreatedClaim,
    TooManyClaimsError,
    ensure_claimable,
    expires_at,
    iso,
    token_key,
)
from chalicelib.domain.points.ledger import EntryKind, Posting
from chalicelib.domain.validation import errors_of, validate
from chalicelib.storage.claims import CLAIMED, PENDING, ClaimModel
from chalicelib.storage.customers import CustomerModel, UniqueValueModel
from chalicelib.storage.errors import FailedItem, TransactionCancelledError
from chalicelib.storage.idempotency import NO_PROGRESS, BulkProgress
from chalicelib.storage.transactions import Transaction

MAX_TRANSACTION_ITEMS = 100  # DynamoDB's TransactWriteItems limit
CUSTOMER_MODELS = (CustomerModel, UniqueValueModel)
CLAIM_ATTEMPTS = 4  # lookups of a claimant whose customer record changes under the claim


@dataclass(frozen=True)
class ClaimOutcome:
    """One item of a create request: the claim created, or why it was not."""

    request: Any  # the item as given
    claim: CreatedClaim | None = None
    errors: dict[str, list[str]] | None = None


@dataclass(frozen=True)
class _Draft:
    """One item on its way to the table: the claim to write, or why there is none."""

    request: Any
    claim: ClaimModel | None = None
    errors: dict[str, list[str]] | None = None


def _parse_request(item: Any) -> ClaimRequest | dict[str, list[str]]:
    if not isinstance(item, dict):
        return {"body": ["Each claim request must be a JSON object."]}
    try:
        return ClaimRequest.model_validate(item)
    except PydanticValidationError as error:
        return errors_of(error)


def _new_claim(
    store: Store, item: Any, actor: str | None, now: datetime, claim_id: str | None = None
) -> _Draft:
    parsed = _parse_request(item)
    if not isinstance(parsed, ClaimRequest):
        return _Draft(item, errors=parsed)
    days = parsed.expires if parsed.expires is not None else store.claim_expiry_days
    expiry = expires_at(now, days)
    claim_id = claim_id or uuid.uuid4().hex
    claim = ClaimModel(
        link_tokens.digest(link_tokens.claim_token(store.store_code, claim_id)),
        claim_id=claim_id,
        store_code=store.store_code,
        amount=parsed.amount,
        email=normalize_email(parsed.email) if parsed.email else None,
        customer_type=parsed.customerType,
        expires_days=days,
        expires_at=expiry,
        points_expire_days=parsed.pointsExpires,
        pending_expires_at=None if expiry is None else iso(expiry),
        status=PENDING,
        created_at=now,
        created_by=actor,
    )
    return _Draft(item, claim=claim)


def _recorded_claim(store: Store, item: Any, actor: str | None, answer: Any) -> _Draft:
    """The claim an earlier, interrupted run of the same request created for `item`, or the
    refusal it answered."""
    if "errors" in answer:
        return _Draft(item, errors=answer["errors"])
    created = datetime.fromisoformat(answer["created_at"])
    return _new_claim(store, item, actor, created, claim_id=answer["claim_id"])


def _refuse_unknown_types(
    store_code: str, outcomes: list[_Draft], progress: BulkProgress, done: Container[int]
) -> list[_Draft]:
    """The outcomes with each new claim naming an unknown customer type refused in its place;
    the refusals recorded for a retry (a type created meanwhile would change the answer)."""
    new = {
        index: outcome.claim
        for index, outcome in enumerate(outcomes)
        if outcome.claim is not None and index not in done
    }
    unknown = customer_types.unknown_customer_types(
        store_code, (claim.customer_type for claim in new.values())
    )
    refused = {
        index: customer_types.UnknownCustomerTypeError().errors
        for index, claim in new.items()
        if claim.customer_type in unknown
    }
    progress.record_many({index: {"errors": errors} for index, errors in refused.items()})
    return [
        _Draft(outcome.request, errors=refused[index]) if index in refused else outcome
        for index, outcome in enumerate(outcomes)
    ]


def _write(outcomes: list[_Draft], progress: BulkProgress, written: Container[int]) -> None:
    """Write the new claims (but those `written` before): with a keyed request, each in the
    transaction that records it (a retry then knows which exist); else BatchWriteItem, 25 a
    call."""
    new = [(i, o.claim) for i, o in enumerate(outcomes) if o.claim is not None and i not in written]
    if not progress.active:
        with ClaimModel.batch_write() as batch:
            for _, claim in new:
                batch.save(claim)
        event_log.claims_created_unkeyed([claim for _, claim in new])
        return
    per_transaction = MAX_TRANSACTION_ITEMS // (2 + progress.actions_per_item)  # claim, event
    for start in range(0, len(new), per_transaction):
        transaction = Transaction()
        try:
            with transaction:
                for index, claim in new[start : start + per_transaction]:
                    transaction.save(claim, condition=ClaimModel.token_digest.does_not_exist())
                    event_log.claim_created(transaction, claim)
                    answer = {
                        "claim_id": claim.claim_id,
                        "created_at": claim.created_at.isoformat(),
                    }
                    progress.record(transaction, index, answer)
        except TransactionCancelledError as error:
            BulkProgress.raise_if_taken(error.failures, error)
            raise


def create_claims(
    store_code: str,
    requests: Any,
    actor: str | None = None,
    now: datetime | None = None,
    progress: BulkProgress = NO_PROGRESS,
) -> list[ClaimOutcome]:
    """Validate every item, then write the valid ones; outcomes in order.

    With a keyed request's `progress`, the claims an earlier, interrupted run of it created are
    answered again (same token, same expiry) instead of created twice.
    """
    if not isinstance(requests, list):
        raise InvalidInputError(
            {"body": ["The request body must be a JSON array of claim requests."]}
        )
    if len(requests) > MAX_CLAIMS_PER_REQUEST:
        raise TooManyClaimsError(
            {"body": [f"At most {MAX_CLAIMS_PER_REQUEST} claim requests per call."]},
            message=f"Too many claim requests: {len(requests)}; nothing was created.",
        )
    store = get_store(store_code)
    now = now or datetime.now(UTC)
    done = progress.done(range(len(requests)))
    outcomes = [
        _recorded_claim(store, item, actor, done[index])
        if index in done
        else _new_claim(store, item, actor, now)
        for index, item in enumerate(requests)
    ]
    outcomes = _refuse_unknown_types(store_code, outcomes, progress, done)
    _write(outcomes, progress, written=done)
    return [
        ClaimOutcome(
            outcome.request,
            None if outcome.claim is None else CreatedClaim.of(store, outcome.claim),
            outcome.errors,
        )
        for outcome in outcomes
    ]


# -- reading and claiming ------------------------------------------------------------------
def get_claim(token: str) -> ClaimModel:
    try:
        return ClaimModel.get(token_key(token), consistent_read=True)
    except DoesNotExist as error:
        raise ClaimNotFoundError() from error


def read_claim(token: str) -> ClaimState:
    """The claim behind a token as its link shows it (one consistent GetItem)."""
    return ClaimState.of(get_claim(token))


def _claimant_email(claim: ClaimModel, email: Any) -> str:
    """The address to credit: the bound one, or the one given (validated)."""
    given = validate(ClaimantInput, {"email": email or None}).email
    if claim.email is None:
        if given is None:
            raise InvalidInputError({"email": ["The email field is required."]})
        return given
    if given is not None and normalize_email(given) != claim.email:
        raise ClaimEmailMismatchError()
    return claim.email


def _claim_condition(now: datetime) -> Any:
    return (ClaimModel.status == PENDING) & (
        ClaimModel.expires_at.does_not_exist() | (ClaimModel.expires_at > now)
    )


def _points_expiry(item: ClaimModel, now: datetime) -> date | None:
    """The last day the claimed points last, when the claim says (`pointsExpires`)."""
    days = item.points_expire_days
    return None if days is None else now.astimezone(UTC).date() + timedelta(days=int(days))


def _raise_for_claim(failures: list[FailedItem], error: TransactionCancelledError) -> None:
    """The claim's own condition failed: say why (claimed, expired, or gone)."""
    for failure in failures:
        if failure.model is ClaimModel and failure.condition_failed:
            if not failure.old_item:
                raise ClaimNotFoundError() from error
            if failure.old_item.status == CLAIMED:
                raise ClaimAlreadyClaimedError() from error
            raise ClaimExpiredError() from error


def _balance(store_code: str, existing: CustomerModel | None, amount: int) -> int:
    """The balance after the claim: a new customer has just the claim, others one read."""
    if existing is None:
        return amount
    customer = CustomerModel.get(store_code, existing.customer_id, consistent_read=True)
    return int(customer.points_available)


def claim(token: str, email: Any, now: datetime | None = None) -> ClaimResult:
    """Credit the claim's points to the customer with `email` (created if new), once, ever."""
    item = get_claim(token)
    now = now or datetime.now(UTC)
    ensure_claimable(item, now)
    address = _claimant_email(item, email)
    amount = int(item.amount)
    hints = ledger.Hints()
    for attempt in range(CLAIM_ATTEMPTS):
        # After a refusal the index may not show the customer that won yet: read the guard.
        existing = find_by_email(item.store_code, address, consistent=attempt > 0)
        customer = existing or new_customer(
            item.store_code, address, customer_type_id=item.customer_type
        )
        created = None if existing else customer
        customer_id = customer.customer_id
        posting = Posting(
            item.store_code,
            customer_id,
            amount,
            EntryKind.CLAIM,
            reference=item.token_digest,
            reason="Points claim",
            actor=f"customer:{normalize_email(address)}",
            expires_on=_points_expiry(item, now),
        )
        transaction = Transaction()
        type_update = (
            [CustomerModel.customer_type_id.set(item.customer_type)]
            if item.customer_type and existing
            else []
        )
        try:
            with transaction:
                ledger.add_posting(
                    transaction, posting, created, customer_actions=type_update, hints=hints
                )
                transaction.update(
                    item,
                    actions=[
                        ClaimModel.status.set(CLAIMED),
                        ClaimModel.claimed_at.set(now),
                        ClaimModel.claimed_by.set(customer_id),
                        ClaimModel.pending_expires_at.remove(),
                    ],
                    condition=_claim_condition(now),
                    return_values="ALL_OLD",
                )
                event_log.claim_claimed(transaction, item, customer_id, now)
        except TransactionCancelledError as error:
            failures = error.failures
            _raise_for_claim(failures, error)
            learned = ledger.learn(failures, hints)
            # Otherwise the customer changed under us (created or deleted meanwhile): look the
            # customer up again and retry. A busy item was resent by the storage connection
            # already, and escapes as a 503.
            if not learned and not any(f.model in CUSTOMER_MODELS and not f.busy for f in failures):
                raise
            if attempt == CLAIM_ATTEMPTS - 1:
                raise ConflictError("The claim is busy; retry.") from error
            continue
        ledger.count_points(posting)
        return ClaimResult(
            amount, customer_id, address, _balance(item.store_code, existing, amount), not existing
        )
    raise AssertionError("unreachable")
