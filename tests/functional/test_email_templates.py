"""A campaign's email subject and text are rendered with sample values when saved.

What the bounded sandbox refuses (chalicelib/mail/sandbox.py) is answered in the Open Loyalty
face's error shape (400, the form tree, the reason on the field) and nothing is saved; a good
text is saved and then sent. What such a text does at send time when it was saved before these
checks: tests/reliability/test_template_failures.py.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib.domain.access import stores
from chalicelib.domain.rewards.email_content import placeholders
from chalicelib.mail.reward_email import SAMPLE_PLACEHOLDERS
from chalicelib.storage.campaigns import CampaignModel
from tests.fixtures.campaigns import admin, campaign_json, create
from tests.fixtures.clients import STORE, body_of
from tests.fixtures.emails import consume, issue, receive
from tests.fixtures.factories import make_campaign

REFUSED = {
    "include": ('{% include "reward_email.html" %}', "{% include %} is not allowed"),
    "import": ('{% import "reward_email.html" as e %}', "{% import %} is not allowed"),
    "from import": ('{% from "reward_email.html" import x %}', "{% from ... import %}"),
    "extends": ('{% extends "reward_email.html" %}', "{% extends %} is not allowed"),
    "huge range": ("{{ range(100000000)|length }}", "range() is limited to 1000 items"),
    "huge text": ("{{ 'x' * 2000000 }}", "a value is longer than 262144 characters"),
    "nested loops": (
        "{% for i in range(999) %}{% for j in range(999) %}{% endfor %}{% endfor %}",
        "the template takes more than 10000 steps",
    ),
}


def field_errors(response: Any, field: str) -> list[str]:
    return body_of(response)["form"]["children"][field]["errors"]


@pytest.mark.parametrize("field", ["emailSubject", "emailBody"])
@pytest.mark.parametrize(("source", "reason"), REFUSED.values(), ids=REFUSED.keys())
def test_a_text_the_sandbox_refuses_is_not_saved(
    client: Any, field: str, source: str, reason: str
) -> None:
    response = create(client, campaign_json(**{field: source}))

    assert response.status_code == 400
    [error] = field_errors(response, field)
    assert error.startswith("This template is not valid: SecurityError: ")
    assert reason in error
    assert list(CampaignModel.query(STORE)) == []


def test_an_update_with_a_refused_text_changes_nothing(client: Any) -> None:
    campaign = make_campaign(email_body="Hi {{ firstname }}")
    body = campaign_json(emailBody="{{ 'x' * 2000000 }}", translations={"en": {"name": "New"}})

    response = client.put(
        f"/api/{STORE}/campaign/{campaign.campaign_id}", body=json.dumps(body), headers=admin()
    )

    assert response.status_code == 400
    assert field_errors(response, "emailBody")
    campaign.refresh()
    assert campaign.email_body == "Hi {{ firstname }}"
    assert campaign.translations["en"]["name"] == "Welcome gift"


def test_a_text_that_fails_with_the_sample_values_is_not_saved(client: Any) -> None:
    response = create(client, campaign_json(emailBody="{{ 1 / (firstname|length - 3) }}"))

    assert response.status_code == 400
    assert field_errors(response, "emailBody") == [
        "This template is not valid: ZeroDivisionError: division by zero."
    ]


def test_a_good_text_is_saved_and_sent(client: Any, sent_params: list[dict[str, Any]]) -> None:
    subject = "{{ firstname|upper }}, a gift from {{ store_name }}"
    body = "{% for word in ['Enjoy', 'it'] %}{{ word }} {% endfor %}{{ coupon_code }}"
    fields = {"emailSubject": subject, "emailBody": body, "coupons": ["GOOD-1"]}
    response = create(client, campaign_json(**fields))
    assert response.status_code == 200, response.body
    campaign = CampaignModel.get(STORE, body_of(response)["campaignId"])
    issue(1, campaign, firstname="Zoë")

    assert consume(receive(1)) == []

    [params] = sent_params
    assert params["Message"]["Subject"]["Data"] == "ZOË, a gift from DEFAULT"
    assert "Enjoy it GOOD-1" in params["Message"]["Body"]["Text"]["Data"]


def test_the_sample_values_are_the_placeholders_a_real_email_gets(store: str) -> None:
    [reward] = issue(1, enqueue=False)
    campaign = CampaignModel.get(STORE, reward.campaign_id)

    assert set(SAMPLE_PLACEHOLDERS) == set(placeholders(reward, campaign, stores.get_store(STORE)))
