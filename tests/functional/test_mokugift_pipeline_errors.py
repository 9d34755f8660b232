"""Errors raised by the shared request pipeline before (or around) the Mokugift handler: an
original-contract request (form fields, no Accept, `*/*` or XML) gets the original's
`<error><code>` document, read with a real XML parser; a JSON-contract request keeps JSON.
(DynamoDB throttling: tests/reliability/test_throttling.py.)"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import pytest

from chalicelib.api.request import MAX_BODY_BYTES
from chalicelib.domain.access import auth
from chalicelib.domain.access.auth import Role
from chalicelib.storage.campaigns import CampaignModel
from tests.fixtures.aws import hooked_clients
from tests.fixtures.clients import STORE, body_of, jwt_headers, token_for
from tests.fixtures.crashes import Crash, CrashPoint
from tests.fixtures.factories import make_campaign
from tests.fixtures.mokugift import FORM, error_of

JSON_BODY = {"Content-Type": "application/json"}
ALICE = {"email": "alice@example.com", "first_name": "Alice", "last_name": "Liddell"}


@pytest.fixture
def campaign(store: str) -> CampaignModel:
    return make_campaign()


@pytest.fixture
def passcode(campaign: CampaignModel) -> str:
    return auth.set_passcode(STORE, campaign.campaign_id)


def original(
    client: Any,
    path: str,
    fields: dict[str, str],
    method: str = "POST",
    **headers: str,
) -> Any:
    return client.request(method, path, headers={**FORM, **headers}, body=urlencode(fields))


def json_call(client: Any, path: str, body: Any, **headers: str) -> Any:
    return client.post(path, headers={**JSON_BODY, **headers}, body=json.dumps(body))


def json_error(response: Any) -> tuple[int, str]:
    assert response.headers["Content-Type"].startswith("application/json"), response.body
    return response.status_code, body_of(response)["code"]


# -- the Idempotency-Key's own refusals ---------------------------------------------------------
def test_a_key_reused_with_another_request_is_113(
    client: Any, campaign: CampaignModel, passcode: str
) -> None:
    path = f"/api/reward_url/{campaign.campaign_id}"
    first = {"passcode": passcode, "recipient_email": "a@example.com"}
    assert original(client, path, first, **{"Idempotency-Key": "k"}).status_code == 201

    reused = original(client, path, {**first, "recipient_email": "b@example.com"},
                      **{"Idempotency-Key": "k"})  # fmt: skip
    in_json = json_call(client, path, ALICE, **{"X-Passcode": passcode, "Idempotency-Key": "k"})

    status, code, description = error_of(reused)
    assert (status, code) == (422, 113)
    assert "Idempotency-Key" in description
    assert json_error(in_json) == (422, "idempotency_key_reused")


def test_a_key_too_long_is_113(client: Any, campaign: CampaignModel, passcode: str) -> None:
    path = f"/api/multi_rewards/{campaign.campaign_id}"
    key = {"Idempotency-Key": "k" * 256}
    fields = {"passcode": passcode, "recipient_list": "a@example.com"}

    assert error_of(original(client, path, fields, **key))[:2] == (400, 113)
    body = {"recipients": [ALICE]}
    assert json_error(json_call(client, path, body, **{"X-Passcode": passcode}, **key)) == (
        400,
        "malformed_request",
    )


def test_a_repeat_while_the_first_still_runs_is_110_with_retry_after(
    client: Any, campaign: CampaignModel, passcode: str
) -> None:
    path = f"/api/reward_url/{campaign.campaign_id}"
    fields = {"passcode": passcode, "recipient_email": "a@example.com"}
    key = {"Idempotency-Key": "held"}
    # The first run dies after taking the key (its lease, the function's timeout, runs on).
    with hooked_clients(CrashPoint("TransactWriteItems", 0)), pytest.raises(Crash):
        original(client, path, fields, **key)

    repeat = original(client, path, fields, **key)
    in_json = original(client, path, fields, Accept="application/json", **key)

    assert error_of(repeat)[:2] == (409, 110)
    assert repeat.headers["Retry-After"] == "1"
    assert json_error(in_json) == (409, "request_in_progress")


def test_a_bad_credential_beside_a_key_is_102(client: Any, campaign: CampaignModel) -> None:
    path = f"/api/reward/{campaign.campaign_id}"
    key = {"Idempotency-Key": "k-1"}
    fields = {"passcode": "wrong", "recipient_email": "a@example.com"}

    by_passcode = original(client, path, fields, **key)
    by_api_key = original(client, path, {"recipient_email": "a@example.com"},
                          Authorization="Bearer not-a-key-0123456789", **key)  # fmt: skip
    in_json = json_call(client, path, ALICE, **{"X-Passcode": "wrong"}, **key)

    assert error_of(by_passcode)[:2] == (401, 102)
    assert by_passcode.headers["WWW-Authenticate"].startswith("Bearer")
    assert error_of(by_api_key)[:2] == (401, 102)
    assert json_error(in_json) == (401, "bad_passcode")


# -- the body ---------------------------------------------------------------------------------
def test_a_body_over_the_limit_is_113(client: Any, campaign: CampaignModel, passcode: str) -> None:
    path = f"/api/multi_reward_urls/{campaign.campaign_id}?{urlencode({'passcode': passcode})}"
    huge = "recipient_list=" + "a" * MAX_BODY_BYTES

    as_form = client.post(path, headers=FORM, body=huge)
    keyed = client.post(path, headers={**FORM, "Idempotency-Key": "big"}, body=huge)
    in_json = client.post(
        path, headers=JSON_BODY, body=json.dumps({"recipients": ["a" * MAX_BODY_BYTES]})
    )

    assert error_of(as_form)[:2] == error_of(keyed)[:2] == (413, 113)
    assert json_error(in_json) == (413, "payload_too_large")


@pytest.mark.parametrize("content_type", ["text/xml", "text/plain", "multipart/form-data"])
def test_a_body_neither_form_nor_json_is_113(
    client: Any, campaign: CampaignModel, passcode: str, content_type: str
) -> None:
    path = f"/api/reward/{campaign.campaign_id}?{urlencode({'passcode': passcode})}"

    response = client.post(path, headers={"Content-Type": content_type}, body="<x/>")
    in_json = client.post(
        path, headers={"Content-Type": content_type, "Accept": "application/json"}, body="<x/>"
    )

    status, code, description = error_of(response)
    assert (status, code) == (415, 113)
    assert content_type in description
    assert json_error(in_json) == (415, "unsupported_media_type")


# -- the framework's own answers ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PUT", "/api/reward/{id}"),
        ("DELETE", "/api/multi_reward_urls2/{id}"),
        ("POST", "/api/all_rewards/{id}"),
        ("POST", "/api/rewards_in_month/{id}"),
    ],
)
def test_a_method_the_path_does_not_take_is_100(
    client: Any, campaign: CampaignModel, passcode: str, method: str, path: str
) -> None:
    url = path.format(id=campaign.campaign_id)
    fields = {"passcode": passcode, "recipient_email": "a@example.com"}

    response = original(client, url, fields, method=method)
    in_json = original(client, url, fields, method=method, Accept="application/json")

    assert error_of(response)[:2] == (405, 100)
    assert "POST" in response.headers["Allow"] or "GET" in response.headers["Allow"]
    assert json_error(in_json) == (405, "method_not_allowed")


def test_a_fault_in_a_query_is_110(
    client: Any, campaign: CampaignModel, passcode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: Any, **__: Any) -> None:
        raise RuntimeError("the index is down")

    monkeypatch.setattr("chalicelib.domain.rewards.queries.campaign_rewards", broken)
    path = f"/api/all_rewards/{campaign.campaign_id}"

    response = client.get(path, headers={"X-Passcode": passcode})
    in_json = client.get(path, headers={"X-Passcode": passcode, "Accept": "application/json"})

    status, code, description = error_of(response)
    assert (status, code) == (500, 110)
    assert "index" not in description
    assert json_error(in_json) == (500, "internal_error")


def test_the_admin_routes_of_the_face_keep_json(client: Any, campaign: CampaignModel) -> None:
    path = f"/api/{STORE}/campaign/{campaign.campaign_id}/passcode"

    unauthenticated = client.post(path, headers=FORM, body="")
    seller = client.post(path, headers={**jwt_headers(token_for(Role.SELLER)), **FORM}, body="")
    wrong_method = client.put(path, headers=FORM, body="")

    assert json_error(unauthenticated) == (401, "unauthenticated")
    assert json_error(seller) == (403, "forbidden")
    assert json_error(wrong_method) == (405, "method_not_allowed")
