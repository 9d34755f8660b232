"""Alpha balances: `GET /balances/{ref}`, `GET /balances/batches/{ref}`, `PUT /balances/{ref}`
(and `POST` with `_method=PUT`), bare and under `/api/v1/`, agreeing with every other face."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote, urlencode

import pytest

from chalicelib.domain.points import expiry
from tests.fixtures.clients import API_KEY, OTHER_API_KEY, STORE, bearer, body_of
from tests.fixtures.imonggo import basic, number
from tests.fixtures.points import at, credit, day
from tests.fixtures.recipients import WALLACE, created

PREFIXES = ["", "/api/v1"]


@pytest.fixture
def wallace(client: Any) -> str:
    return created(client)["id"]


def put(client: Any, ref: str, body: Any, prefix: str = "", key: str = API_KEY) -> Any:
    return client.put(f"{prefix}/balances/{quote(ref)}", headers=bearer(key), body=json.dumps(body))


def balance(client: Any, ref: str, prefix: str = "") -> Any:
    response = client.get(f"{prefix}/balances/{quote(ref)}", headers=bearer())
    assert response.status_code == 200, response.body
    return body_of(response)


def batches(client: Any, ref: str, prefix: str = "") -> Any:
    response = client.get(f"{prefix}/balances/batches/{quote(ref)}", headers=bearer())
    assert response.status_code == 200, response.body
    return body_of(response)


@pytest.mark.parametrize("prefix", PREFIXES)
@pytest.mark.parametrize("ref", ["id", "email", "public_key"])
def test_a_balance_is_read_by_id_email_or_public_key(
    client: Any, wallace: str, prefix: str, ref: str
) -> None:
    credit(wallace, 234)
    by = {"id": wallace, "email": WALLACE["email"], "public_key": WALLACE["public_key"]}[ref]

    assert balance(client, by, prefix) == {
        "balance": 234,
        "redeemed": 0,
        "pending": 0,
        "expired": 0,
    }


@pytest.mark.parametrize("prefix", PREFIXES)
def test_add_subtract_and_set(client: Any, wallace: str, prefix: str) -> None:
    added = put(client, wallace, {"balance": "+100", "message": "Welcome"}, prefix)
    assert (added.status_code, body_of(added)["balance"]) == (200, 100)

    taken = put(client, wallace, {"balance": "-30"}, prefix)
    assert body_of(taken) == {"balance": 70, "redeemed": 30, "pending": 0, "expired": 0}

    assert body_of(put(client, wallace, {"balance": "50"}, prefix))["balance"] == 50
    assert body_of(put(client, wallace, {"balance": 80}, prefix))["balance"] == 80
    assert body_of(put(client, wallace, {"balance": "80"}, prefix))["balance"] == 80
    (batch,) = batches(client, wallace, prefix)
    assert [c["balance_change"] for c in batch["history"]] == [100, -30, -20, 30]
    assert batch["history"][0]["message"] == "Welcome"
    assert batch["redeemed"] == 30  # a set is an adjustment, not a redemption


def test_points_with_an_expiry_form_batches_and_spends_take_the_soonest(
    client: Any, wallace: str
) -> None:
    put(client, wallace, {"balance": "+10"})
    put(client, wallace, {"balance": "+20", "expiry": day(9).isoformat()})
    put(client, wallace, {"balance": "+5", "expiry": f"{day(3).isoformat()}T10:00:00Z"})
    put(client, wallace, {"balance": "+5", "expiry": day(3).isoformat()})  # merges

    put(client, wallace, {"balance": "-12"})

    listed = batches(client, wallace)
    assert [(b["batch_id"], b["balance"], b["redeemed"], b["expiry"]) for b in listed] == [
        (day(3).isoformat(), 0, 10, day(3).isoformat()),
        (day(9).isoformat(), 18, 2, day(9).isoformat()),
        ("never", 10, 0, None),
    ]
    assert set(listed[0]["history"][0]) == {"time", "message", "balance_change"}


def test_a_named_batch_is_added_to_and_taken_from(client: Any, wallace: str) -> None:
    put(client, wallace, {"balance": "+10"})
    put(client, wallace, {"balance": "+20", "expiry": day(9).isoformat()})

    put(client, wallace, {"balance": "-4", "batch_id": "never"})
    put(client, wallace, {"balance": "+1", "batch_id": day(9).isoformat()})

    listed = {b["batch_id"]: b["balance"] for b in batches(client, wallace)}
    assert listed == {day(9).isoformat(): 21, "never": 6}
    unknown = put(client, wallace, {"balance": "-1", "batch_id": "2001-01-01"})
    assert (unknown.status_code, body_of(unknown)["code"]) == (404, "batch_not_found")
    short = put(client, wallace, {"balance": "-7", "batch_id": "never"})
    assert (short.status_code, body_of(short)["code"]) == (422, "insufficient_points")
    assert balance(client, wallace)["balance"] == 27


def test_a_post_with_method_put_changes_the_balance(client: Any, wallace: str) -> None:
    headers = bearer(**{"Content-Type": "application/x-www-form-urlencoded"})
    body = urlencode({"_method": "PUT", "balance": "+7"})

    response = client.post(f"/api/v1/balances/{wallace}", headers=headers, body=body)

    assert (response.status_code, body_of(response)["balance"]) == (200, 7)
    plain = client.post(f"/balances/{wallace}", headers=bearer(), body='{"balance": "+1"}')
    assert plain.status_code == 422
    assert "_method" in body_of(plain)["errors"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "balance"),
        ({"balance": "+0"}, "balance"),
        ({"balance": "ten"}, "balance"),
        ({"balance": "+1.5"}, "balance"),
        ({"balance": True}, "balance"),
        ({"balance": "+99999999999"}, "balance"),
        ({"balance": "+1", "expiry": "2001-01-01"}, "expiry"),
        ({"balance": "+1", "expiry": "soon"}, "expiry"),
        ({"balance": "+1", "expiry": day(3).isoformat(), "batch_id": "never"}, "expiry"),
        ({"balance": "-1", "expiry": day(3).isoformat()}, "expiry"),
        ({"balance": "+1", "message": "two\nlines"}, "message"),
    ],
)
def test_a_bad_change_is_a_422_naming_the_field_with_nothing_written(
    client: Any, wallace: str, body: dict[str, Any], field: str
) -> None:
    put(client, wallace, {"balance": "+5"})

    response = put(client, wallace, body)

    assert response.status_code == 422, response.body
    assert field in body_of(response)["errors"]
    assert balance(client, wallace)["balance"] == 5


def test_an_overdraft_is_refused(client: Any, wallace: str) -> None:
    put(client, wallace, {"balance": "+5"})

    response = put(client, wallace, {"balance": "-6"})

    assert (response.status_code, body_of(response)["code"]) == (422, "insufficient_points")


def test_unknown_recipient_and_wrong_key(client: Any, wallace: str) -> None:
    for path in ("/balances/nobody", "/api/v1/balances/batches/nobody@example.com"):
        response = client.get(path, headers=bearer())
        assert (response.status_code, set(body_of(response))) == (404, {"message"})
    assert client.get(f"/api/v1/balances/{wallace}", headers=bearer("wrong")).status_code == 401
    # Another store's key finds no such recipient, and changes nothing.
    assert put(client, wallace, {"balance": "+5"}, key=OTHER_API_KEY).status_code == 404
    assert balance(client, wallace)["balance"] == 0


def test_every_face_shows_the_same_figures(client: Any, wallace: str) -> None:
    put(client, wallace, {"balance": "+100"})
    put(client, wallace, {"balance": "+30", "expiry": day(1).isoformat()})
    put(client, wallace, {"balance": "-10"})
    credit(wallace, 40, pending_until=day(5))
    expiry.settle_due_batches(at(2))  # 20 of the 30 expire

    alpha = balance(client, wallace)
    assert alpha == {"balance": 100, "redeemed": 10, "pending": 40, "expired": 20}
    recipient = body_of(client.get(f"/api/v1/recipients/{wallace}", headers=bearer()))
    coggins = body_of(
        client.get(f"/api/v1/points/{API_KEY}/email/{WALLACE['email']}/Full", headers=bearer())
    )
    imonggo = body_of(client.get(f"/api/customers/{number(wallace)}.json", headers=basic()))
    history = body_of(
        client.get(f"/api/{STORE}/admin/customer/{wallace}/points/history", headers=bearer())
    )
    assert recipient["balance"] == 100
    assert coggins == {"AvailablePoints": 100, "UsedPoints": 10}
    assert imonggo["available_points"] == 100
    assert history["balance"] == {"available": 100, "used": 10, "pending": 40, "expired": 20}
    assert sum(b["balance"] for b in batches(client, wallace)) == 140


def test_a_set_racing_another_change_still_leaves_the_balance_set(
    client: Any, wallace: str
) -> None:
    from tests.fixtures.aws import hooked_clients

    put(client, wallace, {"balance": "+10"})
    raced = []

    def credit_first(model: Any, **_: Any) -> None:
        # The set read 10 and is about to post +40: another change gets there first.
        if model.name == "TransactWriteItems" and not raced:
            raced.append(True)
            credit(wallace, 5)

    with hooked_clients(credit_first):
        response = put(client, wallace, {"balance": "50"})

    assert body_of(response)["balance"] == 50
    assert balance(client, wallace)["balance"] == 50
