"""The campaign form: what a form or JSON body becomes, and every rule between fields."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from chalicelib.api.forms import parse_form
from chalicelib.api.openloyalty.errors import form_tree
from chalicelib.domain.catalog.campaign_form import BLANK, read_campaign
from chalicelib.domain.errors import InvalidInputError


def form(**fields: Any) -> dict[str, Any]:
    """A valid campaign (JSON shape) with `fields` replaced; None removes a field."""
    campaign: dict[str, Any] = {
        "reward": "gift_code",
        "translations": {"en": {"name": "Gift"}},
        "coupons": ["GIFT-1"],
        "daysValid": "0",
        "daysInactive": "0",
    }
    campaign.update(fields)
    return {"campaign": {key: value for key, value in campaign.items() if value is not None}}


def test_form_text_becomes_typed_fields() -> None:
    body = parse_form(
        "campaign[reward]=discount_code&campaign[translations][en][name]=+Gift+"
        "&campaign[active]=1&campaign[singleCoupon]=0&campaign[costInPoints]=100"
        "&campaign[unlimited]=0&campaign[limit]=10&campaign[limitPerUser]=2"
        "&campaign[daysValid]=3&campaign[daysInactive]=&campaign[labels]=type:promo;+tier+:+gold;"
        "&campaign[campaignActivity][allTimeActive]=0"
        "&campaign[campaignActivity][activeFrom]=2017-09-05+10:59"
        "&campaign[campaignActivity][activeTo]=2017-12-05T10:59:00%2B0100"
        "&campaign[coupons][0]=GIFT-1"
    )

    draft = read_campaign(body)

    assert draft.errors == {"daysInactive": [BLANK]}  # blank is absent, and it is required
    values = draft.attributes
    assert values["translations"] == {"en": {"name": "Gift"}}
    assert (values["active"], values["single_coupon"], values["cost_in_points"]) == (
        True,
        False,
        100,
    )
    assert (values["unlimited"], values["limit"], values["limit_per_user"]) == (False, 10, 2)
    assert values["labels"] == [
        {"key": "type", "value": "promo"},
        {"key": "tier", "value": "gold"},
    ]
    assert values["active_from"] == datetime(2017, 9, 5, 10, 59, tzinfo=UTC)
    assert values["active_to"] == datetime(2017, 12, 5, 9, 59, tzinfo=UTC)  # offset honoured
    assert draft.coupons == ["GIFT-1"]


@pytest.mark.parametrize(
    ("fields", "reward"),
    [
        ({"translations": {"en": {"name": "G", "reward": "event_code"}}}, "event_code"),
        (
            {"reward": "value_code", "translations": {"en": {"name": "G", "reward": "gift_code"}}},
            "value_code",
        ),
    ],
    ids=["inside-translation", "top-level-wins"],
)
def test_reward_may_come_inside_a_translation(fields: dict[str, Any], reward: str) -> None:
    body = form(**{"reward": None, **fields})

    draft = read_campaign(body)

    assert draft.attributes["reward"] == reward
    assert draft.attributes["translations"] == {"en": {"name": "G"}}


def test_windows_all_time_unless_dates_are_given() -> None:
    always = read_campaign(form())
    dated = read_campaign(
        form(campaignVisibility={"visibleFrom": "2020-01-01 00:00", "visibleTo": "2020-02-01"})
    )
    flagged = read_campaign(
        form(campaignActivity={"allTimeActive": "1", "activeFrom": "2020-01-01 00:00"})
    )

    assert always.attributes["all_time_visible"] and always.attributes["visible_from"] is None
    assert not dated.errors and not dated.attributes["all_time_visible"]
    assert dated.attributes["visible_to"] == datetime(2020, 2, 1, tzinfo=UTC)
    assert flagged.attributes["all_time_active"] and flagged.attributes["active_from"] is None


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        (
            {"campaignVisibility": {"allTimeVisible": "0"}},
            {"campaignVisibility.visibleFrom": [BLANK], "campaignVisibility.visibleTo": [BLANK]},
        ),
        (
            {"campaignActivity": {"activeFrom": "2020-01-02", "activeTo": "2020-01-02"}},
            {"campaignActivity.activeTo": ["This value should be later than activeFrom."]},
        ),
        (
            {"campaignActivity": {"activeFrom": "yesterday", "activeTo": "2020-01-02"}},
            {
                "campaignActivity.activeFrom": [
                    "This value is not a valid datetime (YYYY-MM-DD HH:mm)."
                ]
            },
        ),
        ({"unlimited": "0"}, {"limit": [BLANK], "limitPerUser": [BLANK]}),
        ({"limit": "5"}, {"limitPerUser": [BLANK]}),  # a limit given means limited
        ({"target": "level"}, {"levels": [BLANK]}),
        ({"target": "segment", "segments": []}, {"segments": [BLANK]}),
        ({"target": "everyone"}, {"target": ["The value you selected is not a valid choice."]}),
        ({"daysValid": None}, {"daysValid": [BLANK]}),
        ({"reward": "cashback", "daysValid": None}, {"pointValue": [BLANK]}),
        (
            {"reward": "cashback", "pointValue": "-1"},
            {"pointValue": ["This value should be greater than 0."]},
        ),
        ({"costInPoints": "1.5"}, {"costInPoints": ["This value should be of type integer."]}),
        ({"active": "maybe"}, {"active": ["This value is not valid."]}),
        ({"labels": "solo"}, {"labels": ["Labels are written as key:value;key1:value1."]}),
        ({"translations": {"en": {"name": "   "}}}, {"translations.en.name": [BLANK]}),
        ({"translations": {"pl": {"name": "Prezent"}}}, {"translations.en.name": [BLANK]}),
        (
            {"translations": {"en": {"name": "x" * 256}}},
            {
                "translations.en.name": [
                    "This value is too long. It should have 255 characters or less."
                ]
            },
        ),
        (
            {"translations": {"EN!": {"name": "x"}}},
            {"translations.EN!": ["This value is not valid."]},
        ),
        (
            {"levels": [f"l{n}" for n in range(101)], "target": "level"},
            {"levels": ["This collection should contain 100 elements or less."]},
        ),
        ({"coupons": ["A", ""]}, {"coupons.1": ["A coupon code is 1 to 128 characters of text."]}),
    ],
)
def test_rules_name_the_bad_field_and_only_it(
    fields: dict[str, Any], errors: dict[str, list[str]]
) -> None:
    assert read_campaign(form(**fields)).errors == errors


def test_cashback_keeps_its_point_value_and_other_types_drop_it() -> None:
    cashback = read_campaign(form(reward="cashback", pointValue="0.25", cashbackProvider="paytm"))
    gift = read_campaign(form(pointValue="0.25", cashbackProvider="paytm"))

    assert not cashback.errors
    assert cashback.attributes["point_value"] == Decimal("0.25")
    assert cashback.attributes["cashback_provider"] == "paytm"
    assert (gift.attributes["point_value"], gift.attributes["cashback_provider"]) == (None, None)


def test_details_shape_round_trips_translations_and_labels() -> None:
    body = form(
        translations=[{"name": "Gift", "locale": "en"}, {"name": "Prezent", "locale": "pl"}],
        labels=[{"key": "type", "value": "promotion"}],
        levels={"1": "l2", "0": "l1"},
        target="level",
    )

    draft = read_campaign(body)

    assert not draft.errors
    assert draft.attributes["translations"] == {"en": {"name": "Gift"}, "pl": {"name": "Prezent"}}
    assert draft.attributes["labels"] == [{"key": "type", "value": "promotion"}]
    assert draft.attributes["levels"] == ["l1", "l2"]


def test_the_error_names_every_field_as_the_documents_tree_does() -> None:
    draft = read_campaign(form(translations={"en": {}, "pl": {"name": "Prezent"}}))

    with pytest.raises(InvalidInputError) as raised:
        draft.ensure_valid()

    tree = form_tree(raised.value.errors)["form"]["children"]
    assert tree["translations"]["children"]["en"]["children"]["name"] == {"errors": [BLANK]}
    assert tree["translations"]["children"]["pl"]["children"]["shortDescription"] == {}
    assert tree["campaignActivity"]["children"]["activeTo"] == {}
    assert tree["limit"] == {} and tree["reward"] == {}


def test_a_body_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(InvalidInputError):
        read_campaign(["campaign"])
    with pytest.raises(InvalidInputError):
        read_campaign({"campaign": "x"})
