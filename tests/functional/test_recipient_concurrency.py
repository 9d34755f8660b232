"""Concurrent creates against the serialized embedded AWS: one email, one recipient.

Uniqueness rests on conditional writes in one transaction, not on a read before the write, so
20 simultaneous creates with the same email over real HTTP leave exactly one recipient.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from chalicelib.config import get_settings
from chalicelib.domain import recipients, stores
from chalicelib.domain.errors import InvalidInputError
from chalicelib.storage.customers import CustomerModel, UniqueValueModel
from local.aws_server import start_in_thread
from local.bootstrap import create_resources, load_template
from tests.conftest import reset_process_state

RACERS = 20


@pytest.fixture
def served_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    server = start_in_thread()
    monkeypatch.setenv("AWS_ENDPOINT_URL", server.url)
    reset_process_state()
    try:
        create_resources(load_template(), get_settings().resource_prefix)
        stores.create_store("RACE", country_code="gb")
        yield
    finally:
        monkeypatch.delenv("AWS_ENDPOINT_URL")
        reset_process_state()
        server.stop()


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


def test_simultaneous_creates_with_one_email_make_one_recipient(served_aws: None) -> None:
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
