"""One-line fields (names, emails, codes, labels, references, usernames) refuse NUL, CR and
LF on every face, naming the field in the face's own error shape and writing nothing; fields
meant to hold several lines (descriptions, a reward's message) still do.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import pytest

from chalicelib.domain.access import auth
from chalicelib.domain.access.auth import Role
from tests.fixtures.aws import AwsCalls
from tests.fixtures.bad_input import Issuing, json_error, open_loyalty_error, writes, xml_error
from tests.fixtures.campaigns import DOC_CREATE, form_admin
from tests.fixtures.clients import API_KEY, STORE, bearer, body_of, jwt_headers, token_for
from tests.fixtures.factories import make_campaign
from tests.fixtures.imonggo import basic, make_customer, spend_path
from tests.fixtures.recipients import WALLACE

JSON = {"Content-Type": "application/json"}


@pytest.fixture
def issuing(store: str) -> Issuing:
    campaign = make_campaign(codes=["CODE-1"])
    return Issuing(campaign, auth.set_passcode(STORE, campaign.campaign_id))


@pytest.fixture
def juan(store: str) -> str:
    return make_customer(100)


def admin_json() -> dict[str, str]:
    return jwt_headers(token_for(Role.ADMIN), **JSON)


def recipient_post(client: Any, body: dict[str, Any]) -> Any:
    return client.post("/recipients", headers=bearer(), body=json.dumps(body))


# Each breaks a line (or a C string) where it lands: inside, at the end, alone with text.
BREAKS = [
    pytest.param("Wallace\r\nBcc: all@example.com", id="crlf-inside"),
    pytest.param("Wallace\n", id="lf-at-the-end"),
    pytest.param("Wal\rlace", id="cr"),
    pytest.param("Wal\x00lace", id="nul"),
]
ONE_LINE = "The {} must be one line of text, without line breaks or NUL characters."


# -- Alpha recipients (JSON per-field errors) ------------------------------------------------
@pytest.mark.parametrize("text", BREAKS)
@pytest.mark.parametrize("field", ["firstname", "public_key", "address1", "postcode", "del_town"])
def test_recipient_fields_are_one_line(
    aws_calls: AwsCalls, client: Any, store: str, field: str, text: str
) -> None:
    aws_calls.reset()

    response = client.post(
        "/recipients", headers=bearer(), body=json.dumps({**WALLACE, field: text})
    )

    error = json_error(response)
    assert (error.status, error.fields) == (
        422,
        {field: [ONE_LINE.format(field.replace("_", " "))]},
    )
    assert writes(aws_calls) == []


@pytest.mark.parametrize("email", ["w@example.com\r\nBcc: all@example.com", "w@example.com\n"])
def test_a_recipients_email_is_one_line_on_create_and_update(
    aws_calls: AwsCalls, client: Any, store: str, email: str
) -> None:
    created = body_of(recipient_post(client, WALLACE))
    aws_calls.reset()

    for response in (
        client.post("/recipients", headers=bearer(), body=json.dumps({**WALLACE, "email": email})),
        client.put(
            f"/recipients/{created['id']}", headers=bearer(), body=json.dumps({"email": email})
        ),
    ):
        error = json_error(response)
        assert (error.status, list(error.fields)) == (422, ["email"])
    assert writes(aws_calls) == []


# -- Mokugift issuing (JSON, invalid_recipient) ----------------------------------------------
@pytest.mark.parametrize("text", BREAKS)
@pytest.mark.parametrize("field", ["first_name", "last_name", "sender_name"])
def test_a_rewards_recipient_names_are_one_line(
    aws_calls: AwsCalls,
    client: Any,
    issuing: Issuing,
    field: str,
    text: str,
) -> None:
    recipient = {"email": "w@example.com", "first_name": "W", "last_name": "W", field: text}
    aws_calls.reset()

    response = client.post(
        f"/api/reward/{issuing.campaign.campaign_id}",
        body=json.dumps(recipient),
        headers={**issuing.headers, **JSON},
    )

    error = json_error(response)
    assert (error.status, list(error.fields)) == (422, [field])
    assert writes(aws_calls) == []


def test_a_rewards_message_may_have_several_lines(client: Any, issuing: Issuing) -> None:
    recipient = {"email": "w@example.com", "first_name": "W", "last_name": "W"}

    response = client.post(
        f"/api/reward/{issuing.campaign.campaign_id}",
        body=json.dumps({**recipient, "message": "Dear W,\r\n\r\nwell done."}),
        headers={**issuing.headers, **JSON},
    )

    assert response.status_code in (200, 201), response.body


# -- Coggins claims (per-item errors) ---------------------------------------------------------
@pytest.mark.parametrize("text", BREAKS)
def test_a_claims_customer_type_and_email_are_one_line(
    aws_calls: AwsCalls, client: Any, store: str, text: str
) -> None:
    items = [{"amount": 5, "customerType": text}, {"amount": 5, "email": f"w@example.com{text}"}]
    aws_calls.reset()

    response = client.post(
        f"/api/v1/points?csapikey={API_KEY}", body=json.dumps(items), headers=JSON
    )

    assert [list(item["errors"]) for item in body_of(response)] == [["customerType"], ["email"]]
    assert writes(aws_calls) == []


# -- Open Loyalty: campaign names, labels, coupon codes (form tree); names (JSON) --------------
@pytest.mark.parametrize("text", BREAKS)
@pytest.mark.parametrize(
    ("key", "path"),
    [
        ("campaign[translations][en][name]", ("translations", "en", "name")),
        ("campaign[labels][0][value]", ("labels", "0", "value")),
        ("campaign[emailSubject]", ("emailSubject",)),
    ],
)
def test_a_campaigns_one_line_fields(
    aws_calls: AwsCalls, client: Any, store: str, key: str, path: tuple[str, ...], text: str
) -> None:
    body = DOC_CREATE.replace("campaign[labels]=type:promotion;type:cashback", "")
    body += "&" + urlencode({key: text, "campaign[labels][0][key]": "type"})
    aws_calls.reset()

    response = client.post(f"/api/{STORE}/campaign", body=body, headers=form_admin())

    error = open_loyalty_error(response)
    node: Any = {"children": error.fields}
    for part in path:
        node = node["children"][part]
    assert error.status == 400
    assert node["errors"] == ["This value should be one line of text, without line breaks."]
    assert writes(aws_calls) == []


def test_a_campaigns_descriptions_may_have_several_lines(client: Any, store: str) -> None:
    body = DOC_CREATE.replace("campaign[levels][0]", "x[levels][0]").replace(
        "campaign[levels][1]", "x[levels][1]"
    )
    body = body.replace("campaign[target]=level", "")
    body += "&" + urlencode({"campaign[translations][en][shortDescription]": "One.\r\nTwo."})

    response = client.post(f"/api/{STORE}/campaign", body=body, headers=form_admin())

    assert response.status_code == 200, response.body


@pytest.mark.parametrize("text", BREAKS)
def test_a_coupon_code_is_one_line(aws_calls: AwsCalls, client: Any, store: str, text: str) -> None:
    body = DOC_CREATE + "&" + urlencode({"campaign[coupons][2]": text})
    aws_calls.reset()

    response = client.post(f"/api/{STORE}/campaign", body=body, headers=form_admin())

    error = open_loyalty_error(response)
    assert error.status == 400
    assert error.fields["coupons"]["children"]["2"]["errors"] == [
        "A coupon code is one line, without NUL characters."
    ]
    assert writes(aws_calls) == []


@pytest.mark.parametrize("text", BREAKS)
def test_a_customer_types_name_is_one_line(
    aws_calls: AwsCalls, client: Any, store: str, text: str
) -> None:
    body = {"name": text, "pointToAmountRatio": 1}
    aws_calls.reset()

    response = client.post(
        f"/api/{STORE}/customerType", body=json.dumps(body), headers=admin_json()
    )

    error = json_error(response)
    assert (error.status, error.fields) == (422, {"name": [ONE_LINE.format("name")]})
    assert writes(aws_calls) == []


@pytest.mark.parametrize("text", BREAKS)
@pytest.mark.parametrize("kind", ["level", "segment", "campaign_category"])
def test_names_of_levels_segments_and_categories_are_one_line(
    aws_calls: AwsCalls, client: Any, store: str, kind: str, text: str
) -> None:
    path = {"level": "level", "segment": "segment", "campaign_category": "campaignCategory"}
    aws_calls.reset()

    response = client.post(
        f"/api/{STORE}/{path[kind]}",
        body=json.dumps({kind: {"name": text}}),
        headers=admin_json(),
    )

    error = open_loyalty_error(response)
    assert error.status == 400
    assert error.fields == {"name": {"errors": [ONE_LINE.format("name")]}}
    assert writes(aws_calls) == []


# -- Imonggo spend reference (XML) and logins ----------------------------------------------
@pytest.mark.parametrize("text", BREAKS)
def test_a_spends_reference_is_one_line(
    aws_calls: AwsCalls,
    client: Any,
    juan: str,
    text: str,
) -> None:
    aws_calls.reset()

    response = client.post(
        spend_path(customer_id=juan, amount="1", reference=text), headers=basic()
    )

    error = xml_error(response)
    assert error.status == 422
    assert error.messages == [ONE_LINE.format("reference")]
    assert writes(aws_calls) == []


@pytest.mark.parametrize("text", BREAKS)
def test_a_login_username_is_one_line(client: Any, store: str, text: str) -> None:
    auth.create_user(STORE, Role.ADMIN, "admin@example.com", "secret-password")

    response = client.post(
        "/api/admin/login_check",
        body=json.dumps({"username": f"admin@example.com{text}", "password": "secret-password"}),
        headers=JSON,
    )

    error = json_error(response)
    assert (error.status, list(error.fields)) == (422, ["username"])
