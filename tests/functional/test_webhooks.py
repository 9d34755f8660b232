"""Webhook endpoints: registration, a secret shown once, rotated with an overlap; no SSRF."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.domain.access.auth import Role
from chalicelib.domain.events import webhooks
from chalicelib.storage.webhooks import WebhookModel
from tests.fixtures.clients import OTHER_API_KEY, STORE, bearer, body_of, jwt_headers, token_for
from tests.fixtures.receivers import local_stage

PUBLIC_URL = "https://93.184.216.34/hooks"  # a global address: no DNS needed
BODY = {"url": PUBLIC_URL, "events": ["points.spent", "claim.claimed"]}


def register(client: Any, body: Any = BODY, **headers: str) -> Any:
    return client.post("/webhooks", headers=bearer(**headers), body=json.dumps(body))


@pytest.fixture
def on_the_local_stage(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    with local_stage(monkeypatch):
        yield


def test_a_registration_answers_the_secret_once(client: Any) -> None:
    response = register(client)
    assert response.status_code == 201
    assert response.headers["Cache-Control"] == "no-store"
    created = body_of(response)
    assert created["url"] == PUBLIC_URL
    assert created["events"] == ["claim.claimed", "points.spent"]
    assert created["status"] == "enabled"
    assert created["secret"].startswith("whsec_")
    read = body_of(client.get(f"/webhooks/{created['id']}", headers=bearer()))
    assert read == {k: v for k, v in created.items() if k != "secret"}
    assert body_of(client.get("/webhooks", headers=bearer()))["webhooks"] == [read]


def test_no_secret_is_stored(client: Any) -> None:
    created = body_of(register(client))
    [item] = list(WebhookModel.query(STORE))
    assert created["secret"] not in json.dumps(item.serialize())


def test_a_retry_under_one_key_registers_once_and_answers_the_same_secret(client: Any) -> None:
    first = body_of(register(client, **{"Idempotency-Key": "hook-1"}))
    again = body_of(register(client, **{"Idempotency-Key": "hook-1"}))
    assert again == first
    assert len(list(WebhookModel.query(STORE))) == 1


def test_a_webhook_is_replaced_disabled_and_deleted(client: Any) -> None:
    webhook_id = body_of(register(client))["id"]
    path = f"/webhooks/{webhook_id}"
    changed = {"url": PUBLIC_URL + "/v2", "events": ["points.earned"], "enabled": False}
    answer = client.put(path, headers=bearer(), body=json.dumps(changed))
    assert answer.status_code == 200
    assert body_of(answer)["events"] == ["points.earned"]
    assert body_of(answer)["status"] == "disabled"
    assert client.delete(path, headers=bearer()).status_code == 204
    assert client.get(path, headers=bearer()).status_code == 404
    assert client.delete(path, headers=bearer()).status_code == 404


def test_a_rotation_signs_with_both_secrets_until_the_overlap_ends(client: Any) -> None:
    created = body_of(register(client))
    rotated = client.post(f"/webhooks/{created['id']}/rotate_secret", headers=bearer())
    assert rotated.status_code == 200
    assert rotated.headers["Cache-Control"] == "no-store"
    new = body_of(rotated)
    assert new["secret"] != created["secret"]
    assert "previousSecretExpiresAt" in new
    item = WebhookModel.get(STORE, created["id"])
    assert webhooks.signing_secrets(item) == [new["secret"], created["secret"]]
    later = datetime.now(UTC) + webhooks.ROTATION_OVERLAP + timedelta(seconds=1)
    assert webhooks.signing_secrets(item, later) == [new["secret"]]


def test_a_second_rotation_within_the_overlap_keeps_the_oldest_secret(client: Any) -> None:
    created = body_of(register(client))
    path = f"/webhooks/{created['id']}/rotate_secret"
    client.post(path, headers=bearer())
    third = body_of(client.post(path, headers=bearer()))  # a retry, say
    item = WebhookModel.get(STORE, created["id"])
    assert webhooks.signing_secrets(item) == [third["secret"], created["secret"]]


@pytest.mark.parametrize(
    "url",
    [
        "http://93.184.216.34/hooks",  # not https
        "ftp://93.184.216.34/hooks",
        "https://127.0.0.1/hooks",  # loopback
        "https://localhost/hooks",  # loopback after resolution
        "https://[::1]/hooks",
        "https://10.1.2.3/hooks",  # private
        "https://192.168.0.1/hooks",
        "https://172.16.0.1/hooks",
        "https://169.254.169.254/latest/meta-data",  # link-local: the instance metadata
        "https://100.64.0.1/hooks",  # shared (carrier-grade NAT)
        "https://0.0.0.0/hooks",
        "https://[::ffff:10.0.0.1]/hooks",  # private, IPv4-mapped
        "https://224.0.0.1/hooks",  # multicast
        "https://user:pw@93.184.216.34/hooks",
        "https://no-such-host.invalid/hooks",
        "https:///hooks",
        "https://93.184.216.34:99999/hooks",
        "not a url",
    ],
)
def test_unsafe_urls_are_refused(client: Any, url: str) -> None:
    response = register(client, {**BODY, "url": url})
    assert response.status_code == 422, response.body
    assert "url" in body_of(response)["errors"]
    assert list(WebhookModel.query(STORE)) == []


@pytest.mark.usefixtures("on_the_local_stage")
def test_the_local_stage_accepts_http_and_loopback(client: Any) -> None:
    for url in ("http://127.0.0.1:8080/hooks", "http://localhost:9/x", "https://[::1]/x"):
        assert register(client, {**BODY, "url": url}).status_code == 201, url
    assert register(client, {**BODY, "url": "http://10.0.0.1/x"}).status_code == 422


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({**BODY, "events": ["points.stolen"]}, 400, "unknown_event_type"),
        ({**BODY, "events": []}, 422, "validation_failed"),
        ({"url": PUBLIC_URL}, 422, "validation_failed"),
        ({**BODY, "url": "https://x/" + "a" * 3000}, 422, "validation_failed"),
        ([BODY], 422, "validation_failed"),
    ],
)
def test_bad_bodies_are_4xx(client: Any, body: Any, status: int, code: str) -> None:
    response = register(client, body)
    assert response.status_code == status, response.body
    assert body_of(response)["code"] == code


@pytest.mark.parametrize("webhook_id", ["nope", "x" * 2000, "00000000-0000-4000-8000-000000000000"])
def test_an_unknown_webhook_is_404(client: Any, webhook_id: str) -> None:
    for method in ("GET", "PUT", "DELETE"):
        body = json.dumps(BODY) if method == "PUT" else ""
        response = client.request(method, f"/webhooks/{webhook_id}", headers=bearer(), body=body)
        assert response.status_code == 404
        assert body_of(response)["code"] == "webhook_not_found"
    rotate = client.post(f"/webhooks/{webhook_id}/rotate_secret", headers=bearer())
    assert rotate.status_code == 404


def test_another_store_sees_and_changes_none_of_the_webhooks(client: Any) -> None:
    webhook_id = body_of(register(client))["id"]
    other = bearer(OTHER_API_KEY)
    assert body_of(client.get("/webhooks", headers=other))["webhooks"] == []
    assert client.get(f"/webhooks/{webhook_id}", headers=other).status_code == 404
    assert client.delete(f"/webhooks/{webhook_id}", headers=other).status_code == 404
    assert client.get(f"/webhooks/{webhook_id}", headers=bearer()).status_code == 200


def test_an_admin_registers_and_a_seller_may_not(client: Any) -> None:
    admin = jwt_headers(token_for(Role.ADMIN))
    assert client.post("/webhooks", headers=admin, body=json.dumps(BODY)).status_code == 201
    seller = jwt_headers(token_for(Role.SELLER))
    assert client.post("/webhooks", headers=seller, body=json.dumps(BODY)).status_code == 403


def test_the_webhooks_come_a_page_at_a_time(client: Any) -> None:
    created = {body_of(register(client))["id"] for _ in range(3)}
    first = body_of(client.get("/webhooks?limit=2", headers=bearer()))
    assert len(first["webhooks"]) == 2 and first["nextCursor"]
    rest = body_of(client.get(f"/webhooks?cursor={first['nextCursor']}", headers=bearer()))
    assert rest["nextCursor"] is None
    assert {w["id"] for w in first["webhooks"] + rest["webhooks"]} == created


@pytest.mark.parametrize(
    ("query", "status", "code"),
    [
        ("?limit=0", 422, "validation_failed"),
        ("?limit=101", 422, "validation_failed"),
        ("?cursor=nonsense", 400, "invalid_cursor"),
        ("?cursor=eyJhZnRlciI6ICJ4In0", 400, "invalid_cursor"),  # {"after": "x"}: no webhook id
    ],
)
def test_bad_list_queries_are_4xx(client: Any, query: str, status: int, code: str) -> None:
    response = client.get(f"/webhooks{query}", headers=bearer())
    assert (response.status_code, body_of(response)["code"]) == (status, code)


def test_secrets_come_from_the_webhook_secret_and_not_the_link_token_secret(
    store: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.config import reset_settings

    def made() -> str:
        reset_settings()
        return webhooks.secret(STORE, "4d7c2b1e-0000-4000-8000-000000000000", 1)

    first = made()
    monkeypatch.setenv("REWARDS_LINK_TOKEN_SECRET", "another-link-token-secret-0123456789")
    assert made() == first  # rotating the link token secret keeps every endpoint's secret
    monkeypatch.setenv("REWARDS_WEBHOOK_SECRET", "another-webhook-secret-0123456789abc")
    assert made() != first
    monkeypatch.undo()
    reset_settings()


def test_a_deployed_stage_without_its_webhook_secret_refuses_to_sign(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from chalicelib.config import reset_settings
    from chalicelib.secrets_store import webhook_secret

    monkeypatch.setenv("REWARDS_STAGE", "prod")
    monkeypatch.delenv("REWARDS_WEBHOOK_SECRET")
    reset_settings()
    try:
        with pytest.raises(RuntimeError, match="REWARDS_WEBHOOK_SECRET"):
            webhook_secret()
    finally:
        monkeypatch.undo()
        reset_settings()
