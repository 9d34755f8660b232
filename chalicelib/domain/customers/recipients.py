"""Recipients: the customer directory of the Alpha document (create, find, update, delete, list).

A recipient is found by its ID, its email or its public key (an ID the caller's own system
knows). Email and public key are unique within a store: guard items are written in the same
transaction as the customer, so two concurrent creates cannot both take one email.

The three kinds of identifier share one namespace per store: a public key may not equal
another recipient's ID or email, nor an email another recipient's public key (emails and
email-like public keys compared case-insensitively). The same transaction checks it with
conditions on the other recipient's item or guard, so no race can slip a collision in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pynamodb.exceptions import DoesNotExist
from pynamodb.transactions import TransactWrite

from chalicelib.domain.access.stores import get_store
from chalicelib.domain.catalog import audiences, targeting
from chalicelib.domain.customers.recipient_input import REQUIRED_ON_CREATE, parse_recipient
from chalicelib.domain.customers.records import (
    Customer,
    add_new_customers,
    count_customers,
    find_by_email,
    find_by_public_key,
    guards,
    new_customer,
)
from chalicelib.domain.errors import ConflictError, InvalidInputError, NotFoundError
from chalicelib.domain.paging import decode_cursor, encode_cursor
from chalicelib.domain.points import ledger
from chalicelib.domain.validation import field_label
from chalicelib.storage.customers import (
    CustomerModel,
    UniqueValueModel,
    email_key,
    guarded_field,
    public_key_key,
    unique_email_pk,
    unique_public_key_pk,
)
from chalicelib.storage.errors import ConditionFailedError, TransactionCancelledError
from chalicelib.storage.idempotency import ItemRecord
from chalicelib.storage.paging import key_values, start_key
from chalicelib.storage.transactions import Transaction

MAX_PAGE_SIZE = 100


class RecipientNotFoundError(NotFoundError):
    """The document answers an unknown recipient with an empty message."""

    default_message = ""


@dataclass(frozen=True)
class RecipientPage:
    recipients: list[Customer]
    per_page: int
    next_cursor: str | None


def _now() -> datetime:
    return datetime.now(UTC)


# Which field a refused item of a create or update speaks for: (table, key) -> field.
Claims = dict[tuple[type, str], str]


def _check_identifiers(
    transaction: TransactWrite,
    customer: CustomerModel,
    email: str | None,
    public_key: str | None,
    touched: set[str],
) -> Claims:
    """Condition checks, in `transaction`, that the new `email` / `public_key` of `customer`
    are no other recipient's identifier of another kind. Guards in `touched` (the customer's
    own, written or deleted by the same transaction, which may touch an item once) are not
    checked; email against email and public key against public key are the guards' business."""
    store_code, customer_id = customer.store_code, customer.customer_id
    checks: Claims = {}
    if public_key and public_key != customer_id:
        transaction.condition_check(
            CustomerModel,
            store_code,
            public_key,
            condition=CustomerModel.customer_id.does_not_exist(),
        )
        checks[(CustomerModel, public_key)] = "public_key"
    # An email-like public key against the emails, an email against the public keys.
    others = []
    if public_key and "@" in public_key:
        others.append((unique_email_pk(store_code, public_key), "public_key"))
    if email:
        others.append((unique_public_key_pk(store_code, email), "email"))
    mine = UniqueValueModel.pk.does_not_exist() | (UniqueValueModel.owner_id == customer_id)
    for pk, field in others:
        if pk not in touched:
            transaction.condition_check(UniqueValueModel, pk, condition=mine)
            checks[(UniqueValueModel, pk)] = field
    return checks


def _raise_taken(error: TransactionCancelledError, claims: Claims) -> None:
    """Name the field whose uniqueness guard or identifier check refused the transaction, if
    one did."""
    for failure in error.failures:
        if not failure.condition_failed:
            continue
        if failure.model is UniqueValueModel:
            pk = failure.key["pk"]
            field = claims.get((UniqueValueModel, pk)) or guarded_field(pk)
        elif failure.model is CustomerModel:
            field = claims.get((CustomerModel, failure.key["customer_id"]), "")
        else:
            continue
        if field:
            raise InvalidInputError(
                {field: [f"The {field_label(field)} has already been taken."]}
            ) from error


def find_recipient(store_code: str, ref: str) -> CustomerModel:
    """The store's recipient whose ID, email or public key is `ref`.

    A recipient's own identifiers come first: its email for a value with `@`, else its ID; a
    public key (the caller's alias) only when neither matches. The checks on create and update
    keep a public key from equalling another recipient's ID or email, and this order keeps one
    that slipped in before them from ever shadowing its owner.
    """
    ref = ref.strip()
    if not ref:
        raise RecipientNotFoundError()
    if "@" in ref:
        found = find_by_email(store_code, ref)
        if found is not None:
            return found
    else:
        try:
            return CustomerModel.get(store_code, ref)
        except DoesNotExist:
            pass
    found = find_by_public_key(store_code, ref)
    if found is None:
        raise RecipientNotFoundError()
    return found


def get_recipient(store_code: str, ref: str) -> Customer:
    """The recipient `ref` names (`find_recipient`), as the faces show it."""
    return Customer.of(find_recipient(store_code, ref))


def create_recipient(
    store_code: str,
    data: Any,
    record: Callable[[str], ItemRecord] | None = None,
) -> Customer:
    """Create a recipient; `record` gives a bulk job's record of it (by its new id), written
    with it."""
    fields = parse_recipient(data, REQUIRED_ON_CREATE)
    if not fields.get("country_code"):
        fields["country_code"] = get_store(store_code).country_code
    customer = new_customer(store_code, **fields)
    transaction = Transaction()
    try:
        with transaction:
            add_new_customers(transaction, [customer])
            touched = {guard.pk for guard in guards(customer)}
            claims = _check_identifiers(
                transaction, customer, customer.email, customer.public_key, touched
            )
            if record is not None:
                record(customer.customer_id).add_to(transaction)
    except TransactionCancelledError as error:
        if record is not None:
            record(customer.customer_id).progress.raise_if_taken(error.failures, error)
        _raise_taken(error, claims)
        raise
    return Customer.of(customer)


def _swap_guard(
    transaction: TransactWrite,
    customer: CustomerModel,
    old_pk: str | None,
    new_pk: str | None,
) -> None:
    if old_pk:
        transaction.delete(
            UniqueValueModel(old_pk), condition=UniqueValueModel.owner_id == customer.customer_id
        )
    if new_pk:
        transaction.save(
            UniqueValueModel(new_pk, owner_id=customer.customer_id),
            condition=UniqueValueModel.pk.does_not_exist(),
        )


def update_recipient(store_code: str, ref: str, data: Any) -> Customer:
    """Change only the fields given; null clears an optional field."""
    customer = find_recipient(store_code, ref)
    fields = parse_recipient(data, tuple(field for field in REQUIRED_ON_CREATE if field in data))
    actions = [
        getattr(CustomerModel, field).set(value)
        if value is not None
        else getattr(CustomerModel, field).remove()
        for field, value in fields.items()
    ]
    actions.append(CustomerModel.updated_at.set(_now()))
    # The update applies only if nobody changed the guarded values since we read them.
    condition = CustomerModel.customer_id.exists()
    guard_changes = []
    if "email" in fields and email_key(store_code, fields["email"] or "") != customer.email_key:
        new_email = fields["email"]
        assert new_email is not None  # required when present
        actions.append(CustomerModel.email_key.set(email_key(store_code, new_email)))
        condition &= CustomerModel.email_key == customer.email_key
        guard_changes.append(
            (
                unique_email_pk(store_code, customer.email) if customer.email else None,
                unique_email_pk(store_code, new_email),
            )
        )
    if "public_key" in fields and fields["public_key"] != customer.public_key:
        new_key = fields["public_key"]
        if new_key:
            actions.append(CustomerModel.public_key_key.set(public_key_key(store_code, new_key)))
        else:
            actions.append(CustomerModel.public_key_key.remove())
        condition &= (
            CustomerModel.public_key == customer.public_key
            if customer.public_key
            else CustomerModel.public_key.does_not_exist()
        )
        guard_changes.append(
            (
                unique_public_key_pk(store_code, customer.public_key)
                if customer.public_key
                else None,
                unique_public_key_pk(store_code, new_key) if new_key else None,
            )
        )
    if not guard_changes:
        try:
            customer.update(actions=actions, condition=condition)
        except ConditionFailedError as error:
            raise RecipientNotFoundError() from error
        return Customer.of(customer)
    email = fields.get("email", customer.email)
    public_key = fields.get("public_key", customer.public_key)
    transaction = Transaction()
    try:
        with transaction:
            transaction.update(customer, actions=actions, condition=condition)
            for old_pk, new_pk in guard_changes:
                _swap_guard(transaction, customer, old_pk, new_pk)
            # Only a value that changes is checked: one kept was checked when it was set.
            claims = _check_identifiers(
                transaction,
                customer,
                email if email != customer.email else None,
                public_key if public_key != customer.public_key else None,
                {pk for pair in guard_changes for pk in pair if pk},
            )
    except TransactionCancelledError as error:
        _raise_taken(error, claims)
        if error.refused():
            raise ConflictError("The recipient changed meanwhile; read it and retry.") from error
        raise
    return Customer.of(CustomerModel.get(store_code, customer.customer_id, consistent_read=True))


# Why the erasure's `expire` entry exists, for whoever reads the ledger later.
ERASURE_REFERENCE = "erasure"
ERASURE_REASON = "Personal data erased at the person's request; remaining points forfeited."
# A balance that keeps moving under the erasure is read again this many times, then a 409.
ERASE_ATTEMPTS = 3


def _erase(customer: CustomerModel, actor: str | None) -> None:
    """One transaction: the customer's item (every personal field with it) and its balance go,
    the balance forfeited in the ledger, its email and public key guards freed, the store's
    count lowered. Raises TransactionCancelledError when the item or its balance changed
    meanwhile."""
    store_code = customer.store_code
    with Transaction() as transaction:
        ledger.close_account(transaction, customer, ERASURE_REFERENCE, ERASURE_REASON, actor)
        count_customers(transaction, store_code, -1)
        if customer.level_id:
            audiences.move_level(transaction, store_code, customer.level_id, -1)
        for pk in (
            unique_email_pk(store_code, customer.email) if customer.email else None,
            unique_public_key_pk(store_code, customer.public_key) if customer.public_key else None,
        ):
            if pk:
                transaction.delete(
                    UniqueValueModel(pk),
                    condition=UniqueValueModel.owner_id == customer.customer_id,
                )


def delete_recipient(store_code: str, ref: str, actor: str | None = None) -> None:
    """Erase the recipient (the right to erasure): its personal data, email and public key go,
    its remaining points are forfeited with a ledger entry, and it is unknown afterwards by
    every identifier. The ledger keeps its entries under the bare customer id.

    Its segment memberships (ids only) are dropped first, each step skipped when done: until
    the final transaction commits the recipient is still found, so a retry after a crash
    anywhere finishes the erasure, and after it nothing is half-erased.
    """
    customer = find_recipient(store_code, ref)
    for _ in range(ERASE_ATTEMPTS):
        targeting.forget_customer(store_code, customer)
        try:
            _erase(customer, actor)
            return
        except TransactionCancelledError as error:
            if not error.refused():
                raise
        # Erased meanwhile (404), or its balance or segments moved: read it again.
        try:
            customer = CustomerModel.get(store_code, customer.customer_id, consistent_read=True)
        except DoesNotExist as error:
            raise RecipientNotFoundError() from error
    raise ConflictError("The recipient's points kept changing; try again.")


def list_recipients(store_code: str, limit: int, cursor: str | None) -> RecipientPage:
    """One page of the store's recipients, in ID order; one Query per page."""
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    # The cursor names only the last ID; the store always comes from the credential.
    start = (
        start_key(CustomerModel, store_code=store_code, customer_id=decode_cursor(cursor))
        if cursor
        else None
    )
    results = CustomerModel.query(
        store_code, limit=limit, page_size=limit, last_evaluated_key=start
    )
    recipients = list(results)
    last = key_values(CustomerModel, results.last_evaluated_key)
    next_cursor = encode_cursor(last["customer_id"]) if last and recipients else None
    return RecipientPage([Customer.of(item) for item in recipients], limit, next_cursor)
