"""The customers table (one record per customer, all five faces) and its uniqueness guards.

A customer is keyed by (store_code, customer_id), so a key of one store can never address
another store's record. Email and public key are found through GSIs on store-qualified keys.
Their uniqueness within a store is kept by guard items in `unique-values`, written in the same
transaction as the customer with `attribute_not_exists`, never by a read followed by a write.
The customer item also carries the points balance (`points_available`, `points_used`, and
`points_pending` / `points_expired`): the balance row the ledger moves, so reading a recipient
with its balance is one GetItem. How many customers a store has is kept in `customer-counts`,
by the same transactions.

Imonggo addresses a customer by a store-unique integer (`imonggo_id`), allocated from a counter
item of `customer-counts` (shard `IMONGGO_ID_SHARD`) by an atomic ADD and found, and listed in
order, through the `imonggo-id-index` GSI (store, integer), never by a scan.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from pynamodb.attributes import (
    BooleanAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from chalicelib.storage.base import table
from chalicelib.storage.errors import ConditionFailedError
from chalicelib.storage.tables import TableModel

# Recipient fields of the Alpha document, stored under their own names.
ADDRESS_FIELDS = (
    "company",
    "address1",
    "address2",
    "address3",
    "town",
    "postcode",
    "country_code",
    "telephone",
)
PROFILE_FIELDS = ("email", "public_key", "locale", "firstname", "surname", *ADDRESS_FIELDS)
DELIVERY_FIELDS = tuple(f"del_{name}" for name in ("firstname", "surname", *ADDRESS_FIELDS))
RECIPIENT_FIELDS = PROFILE_FIELDS + DELIVERY_FIELDS


def normalize_email(email: str) -> str:
    """Emails are compared trimmed and case-insensitively (`A@x.com ` is `a@x.com`), with an
    internationalised domain in Unicode however it was written (`xn--exmple-cua.com` is
    `exämple.com`), as the address validation keeps it."""
    local, at, domain = email.strip().lower().rpartition("@")
    if at and "xn--" in domain:
        import idna  # email-validator's own dependency; only punycode domains need it

        with contextlib.suppress(idna.IDNAError, UnicodeError):
            domain = idna.decode(domain)
    return f"{local}{at}{domain}" if at else domain


def email_key(store_code: str, email: str) -> str:
    return f"{store_code}#{normalize_email(email)}"


def fold_public_key(public_key: str) -> str:
    """A public key as it is compared: exactly, unless it reads as an email address, which is
    compared as emails are (so `Bob@x.com` and `bob@x.com` are one key, as they are one email)."""
    return normalize_email(public_key) if "@" in public_key else public_key


def public_key_key(store_code: str, public_key: str) -> str:
    return f"{store_code}#{fold_public_key(public_key)}"


def level_key(store_code: str, level_id: str) -> str:
    return f"{store_code}#{level_id}"


class CustomersByEmailIndex(GlobalSecondaryIndex["CustomerModel"]):
    class Meta:
        index_name = "email-index"
        projection = AllProjection()

    email_key = UnicodeAttribute(hash_key=True)


class CustomersByPublicKeyIndex(GlobalSecondaryIndex["CustomerModel"]):
    class Meta:
        index_name = "public-key-index"
        projection = AllProjection()

    public_key_key = UnicodeAttribute(hash_key=True)


class CustomersByLevelIndex(GlobalSecondaryIndex["CustomerModel"]):
    class Meta:
        index_name = "level-index"
        projection = AllProjection()

    level_key = UnicodeAttribute(hash_key=True)


class CustomersByImonggoIdIndex(GlobalSecondaryIndex["CustomerModel"]):
    class Meta:
        index_name = "imonggo-id-index"
        projection = AllProjection()

    store_code = UnicodeAttribute(hash_key=True)
    imonggo_id = NumberAttribute(range_key=True)


@table("customers")
class CustomerModel(TableModel):
    class Meta:
        pass

    store_code = UnicodeAttribute(hash_key=True)
    customer_id = UnicodeAttribute(range_key=True)
    email_key = UnicodeAttribute(null=True)
    public_key_key = UnicodeAttribute(null=True)
    active = BooleanAttribute(default=True)

    email = UnicodeAttribute(null=True)
    public_key = UnicodeAttribute(null=True)
    locale = UnicodeAttribute(null=True)
    firstname = UnicodeAttribute(null=True)
    surname = UnicodeAttribute(null=True)
    company = UnicodeAttribute(null=True)
    address1 = UnicodeAttribute(null=True)
    address2 = UnicodeAttribute(null=True)
    address3 = UnicodeAttribute(null=True)
    town = UnicodeAttribute(null=True)
    postcode = UnicodeAttribute(null=True)
    country_code = UnicodeAttribute(null=True)
    telephone = UnicodeAttribute(null=True)
    del_firstname = UnicodeAttribute(null=True)
    del_surname = UnicodeAttribute(null=True)
    del_company = UnicodeAttribute(null=True)
    del_address1 = UnicodeAttribute(null=True)
    del_address2 = UnicodeAttribute(null=True)
    del_address3 = UnicodeAttribute(null=True)
    del_town = UnicodeAttribute(null=True)
    del_postcode = UnicodeAttribute(null=True)
    del_country_code = UnicodeAttribute(null=True)
    del_telephone = UnicodeAttribute(null=True)

    customer_type_id = UnicodeAttribute(null=True)  # a CustomerTypeModel of the store
    # Campaign targeting (storage/targeting.py): the level, found back through `by_level`,
    # and the segments, mirrored from `segment-members` so one GetItem answers "targeted?".
    level_id = UnicodeAttribute(null=True)
    level_key = UnicodeAttribute(null=True)
    segment_ids = UnicodeSetAttribute(default=set)

    points_available = NumberAttribute(default=0)
    points_used = NumberAttribute(default=0)
    points_pending = NumberAttribute(default=0)  # in batches that have not started yet
    points_expired = NumberAttribute(default=0)  # taken by the expiry job
    # Set on every customer whose points are all in batches (storage/batches.py); customers
    # from before batches lack it until `batches.migrate_customer` moves their balance.
    batched = BooleanAttribute(null=True, default_for_new=True)
    imonggo_id = NumberAttribute(null=True)  # Imonggo's integer id, unique in the store
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()

    by_email = CustomersByEmailIndex()
    by_public_key = CustomersByPublicKeyIndex()
    by_level = CustomersByLevelIndex()
    by_imonggo_id = CustomersByImonggoIdIndex()


@table("customer-counts")
class CustomerCountModel(TableModel):
    """A share of the store's customer count. The transactions that create or delete customers
    each add to one share at random, so the count is the sum of a few items, read in one Query
    however many customers there are, and concurrent transactions seldom touch the same item
    (DynamoDB refuses one of two concurrent transactions on an item)."""

    class Meta:
        pass

    store_code = UnicodeAttribute(hash_key=True)
    shard = NumberAttribute(range_key=True)
    customers = NumberAttribute(default=0)
    last_imonggo_id = NumberAttribute(null=True)  # on the `IMONGGO_ID_SHARD` item only


# The item of a store's `customer-counts` holding the last Imonggo id given; the count's shares
# are 0 and up.
IMONGGO_ID_SHARD = -1


def allocate_imonggo_ids(store_code: str, count: int) -> list[int]:
    """`count` fresh integer ids of the store: one UpdateItem adding to its counter, atomic
    however many processes allocate at once. An id whose customer is never written stays
    unused: ids may have gaps, never repeats."""
    counter = CustomerCountModel(store_code, IMONGGO_ID_SHARD)
    counter.update(actions=[CustomerCountModel.last_imonggo_id.add(count)])
    last = int(counter.last_imonggo_id)
    return list(range(last - count + 1, last + 1))


def set_imonggo_id(customer: CustomerModel, imonggo_id: int) -> bool:
    """Give a customer that has none an Imonggo id; False when it has one already (given
    meanwhile by another request or the migration) or no longer exists."""
    try:
        customer.update(
            actions=[CustomerModel.imonggo_id.set(imonggo_id)],
            condition=(
                CustomerModel.customer_id.exists() & CustomerModel.imonggo_id.does_not_exist()
            ),
        )
    except ConditionFailedError:
        return False
    return True


def find_by_imonggo_id(store_code: str, imonggo_id: int) -> CustomerModel | None:
    """One Query on the Imonggo id index (eventually consistent, as GSIs are)."""
    results = CustomerModel.by_imonggo_id.query(
        store_code, CustomersByImonggoIdIndex.imonggo_id == imonggo_id, limit=1
    )
    return next(iter(results), None)


def customers_by_imonggo_id(store_code: str, page_size: int) -> Iterator[CustomerModel]:
    """The store's numbered customers in Imonggo id order, read `page_size` at a time by a
    Query on the index, lazily: the caller stops reading when it has enough."""
    return iter(CustomerModel.by_imonggo_id.query(store_code, page_size=page_size))


def unnumbered_customers(store_code: str, page_size: int) -> Iterator[CustomerModel]:
    """The store's customers without an Imonggo id: a Query on the store's partition (not a
    scan), `page_size` items a page."""
    return iter(
        CustomerModel.query(
            store_code,
            filter_condition=CustomerModel.imonggo_id.does_not_exist(),
            page_size=page_size,
        )
    )


@table("unique-values")
class UniqueValueModel(TableModel):
    """Guard item claiming a value (`<store>#email#<email>`) for one owner."""

    class Meta:
        pass

    pk = UnicodeAttribute(hash_key=True)
    owner_id = UnicodeAttribute()


def unique_email_pk(store_code: str, email: str) -> str:
    return f"{store_code}#email#{normalize_email(email)}"


def unique_public_key_pk(store_code: str, public_key: str) -> str:
    return f"{store_code}#public_key#{fold_public_key(public_key)}"


def guarded_field(pk: str) -> str:
    """The field a guard item claims: `email` for `<store>#email#<value>`."""
    return pk.split("#", 2)[1]
