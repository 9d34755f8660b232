"""Logins over HTTP: an admin registers sellers, an admin or seller registers customers (with a
login or not), and an admin gives an existing customer a login; each then logs in."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import pytest

from chalicelib.domain.access.auth import Role
from chalicelib.domain.customers import recipients, records
from tests.fixtures.clients import OTHER_STORE, STORE, body_of, jwt_headers, token_for
from tests.fixtures.factories import RECIPIENT

FORM = "application/x-www-form-urlencoded"
PASSWORD = "s3cret-pass"
SELLER = {
    "seller[firstName]": "John",
    "seller[lastName]": "Travolta",
    "seller[email]": "john@travolta.com",
    "seller[phone]": "999888777",
    "seller[posId]": "00000000-0000-474c-1111-b0dd880c07e3",
    "seller[active]": "1",
    "seller[plainPassword]": PASSWORD,
}
CUSTOMER = {
    "customer[firstName]": "John",
    "customer[lastName]": "Kowalski",
    "customer[email]": "john4@example.com",
    "customer[plainPassword]": PASSWORD,
}


def as_role(role: Role, store_code: str = STORE, content_type: str = FORM) -> dict[str, str]:
    return jwt_headers(token_for(role, store_code), **{"Content-Type": content_type})


def post(client: Any, path: str, fields: dict[str, str], role: Role = Role.ADMIN) -> Any:
    return client.post(f"/api/{STORE}{path}", headers=as_role(role), body=urlencode(fields))


def login(client: Any, role: Role, username: str, password: str = PASSWORD) -> Any:
    body = json.dumps({"username": username, "password": password})
    headers = {"Content-Type": "application/json"}
    return client.post(f"/api/{role.value}/login_check", headers=headers, body=body)


def form_errors(response: Any, field: str) -> list[str]:
    return body_of(response)["form"]["children"][field]["errors"]


def test_an_admin_registers_a_seller_who_can_log_in(client: Any) -> None:
    registered = post(client, "/seller/register", SELLER)

    assert registered.status_code == 200, registered.body
    answer = body_of(registered)
    assert answer == {"sellerId": answer["sellerId"], "email": "john@travolta.com"}
    assert PASSWORD not in registered.body.decode()
    logged_in = login(client, Role.SELLER, "john@travolta.com")
    assert logged_in.status_code == 200, logged_in.body
    campaigns = client.get(
        f"/api/{STORE}/seller/campaign", headers=jwt_headers(body_of(logged_in)["token"])
    )
    assert campaigns.status_code == 200


def test_an_inactive_seller_cannot_log_in(client: Any) -> None:
    assert post(client, "/seller/register", {**SELLER, "seller[active]": "0"}).status_code == 200

    assert login(client, Role.SELLER, "john@travolta.com").status_code == 401


def test_a_seller_registered_twice_is_a_400_on_the_email(client: Any) -> None:
    assert post(client, "/seller/register", SELLER).status_code == 200

    again = post(client, "/seller/register", {**SELLER, "seller[plainPassword]": "other-pass"})

    assert again.status_code == 400
    assert form_errors(again, "email") == ["This email is already taken."]
    assert login(client, Role.SELLER, "john@travolta.com").status_code == 200  # unchanged


@pytest.mark.parametrize("role", [Role.SELLER, Role.CUSTOMER])
def test_only_an_admin_registers_sellers(client: Any, role: Role) -> None:
    refused = post(client, "/seller/register", SELLER, role=role)

    assert refused.status_code == 403
    assert login(client, Role.SELLER, "john@travolta.com").status_code == 401


def test_a_seller_form_names_each_bad_field(client: Any) -> None:
    fields = {**SELLER, "seller[email]": "not-an-email", "seller[plainPassword]": "abc"}
    del fields["seller[firstName]"]

    refused = post(client, "/seller/register", fields)

    assert refused.status_code == 400
    assert form_errors(refused, "email")
    assert form_errors(refused, "plainPassword")
    assert form_errors(refused, "firstName") == ["The firstName field is required."]


@pytest.mark.parametrize("role", [Role.ADMIN, Role.SELLER])
def test_a_customer_registered_with_a_password_can_log_in(client: Any, role: Role) -> None:
    registered = post(client, "/customer/register", CUSTOMER, role=role)

    assert registered.status_code == 200, registered.body
    answer = body_of(registered)
    assert answer["email"] == "john4@example.com"
    customer = records.get_customer(STORE, answer["customerId"])
    assert (customer.firstname, customer.surname) == ("John", "Kowalski")
    logged_in = login(client, Role.CUSTOMER, "john4@example.com")
    assert logged_in.status_code == 200, logged_in.body
    own = client.get(
        f"/api/{STORE}/customer/campaign/available",
        headers=jwt_headers(body_of(logged_in)["token"]),
    )
    assert own.status_code == 200  # the token is the new customer's


def test_a_customer_registered_without_a_password_has_no_login(client: Any) -> None:
    fields = {k: v for k, v in CUSTOMER.items() if "plainPassword" not in k}

    registered = post(client, "/customer/register", fields)

    assert registered.status_code == 200, registered.body
    assert login(client, Role.CUSTOMER, "john4@example.com").status_code == 401


def test_a_taken_customer_email_is_a_400_and_writes_nothing(client: Any) -> None:
    existing = recipients.create_recipient(STORE, {**RECIPIENT, "email": "john4@example.com"})
    before = records.customers_count(STORE)

    refused = post(client, "/customer/register", CUSTOMER)

    assert refused.status_code == 400
    assert form_errors(refused, "email") == ["This email is already taken."]
    assert records.customers_count(STORE) == before
    assert login(client, Role.CUSTOMER, "john4@example.com").status_code == 401
    assert records.find_by_email(STORE, "john4@example.com").customer_id == existing.customer_id


def test_a_customer_may_not_register_customers(client: Any) -> None:
    assert post(client, "/customer/register", CUSTOMER, role=Role.CUSTOMER).status_code == 403


def test_a_customer_form_names_each_bad_field(client: Any) -> None:
    refused = post(client, "/customer/register", {"customer[email]": "x@example.com"})

    assert refused.status_code == 400
    assert set(body_of(refused)["form"]["children"]) == {"firstName", "lastName"}


def test_an_admin_gives_an_existing_customer_a_login_and_a_new_password(client: Any) -> None:
    customer_id = recipients.create_recipient(STORE, RECIPIENT).customer_id
    path = f"/admin/customer/{customer_id}/login"

    given = post(client, path, {"customer[plainPassword]": PASSWORD})
    assert given.status_code == 200, given.body
    assert body_of(given) == {"customerId": customer_id, "email": RECIPIENT["email"]}
    assert login(client, Role.CUSTOMER, RECIPIENT["email"]).status_code == 200

    assert post(client, path, {"customer[plainPassword]": "newer-pass"}).status_code == 200
    assert login(client, Role.CUSTOMER, RECIPIENT["email"]).status_code == 401
    renewed = login(client, Role.CUSTOMER, RECIPIENT["email"], "newer-pass")
    assert renewed.status_code == 200


@pytest.mark.parametrize("role", [Role.SELLER, Role.CUSTOMER])
def test_only_an_admin_gives_a_customer_a_login(client: Any, role: Role) -> None:
    customer_id = recipients.create_recipient(STORE, RECIPIENT).customer_id

    refused = post(
        client, f"/admin/customer/{customer_id}/login", {"plainPassword": PASSWORD}, role=role
    )

    assert refused.status_code == 403
    assert login(client, Role.CUSTOMER, RECIPIENT["email"]).status_code == 401


def test_a_login_for_an_unknown_or_another_stores_customer_is_a_404(client: Any) -> None:
    other = recipients.create_recipient(OTHER_STORE, RECIPIENT).customer_id

    for customer_id in ("nobody", other):
        refused = post(client, f"/admin/customer/{customer_id}/login", {"plainPassword": PASSWORD})
        assert refused.status_code == 404, refused.body


def test_a_short_password_is_a_400(client: Any) -> None:
    customer_id = recipients.create_recipient(STORE, RECIPIENT).customer_id

    refused = post(client, f"/admin/customer/{customer_id}/login", {"plainPassword": "abc"})

    assert refused.status_code == 400
    assert form_errors(refused, "plainPassword")
