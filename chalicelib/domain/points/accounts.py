"""Coggins points: the balance lookup by email, instant balance edits, and a customer's history.

Lookup: one Query on the email index, which projects the balance.

Instant edits take a list of `{amount, email}` and apply them in order, each as its own ledger
posting (kind `adjust`, reason `instant`), so one item failing leaves the others applied:

- a positive amount credits, creating the customer when the email is new;
- a negative amount debits under the ledger's balance condition: more than the balance fails
  that item with `insufficient_points`, an unknown email with `customer_not_found` (nothing is
  created);
- an item that is not `{amount: non-zero whole number, email: valid address}` fails with
  per-field errors;
- an optional `customerType` (a customer type's id or name, as in a point claim) is set on the
  customer with the posting; one naming no type of the store fails that item with
  `unknown_customer_type` (nothing is posted), the store's types read once for the request.

Emails are trimmed and compared case-insensitively; an email repeated in one request applies in
order. The customers are read once up front: their email guards, then the customers those
name, two strongly consistent BatchGetItem calls per 100 distinct emails. The balance reported
per item is that read plus this request's own postings, tracked in memory: changes made
meanwhile by other requests are not reflected (the ledger stays right; only the figure shown
may lag). More than `MAX_INSTANT_ITEMS` items are refused before anything is written.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Annotated, Any

from pydantic import ConfigDict, Field, field_validator

from chalicelib.domain.customers import customer_type_input, customer_types
from chalicelib.domain.customers.recipients import RecipientNotFoundError, find_recipient
from chalicelib.domain.customers.records import (
    CustomerNotFoundError,
    find_by_email,
    new_customer,
    normalize_email,
)
from chalicelib.domain.errors import (
    InvalidInputError,
    RewardsError,
    TooManyItemsError,
    error_record,
    recorded_error,
)
from chalicelib.domain.points import ledger
from chalicelib.domain.points.ledger import CustomerExistsError, EntryKind, InsufficientPointsError
from chalicelib.domain.validation import DeferredRootModel, Email, InputModel, number_type, validate
from chalicelib.storage.customers import CustomerModel, UniqueValueModel, unique_email_pk
from chalicelib.storage.idempotency import NO_PROGRESS, BulkProgress, ItemRecord

MAX_INSTANT_ITEMS = 1000
# Far below DynamoDB's 38 digits, so no sum of edits can overflow a balance.
MAX_INSTANT_AMOUNT = 1_000_000_000
INSTANT_REASON = "instant"
DEFAULT_HISTORY_PAGE_SIZE = 25


@dataclass(frozen=True)
class Balance:
    available: int
    used: int
    pending: int = 0  # in batches not started yet: held, not spendable
    expired: int = 0  # taken by the expiry of batches

    @classmethod
    def of(cls, customer: CustomerModel) -> Balance:
        return cls(
            int(customer.points_available or 0),
            int(customer.points_used or 0),
            int(customer.points_pending or 0),
            int(customer.points_expired or 0),
        )

    def plus(self, amount: int) -> Balance:
        """After an adjustment of `amount`: adjustments never count as used."""
        return replace(self, available=self.available + amount)


def lookup_balance(store_code: str, email: str) -> Balance:
    """The balance of the store's customer with this email (trimmed, any case)."""
    email = email.strip()
    customer = find_by_email(store_code, email) if email else None
    if customer is None:
        raise CustomerNotFoundError("No customer with this email.")
    return Balance.of(customer)


# --- instant edits ------------------------------------------------------------------------


class InstantEdit(InputModel):
    """One item of an instant edit; other fields of the item are ignored."""

    model_config = ConfigDict(str_strip_whitespace=True)

    amount: number_type(int, signed=True, text=False)
    email: Email
    customerType: customer_type_input.CustomerTypeRef | None = None

    @field_validator("amount")
    @classmethod
    def _amount_in_range(cls, value: int) -> int:
        if value == 0:
            raise ValueError("The amount must not be zero.")
        if abs(value) > MAX_INSTANT_AMOUNT:
            raise ValueError(
                f"The amount must be between -{MAX_INSTANT_AMOUNT} and {MAX_INSTANT_AMOUNT}."
            )
        return value


class InstantEdits(
    DeferredRootModel[Annotated[list[InstantEdit], Field(max_length=MAX_INSTANT_ITEMS)]]
):
    """The request: an array of edits, each validated and applied on its own."""


@dataclass(frozen=True)
class InstantOutcome:
    """What became of one item: its balance afterwards, when the customer exists, or its error."""

    email: Any  # trimmed when valid, else as given
    amount: Any
    balance: Balance | None
    error: RewardsError | None = None

    @property
    def applied(self) -> bool:
        return self.error is None


@dataclass
class _Account:
    customer_id: str
    balance: Balance


def instant_items(data: Any) -> list[Any]:
    """The items of an instant edit request, refused whole if it is not a list of at most 1,000."""
    if not isinstance(data, list):
        raise InvalidInputError({"body": ["The request body must be a JSON array."]})
    if len(data) > MAX_INSTANT_ITEMS:
        raise TooManyItemsError(
            {"body": [f"At most {MAX_INSTANT_ITEMS} items per request; {len(data)} given."]},
            f"Too many items: at most {MAX_INSTANT_ITEMS} per request.",
        )
    return data


def parse_instant_item(item: Any) -> InstantEdit:
    if not isinstance(item, dict):
        raise InvalidInputError({"item": ["Each item must be an object."]})
    return validate(InstantEdit, item)


def _read_accounts(store_code: str, emails: Iterable[str]) -> dict[str, _Account]:
    """Customers by normalized email, through the email guards (consistent, batched)."""
    email_by_pk = {unique_email_pk(store_code, email): email for email in emails}
    if not email_by_pk:
        return {}
    owners = {
        guard.owner_id: email_by_pk[guard.pk]
        for guard in UniqueValueModel.batch_get(list(email_by_pk), consistent_read=True)
    }
    if not owners:
        return {}
    customers = CustomerModel.batch_get(
        [(store_code, owner) for owner in owners], consistent_read=True
    )
    return {
        owners[customer.customer_id]: _Account(customer.customer_id, Balance.of(customer))
        for customer in customers
    }


def _posting(
    store_code: str, customer_id: str, amount: int, actor: str, reference: str | None
) -> ledger.Posting:
    return ledger.Posting(
        store_code, customer_id, amount, EntryKind.ADJUST, reference, INSTANT_REASON, actor
    )


def _apply(
    store_code: str,
    edit: InstantEdit,
    accounts: dict[str, _Account],
    actor: str,
    reference: str | None,
    progress: BulkProgress = NO_PROGRESS,
    index: int = 0,
) -> Balance:
    """Post one edit and return the balance it leaves; `accounts` follows along. The posting
    records the item's answer as item `index` of the bulk request's `progress`."""

    def record(balance: Balance) -> ItemRecord:
        return ItemRecord(progress, index, _answer(InstantOutcome(None, None, balance)))

    key = normalize_email(edit.email)
    type_id = edit.customerType
    if key not in accounts:
        if edit.amount < 0:
            raise CustomerNotFoundError()
        customer = new_customer(store_code, edit.email, customer_type_id=type_id)
        balance = Balance(edit.amount, 0)
        try:
            ledger.post(
                _posting(store_code, customer.customer_id, edit.amount, actor, reference),
                new_customer=customer,
                record=record(balance),
            )
        except CustomerExistsError:
            # Another request created this email meanwhile: credit that customer instead.
            accounts.update(_read_accounts(store_code, [key]))
            if key not in accounts:
                raise
        else:
            accounts[key] = _Account(customer.customer_id, balance)
            return balance
    account = accounts[key]
    balance = account.balance.plus(edit.amount)
    try:
        ledger.post(
            _posting(store_code, account.customer_id, edit.amount, actor, reference),
            record=record(balance),
            customer_actions=[CustomerModel.customer_type_id.set(type_id)] if type_id else (),
        )
    except InsufficientPointsError as error:
        if error.available is not None:  # the balance DynamoDB saw: fresher than our read
            account.balance = replace(account.balance, available=error.available)
        raise
    except CustomerNotFoundError:
        del accounts[key]  # deleted meanwhile
        raise
    account.balance = balance
    return balance


def _answer(outcome: InstantOutcome) -> dict[str, Any]:
    """What an item answered, as the bulk request records it."""
    balance = outcome.balance
    answer: dict[str, Any] = {
        "balance": None if balance is None else [balance.available, balance.used]
    }
    if outcome.error is not None:
        answer["error"] = error_record(outcome.error)
    return answer


def _recorded(edit: InstantEdit, answer: dict[str, Any]) -> InstantOutcome:
    """The outcome an item answered in an earlier run of the same request."""
    balance = None if answer["balance"] is None else Balance(*answer["balance"])
    error = recorded_error(answer["error"]) if "error" in answer else None
    return InstantOutcome(edit.email, edit.amount, balance, error)


def instant_edit(
    store_code: str,
    data: Any,
    actor: str,
    reference: str | None = None,
    progress: BulkProgress = NO_PROGRESS,
) -> list[InstantOutcome]:
    """Apply the items of `data` in order; one outcome per item, in the same order.

    With a keyed request's `progress`, each item's answer is recorded with its posting (a
    refusal on its own), and the items an earlier, interrupted run applied or refused are
    answered as recorded instead of applied again. An invalid item is answered the same way
    every time, so it is not recorded.
    """
    items = instant_items(data)
    edits: list[InstantEdit | InvalidInputError] = []
    for item in items:
        try:
            edits.append(parse_instant_item(item))
        except InvalidInputError as error:
            edits.append(error)
    done = progress.done(i for i, edit in enumerate(edits) if isinstance(edit, InstantEdit))
    accounts = _read_accounts(
        store_code, {normalize_email(e.email) for e in edits if isinstance(e, InstantEdit)}
    )
    unknown_types = customer_types.unknown_customer_types(
        store_code,
        (
            edit.customerType
            for index, edit in enumerate(edits)
            if isinstance(edit, InstantEdit) and index not in done
        ),
    )
    outcomes = []
    for index, (item, edit) in enumerate(zip(items, edits, strict=True)):
        if isinstance(edit, InvalidInputError):
            given = item if isinstance(item, dict) else {}
            outcomes.append(InstantOutcome(given.get("email"), given.get("amount"), None, edit))
            continue
        if index in done:
            outcomes.append(_recorded(edit, done[index]))
            continue
        try:
            if edit.customerType in unknown_types:
                raise customer_types.UnknownCustomerTypeError()
            balance = _apply(store_code, edit, accounts, actor, reference, progress, index)
        except RewardsError as error:
            account = accounts.get(normalize_email(edit.email))
            balance = account.balance if account else None
            outcome = InstantOutcome(edit.email, edit.amount, balance, error)
            progress.record_now(index, _answer(outcome))
        else:
            outcome = InstantOutcome(edit.email, edit.amount, balance)
        outcomes.append(outcome)
    return outcomes


# --- history -------------------------------------------------------------------------------


class HistoryQuery(InputModel):
    per_page: number_type(int) = DEFAULT_HISTORY_PAGE_SIZE
    cursor: str | None = None

    @field_validator("per_page")
    @classmethod
    def _page_size(cls, value: int) -> int:
        if not 1 <= value <= ledger.MAX_PAGE_SIZE:
            raise ValueError(f"The per page must be between 1 and {ledger.MAX_PAGE_SIZE}.")
        return value


@dataclass(frozen=True)
class HistoryEntry:
    """One ledger entry as an operator reads it."""

    id: str
    kind: str
    amount: int
    reference: str | None
    reason: str | None
    actor: str | None
    created_at: datetime


@dataclass(frozen=True)
class CustomerHistory:
    per_page: int
    balance: Balance
    entries: list[HistoryEntry]
    next_cursor: str | None


def customer_history(
    store_code: str, ref: str, query: HistoryQuery | dict[str, str]
) -> CustomerHistory:
    """One page of the ledger of the customer whose id, email or public key is `ref`."""
    params = query if isinstance(query, HistoryQuery) else validate(HistoryQuery, query)
    try:
        customer = find_recipient(store_code, ref)
    except RecipientNotFoundError as error:
        raise CustomerNotFoundError() from error
    page = ledger.history(store_code, customer.customer_id, params.per_page, params.cursor)
    entries = [
        HistoryEntry(
            e.entry_id, e.kind, int(e.amount), e.reference, e.reason, e.actor, e.created_at
        )
        for e in page.entries
    ]
    return CustomerHistory(params.per_page, Balance.of(customer), entries, page.next_cursor)
