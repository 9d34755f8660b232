"""Bad input the generated cases do not reach, on every face where it applies.

Huge bodies, deep nesting, bytes that are not UTF-8, markup in names, unicode emails, points
that are not whole numbers, impossible months: each is a clear 4xx in the face's own error
shape (JSON, Open Loyalty's, Imonggo's XML) and nothing is written; markup is shown as text on
the pages and in the emails.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode
from xml.etree import ElementTree

import pytest

from chalicelib.api.request import MAX_BODY_BYTES, MAX_JSON_DEPTH
from chalicelib.domain.access import auth
from chalicelib.domain.access.auth import Role
from chalicelib.domain.access.stores import get_store
from chalicelib.domain.rewards.email_content import render_reward_email
from chalicelib.storage.campaigns import CampaignModel
from chalicelib.storage.claims import PENDING, ClaimModel
from chalicelib.storage.rewards import RewardModel
from tests.fixtures.aws import AwsCalls
from tests.fixtures.bad_input import (
    JSON,
    Error,
    Issuing,
    json_error,
    open_loyalty_error,
    writes,
    xml_error,
)
from tests.fixtures.clients import API_KEY, STORE, bearer, body_of, jwt_headers, token_for
from tests.fixtures.factories import make_campaign
from tests.fixtures.imonggo import basic
from tests.fixtures.points import make_claim

FORM = "application/x-www-form-urlencoded"
HTML = "text/html; charset=utf-8"
MB = 1024 * 1024
# Over Lambda's synchronous payload limit, and over API Gateway's.
OVER_LIMITS = [pytest.param(6 * MB + 1, id="6MB+1"), pytest.param(10 * MB + 1, id="10MB+1")]
TOO_LARGE = f"A request body may be at most {MAX_BODY_BYTES // MB} MB."
MARKUP = "<script>alert('x')</script> ]]> & <b>"


def mokugift_error(response: Any) -> Error:
    """Mokugift's original contract (a form body) answers `<result>` with `<error>`; JSON
    bodies get the JSON error."""
    if response.headers["Content-Type"] == JSON:
        return json_error(response)
    assert response.headers["Content-Type"] == "application/xml; charset=utf-8"
    root = ElementTree.fromstring(response.body)
    assert (root.tag, root.findtext("status")) == ("result", "Failed")
    assert root.findtext("error/code") == "113"  # invalid parameters
    return Error(response.status_code, None, [str(root.findtext("error/description"))], {})


@dataclass(frozen=True)
class Face:
    """A route taking a body, its credential, and how its errors are read."""

    name: str
    path: Callable[[Issuing], str]
    headers: Callable[[Issuing], dict[str, str]]
    error: Callable[[Any], Error]

    def post(self, client: Any, issuing: Issuing, body: bytes | str, kind: str) -> Error:
        headers = {**self.headers(issuing), "Content-Type": kind}
        response = client.post(self.path(issuing), body=body, headers=headers)
        return self.error(response)


FACES = [
    Face("recipients", lambda _: "/recipients", lambda _: bearer(), json_error),
    Face(
        "coggins",
        lambda _: f"/api/v1/points/{API_KEY}/INSTANT",
        lambda _: {},
        json_error,
    ),
    Face(
        "open loyalty",
        lambda _: f"/api/{STORE}/admin/campaign/cashback/redeem",
        lambda _: jwt_headers(token_for(Role.ADMIN)),
        open_loyalty_error,
    ),
    Face(
        "mokugift",
        lambda issuing: f"/api/reward/{issuing.campaign.campaign_id}",
        lambda issuing: issuing.headers,
        mokugift_error,
    ),
    Face("imonggo", lambda _: "/api/rewards.xml", lambda _: basic(), xml_error),
]


def refused_everywhere(
    aws_calls: AwsCalls, client: Any, issuing: Issuing, body: bytes | str, kind: str
) -> dict[str, Error]:
    """Each face's answer to the same body, and that none of them wrote anything."""
    answers = {}
    for face in FACES:
        aws_calls.reset()
        answers[face.name] = face.post(client, issuing, body, kind)
        assert writes(aws_calls) == [], face.name
    return answers


@pytest.fixture
def issuing(store: str) -> Issuing:
    campaign = make_campaign(codes=[f"CODE-{n}" for n in range(3)])
    return Issuing(campaign, auth.set_passcode(STORE, campaign.campaign_id))


# -- huge bodies ---------------------------------------------------------------------------
@pytest.mark.parametrize("size", OVER_LIMITS)
def test_a_body_over_the_payload_limits_is_413_in_each_faces_shape(
    aws_calls: AwsCalls, client: Any, issuing: Issuing, size: int
) -> None:
    body = "q=spend&customer_id=1&amount=1&padding=" + "x" * size

    for face, error in refused_everywhere(aws_calls, client, issuing, body, FORM).items():
        assert (error.status, error.messages) == (413, [TOO_LARGE]), face
        assert error.code in (None, "payload_too_large"), face


def test_a_body_over_the_limit_is_413_even_where_the_route_never_reads_it(
    aws_calls: AwsCalls, client: Any, store: str
) -> None:
    customer = client.post(
        f"/api/v1/points/{API_KEY}/INSTANT",
        body=json.dumps([{"amount": 50, "email": "a@example.com"}]),
        headers={"Content-Type": JSON},
    )
    customer_id = body_of(client.get("/recipients/a%40example.com", headers=bearer()))["id"]
    assert customer.status_code == 200
    body = "x" * (6 * MB + 1)
    aws_calls.reset()

    # Every parameter in the query: the spend never looks at the body.
    query = urlencode({"q": "spend", "customer_id": customer_id, "amount": "1", "reference": "R"})
    spend = client.post(
        f"/api/rewards.xml?{query}", body=body, headers={**basic(), "Content-Type": FORM}
    )
    listing = client.get("/recipients", body=body, headers=bearer())

    assert (spend.status_code, listing.status_code) == (413, 413)
    assert xml_error(spend).messages == [TOO_LARGE]
    assert json_error(listing).code == "payload_too_large"
    assert writes(aws_calls) == []


def test_an_upload_over_the_file_limit_is_413_before_it_is_parsed(
    aws_calls: AwsCalls, client: Any, issuing: Issuing
) -> None:
    boundary = "b0undary"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="photo[file]"; filename="a.png"\r\n'
        f"Content-Type: image/png\r\n\r\n".encode()
        + b"\x89PNG" * (10 * MB // 4 + 1)
        + f"\r\n--{boundary}--\r\n".encode()
    )
    aws_calls.reset()

    response = client.post(
        f"/api/{STORE}/campaign/{issuing.campaign.campaign_id}/photo",
        body=body,
        headers={
            **jwt_headers(token_for(Role.ADMIN)),
            "Content-Type": f"multipart/form-data; boundary={boundary}",
        },
    )

    error = open_loyalty_error(response)
    assert (error.status, error.code) == (413, "payload_too_large")
    assert writes(aws_calls) == []


# -- nesting -------------------------------------------------------------------------------
def test_form_keys_nested_a_thousand_deep_are_400_in_each_faces_shape(
    aws_calls: AwsCalls, client: Any, issuing: Issuing
) -> None:
    body = "q=spend&" + quote("a" + "[b]" * 1000, safe="") + "=1"

    for face, error in refused_everywhere(aws_calls, client, issuing, body, FORM).items():
        assert error.status == 400, face
        assert error.messages[0].startswith("Form key nested deeper than 8"), face
        assert error.code in (None, "malformed_request"), face


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 200_000])
def test_json_nested_deeper_than_any_request_needs_is_400_in_each_faces_shape(
    aws_calls: AwsCalls, client: Any, issuing: Issuing, depth: int
) -> None:
    body = '{"q": "spend", "deep": ' + "[" * depth + "]" * depth + "}"
    message = (
        f"The request body is not valid JSON: it is nested deeper than {MAX_JSON_DEPTH} levels."
    )

    for face, error in refused_everywhere(aws_calls, client, issuing, body, JSON).items():
        assert (error.status, error.messages) == (400, [message]), face
        assert error.code in (None, "malformed_json"), face


def test_json_as_deep_as_allowed_still_parses(client: Any) -> None:
    # The items' list, an item, and lists in its amount: exactly MAX_JSON_DEPTH levels.
    deep = "[" * (MAX_JSON_DEPTH - 2) + "]" * (MAX_JSON_DEPTH - 2)
    response = client.post(
        f"/api/v1/points/{API_KEY}/INSTANT",
        body=f'[{{"amount": {deep}, "email": "a@example.com"}}]',
        headers={"Content-Type": JSON},
    )
    assert response.status_code == 200
    [item] = body_of(response)
    assert item["applied"] is False
    assert item["error"]["errors"] == {"amount": ["The amount must be an integer."]}


# -- bytes that are not UTF-8 ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("body", "kind", "message"),
    [
        (
            b'{"q": "spend", "email": "\xff@example.com"}',
            JSON,
            "The request body is not valid UTF-8.",
        ),
        (b"q=spend&email=\xff%40example.com", FORM, "The request body is not valid UTF-8."),
        (
            b"q=spend&email=%FF%40example.com",
            FORM,
            "The form's percent-escapes are not valid UTF-8.",
        ),
    ],
    ids=["json", "form-raw", "form-escaped"],
)
def test_bodies_that_are_not_utf8_are_400_in_each_faces_shape(
    aws_calls: AwsCalls, client: Any, issuing: Issuing, body: bytes, kind: str, message: str
) -> None:
    for face, error in refused_everywhere(aws_calls, client, issuing, body, kind).items():
        assert (error.status, error.messages) == (400, [message]), face
        assert error.code in (None, "malformed_request"), face


def test_query_and_path_values_that_are_not_utf8_are_a_clear_4xx(
    aws_calls: AwsCalls, client: Any, issuing: Issuing
) -> None:
    aws_calls.reset()
    admin = jwt_headers(token_for(Role.ADMIN))

    lookup = client.get(f"/api/v1/points/{API_KEY}/email/%FF%FE/Full")
    history = client.get(
        f"/api/{STORE}/admin/customer/someone/points/history?per_page=%FF", headers=admin
    )
    rewards = client.get(
        f"/api/all_rewards/{issuing.campaign.campaign_id}?limit=%FF",
        headers=bearer(Accept=JSON),  # the JSON contract (no Accept: the original's XML)
    )

    assert (lookup.status_code, json_error(lookup).code) == (404, "customer_not_found")
    assert (history.status_code, json_error(history).code) == (422, "validation_failed")
    assert json_error(history).fields == {"per_page": ["The per page must be an integer."]}
    assert (rewards.status_code, json_error(rewards).code) == (422, "validation_failed")
    assert list(json_error(rewards).fields) == ["limit"]
    assert writes(aws_calls) == []


# -- markup in names -------------------------------------------------------------------------
def test_markup_in_a_recipients_names_is_text_on_the_page_and_in_the_email(
    client: Any, issuing: Issuing
) -> None:
    campaign = issuing.campaign
    recipient = {
        "email": "wallace@example.com",
        "first_name": MARKUP,
        "last_name": "W & G ]]>",
        "sender_name": "<b>Gromit</b>",
        "message": "<img src=x onerror=alert(1)> & ]]>",
    }
    response = client.post(
        f"/api/reward_url/{campaign.campaign_id}",
        body=json.dumps(recipient),
        headers={**issuing.headers, "Content-Type": JSON},
    )
    assert response.status_code == 201, response.body
    issued = body_of(response)
    assert issued["firstName"] == MARKUP  # kept as given: escaping is the renderer's job

    page = client.get(issued["url"].removeprefix("https://rewards.test"))
    assert page.status_code == 200 and page.headers["Content-Type"] == HTML
    reward = RewardModel.get(STORE, issued["rewardId"])
    email = render_reward_email(
        reward, CampaignModel.get(STORE, campaign.campaign_id), get_store(STORE)
    )
    for html in (page.body.decode(), email.html):
        assert "<script>" not in html and "<img src=x" not in html and "<b>Gromit" not in html
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; ]]&gt; &amp; &lt;b&gt;" in html
        assert "&lt;img src=x onerror=alert(1)&gt; &amp; ]]&gt;" in html
    assert MARKUP in email.text  # plain text carries the characters themselves


def test_markup_in_a_claim_forms_email_is_text_on_the_page_and_claims_nothing(
    aws_calls: AwsCalls, client: Any
) -> None:
    token = make_claim()
    aws_calls.reset()

    response = client.post(
        f"/claim/points/{token.replace('-', '')}",
        body=urlencode({"email": '"><script>alert(1)</script>'}),
        headers={"Content-Type": FORM},
    )

    assert response.status_code == 422
    html = response.body.decode()
    assert "<script>alert(1)" not in html
    assert "&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert writes(aws_calls) == []
    assert [claim.status for claim in ClaimModel.scan()] == [PENDING]


def test_markup_in_a_customers_names_keeps_the_xml_well_formed(client: Any) -> None:
    created = client.post(
        "/recipients",
        body=json.dumps(
            {
                "email": "wallace@example.com",
                "firstname": MARKUP,
                "surname": "Wensleydale]]>\x01",
                "address1": "62 West Wallaby Street",
                "town": "Wigan & <Lancs>",
                "postcode": "WG7 7FU",
                "country_code": "gb",
            }
        ),
        headers=bearer(),
    )
    assert created.status_code == 201, created.body

    response = client.get(f"/api/customers/{body_of(created)['id']}.xml", headers=basic())

    assert response.status_code == 200
    customer = ElementTree.fromstring(response.body)  # raises if not well-formed
    assert customer.findtext("first_name") == MARKUP
    assert customer.findtext("last_name") == "Wensleydale]]>\ufffd"  # XML 1.0 has no U+0001
    assert customer.findtext("city") == "Wigan & <Lancs>"


# -- unicode emails ------------------------------------------------------------------------
def credit(client: Any, email: str, amount: int = 50) -> None:
    credited = client.post(
        f"/api/v1/points/{API_KEY}/INSTANT",
        body=json.dumps([{"amount": amount, "email": email}]),
        headers={"Content-Type": JSON},
    )
    assert body_of(credited)[0]["applied"] is True, body_of(credited)


def points_of(client: Any, email: str) -> tuple[int, Any]:
    found = client.get(f"/api/v1/points/{API_KEY}/email/{quote(email)}/Full")
    return found.status_code, body_of(found)


def test_unicode_emails_are_kept_and_found_in_any_case(client: Any) -> None:
    credit(client, "josé@exämple.com")

    for spelling in ("josé@exämple.com", "JOSÉ@EXÄMPLE.COM", " josé@exämple.com "):
        assert points_of(client, spelling) == (200, {"AvailablePoints": 50, "UsedPoints": 0})
    recipient = client.get(f"/recipients/{quote('josé@exämple.com')}", headers=bearer())
    assert body_of(recipient)["email"] == "josé@exämple.com"


def test_an_idn_domain_is_one_address_in_unicode_or_punycode(client: Any) -> None:
    # Stored as validated (unicode domain); looked up as typed: the two must meet.
    credit(client, "josé@xn--exmple-cua.com")
    credit(client, "josé@exämple.com", 25)

    assert points_of(client, "josé@exämple.com") == (200, {"AvailablePoints": 75, "UsedPoints": 0})
    assert points_of(client, "josé@xn--exmple-cua.com") == (
        200,
        {"AvailablePoints": 75, "UsedPoints": 0},
    )


def test_unicode_emails_that_are_not_addresses_are_422_and_write_nothing(
    aws_calls: AwsCalls, client: Any, issuing: Issuing
) -> None:
    aws_calls.reset()

    for email in ("josé@exämple", "jo sé@exämple.com", "josé@exä_mple.com"):
        recipient = client.post(
            "/recipients", body=json.dumps({"email": email, "firstname": "J"}), headers=bearer()
        )
        reward = client.post(
            f"/api/reward/{issuing.campaign.campaign_id}",
            body=json.dumps({"email": email, "first_name": "J", "last_name": "S"}),
            headers={**issuing.headers, "Content-Type": JSON},
        )
        for response in (recipient, reward):
            error = json_error(response)
            assert error.status == 422, email
            assert error.code in ("validation_failed", "invalid_recipient"), email
            assert error.fields["email"] == ["The email must be a valid email address."], email
    assert writes(aws_calls) == []


# -- points that are not whole numbers -------------------------------------------------------
# As JSON text: a negative, a fraction, an exponent (a float to JSON parsers), a string.
BAD_POINTS = ["-1", "1.5", "1e3", '"NaN"', '"Infinity"']
NOT_JSON_NUMBERS = ["NaN", "Infinity", "-Infinity", "1e999"]


def test_claims_for_points_that_are_not_whole_and_positive_are_each_refused(
    aws_calls: AwsCalls, client: Any
) -> None:
    items = ", ".join(f'{{"amount": {amount}}}' for amount in BAD_POINTS)
    aws_calls.reset()

    response = client.post(
        f"/api/v1/points?csapikey={API_KEY}", body=f"[{items}]", headers={"Content-Type": JSON}
    )

    assert response.status_code == 200  # the bulk face answers each item
    outcomes = body_of(response)
    assert [outcome["created"] for outcome in outcomes] == [False] * len(BAD_POINTS)
    assert all(list(outcome["errors"]) == ["amount"] for outcome in outcomes), outcomes
    assert writes(aws_calls) == []


def test_instant_edits_of_points_that_are_not_whole_are_each_refused(
    aws_calls: AwsCalls, client: Any
) -> None:
    amounts = BAD_POINTS[1:]  # -1 is a debit here: its own test says it needs a balance
    items = ", ".join(f'{{"amount": {a}, "email": "a@example.com"}}' for a in amounts)
    aws_calls.reset()

    response = client.post(
        f"/api/v1/points/{API_KEY}/INSTANT", body=f"[{items}]", headers={"Content-Type": JSON}
    )

    assert response.status_code == 200
    for outcome in body_of(response):
        assert outcome["applied"] is False
        assert outcome["error"]["code"] == "validation_failed"
        assert outcome["error"]["errors"] == {"amount": ["The amount must be an integer."]}
    assert writes(aws_calls) == []


@pytest.mark.parametrize("number", NOT_JSON_NUMBERS)
def test_numbers_json_does_not_have_are_400_in_each_faces_shape(
    aws_calls: AwsCalls, client: Any, issuing: Issuing, number: str
) -> None:
    body = f'{{"q": "spend", "amount": {number}, "pointsAmount": {number}}}'

    for face, error in refused_everywhere(aws_calls, client, issuing, body, JSON).items():
        assert error.status == 400, face
        assert error.messages[0].startswith("The request body is not valid JSON: "), face
        assert error.code in (None, "malformed_json"), face


def test_cashback_for_points_that_are_not_whole_and_positive_is_400(
    aws_calls: AwsCalls, client: Any
) -> None:
    headers = {**jwt_headers(token_for(Role.ADMIN)), "Content-Type": FORM}
    aws_calls.reset()

    for points in ("-1", "0", "1.5", "1e3", "NaN", "Infinity"):
        response = client.post(
            f"/api/{STORE}/admin/campaign/cashback/redeem",
            body=urlencode({"customerId": "c-1", "pointsAmount": points}),
            headers=headers,
        )
        error = open_loyalty_error(response)
        assert (error.status, error.code) == (400, "validation_failed"), points
        assert list(error.fields) == ["pointsAmount"], points
    assert writes(aws_calls) == []


def test_spending_an_amount_that_is_not_positive_money_is_422_in_xml(
    aws_calls: AwsCalls, client: Any, store: str
) -> None:
    aws_calls.reset()

    for amount in ("-1", "0", "NaN", "Infinity", "-Infinity", "1e999"):
        response = client.post(
            "/api/rewards.xml?" + urlencode({"q": "spend", "customer_id": "1", "amount": amount}),
            headers=basic(),
        )
        error = xml_error(response)
        assert error.status == 422, amount
        assert any("amount" in message for message in error.messages), (amount, error)
    assert writes(aws_calls) == []


# -- impossible months and years ---------------------------------------------------------------
IMPOSSIBLE_MONTHS = [
    ("13", "2025", "month"),
    ("0", "2025", "month"),
    ("-1", "2025", "month"),
    ("1.5", "2025", "month"),
    ("%FF", "2025", "month"),
    ("1", "99999", "year"),
    ("1", "1e3", "year"),
]


def test_rewards_of_an_impossible_month_are_422(
    aws_calls: AwsCalls, client: Any, issuing: Issuing
) -> None:
    aws_calls.reset()

    for month, year, field in IMPOSSIBLE_MONTHS:
        response = client.get(
            f"/api/rewards_in_month/{issuing.campaign.campaign_id}/{month}/{year}",
            headers=bearer(Accept=JSON),
        )
        error = json_error(response)
        assert (error.status, error.code) == (422, "validation_failed"), (month, year)
        assert list(error.fields) == [field], (month, year)
    assert writes(aws_calls) == []


def test_a_history_page_of_impossible_size_is_422(aws_calls: AwsCalls, client: Any) -> None:
    admin = jwt_headers(token_for(Role.ADMIN))
    aws_calls.reset()

    for per_page in ("0", "-1", "1.5", "1e3", "99999"):
        response = client.get(
            f"/api/{STORE}/admin/customer/someone/points/history?per_page={per_page}",
            headers=admin,
        )
        error = json_error(response)
        assert (error.status, error.code) == (422, "validation_failed"), per_page
        assert list(error.fields) == ["per_page"], per_page
    assert writes(aws_calls) == []
