"""Concurrent creates against the serialized embedded AWS: one email, one recipient.

Uniqueness rests on conditional writes in one transaction, not on a read before the write, so
20 simultaneous creates with the same email over real HTTP leave exactly one recipient.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from chalicelib.domain.customers import recipients
from chalicelib.domain.errors import InvalidInputError
from chalicelib.storage.customers import CustomerModel, UniqueValueModel

RACERS = 20


def _create(n: int) -> str:
    data = {
        "email": "same@example.com",
        "public_key": f"key-{n}",
        "firstname": "Racer",
        "surname": str(n),
        "address1": "1 Track",
        "town": "Wigan",
        "postcode": "WG1 1AA",
    }
    try:
        return recipients.create_recipient("RACE", data).customer_id
    except InvalidInputError as error:
        assert error.errors == {"email": ["The email has already been taken."]}
        return "taken"


def test_simultaneous_creates_with_one_email_make_one_recipient(served_aws: dict[str, str]) -> None:
    with ThreadPoolExecutor(max_workers=RACERS) as pool:
        outcomes = list(pool.map(_create, range(RACERS)))

    winners = [outcome for outcome in outcomes if outcome != "taken"]
    assert len(winners) == 1
    assert [c.customer_id for c in CustomerModel.query("RACE")] == winners
    guards = [
        UniqueValueModel.get(f"RACE#public_key#key-{n}")
        for n in range(RACERS)
        if UniqueValueModel.count(f"RACE#public_key#key-{n}")
    ]
    assert [guard.owner_id for guard in guards] == winners


def _create_holding(n: int) -> str:
    """Even racers want `held@example.com` as their email, odd ones as their public key."""
    held = {"email": "held@example.com", "public_key": f"key-{n}"}
    if n % 2:
        held = {"email": f"racer-{n}@example.com", "public_key": "HELD@example.com"}
    data = {**held, "firstname": "R", "surname": "S", "address1": "1", "town": "W", "postcode": "1"}
    try:
        return recipients.create_recipient("RACE", data).customer_id
    except InvalidInputError as error:
        assert list(error.errors) in (["email"], ["public_key"])
        return "taken"


def test_simultaneous_creates_with_one_value_as_email_or_public_key_make_one_holder(
    served_aws: dict[str, str],
) -> None:
    with ThreadPoolExecutor(max_workers=RACERS) as pool:
        outcomes = list(pool.map(_create_holding, range(RACERS)))

    winners = [outcome for outcome in outcomes if outcome != "taken"]
    assert len(winners) == 1
    assert [c.customer_id for c in CustomerModel.query("RACE")] == winners
    assert recipients.find_recipient("RACE", "held@example.com").customer_id == winners[0]
