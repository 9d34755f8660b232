"""The Open Loyalty access matrix (chalicelib/api/openloyalty/access.py): every route takes its
roles from
the one table, the OpenAPI document shows them, and every route answers every role as the
table says: admin, seller, customer, the store's API key and anonymous (no credential).

A role the table allows is never refused at the gate (no 401, no 403), whatever the request
goes on to answer (a 4xx for its empty body, a 404 for an id it does not name); a role it does
not allow is 403 (401 without a credential), before anything else. Every request names real
objects of the store (a campaign offered to the customer, their bought coupon, a level, ...),
so a refusal is never just a 404.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest

from app import app
from chalicelib.api.openapi import document
from chalicelib.api.openloyalty.access import ACCESS, PUBLIC
from chalicelib.domain.access.auth import Role
from chalicelib.domain.catalog import targeting
from tests.fixtures.bought import buy, new_customer
from tests.fixtures.clients import API_KEY, STORE, bearer, body_of, jwt_headers, token_for
from tests.fixtures.factories import make_campaign

ANONYMOUS = "anonymous"
CALLERS = (ANONYMOUS, Role.CUSTOMER, Role.SELLER, Role.STORE, Role.ADMIN)
# The payout provider's callback is public but proves itself by a signature; an empty request
# has none, so its own answer (not the gate's) is a refusal.
SIGNED = {("POST", "/api/{storeCode}/campaign/cashback/callback/{provider}")}


def _face_has_table(path: str, method: str) -> bool:
    return app.routes[path][method].view_function.route_doc.routes.access is not None


def test_every_open_loyalty_route_takes_its_roles_from_the_table() -> None:
    from_table = {
        (method, path)
        for path, methods in app.routes.items()
        for method in methods
        if _face_has_table(path, method)
    }

    assert from_table == set(ACCESS)
    for method, path in ACCESS:
        declared = app.routes[path][method].view_function.route_doc.roles
        assert declared == ACCESS[(method, path)], (method, path)


def test_the_openapi_document_shows_the_matrix() -> None:
    paths = document(app)["paths"]
    for (method, path), roles in ACCESS.items():
        operation = paths[path][method.lower()]
        if roles is PUBLIC:
            assert operation["security"] == [] and "x-roles" not in operation, path
        else:
            assert operation["x-roles"] == [role.value for role in roles], path
            assert operation["security"], path


@dataclass(frozen=True)
class World:
    ids: dict[str, str]
    customer_id: str
    hidden_campaign: str  # a campaign not offered to the customer


@pytest.fixture
def world(client: Any) -> World:
    customer = new_customer(email="ann@example.com", points=1000)
    campaign = make_campaign(codes=["A-1", "A-2", "A-3"], public=True)
    coupon = buy(campaign, customer)
    level = targeting.create_level(STORE, targeting.LevelInput.of(name="Gold"))
    segment = targeting.create_segment(STORE, targeting.SegmentInput.of(name="VIP"))
    category = targeting.create_category(STORE, targeting.CategoryInput.of(name="Food"))
    hidden = make_campaign(target="level", levels=[level.level_id])
    ids = {
        "storeCode": STORE,
        "campaign": campaign.campaign_id,
        "customer": customer.customer_id,
        "coupon": coupon.reward_id,
        "level": level.level_id,
        "segment": segment.segment_id,
        "campaignCategory": category.category_id,
        "photoId": "no-such-photo",
        "provider": "paytm",
    }
    return World(ids, customer.customer_id, hidden.campaign_id)


def headers_of(caller: Any, world: World) -> dict[str, str]:
    if caller == ANONYMOUS:
        return {"Content-Type": "application/json"}
    if caller is Role.STORE:
        return bearer(API_KEY)
    subject = world.customer_id if caller is Role.CUSTOMER else None
    return jwt_headers(token_for(caller, subject=subject))


def allows(roles: Any, caller: Any) -> bool:
    return roles is PUBLIC or caller in roles


@pytest.mark.parametrize(
    ("method", "path"), sorted(ACCESS, key=lambda row: (row[1], row[0])), ids="{0[1]}".format
)
def test_every_role_gets_what_the_table_says(
    client: Any, world: World, method: str, path: str
) -> None:
    roles = ACCESS[(method, path)]
    url = re.sub(r"{(\w+)}", lambda match: world.ids[match.group(1)], path)
    for caller in CALLERS:  # refused callers first: an allowed one may change things
        response = client.request(method, url, headers=headers_of(caller, world), body=b"{}")
        status = response.status_code
        assert status < 500, (caller, response.body)
        if not allows(roles, caller):
            assert status == (401 if caller == ANONYMOUS else 403), (caller, response.body)
        elif (method, path) not in SIGNED:
            assert status not in (401, 403), (caller, response.body)


def test_customers_read_only_campaigns_offered_to_them(client: Any, world: World) -> None:
    customer = headers_of(Role.CUSTOMER, world)
    offered = f"/api/{STORE}/campaign/{world.ids['campaign']}"
    hidden = f"/api/{STORE}/campaign/{world.hidden_campaign}"

    seen = client.get(offered, headers=customer)
    refused = client.get(hidden, headers=customer)

    assert seen.status_code == 200
    assert "coupons" not in body_of(seen)  # not the admin's view
    assert (refused.status_code, body_of(refused)["code"]) == (403, "campaign_not_offered")
    for caller in (Role.SELLER, Role.ADMIN):
        assert client.get(hidden, headers=headers_of(caller, world)).status_code == 200
    missing = client.get(f"/api/{STORE}/campaign/no-such-campaign", headers=customer)
    assert missing.status_code == 404


# Open Loyalty 3.2's own access tests (CampaignControllerAccessTest,
# CustomerCampaignsControllerAccessTest), as HTTP cases: (method, path, who is refused).
OPEN_LOYALTY_RULES = [
    ("GET", "/campaign", (Role.CUSTOMER, Role.SELLER)),
    ("POST", "/campaign", (Role.CUSTOMER, Role.SELLER)),
    ("PUT", "/campaign/{campaign}", (Role.CUSTOMER, Role.SELLER)),
    ("GET", "/campaign/{campaign}/customers/visible", (Role.CUSTOMER, Role.SELLER)),
    ("GET", "/customer/campaign/available", (Role.SELLER, Role.ADMIN)),
    ("GET", "/customer/campaign/bought", (Role.SELLER, Role.ADMIN)),
    ("POST", "/customer/campaign/{campaign}/buy", (Role.SELLER, Role.ADMIN)),
]


@pytest.mark.parametrize(("method", "path", "refused"), OPEN_LOYALTY_RULES, ids=str)
def test_open_loyaltys_own_access_rules(
    client: Any, world: World, method: str, path: str, refused: tuple[Role, ...]
) -> None:
    url = f"/api/{STORE}" + path.replace("{campaign}", world.ids["campaign"])
    for caller in (Role.ADMIN, Role.SELLER, Role.CUSTOMER):
        response = client.request(method, url, headers=headers_of(caller, world), body=b"{}")
        if caller in refused:
            assert response.status_code == 403, (caller, response.body)
        else:
            assert response.status_code not in (401, 403), (caller, response.body)
