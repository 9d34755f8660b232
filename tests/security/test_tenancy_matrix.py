"""Tenancy and roles: every protected route refuses a foreign, broken or too weak credential,
and reads and writes nothing of the store or customer it aims at.

The routes come from the app's route table (`route_doc.roles`, which includes the roles a
route checks itself), so a new route is in the matrix with no change here; a path parameter
the world below has no value for fails the suite until it is given one. Each request aims at
real objects of the victim store DEFAULT (customer A's; customer B's for customer A's own JWT),
so a refusal is never just a 404 for an object that does not exist. For each route and
credential the test checks:

- the answer: 401, 403 or 404 (as the route's face answers), never 2xx, never 5xx. Only a
  foreign store's credential on a route that names no store and no object (listing or creating
  in the caller's own store) may get further, and then only into its own store;
- nothing read: every AWS call is recorded with its parameters. A credential refused at the
  gate (chalicelib/api/security.py) makes no call but its own credential lookup; past the gate,
  no call reads (or, outside DynamoDB, writes) anything keyed by the victim;
- nothing written: every table's items, taken from moto's backend, are the same after the
  request (a foreign store's successful create changes only its own store's items).
"""

from __future__ import annotations

import base64
import contextlib
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

import jwt
import pytest
from chalice.test import Client
from moto import mock_aws

from app import app
from chalicelib import secrets_store
from chalicelib.config import get_settings
from chalicelib.domain.access.auth import Role
from local.bootstrap import create_resources, load_template
from tests.fixtures.aws import hooked_clients, reset_process_state
from tests.fixtures.clients import (
    API_KEY,
    OTHER_STORE,
    STORE,
    bearer,
    body_of,
    token_for,
)
from tests.fixtures.tables import stored_items, tables_restored
from tests.fixtures.tenancy import (
    STORE_PARAM,
    Calls,
    Credential,
    Kind,
    Route,
    World,
    build_world,
    payload,
    strings,
)

REFUSED = frozenset({401, 403, 404})
# Path parameters that name something of one customer's.
CUSTOMER_PARAMS = frozenset({"customer", "ref", "email", "coupon", "reward"})
NO_KEY = "no-api-key-in-this-request"
WRONG_PASSCODE = "wrong-passcode-0123456789abcdef"


def protected_routes() -> list[Route]:
    return [
        Route(method, path, entry.view_function.route_doc.roles)
        for path, methods in sorted(app.routes.items())
        for method, entry in sorted(methods.items())
        if entry.view_function.route_doc.roles
    ]


def of_store(store_code: str) -> Callable[[str], bool]:
    """Whether a key or value belongs to the store: `DEFAULT`, `DEFAULT#...`, `.../DEFAULT/...`."""
    return lambda text: store_code in re.split(r"[#/]", text)


def mentioning(*values: str) -> Callable[[str], bool]:
    return lambda text: any(value in text for value in values)


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    """The victim store DEFAULT, its objects and customers, and store OTHER: built once for the
    whole matrix, as no refused request may change anything."""
    calls = Calls()
    with mock_aws(), hooked_clients(calls.record, event="before-parameter-build"):
        create_resources(load_template(), get_settings().resource_prefix)
        with Client(app) as client:
            yield build_world(client.http, calls)
    reset_process_state()


# -- the credentials each route is tried with --------------------------------------------------
def _expired(route: Route) -> Credential:
    past = datetime.now(UTC) - timedelta(hours=2)
    settings = get_settings()
    claims = {"iss": settings.jwt_issuer, "sub": "admin-1", "store": STORE}
    claims |= {"role": route.jwt_role.value, "iat": past, "exp": past + timedelta(minutes=5)}
    return Credential(Kind.JWT, jwt.encode(claims, secrets_store.jwt_secret(), algorithm="HS256"))


def _segment(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def _victim_claims(route: Route) -> dict[str, Any]:
    now = int(datetime.now(UTC).timestamp())
    return {
        "iss": get_settings().jwt_issuer,
        "sub": "admin-1",
        "store": STORE,
        "role": route.jwt_role.value,
        "iat": now,
        "exp": now + 300,
    }


def _tampered(route: Route) -> Credential:
    """Store OTHER's well-signed token with its payload turned to the victim store."""
    header, _, signature = token_for(route.jwt_role, OTHER_STORE).split(".")
    return Credential(Kind.JWT, f"{header}.{_segment(_victim_claims(route))}.{signature}")


def _unsigned(route: Route) -> Credential:
    header = _segment({"alg": "none", "typ": "JWT"})
    return Credential(Kind.JWT, f"{header}.{_segment(_victim_claims(route))}.")


@dataclass(frozen=True)
class Case:
    route: Route
    name: str
    credential: Callable[[World, Route], Credential]
    # Refused by `security.authenticate`, before the handler: no call but a credential lookup.
    at_the_gate: bool = True
    for_customer_b: bool = False  # the path names customer B's things instead of A's
    path_store: str = STORE

    @property
    def id(self) -> str:
        return f"{self.route.method} {self.route.path} [{self.name}]"


def cases_of(route: Route) -> Iterator[Case]:
    for role in route.roles:

        def foreign(world: World, _: Route, role: Role = role) -> Credential:
            return world.foreign(role)

        # A passcode is bound to its campaign; a key or a JWT to its store, which a path
        # without {storeCode} takes from the credential (the handler must then stay in it).
        gate = route.names_a_store or role is Role.ISSUER
        yield Case(route, f"other-store-{role}", foreign, at_the_gate=gate)
        if route.names_a_store and route.names_objects and role is not Role.ISSUER:
            # Its own store in the path, the victim's objects after it.
            yield Case(
                route,
                f"other-store-{role}-own-path",
                foreign,
                at_the_gate=False,
                path_store=OTHER_STORE,
            )
    if Role.SELLER not in route.roles:
        yield Case(route, "seller", lambda w, r: Credential(Kind.JWT, token_for(Role.SELLER)))
    if CUSTOMER_PARAMS & set(route.params):
        yield Case(
            route,
            "customer-a-on-b",
            lambda w, r: Credential(Kind.JWT, w.a.token),
            at_the_gate=Role.CUSTOMER not in route.roles,
            for_customer_b=True,
        )
    yield Case(route, "expired-jwt", lambda w, r: _expired(r))
    yield Case(route, "tampered-jwt", lambda w, r: _tampered(r))
    yield Case(route, "alg-none-jwt", lambda w, r: _unsigned(r))
    if Role.ISSUER in route.roles:
        yield Case(route, "wrong-passcode", lambda w, r: Credential(Kind.PASSCODE, WRONG_PASSCODE))
    else:
        # The campaign's right passcode opens issuing only.
        yield Case(
            route, "passcode-off-issuing", lambda w, r: Credential(Kind.PASSCODE, w.passcode)
        )
    yield Case(route, "revoked-key", lambda w, r: Credential(Kind.KEY, w.revoked_key))


CASES = [case for route in protected_routes() for case in cases_of(route)]


# -- sending -----------------------------------------------------------------------------------
def send(world: World, case: Case, credential: Credential) -> Any:
    route = case.route
    owner = world.b if case.for_customer_b else world.a
    key = credential.secret if credential.kind is Kind.KEY else NO_KEY
    values = {**world.ids, **owner.path_values, STORE_PARAM: case.path_store, "csapikey": key}
    missing = sorted(set(route.params) - set(values))
    assert not missing, f"give the world an object for the path parameters {missing}"
    path = route.path.format(**{name: quote(values[name], safe="") for name in route.params})
    sent = payload(route, owner)
    headers = {"Content-Type": sent.content_type, "Accept": "*/*"}
    if credential.kind is Kind.PASSCODE:
        headers["X-Passcode"] = credential.secret
    elif credential.kind is Kind.JWT or "csapikey" not in route.params:
        headers["Authorization"] = f"Bearer {credential.secret}"
    url = f"{path}?{urlencode(sent.query)}" if sent.query else path
    return world.client.request(route.method, url, headers=headers, body=sent.body)


def table_items() -> set[str]:
    return {json.dumps(item, sort_keys=True) for item in stored_items()}


def _any(victim: Callable[[str], bool], items: set[str]) -> list[str]:
    return [item for item in items if any(victim(text) for text in strings(json.loads(item)))]


# -- the matrix --------------------------------------------------------------------------------
@pytest.mark.parametrize("case", [pytest.param(case, id=case.id) for case in CASES])
def test_a_foreign_or_broken_credential_is_refused_and_reaches_nothing(
    world: World, case: Case
) -> None:
    credential = case.credential(world, case.route)
    victim = mentioning(*world.b.path_values.values()) if case.for_customer_b else of_store(STORE)
    before = table_items()
    world.calls.made.clear()

    with contextlib.nullcontext() if case.at_the_gate else tables_restored():
        response = send(world, case, credential)
        changed = before ^ table_items()

    status = response.status_code
    may_succeed = not case.at_the_gate and not case.route.names_objects
    assert status < 500, response.body
    assert status in REFUSED or (may_succeed and status < 300), (status, response.body)
    if case.at_the_gate:
        assert [call for call in world.calls.made if not call.looks_up_a_credential] == []
    assert [call for call in world.calls.made if call.reaches(victim)] == []
    assert _any(victim, changed) == []
    if status in REFUSED:
        assert changed == set()


# Routes anyone may call: logins and their refresh tokens, the claim and reward links, the
# payout provider's signed callback, campaign images, the public campaign list, health and the
# API description. A new route without roles fails here until it is added on purpose.
PUBLIC_ROUTES = {
    ("POST", "/api/admin/login_check"),
    ("POST", "/api/seller/login_check"),
    ("POST", "/api/customer/login_check"),
    ("POST", "/api/token/refresh"),
    ("POST", "/api/token/revoke"),
    ("GET", "/api/{storeCode}/campaign/public/available"),
    ("GET", "/api/v1/claims/{token}"),
    ("POST", "/api/v1/claims/{token}"),
    ("GET", "/claim/points/{token}"),
    ("POST", "/claim/points/{token}"),
    ("POST", "/api/{storeCode}/campaign/cashback/callback/{provider}"),
    # Campaign images, as Open Loyalty lets anyone read them: a 302 to a short-lived S3 URL.
    ("GET", "/api/{storeCode}/campaign/{campaign}/photo/{photoId}"),
    ("GET", "/api/{storeCode}/campaign/{campaign}/brand_icon"),
    ("GET", "/r/{token}"),
    ("GET", "/health"),
    ("GET", "/openapi.json"),
    ("GET", "/docs"),
    ("GET", "/docs/assets/{name}"),
    # Mokugift's error 100: a wrong method, answered before any credential is read.
    ("GET", "/api/reward/{campaign_id}"),
    ("GET", "/api/reward_url/{campaign_id}"),
    ("GET", "/api/reward_url2/{campaign_id}"),
    ("GET", "/api/multi_rewards/{campaign_id}"),
    ("GET", "/api/multi_reward_urls/{campaign_id}"),
    ("GET", "/api/multi_reward_urls2/{campaign_id}"),
}


def test_every_route_is_protected_or_known_to_be_public() -> None:
    every = {(method, path) for path, methods in app.routes.items() for method in methods}
    protected = {(route.method, route.path) for route in protected_routes()}

    assert every - protected == PUBLIC_ROUTES


# -- the rightful credential: the ids are real and the probes see what they look for ----------
def _rightful(world: World, route: Route) -> Credential:
    role = route.roles[0]
    if role is Role.STORE:
        return Credential(Kind.KEY, API_KEY)
    if role is Role.ISSUER:
        sandboxed = route.path.startswith("/api/sandbox_email/")
        return Credential(Kind.PASSCODE, world.sandbox_passcode if sandboxed else world.passcode)
    if role is Role.CUSTOMER:
        return Credential(Kind.JWT, world.a.token)
    return Credential(Kind.JWT, token_for(role))


READ_ROUTES = [route for route in protected_routes() if route.method == "GET"]


@pytest.mark.parametrize(
    "route", [pytest.param(route, id=f"GET {route.path}") for route in READ_ROUTES]
)
def test_the_rightful_credential_reads_the_same_objects(world: World, route: Route) -> None:
    case = Case(route, "rightful", _rightful)
    before = table_items()
    world.calls.made.clear()

    response = send(world, case, _rightful(world, route))

    assert 200 <= response.status_code < 300, response.body
    assert table_items() == before
    if route.names_objects:
        assert any(call.reaches(of_store(STORE)) for call in world.calls.made)


def test_the_probes_see_a_write_of_the_victims(world: World) -> None:
    path = f"/recipients/{world.a.customer_id}"

    with tables_restored():
        before = table_items()
        response = world.client.request(
            "PATCH", path, headers=bearer(API_KEY), body=b'{"town": "Wells"}'
        )
        changed = before ^ table_items()

    assert response.status_code == 200
    assert _any(of_store(STORE), changed) != []
    assert _any(of_store(OTHER_STORE), changed) == []


def test_a_case_for_customer_b_aims_at_customer_b(world: World) -> None:
    route = Route("GET", "/recipients/{ref}", (Role.STORE,))
    for_b = replace(Case(route, "rightful", _rightful), for_customer_b=True)
    world.calls.made.clear()

    response = send(world, for_b, Credential(Kind.KEY, API_KEY))

    assert body_of(response)["id"] == world.b.customer_id
    victim = mentioning(*world.b.path_values.values())
    assert any(call.reaches(victim) for call in world.calls.made)
