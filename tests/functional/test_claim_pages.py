"""The claim link's page: HTML for every answer, a form that claims, and escaped output."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest

from chalicelib.domain.access import stores
from chalicelib.domain.customers import records
from chalicelib.domain.points import claims
from chalicelib.storage.claims import CLAIMED, PENDING, ClaimModel
from chalicelib.storage.customers import CustomerModel
from tests.fixtures.clients import STORE
from tests.fixtures.factories import make_customer_type
from tests.fixtures.points import make_claim

HTML = "text/html; charset=utf-8"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def page(client: Any, token: str) -> Any:
    return client.get(f"/claim/points/{token.replace('-', '')}")


def submit(client: Any, token: str, **fields: str) -> Any:
    return client.post(
        f"/claim/points/{token.replace('-', '')}", headers=FORM, body=urlencode(fields)
    )


def text_of(response: Any) -> str:
    assert response.headers["Content-Type"] == HTML
    return response.body.decode("utf-8")


def test_the_page_shows_amount_expiry_and_an_open_form(client: Any) -> None:
    token = make_claim(expires=0, now=datetime(2099, 3, 4, 12, tzinfo=UTC))

    response = page(client, token)

    assert response.status_code == 200
    html = text_of(response)
    assert "400 points" in html
    assert "Claim them by the end of 4 March 2099 (UTC)." in html
    assert "Anyone with this link can claim them." in html
    assert '<form method="post">' in html
    assert 'name="email"' in html and "required" in html


def test_a_bound_claim_shows_the_masked_email_readonly(client: Any) -> None:
    token = make_claim(email="test011@atest.com")

    html = text_of(page(client, token))

    assert "They can be claimed by t***@atest.com only." in html
    assert 'value="t***@atest.com" readonly' in html
    assert 'name="email"' not in html  # display only: the server credits the bound address
    assert "test011" not in html


def test_a_claim_without_expiry_says_it_never_expires(client: Any) -> None:
    token = make_claim()
    claims.get_claim(token).update(
        actions=[ClaimModel.expires_at.remove(), ClaimModel.pending_expires_at.remove()]
    )
    assert "These points never expire." in text_of(page(client, token))


def test_the_token_may_have_dashes_and_any_case(client: Any) -> None:
    token = make_claim()
    assert client.get(f"/claim/points/{token.upper()}").status_code == 200


def test_submitting_the_form_claims_the_points(client: Any) -> None:
    make_customer_type("Internal")
    token = make_claim(customerType="Internal")

    response = submit(client, token, email="Fresh@Example.com")

    assert response.status_code == 200
    html = text_of(response)
    assert "+400 points" in html
    assert "Your balance is now 400 points." in html
    customer = records.find_by_email(STORE, "fresh@example.com")
    assert (customer.points_available, customer.customer_type_id) == (400, "Internal")
    assert claims.get_claim(token).status == CLAIMED


def test_a_bound_claim_is_claimed_for_its_email_without_typing_it(client: Any) -> None:
    token = make_claim(email="bound@example.com")

    response = submit(client, token)

    assert response.status_code == 200
    assert "bound@example.com" in text_of(response)
    assert records.find_by_email(STORE, "bound@example.com").points_available == 400


def test_a_claimed_token_is_a_409_page(client: Any) -> None:
    token = make_claim()
    submit(client, token, email="first@example.com")

    for response in (submit(client, token, email="second@example.com"), page(client, token)):
        assert response.status_code == 409
        html = text_of(response)
        assert "<h1>Already claimed</h1>" in html
        assert "These points have already been claimed." in html


def test_an_expired_claim_is_a_410_page_even_before_the_job_ran(client: Any) -> None:
    token = make_claim(expires=0, now=datetime.now(UTC) - timedelta(days=1))

    for response in (page(client, token), submit(client, token, email="late@example.com")):
        assert response.status_code == 410
        assert "<h1>This claim has expired</h1>" in text_of(response)
    assert claims.get_claim(token).status == PENDING
    assert records.find_by_email(STORE, "late@example.com") is None


@pytest.mark.parametrize("token", ["6037d53f408843a28ab6b5cdcd6de290", "nope", "x" * 32])
def test_an_unknown_token_is_a_404_page(client: Any, token: str) -> None:
    for response in (page(client, token), submit(client, token, email="a@example.com")):
        assert response.status_code == 404
        assert "<h1>Claim not found</h1>" in text_of(response)


def test_another_email_than_the_bound_one_is_a_403_page(client: Any) -> None:
    token = make_claim(email="bound@example.com")

    response = submit(client, token, email="other@example.com")

    assert response.status_code == 403
    assert "<h1>Not your claim</h1>" in text_of(response)
    assert claims.get_claim(token).status == PENDING


def test_a_bad_email_shows_the_form_again_with_the_error_escaped(client: Any) -> None:
    token = make_claim()

    response = submit(client, token, email='"><script>alert(1)</script>')

    assert response.status_code == 422
    html = text_of(response)
    assert "The email must be a valid email address." in html
    assert "<script>" not in html
    assert 'value="&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in html
    assert '<form method="post">' in html


def test_a_missing_email_on_an_open_claim_is_422(client: Any) -> None:
    token = make_claim()
    response = submit(client, token)
    assert response.status_code == 422
    assert "The email field is required." in text_of(response)


def test_a_hostile_store_name_and_customer_type_never_reach_the_page_raw(client: Any) -> None:
    stores.create_store("EVIL", name="<script>alert('store')</script>", country_code="gb")
    make_customer_type("<script>alert('type')</script>", "EVIL")
    token = make_claim("EVIL", customerType="<script>alert('type')</script>")

    html = text_of(page(client, token))

    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#39;store&#39;)&lt;/script&gt;" in html

    response = submit(client, token, email="victim@example.com")
    assert "<script>" not in text_of(response)
    [customer] = CustomerModel.query("EVIL")
    assert customer.customer_type_id == "<script>alert('type')</script>"  # stored as given
