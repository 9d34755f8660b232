"""Every mutating route with `dryRun=true`: answered, marked as a dry run, and nothing changed.

The routes come from the app's route table, so a new route is walked with no change here. Each
is sent a valid request (the tenancy matrix's payloads, aimed at real objects of the store) with
the store's own credential of the route's first role, so the dry run reaches the handler's
writes and sends, not only a validation error. Around each request the whole of moto is taken
from its backends: every table item, every queue's messages, every S3 object, every email sent.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from chalice.test import Client
from moto import mock_aws

from app import app
from chalicelib.config import get_settings
from chalicelib.domain.access.auth import Role
from chalicelib.domain.catalog import coupons
from chalicelib.domain.points import claims
from local.bootstrap import create_resources, load_template
from tests.fixtures.aws import hooked_clients, reset_process_state
from tests.fixtures.clients import API_KEY, STORE, token_for
from tests.fixtures.dry_run import moto_state
from tests.fixtures.tenancy import (
    CAMPAIGN_FORM,
    STORE_PARAM,
    Calls,
    Payload,
    Route,
    World,
    build_world,
    payload,
    recipient,
)

MUTATING = ("POST", "PUT", "PATCH", "DELETE")
PERSON = {"email": "new.person@example.com", "first_name": "Nia", "last_name": "Lee"}
# Bodies that reach further than the tenancy matrix's (it sends `{}` where a refusal suffices).
BODIES: dict[tuple[str, str], Any] = {
    ("POST", "/api/reward/{campaign_id}"): PERSON,
    ("POST", "/api/reward_url/{campaign_id}"): PERSON,
    ("POST", "/api/reward_url2/{campaign_id}"): {**PERSON, "unique_id": "u-1"},
    ("POST", "/api/multi_rewards/{campaign_id}"): {"recipients": [PERSON]},
    ("POST", "/api/multi_reward_urls/{campaign_id}"): {"recipients": [PERSON]},
    ("POST", "/api/multi_reward_urls2/{campaign_id}"): {"recipients": [{"unique_id": "u-2"}]},
    ("POST", "/api/{storeCode}/campaign"): {"campaign": CAMPAIGN_FORM},
    ("POST", "/api/{storeCode}/level"): {"level": {"name": "New", "conditionValue": 0}},
    ("POST", "/api/{storeCode}/segment"): {"segment": {"name": "New"}},
    ("POST", "/api/{storeCode}/campaignCategory"): {"campaign_category": {"name": "New"}},
    ("POST", "/api/{storeCode}/customerType"): {"name": "Silver", "pointToAmountRatio": 10},
    ("POST", "/recipients"): recipient("new.recipient@example.com"),
    ("POST", "/api/v1/recipients"): recipient("new.recipient@example.com"),
}


def mutating_routes() -> list[Route]:
    return [
        Route(method, path, entry.view_function.route_doc.roles or ())
        for path, methods in sorted(app.routes.items())
        for method, entry in sorted(methods.items())
        if method in MUTATING
    ]


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    with mock_aws(), hooked_clients(Calls().record, event="before-parameter-build"):
        create_resources(load_template(), get_settings().resource_prefix)
        with Client(app) as client:
            built = build_world(client.http, Calls())
            # Coupons left, so buying and issuing get past the pool to their writes.
            more = [f"MORE-{n}" for n in range(9)]
            coupons.put_codes(STORE, built.ids["campaign"], more, append=True)
            yield built
    reset_process_state()


def own_headers(route: Route, world: World, content_type: str) -> dict[str, str]:
    """The store's own credential of the route's first role (none for a public route)."""
    headers = {"Content-Type": content_type, "Accept": "*/*"}
    role = route.roles[0] if route.roles else None
    if role is Role.ISSUER:
        headers["X-Passcode"] = world.passcode
    elif role is Role.STORE:
        headers["Authorization"] = f"Bearer {API_KEY}"
    elif role is Role.CUSTOMER:
        headers["Authorization"] = f"Bearer {world.a.token}"
    elif role is not None:
        headers["Authorization"] = f"Bearer {token_for(role)}"
    return headers


def send_dry_run(world: World, route: Route, claim_token: str) -> Any:
    values = {
        **world.ids,
        **world.a.path_values,
        STORE_PARAM: STORE,
        "csapikey": API_KEY,
        "token": claim_token,
        "provider": "paytm",
    }
    path = route.path.format(**{name: quote(values[name], safe="") for name in route.params})
    sent = payload(route, world.a)
    if (route.method, route.path) in BODIES:
        sent = Payload(body=json.dumps(BODIES[route.method, route.path]).encode())
    query = urlencode({**sent.query, "dryRun": "true"})
    headers = own_headers(route, world, sent.content_type)
    return world.client.request(route.method, f"{path}?{query}", headers=headers, body=sent.body)


@pytest.mark.parametrize(
    "route", [pytest.param(r, id=f"{r.method} {r.path}") for r in mutating_routes()]
)
def test_a_dry_run_changes_nothing_and_says_so(world: World, route: Route) -> None:
    [claim] = claims.create_claims(STORE, [{"amount": 5}])  # for the routes naming a claim
    before = moto_state()

    response = send_dry_run(world, route, claim.claim.token)

    assert response.status_code < 500, response.body
    assert response.headers.get("Rewards-Dry-Run") == "true"
    if response.headers.get("Content-Type", "").startswith("application/json"):
        body = json.loads(response.body or b"null")
        if isinstance(body, dict):
            assert body["dryRun"] is True
    assert moto_state() == before
