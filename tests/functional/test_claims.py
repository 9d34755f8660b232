"""Point claims through the API: bulk creation, the JSON claim endpoints, and one-time claiming."""

from __future__ import annotations

import base64
import json
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse

from chalicelib.domain.access import stores
from chalicelib.domain.customers import records
from chalicelib.domain.errors import RewardsError
from chalicelib.domain.points import claims, ledger
from chalicelib.domain.points.ledger import EntryKind, Posting
from chalicelib.storage.claims import CLAIMED, PENDING, ClaimModel
from chalicelib.storage.customers import CustomerModel
from chalicelib.storage.ledger import LedgerEntryModel, account_key
from chalicelib.storage.stores import StoreModel
from tests.fixtures.aws import AwsCalls, hooked_clients
from tests.fixtures.clients import API_KEY, OTHER_STORE, RACE_STORE, STORE, bearer, body_of
from tests.fixtures.factories import make_customer_type
from tests.fixtures.points import claim_json, make_claim

CLAIM = {"amount": 400, "email": "Test011@ATest.com ", "customerType": "Internal", "expires": 1}


def post_claims(client: Any, items: Any, headers: dict[str, str] | None = None) -> Any:
    return client.post("/api/v1/points", headers=headers or bearer(), body=json.dumps(items))


def entries_of(store_code: str, customer_id: str) -> list[LedgerEntryModel]:
    return list(LedgerEntryModel.query(account_key(store_code, customer_id)))


# -- creating ------------------------------------------------------------------------------
def test_a_claim_request_answers_the_documents_shape(client: Any) -> None:
    make_customer_type("Internal")
    response = client.post(
        f"/api/v1/points?csapikey={API_KEY}",
        headers={"Content-Type": "application/json"},
        body=json.dumps([CLAIM]),
    )

    assert response.status_code == 200
    [item] = body_of(response)
    token = item.pop("claimToken")
    assert str(uuid.UUID(token)) == token  # a UUID with dashes
    hex_token = token.replace("-", "")
    today = datetime.now(UTC).date()
    assert item == {
        "amount": 400,
        "email": "test011@atest.com",
        "customerType": "Internal",
        "expires": 1,
        "expiresAt": f"{today + timedelta(days=2)}T00:00:00Z",
        "claimUrl": f"https://rewards.test/claim/points/{hex_token}",
        "created": True,
    }
    stored = claims.get_claim(hex_token)
    assert (stored.store_code, stored.status, stored.amount) == (STORE, PENDING, 400)
    assert stored.email == "test011@atest.com"
    assert stored.pending_expires_at == f"{today + timedelta(days=2)}T00:00:00.000000Z"
    assert stored.created_by is not None and stored.created_by.startswith("store:")


def test_invalid_items_are_reported_in_place_and_valid_ones_still_go_in(client: Any) -> None:
    items = [
        {"amount": 10},
        {"amount": "400", "email": "nope", "customerType": "VIP", "expires": 2},
        42,
        {"amount": 30, "expires": 0},
    ]
    response = post_claims(client, items)

    assert response.status_code == 200
    first, second, third, fourth = body_of(response)
    assert (first["created"], first["amount"], fourth["created"], fourth["expires"]) == (
        True,
        10,
        True,
        0,
    )
    assert second == {
        "amount": "400",
        "email": "nope",
        "customerType": "VIP",
        "expires": 2,
        "created": False,
        "errors": {
            "amount": ["The amount must be an integer."],
            "email": ["The email must be a valid email address."],
        },
    }
    assert third == {
        "created": False,
        "errors": {"body": ["Each claim request must be a JSON object."]},
    }
    assert "claimToken" not in second
    for created in (first, fourth):
        assert claims.get_claim(created["claimToken"]).amount == created["amount"]


def test_an_unknown_customer_type_is_that_items_error_and_the_others_go_in(
    aws_calls: AwsCalls, client: Any
) -> None:
    make_customer_type("Gold")
    items = [
        {"amount": 10, "customerType": "Gold"},
        {"amount": 20, "customerType": "Platinum"},
        {"amount": 30, "customerType": "1"},  # Gold's id
        {"amount": 40, "customerType": "Tin"},
        {"amount": 50},
    ]
    aws_calls.reset()

    response = post_claims(client, items)

    assert response.status_code == 200
    answers = body_of(response)
    assert [answer["created"] for answer in answers] == [True, False, True, False, True]
    refused = {"customerType": ["The customer type does not exist in this store."]}
    assert answers[1] == {
        "amount": 20,
        "customerType": "Platinum",
        "created": False,
        "errors": refused,
    }
    assert answers[3]["errors"] == refused
    assert [answer["customerType"] for answer in answers[::2]] == ["Gold", "1", None]
    # The store's types, once for the whole request; and once which events the store's
    # webhooks want (the claim.created events are published after the commit).
    assert aws_calls.count("Query") == 2
    assert ClaimModel.count() == 3


def test_a_missing_expires_takes_the_stores_default(client: Any) -> None:
    [item] = body_of(post_claims(client, [{"amount": 5}]))
    assert item["expires"] == 30  # REWARDS_DEFAULT_CLAIM_EXPIRY_DAYS' default


def test_a_store_whose_default_is_never_makes_claims_that_never_expire(client: Any) -> None:
    StoreModel(STORE).update(actions=[StoreModel.claim_expiry_days.remove()])
    stores.clear_store_cache()

    [item] = body_of(post_claims(client, [{"amount": 5}]))

    assert (item["expires"], item["expiresAt"]) == (None, None)
    stored = claims.get_claim(item["claimToken"])
    assert stored.expires_at is None and stored.pending_expires_at is None


@pytest.mark.parametrize("body", [{"amount": 5}, "x", 5, None])
def test_a_body_that_is_not_an_array_is_422(client: Any, body: Any) -> None:
    response = post_claims(client, body)
    assert response.status_code == 422
    assert body_of(response)["errors"] == {
        "body": ["The request body must be a JSON array of claim requests."]
    }


def test_an_empty_array_creates_nothing(client: Any) -> None:
    response = post_claims(client, [])
    assert (response.status_code, body_of(response)) == (200, [])


def test_more_than_1000_items_are_refused_before_anything_is_written(client: Any) -> None:
    response = post_claims(client, [{"amount": 1}] * 1001)

    assert response.status_code == 422
    body = body_of(response)
    assert body["code"] == "too_many_claims"
    assert body["errors"] == {"body": ["At most 1000 claim requests per call."]}
    assert ClaimModel.count() == 0


def test_1000_claims_take_80_batch_writes(aws_calls: AwsCalls, client: Any) -> None:
    post_claims(client, [{"amount": 1}])  # the store setting is now cached, as in a warm Lambda
    items = [{"amount": n + 1, "expires": n % 5} for n in range(1000)]
    aws_calls.reset()

    response = post_claims(client, items)

    assert response.status_code == 200
    assert [item["amount"] for item in body_of(response)] == list(range(1, 1001))
    assert all(item["created"] for item in body_of(response))
    assert aws_calls.count("BatchWriteItem") == 80  # the claims, then their events
    assert aws_calls.count() == 81  # and the API key lookup
    assert ClaimModel.count() == 1001


@pytest.mark.parametrize(
    "headers",
    [
        bearer(),
        {
            "Authorization": "Basic " + base64.b64encode(f"{API_KEY}:X".encode()).decode(),
            "Content-Type": "application/json",
        },
    ],
)
def test_the_api_key_may_come_as_bearer_or_basic(client: Any, headers: dict[str, str]) -> None:
    assert post_claims(client, [{"amount": 1}], headers).status_code == 200


def test_creating_claims_needs_an_api_key(client: Any) -> None:
    response = post_claims(client, [{"amount": 1}], {"Content-Type": "application/json"})
    assert response.status_code == 401
    assert ClaimModel.count() == 0


def test_a_claim_shows_its_state_without_its_email(client: Any) -> None:
    token = make_claim(email="bound@example.com", expires=0)

    response = client.get(f"/api/v1/claims/{token}")

    assert response.status_code == 200
    assert body_of(response) == {
        "amount": 400,
        "status": "pending",
        "expiresAt": f"{datetime.now(UTC).date() + timedelta(days=1)}T00:00:00Z",
        "bound": True,
    }


def test_claiming_creates_the_customer_with_its_type_and_credits_the_points(client: Any) -> None:
    make_customer_type("Internal")
    token = make_claim(customerType="Internal")

    response = claim_json(client, token.replace("-", "").upper(), {"email": "New@Example.com"})

    assert response.status_code == 200
    body = body_of(response)
    assert body == {
        "claimed": True,
        "amount": 400,
        "customerId": body["customerId"],
        "availablePoints": 400,
    }
    customer = CustomerModel.get(STORE, body["customerId"])
    assert customer.customer_type_id == "Internal"
    assert records.find_by_email(STORE, "new@example.com").customer_id == customer.customer_id
    [entry] = entries_of(STORE, customer.customer_id)
    assert (entry.kind, entry.amount, entry.reference) == ("claim", 400, claims.token_key(token))
    stored = claims.get_claim(token)
    assert (stored.status, stored.claimed_by, stored.pending_expires_at) == (
        CLAIMED,
        customer.customer_id,
        None,
    )
    assert body_of(client.get(f"/api/v1/claims/{token}"))["status"] == "claimed"


def test_claiming_adds_to_an_existing_customer_and_sets_its_type(client: Any) -> None:
    existing = records.new_customer(STORE, "known@example.com")
    ledger.post(Posting(STORE, existing.customer_id, 100, EntryKind.EARN), new_customer=existing)
    make_customer_type("Gold")
    token = make_claim(email="KNOWN@example.com", customerType="Gold")

    body = body_of(claim_json(client, token, {}))  # a bound claim needs no email

    assert (body["customerId"], body["availablePoints"]) == (existing.customer_id, 500)
    customer = CustomerModel.get(STORE, existing.customer_id)
    assert (customer.points_available, customer.customer_type_id) == (500, "Gold")
    assert sorted(e.kind for e in entries_of(STORE, existing.customer_id)) == ["claim", "earn"]


def test_a_claim_finds_the_customer_its_index_does_not_show_yet(store: str) -> None:
    """The email index is eventually consistent: a customer created a moment ago may be
    missing from it. The guard that refuses a second customer then leads to the first."""
    existing = records.new_customer(STORE, "fresh@example.com")
    ledger.post(Posting(STORE, existing.customer_id, 100, EntryKind.EARN), new_customer=existing)
    token = make_claim(email="fresh@example.com")

    def index_lags(params: dict[str, Any], model: Any, **_: Any) -> Any:
        # `params` is the request as sent: the index is named in its JSON body.
        if model.name == "Query" and '"email-index"' in params["body"].decode():
            # DynamoDB's answer before the index caught up: nothing there yet.
            return AWSResponse(params["url"], 200, {}, None), {
                "Items": [],
                "Count": 0,
                "ScannedCount": 0,
            }
        return None

    with hooked_clients(index_lags):
        result = claims.claim(token, None)

    assert (result.customer_id, result.available_points) == (existing.customer_id, 500)
    assert CustomerModel.count(STORE) == 1


def test_a_claim_is_claimed_once(client: Any) -> None:
    token = make_claim()
    assert claim_json(client, token, {"email": "one@example.com"}).status_code == 200

    response = claim_json(client, token, {"email": "two@example.com"})

    assert response.status_code == 409
    assert body_of(response)["code"] == "claim_already_claimed"
    assert records.find_by_email(STORE, "two@example.com") is None


def test_an_expired_claim_is_410_before_the_expiry_job_has_run(client: Any) -> None:
    token = make_claim(expires=1, now=datetime.now(UTC) - timedelta(days=2))

    response = claim_json(client, token, {"email": "late@example.com"})

    assert response.status_code == 410
    assert body_of(response)["code"] == "claim_expired"
    assert body_of(client.get(f"/api/v1/claims/{token}"))["status"] == "expired"
    assert claims.get_claim(token).status == PENDING  # the job's to mark
    assert records.find_by_email(STORE, "late@example.com") is None


def test_a_claim_created_yesterday_with_expires_1_is_still_claimable(client: Any) -> None:
    token = make_claim(expires=1, now=datetime.now(UTC) - timedelta(days=1))
    assert claim_json(client, token, {"email": "ontime@example.com"}).status_code == 200


def test_a_bound_claim_refuses_another_email(client: Any) -> None:
    token = make_claim(email="bound@example.com")

    response = claim_json(client, token, {"email": "thief@example.com"})

    assert response.status_code == 403
    assert body_of(response)["code"] == "claim_email_mismatch"
    assert claims.get_claim(token).status == PENDING


def test_a_bound_claim_accepts_its_email_in_any_case(client: Any) -> None:
    token = make_claim(email="bound@example.com")
    assert claim_json(client, token, {"email": " Bound@EXAMPLE.com"}).status_code == 200


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, {"email": ["The email field is required."]}),
        ({"email": "not an email"}, {"email": ["The email must be a valid email address."]}),
        ({"email": 7}, {"email": ["The email must be a string."]}),
        ([1], {"body": ["The request body must be an object."]}),
    ],
)
def test_a_bad_email_is_422(client: Any, body: Any, errors: dict[str, list[str]]) -> None:
    token = make_claim()

    response = claim_json(client, token, body)

    assert response.status_code == 422
    assert body_of(response)["errors"] == errors
    assert claims.get_claim(token).status == PENDING


@pytest.mark.parametrize("token", ["5f12e5d6-d551-4d37-bb59-983938fc55c2", "not-a-token", "1" * 33])
def test_unknown_tokens_are_404(client: Any, token: str) -> None:
    for response in (client.get(f"/api/v1/claims/{token}"), claim_json(client, token, {})):
        assert response.status_code == 404
        assert body_of(response)["code"] == "claim_not_found"


def test_claims_of_another_store_credit_that_stores_customer(client: Any) -> None:
    token = make_claim(OTHER_STORE)

    body = body_of(claim_json(client, token, {"email": "shared@example.com"}))

    assert CustomerModel.get(OTHER_STORE, body["customerId"]).points_available == 400
    assert records.find_by_email(STORE, "shared@example.com") is None


# -- concurrency ---------------------------------------------------------------------------
RACERS = 50


def test_50_simultaneous_claims_of_one_token_credit_it_once(served_aws: dict[str, str]) -> None:
    make_customer_type("Racer", RACE_STORE)
    token = make_claim(RACE_STORE, customerType="Racer")

    def attempt(n: int) -> str:
        try:
            claims.claim(token, f"racer{n % 5}@example.com")  # new and known emails mixed
        except RewardsError as error:
            return error.code
        return "claimed"

    with ThreadPoolExecutor(max_workers=RACERS) as pool:
        outcomes = Counter(pool.map(attempt, range(RACERS)))

    assert outcomes == {"claimed": 1, "claim_already_claimed": RACERS - 1}
    [customer] = CustomerModel.query(RACE_STORE)
    assert (customer.points_available, customer.customer_type_id) == (400, "Racer")
    [entry] = entries_of(RACE_STORE, customer.customer_id)
    assert (entry.kind, entry.amount) == ("claim", 400)
    assert claims.get_claim(token).claimed_by == customer.customer_id


def test_a_customer_created_meanwhile_gets_the_points(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = make_claim()
    rival = records.new_customer(STORE, "race@example.com")
    ledger.post(Posting(STORE, rival.customer_id, 1, EntryKind.EARN), new_customer=rival)
    lookups = iter([None])  # the first lookup misses: the rival was created just after it
    found = claims.find_by_email
    monkeypatch.setattr(
        claims, "find_by_email", lambda *a, **kw: next(lookups, None) or found(*a, **kw)
    )

    body = body_of(claim_json(client, token, {"email": "race@example.com"}))

    assert (body["customerId"], body["availablePoints"]) == (rival.customer_id, 401)
    assert [c.customer_id for c in CustomerModel.query(STORE)] == [rival.customer_id]
