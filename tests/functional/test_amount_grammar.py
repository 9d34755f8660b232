"""Amounts and points are plain decimals on every face (`validation.plain_number`).

Python's `int()` and `Decimal()` read `1_0`, Arabic-Indic and fullwidth digits, exponents, NaN
and padded text; no face does. Each bad spelling is refused naming its field in the face's own
error shape (Imonggo's XML, Open Loyalty's form tree, the JSON per-field errors, the Coggins
per-item answers) and writes nothing; the plain spellings are still accepted.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote, urlencode

import pytest

from chalicelib.domain.access.auth import Role
from tests.fixtures.aws import AwsCalls
from tests.fixtures.bad_input import json_error, open_loyalty_error, writes, xml_error
from tests.fixtures.campaigns import DOC_CREATE, LEVEL_1, LEVEL_2, form_admin, make_level
from tests.fixtures.cashback import ADMIN_PATH, cashback_campaign, form_headers
from tests.fixtures.clients import API_KEY, STORE, body_of, jwt_headers, token_for
from tests.fixtures.factories import customer_with_points
from tests.fixtures.imonggo import basic, make_customer, make_type, spend_path

JSON = {"Content-Type": "application/json"}
# Text no face reads as a number, whatever Python's int() / Decimal() make of it.
NOT_PLAIN = [
    pytest.param("1_0", id="underscore"),
    pytest.param("\u0661\u0660", id="arabic-indic"),
    pytest.param("\uff11\uff10", id="fullwidth"),
    pytest.param("\U0001d7cf\U0001d7ce", id="math-bold"),
    pytest.param("1e3", id="exponent"),
    pytest.param("1E3", id="EXPONENT"),
    pytest.param("NaN", id="nan"),
    pytest.param("Infinity", id="infinity"),
    pytest.param("-Infinity", id="-infinity"),
    pytest.param("1 0", id="inner-space"),
    pytest.param("10\u00a0", id="nbsp"),
    pytest.param("0x10", id="hex"),
    pytest.param("+10", id="plus"),
    pytest.param("10.", id="bare-point"),
    pytest.param(".5", id="no-units"),
    pytest.param("1.2.3", id="two-points"),
]
NOT_WHOLE = [pytest.param("10.5", id="fraction"), pytest.param("10.0", id="point-zero")]
# As JSON text: numbers the JSON-only Coggins fields refuse, and text (never read as a number).
NOT_JSON_INTEGERS = ["1e3", "10.0", "true", '"10"', '"1_0"', '"\\u0661\\u0660"', '"\\uff11\\uff10"']


# -- Imonggo: spend amount (money, XML errors) -------------------------------------------------
@pytest.fixture
def juan(store: str) -> str:
    """A customer with 30511 points, whose type gives 200 points per unit of money."""
    return make_customer(30511, customer_type_id=make_type("Gold", "200"))


@pytest.mark.parametrize("amount", [*NOT_PLAIN, pytest.param("", id="empty")])
def test_imonggo_spend_refuses_an_amount_not_in_plain_digits(
    aws_calls: AwsCalls,
    client: Any,
    juan: str,
    amount: str,
) -> None:
    aws_calls.reset()

    response = client.post(spend_path(customer_id=juan, amount=amount), headers=basic())

    error = xml_error(response)
    assert error.status == 422
    assert [m for m in error.messages if "amount" in m] == error.messages
    assert writes(aws_calls) == []


@pytest.mark.parametrize("amount", ["10", "10.05", " 10 ", "0.5"])
def test_imonggo_spend_takes_plain_decimals(client: Any, juan: str, amount: str) -> None:
    response = client.post(spend_path(".json", customer_id=juan, amount=amount), headers=basic())
    assert response.status_code == 200, response.body


def test_imonggo_spend_takes_a_json_number_exactly(client: Any, juan: str) -> None:
    body = json.dumps({"q": "spend", "customer_id": juan, "amount": 0.15})
    response = client.post("/api/rewards.json", body=body, headers={**basic(), **JSON})
    assert response.status_code == 200, response.body
    assert body_of(response)["points-spent"] == 30  # 0.15 * 200, not 29.999...


# -- Open Loyalty: campaign costInPoints and pointValue, cashback pointsAmount (form tree) -----
def campaign_form(**fields: str) -> str:
    body = DOC_CREATE
    for name, value in fields.items():
        body = body.replace(f"campaign[{name}]=100", "") + f"&campaign[{name}]={quote(value)}"
    return body


@pytest.mark.parametrize("value", [*NOT_PLAIN, *NOT_WHOLE])
def test_a_campaigns_cost_in_points_must_be_plain_digits(
    aws_calls: AwsCalls, client: Any, store: str, value: str
) -> None:
    aws_calls.reset()

    response = client.post(
        f"/api/{STORE}/campaign", body=campaign_form(costInPoints=value), headers=form_admin()
    )

    error = open_loyalty_error(response)
    assert error.status == 400
    assert error.fields["costInPoints"]["errors"] == ["This value should be of type integer."]
    assert writes(aws_calls) == []


@pytest.mark.parametrize("value", NOT_PLAIN)
def test_a_campaigns_point_value_must_be_a_plain_decimal(
    aws_calls: AwsCalls, client: Any, store: str, value: str
) -> None:
    aws_calls.reset()

    response = client.post(
        f"/api/{STORE}/campaign", body=campaign_form(pointValue=value), headers=form_admin()
    )

    error = open_loyalty_error(response)
    assert error.status == 400
    assert error.fields["pointValue"]["errors"] == ["This value should be a number."]
    assert writes(aws_calls) == []


def test_a_campaign_in_plain_digits_is_created(client: Any, store: str) -> None:
    make_level(LEVEL_1, "level1")
    make_level(LEVEL_2, "level2")
    body = campaign_form(costInPoints=" 250 ", pointValue="0.25")

    response = client.post(f"/api/{STORE}/campaign", body=body, headers=form_admin())

    assert response.status_code == 200, response.body


def test_a_json_true_is_no_cost_in_points(aws_calls: AwsCalls, client: Any, store: str) -> None:
    body = json.dumps({"campaign": {"costInPoints": True, "pointValue": False}})
    aws_calls.reset()

    response = client.post(
        f"/api/{STORE}/campaign", body=body, headers=jwt_headers(token_for(Role.ADMIN), **JSON)
    )

    error = open_loyalty_error(response)
    assert error.fields["costInPoints"]["errors"] == ["This value should be of type integer."]
    assert error.fields["pointValue"]["errors"] == ["This value should be a number."]
    assert writes(aws_calls) == []


@pytest.mark.parametrize("points", [*NOT_PLAIN, *NOT_WHOLE])
def test_cashback_points_must_be_plain_digits(
    aws_calls: AwsCalls, client: Any, store: str, points: str
) -> None:
    customer_id = customer_with_points(points=50)
    cashback_campaign("3.00")
    aws_calls.reset()

    for action in ("simulate", "redeem"):
        response = client.post(
            f"{ADMIN_PATH}/{action}",
            body=urlencode({"customerId": customer_id, "pointsAmount": points}),
            headers=form_headers(Role.ADMIN),
        )
        error = open_loyalty_error(response)
        assert error.status == 400, action
        assert error.fields["pointsAmount"]["errors"] == ["This value should be of type integer."]
    assert writes(aws_calls) == []


# -- Open Loyalty: customer types' ratio (JSON per-field errors) ------------------------------
@pytest.mark.parametrize("ratio", NOT_PLAIN)
def test_a_customer_types_ratio_must_be_a_plain_decimal(
    aws_calls: AwsCalls, client: Any, store: str, ratio: str
) -> None:
    aws_calls.reset()

    response = client.post(
        f"/api/{STORE}/customerType",
        body=json.dumps({"name": "Gold", "pointToAmountRatio": ratio}),
        headers=jwt_headers(token_for(Role.ADMIN), **JSON),
    )

    error = json_error(response)
    assert (error.status, error.code) == (422, "validation_failed")
    assert error.fields == {"pointToAmountRatio": ["The pointToAmountRatio must be a number."]}
    assert writes(aws_calls) == []


# -- Coggins: claims and INSTANT edits take JSON integers only (per-item errors) --------------
@pytest.mark.parametrize("amount", NOT_JSON_INTEGERS)
def test_coggins_amounts_are_json_integers_only(
    aws_calls: AwsCalls, client: Any, store: str, amount: str
) -> None:
    aws_calls.reset()

    claims = client.post(
        f"/api/v1/points?csapikey={API_KEY}", body=f'[{{"amount": {amount}}}]', headers=JSON
    )
    instant = client.post(
        f"/api/v1/points/{API_KEY}/INSTANT",
        body=f'[{{"amount": {amount}, "email": "a@example.com"}}]',
        headers=JSON,
    )

    assert body_of(claims)[0]["errors"] == {"amount": ["The amount must be an integer."]}
    assert body_of(instant)[0]["error"]["errors"] == {"amount": ["The amount must be an integer."]}
    assert writes(aws_calls) == []


def test_coggins_plain_integers_still_apply(client: Any, store: str) -> None:
    claims = client.post(
        f"/api/v1/points?csapikey={API_KEY}", body='[{"amount": 10}]', headers=JSON
    )
    edits = [{"amount": 10, "email": "a@example.com"}, {"amount": -4, "email": "a@example.com"}]
    instant = client.post(f"/api/v1/points/{API_KEY}/INSTANT", body=json.dumps(edits), headers=JSON)

    assert body_of(claims)[0]["created"] is True
    assert [item["applied"] for item in body_of(instant)] == [True, True]


# -- paging numbers: the same grammar (points history, bought list) ----------------------------
@pytest.mark.parametrize("value", NOT_PLAIN)
def test_page_sizes_must_be_plain_digits(
    aws_calls: AwsCalls, client: Any, store: str, value: str
) -> None:
    admin = jwt_headers(token_for(Role.ADMIN))
    aws_calls.reset()

    history = client.get(
        f"/api/{STORE}/admin/customer/someone/points/history?per_page={quote(value)}",
        headers=admin,
    )

    bought = client.get(f"/api/{STORE}/campaign/bought?perPage={quote(value)}", headers=admin)

    error = json_error(history)
    assert (error.status, list(error.fields)) == (422, ["per_page"])
    error = open_loyalty_error(bought)
    assert (error.status, list(error.fields)) == (400, ["perPage"]), error
    assert writes(aws_calls) == []
