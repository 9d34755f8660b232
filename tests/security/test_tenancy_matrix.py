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
import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any
from urllib.parse import quote, urlencode

import jwt
import pytest
from chalice.test import Client
from moto import mock_aws
from urllib3.filepost import encode_multipart_formdata

from app import app
from chalicelib import cli, secrets_store
from chalicelib.config import get_settings
from chalicelib.domain.access import auth, stores
from chalicelib.domain.access.auth import USER_ROLES, Role
from chalicelib.domain.events import event_log, webhooks
from chalicelib.storage.credentials import CredentialModel
from local.bootstrap import create_resources, load_template
from tests.fixtures.aws import hooked_clients, reset_process_state
from tests.fixtures.campaigns import png
from tests.fixtures.clients import (
    API_KEY,
    OTHER_API_KEY,
    OTHER_STORE,
    STORE,
    bearer,
    body_of,
    jwt_headers,
    token_for,
)
from tests.fixtures.factories import make_campaign
from tests.fixtures.tables import stored_items, tables_restored

REFUSED = frozenset({401, 403, 404})
STORE_PARAM = "storeCode"
# Path parameters that name no object: the credential itself, and a month of the calendar.
UNNAMING_PARAMS = frozenset({STORE_PARAM, "csapikey", "month", "year"})
# Path parameters that name something of one customer's.
CUSTOMER_PARAMS = frozenset({"customer", "ref", "email", "coupon", "reward"})
NO_KEY = "no-api-key-in-this-request"
WRONG_PASSCODE = "wrong-passcode-0123456789abcdef"
FORM = "application/x-www-form-urlencoded"


# -- the routes --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Route:
    method: str
    path: str
    roles: tuple[Role, ...]

    @property
    def params(self) -> list[str]:
        return re.findall(r"{(\w+)}", self.path)

    @property
    def names_objects(self) -> bool:
        return any(name not in UNNAMING_PARAMS for name in self.params)

    @property
    def names_a_store(self) -> bool:
        return STORE_PARAM in self.params

    @property
    def jwt_role(self) -> Role:
        """The login role a token aimed at this route best claims."""
        return next((role for role in self.roles if role in USER_ROLES), Role.ADMIN)


def protected_routes() -> list[Route]:
    return [
        Route(method, path, entry.view_function.route_doc.roles)
        for path, methods in sorted(app.routes.items())
        for method, entry in sorted(methods.items())
        if entry.view_function.route_doc.roles
    ]


# -- credentials and the customers they belong to ----------------------------------------------
class Kind(Enum):
    KEY = "api key"
    JWT = "jwt"
    PASSCODE = "passcode"


@dataclass(frozen=True)
class Credential:
    kind: Kind
    secret: str


@dataclass(frozen=True)
class Customer:
    customer_id: str
    email: str
    coupon: str  # a coupon the customer bought (a reward id)
    reward: str  # a reward issued to the customer with the campaign's passcode
    token: str  # the customer's own JWT

    @property
    def path_values(self) -> dict[str, str]:
        return {
            "customer": self.customer_id,
            "ref": self.customer_id,
            "email": self.email,
            "coupon": self.coupon,
            "reward": self.reward,
        }


# -- what a request reached: its AWS calls ----------------------------------------------------
@dataclass(frozen=True)
class Call:
    """One AWS call as the client was asked to make it."""

    service: str
    operation: str
    params: dict[str, Any]

    @property
    def looks_up_a_credential(self) -> bool:
        return (
            self.service == "dynamodb"
            and self.operation == "GetItem"
            and self.params.get("TableName") == CredentialModel.Meta.table_name
        )

    def reaches(self, victim: Callable[[str], bool]) -> bool:
        """Whether the call reads (or, outside DynamoDB, writes) anything of the victim's.

        DynamoDB writes are left to the table snapshot: one refused by its condition writes
        nothing. It may ask for the refused item back (ALL_OLD) to choose its error, as the
        bought-coupon usage does; the answer to a foreign caller is then a bare 404, which the
        matrix checks, and no separate read request is ever made.
        """
        if self.looks_up_a_credential or not any(victim(text) for text in strings(self.params)):
            return False
        return not (self.service == "dynamodb" and self.operation in DYNAMODB_WRITES)


DYNAMODB_WRITES = frozenset(
    {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}
)


@dataclass
class Calls:
    made: list[Call] = field(default_factory=list)

    def record(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        self.made.append(Call(model.service_model.service_name, model.name, params))


def strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from strings(item)


def of_store(store_code: str) -> Callable[[str], bool]:
    """Whether a key or value belongs to the store: `DEFAULT`, `DEFAULT#...`, `.../DEFAULT/...`."""
    return lambda text: store_code in re.split(r"[#/]", text)


def mentioning(*values: str) -> Callable[[str], bool]:
    return lambda text: any(value in text for value in values)


# -- requests -----------------------------------------------------------------------------------
def recipient(email: str, name: str = "Eve") -> dict[str, str]:
    return {
        "email": email,
        "firstname": name,
        "surname": "Lee",
        "address1": "1 High Street",
        "town": "Bath",
        "postcode": "BA1 1AA",
    }


def upload(kind: str) -> tuple[bytes, str]:
    """A multipart body with a PNG as `kind[file]`, and its content type."""
    return encode_multipart_formdata([(f"{kind}[file]", ("x.png", png(), "image/png"))])


@dataclass(frozen=True)
class Payload:
    query: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    content_type: str = "application/json"


def _json(body: Any) -> Payload:
    return Payload(body=json.dumps(body).encode())


CAMPAIGN = "/api/{storeCode}/campaign/{campaign}"
COUPON_USAGE = "/campaign/{campaign}/coupon/{coupon}"
SPEND_PATHS = ("/api/rewards", "/api/rewards.json", "/api/rewards.xml")


def payload(route: Route, owner: Customer) -> Payload:
    """A valid request naming the owner's data: a credential that got past the gate would
    reach the handler's lookups, not stop at a validation error. Other routes get `{}`."""
    spend = {"q": "spend", "customer_id": owner.customer_id, "amount": "1", "reference": "t-1"}
    bodies: dict[tuple[str, str], Any] = {
        ("POST", "/api/v1/points"): [{"amount": 10, "email": owner.email}],
        ("POST", "/api/v1/points/{csapikey}/INSTANT"): [{"amount": -5, "email": owner.email}],
        ("POST", "/jobs"): {
            "kind": "points.instant",
            "rows": [{"amount": -5, "email": owner.email}],
        },
        ("POST", "/recipients"): recipient(owner.email),
        ("PUT", "/recipients"): recipient(owner.email),
        ("PUT", "/recipients/{ref}"): recipient(owner.email),
        ("PATCH", "/recipients/{ref}"): {"town": "Elsewhere"},
        ("POST", "/recipients/{ref}"): {"_method": "PATCH", "town": "Elsewhere"},
        ("PUT", "/balances/{ref}"): {"balance": "-5"},
        ("POST", "/balances/{ref}"): {"_method": "PUT", "balance": "-5"},
        ("PUT", CAMPAIGN): {"campaign": CAMPAIGN_FORM},
        ("POST", CAMPAIGN + "/coupons"): {"coupons": ["MINE-1"]},
        ("PUT", "/api/{storeCode}/campaignCategory/{campaignCategory}"): {
            "campaign_category": {"name": "Mine"}
        },
        ("PUT", "/api/{storeCode}/level/{level}"): {"level": {"name": "Mine"}},
        ("PUT", "/api/{storeCode}/segment/{segment}"): {"segment": {"name": "Mine"}},
        ("POST", "/api/{storeCode}/segment/{segment}/customers"): {
            "customers": [owner.customer_id]
        },
        ("POST", "/api/{storeCode}/admin/customer/{customer}" + COUPON_USAGE): {"used": True},
        ("POST", "/api/{storeCode}/customer" + COUPON_USAGE): {"used": True},
        (
            "PUT",
            "/api/{storeCode}/admin/customer/{customer}/bought/coupon/{coupon}/changeDeliveryStatus",
        ): {"deliveryStatus": {"status": "shipped"}},
        ("POST", "/api/{storeCode}/admin/customer/{customer}/login"): {
            "customer": {"plainPassword": "s3cret-pass"}
        },
        ("POST", "/webhooks"): WEBHOOK,
        ("PUT", "/webhooks/{webhook_id}"): WEBHOOK,
    }
    # Alpha's `/api/v1/recipients...` and `/api/v1/balances...` are the bare routes' twins.
    alpha = route.path.startswith(("/api/v1/recipients", "/api/v1/balances"))
    path = route.path.removeprefix("/api/v1") if alpha else route.path
    if route.method == "POST" and route.path in SPEND_PATHS:
        return Payload(query=spend)
    if route.method == "POST" and route.path in (CAMPAIGN + "/photo", CAMPAIGN + "/brand_icon"):
        body, content_type = upload(route.path.rsplit("/", 1)[1])
        return Payload(body=body, content_type=content_type)
    if route.method == "GET":
        return Payload()
    return _json(bodies.get((route.method, path), {}))


WEBHOOK = {"url": "https://93.184.216.34/hooks", "events": ["points.spent"]}
# A whole campaign, as an update sends it.
CAMPAIGN_FORM = {
    "reward": "gift_code",
    "translations": {"en": {"name": "Mine"}},
    "coupons": ["MINE-1"],
    "active": True,
    "costInPoints": 5,
    "unlimited": True,
    "daysValid": 0,
    "daysInactive": 0,
    "campaignVisibility": {"allTimeVisible": True},
    "campaignActivity": {"allTimeActive": True},
}


# -- the world: the victim store's objects, and the credentials aimed at them ------------------
@dataclass(frozen=True)
class World:
    client: Any
    calls: Calls
    ids: dict[str, str]  # path parameter → an object of the victim store
    a: Customer
    b: Customer
    passcode: str  # the victim campaign's
    other_passcode: str  # the campaign of store OTHER's
    revoked_key: str
    sandbox_passcode: str  # the victim campaign's sandbox passcode

    def foreign(self, role: Role) -> Credential:
        """Store OTHER's credential of `role`."""
        if role is Role.STORE:
            return Credential(Kind.KEY, OTHER_API_KEY)
        if role is Role.ISSUER:
            return Credential(Kind.PASSCODE, self.other_passcode)
        return Credential(Kind.JWT, token_for(role, OTHER_STORE))


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.body
    return body_of(response)


def _customer(client: Any, name: str, campaign: str, passcode: str) -> Customer:
    email = f"{name}.tenancy@example.com"
    created = client.post("/recipients", headers=bearer(), body=json.dumps(recipient(email, name)))
    customer_id = _ok(created, 201)["id"]
    points = json.dumps([{"amount": 500, "email": email}])
    _ok(client.post(f"/api/v1/points/{API_KEY}/INSTANT", headers=bearer(), body=points))
    buy = f"/api/{STORE}/admin/customer/{customer_id}/campaign/{campaign}/buy"
    [coupon] = _ok(client.post(buy, headers=jwt_headers(token_for(Role.ADMIN)), body="{}"))[
        "coupons"
    ]
    issued = client.post(
        f"/api/reward_url/{campaign}",
        headers={"X-Passcode": passcode, "Content-Type": "application/json"},
        body=json.dumps({"email": email, "first_name": name, "last_name": "Lee"}),
    )
    token = token_for(Role.CUSTOMER, STORE, subject=customer_id)
    return Customer(customer_id, email, coupon["id"], _ok(issued, 201)["rewardId"], token)


def _upload(client: Any, path: str, kind: str, headers: dict[str, str]) -> Any:
    body, content_type = upload(kind)
    return client.post(path, body=body, headers={**headers, "Content-Type": content_type})


def _revoked_key() -> str:
    """A key of the victim store made and revoked with the operator commands."""
    with contextlib.redirect_stdout(io.StringIO()) as out:
        assert cli.main(["create-api-key", STORE, "--label", "leaver"]) == 0
    printed = dict(line.split(": ", 1) for line in out.getvalue().splitlines())
    with contextlib.redirect_stdout(io.StringIO()):
        assert cli.main(["revoke-api-key", STORE, printed["key id"]]) == 0
    return printed["api key (shown once)"]


def build_world(client: Any, calls: Calls) -> World:
    for code, key in ((STORE, API_KEY), (OTHER_STORE, OTHER_API_KEY)):
        stores.create_store(code, country_code="gb")
        auth.create_api_key(code, key=key)
    admin = jwt_headers(token_for(Role.ADMIN))
    form = {**admin, "Content-Type": FORM}
    api = f"/api/{STORE}"

    campaign = make_campaign(codes=[f"TENANCY-{n}" for n in range(4)], cost_in_points=10)
    campaign_path = f"{api}/campaign/{campaign.campaign_id}"
    passcode = _ok(client.post(f"{campaign_path}/passcode", headers=admin))["passcode"]
    photo = _ok(_upload(client, f"{campaign_path}/photo", "photo", admin))["photoId"]
    _ok(_upload(client, f"{campaign_path}/brand_icon", "brand_icon", admin), 204)
    category = _ok(
        client.post(
            f"{api}/campaignCategory",
            headers=form,
            body=urlencode({"campaign_category[name]": "Food", "campaign_category[active]": "1"}),
        )
    )["campaignCategoryId"]
    level = _ok(
        client.post(
            f"{api}/level",
            headers=form,
            body=urlencode({"level[name]": "Gold", "level[conditionValue]": "0"}),
        )
    )["id"]
    segment = _ok(
        client.post(f"{api}/segment", headers=form, body=urlencode({"segment[name]": "Fans"}))
    )["segmentId"]
    customer_type = _ok(
        client.post(
            f"{api}/customerType",
            headers=admin,
            body=json.dumps({"name": "Gold", "pointToAmountRatio": 100}),
        ),
        201,
    )["customerTypeId"]
    # A sandbox reward of the victim campaign (`/api/sandbox_email/...`), made
    # while coupons are left (it takes none).
    sandbox = _ok(client.post(f"{campaign_path}/sandbox_passcode", headers=admin))["passcode"]
    sandboxed = client.post(
        f"/api/reward/{campaign.campaign_id}",
        headers={"X-Passcode": sandbox, "Content-Type": "application/json"},
        body=json.dumps({"email": "sandbox@example.com", "first_name": "S", "last_name": "B"}),
    )
    a, b = (_customer(client, name, campaign.campaign_id, passcode) for name in ("ann", "bob"))
    for member in (a, b):
        members = urlencode({"customers[]": member.customer_id})
        _ok(client.post(f"{api}/segment/{segment}/customers", headers=form, body=members))
        member_path = f"{api}/customerType/{customer_type}/customers/{member.customer_id}"
        _ok(client.put(member_path, headers=admin), 200)

    job = _ok(
        client.post(
            "/jobs",
            headers=admin,
            body=json.dumps({"kind": "points.instant", "rows": [{"amount": 1, "email": a.email}]}),
        ),
        201,
    )["id"]
    other_campaign = make_campaign(OTHER_STORE).campaign_id
    other_admin = jwt_headers(token_for(Role.ADMIN, OTHER_STORE))
    other_passcode = _ok(
        client.post(f"/api/{OTHER_STORE}/campaign/{other_campaign}/passcode", headers=other_admin)
    )["passcode"]
    now = datetime.now(UTC)
    ids = {
        "campaign": campaign.campaign_id,
        "campaign_id": campaign.campaign_id,
        "photoId": photo,
        "campaignCategory": category,
        "level": level,
        "segment": segment,
        "customerType": customer_type,
        "job_id": job,
        "month": str(now.month),
        "year": str(now.year),
        "reward_id": _ok(sandboxed, 201)["rewardId"],
        "event_id": event_log.list_events(STORE, {"limit": "1"}).events[0].id,
        "webhook_id": webhooks.create(STORE, WEBHOOK)[0].id,
    }
    return World(client, calls, ids, a, b, passcode, other_passcode, _revoked_key(), sandbox)


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
