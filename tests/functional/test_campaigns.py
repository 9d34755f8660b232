"""The campaign catalog through the app: create, update, details, state, tenancy and roles."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib.domain.access.auth import Role
from chalicelib.domain.catalog.campaign_form import COUPON_REWARDS
from chalicelib.domain.catalog.entries import translation_id
from chalicelib.storage.campaigns import CampaignModel, MediaFile
from chalicelib.storage.targeting import CategoryModel, SegmentModel
from tests.fixtures.campaigns import (
    DOC_CREATE,
    LEVEL_1,
    LEVEL_2,
    admin,
    campaign_json,
    create,
    form_admin,
    make_level,
)
from tests.fixtures.clients import OTHER_STORE, STORE, body_of, jwt_headers, token_for
from tests.fixtures.factories import make_campaign


def make_segment(segment_id: str, name: str) -> None:
    now = datetime.now(UTC)
    SegmentModel(STORE, segment_id, name=name, created_at=now, updated_at=now).save()


def make_category(category_id: str) -> None:
    now = datetime.now(UTC)
    CategoryModel(STORE, category_id, name=category_id, created_at=now, updated_at=now).save()


def details(client: Any, campaign_id: str, query: str = "") -> Any:
    return client.get(f"/api/{STORE}/campaign/{campaign_id}{query}", headers=admin())


# -- create ----------------------------------------------------------------------------------
def test_the_documents_create_example_creates_the_campaign(client: Any) -> None:
    make_level(LEVEL_1, "level1")
    make_level(LEVEL_2, "level2")

    response = client.post(f"/api/{STORE}/campaign", body=DOC_CREATE, headers=form_admin())

    assert response.status_code == 200, response.body
    campaign_id = body_of(response)["campaignId"]
    shown = body_of(details(client, campaign_id))
    assert shown == {
        "levels": [LEVEL_1, LEVEL_2],
        "segments": [],
        "coupons": ["testCoupon", "DiscountCoupon"],  # in the order sent, as the document
        "campaignId": campaign_id,
        "reward": "discount_code",
        "name": "Discount Code Campaign",
        "shortDescription": "A short description of discount code campaign",
        "conditionsDescription": "Discount code for registration",
        "usageInstruction": "Use discount code as you like",
        "brandDescription": "Some brand description",
        "active": True,
        "costInPoints": 100,
        "singleCoupon": False,
        "unlimited": False,
        "limit": 10,
        "limitPerUser": 1,
        "daysValid": 0,
        "daysInactive": 0,
        "campaignActivity": {
            "allTimeActive": False,
            "activeFrom": "2017-09-05T10:59:00+0000",
            "activeTo": "2017-12-05T10:59:00+0000",
        },
        "campaignVisibility": {
            "allTimeVisible": False,
            "visibleFrom": "2017-10-05T10:59:00+0000",
            "visibleTo": "2018-10-05T10:59:00+0000",
        },
        "labels": [{"key": "type", "value": "promotion"}, {"key": "type", "value": "cashback"}],
        "segmentNames": [],
        "levelNames": {LEVEL_1: "level1", LEVEL_2: "level2"},
        "will_be_active_from": "2017-09-05T10:59:00+0000",  # its window is past: off now
        "will_be_active_to": "2017-12-05T10:59:00+0000",
        "usageLeft": 2,
        "visibleForCustomersCount": 0,
        "usersWhoUsedThisCampaignCount": 0,
        "hasPhoto": False,
        "photos": [],
        "translations": [
            {
                "name": "Discount Code Campaign",
                "shortDescription": "A short description of discount code campaign",
                "conditionsDescription": "Discount code for registration",
                "usageInstruction": "Use discount code as you like",
                "brandDescription": "Some brand description",
                "id": translation_id(campaign_id, "en"),
                "locale": "en",
            }
        ],
        "categories": [],
        "isFeatured": False,
        "public": True,
    }


def test_the_documents_empty_request_gets_the_form_error_tree(client: Any) -> None:
    response = client.post(f"/api/{STORE}/campaign", body="", headers=form_admin())

    assert response.status_code == 400
    form = body_of(response)["form"]["children"]
    en = form["translations"]["children"]["en"]["children"]
    assert en["name"] == {"errors": ["This value should not be blank."]}
    assert en["shortDescription"] == {}  # every field is in the tree, as the document shows
    pl = form["translations"]["children"]["pl"]["children"]
    assert pl == {key: {} for key in en}  # every configured locale has its node
    # Exactly as the document's example: the name alone is flagged.
    flagged = [name for name, node in form.items() if "errors" in node]
    assert flagged == []
    assert form["reward"] == {} and form["daysInactive"] == {} and form["daysValid"] == {}
    assert form["campaignVisibility"]["children"]["visibleFrom"] == {}
    assert body_of(response)["errors"] == []
    assert list(CampaignModel.query(STORE)) == []


def test_a_filled_form_without_a_reward_type_asks_for_it(client: Any) -> None:
    body = campaign_json(reward=None, daysValid=None, daysInactive=None)

    form = body_of(create(client, body))["form"]["children"]

    assert form["reward"] == {"errors": ["This value should not be blank."]}
    assert form["daysValid"] == {}  # depends on the reward type, which is not known


def test_each_bad_field_is_named_and_nothing_is_written(client: Any) -> None:
    make_level(LEVEL_1, "level1")
    body = campaign_json(
        reward="bitcoin",
        costInPoints=-1,
        target="level",
        levels=[LEVEL_1, "no-such-level"],
        unlimited=False,
        limit=10,
        campaignVisibility={"allTimeVisible": False, "visibleFrom": "2020-01-02 10:00"},
        campaignActivity={"activeFrom": "2020-02-01 00:00", "activeTo": "2020-01-01 00:00"},
        labels="no-colon",
        coupons=["ok", ""],
    )

    response = create(client, body)

    assert response.status_code == 400
    children = body_of(response)["form"]["children"]

    def errors(*path: str) -> list[str]:
        node: dict[str, Any] = {"children": children}
        for part in path:
            node = node["children"][part]
        return node.get("errors", [])

    assert errors("reward") == ["The value you selected is not a valid choice."]
    assert errors("costInPoints") == ["This value should be greater than or equal to 0."]
    assert errors("levels", "1") == ["No level with this id in this store."]
    assert errors("limitPerUser") == ["This value should not be blank."]
    assert errors("limit") == []
    assert errors("campaignVisibility", "visibleTo") == ["This value should not be blank."]
    assert errors("campaignActivity", "activeTo") == ["This value should be later than activeFrom."]
    assert errors("labels") == ["Labels are written as key:value;key1:value1."]
    assert errors("coupons", "1") == ["A coupon code is 1 to 128 characters of text."]
    assert list(CampaignModel.query(STORE)) == []


def test_reward_type_rules_cashback_needs_a_point_value_but_no_days(client: Any) -> None:
    body = campaign_json(reward="cashback", daysValid=None, daysInactive=None)
    refused = create(client, body)
    assert refused.status_code == 400
    assert body_of(refused)["form"]["children"]["pointValue"]["errors"]
    assert "errors" not in body_of(refused)["form"]["children"]["daysValid"]

    body["campaign"].update(pointValue="0.25", cashbackProvider="paytm")
    created = create(client, body)
    shown = body_of(details(client, body_of(created)["campaignId"]))
    assert (shown["pointValue"], shown["cashbackProvider"]) == (0.25, "paytm")


def test_json_create_with_segments_categories_and_flags(client: Any) -> None:
    make_segment("seg-1", "anniversary")
    make_category("cat-1")
    body = campaign_json(
        target="segment",
        segments=["seg-1"],
        categories=["cat-1"],
        isFeatured=True,
        public=False,
        pushNotificationText="New reward!",
        translations={"en": {"name": "Gift"}, "pl": {"name": "Prezent"}},
    )

    campaign_id = body_of(create(client, body))["campaignId"]

    shown = body_of(details(client, campaign_id, "?_locale=pl"))
    assert shown["name"] == "Prezent"
    assert shown["segmentNames"] == {"seg-1": "anniversary"}
    assert shown["levelNames"] == []
    assert (shown["categories"], shown["isFeatured"], shown["public"]) == (["cat-1"], True, False)
    assert shown["pushNotificationText"] == "New reward!"
    assert shown["translations"] == [
        {"name": "Gift", "id": translation_id(campaign_id, "en"), "locale": "en"},
        {"name": "Prezent", "id": translation_id(campaign_id, "pl"), "locale": "pl"},
    ]
    ids = [entry["id"] for entry in shown["translations"]]
    assert all(isinstance(value, int) for value in ids) and len(set(ids)) == 2
    assert body_of(details(client, campaign_id))["translations"] == shown["translations"]
    assert shown["usageLeft"] == 1  # unlimited: the pool's one code bounds it


def test_reward_email_subject_and_text_are_stored_and_checked(client: Any) -> None:
    subject = "{{ firstname }}, a gift from {{ store_name }}"
    created = create(client, campaign_json(emailSubject=subject, emailBody="Hi {{ firstname }}"))
    assert created.status_code == 200, created.body
    shown = body_of(details(client, body_of(created)["campaignId"]))
    assert (shown["emailSubject"], shown["emailBody"]) == (subject, "Hi {{ firstname }}")

    broken = create(client, campaign_json(emailBody="Hi {{ firstname"))
    assert broken.status_code == 400
    errors = body_of(broken)["form"]["children"]["emailBody"]["errors"]
    assert errors and errors[0].startswith("This template is not valid")


def test_a_seller_cannot_create_or_change_campaigns(client: Any) -> None:
    campaign = make_campaign()
    seller = jwt_headers(token_for(Role.SELLER))
    path = f"/api/{STORE}/campaign"

    attempts = [
        client.post(path, body=json.dumps(campaign_json()), headers=seller),
        client.put(
            f"{path}/{campaign.campaign_id}", body=json.dumps(campaign_json()), headers=seller
        ),
        client.post(f"{path}/{campaign.campaign_id}/inactive", headers=seller),
        client.post(
            f"{path}/{campaign.campaign_id}/coupons", body='{"coupons":["X"]}', headers=seller
        ),
    ]

    assert [response.status_code for response in attempts] == [403] * 4
    campaign.refresh()
    assert campaign.active and not campaign.coupons_total
    assert len(list(CampaignModel.query(STORE))) == 1


# -- update ----------------------------------------------------------------------------------
def test_update_replaces_the_whole_data_and_keeps_the_counters(client: Any) -> None:
    campaign = make_campaign(
        codes=["OLD1", "OLD2"],
        featured=True,
        categories=["x"],
        usage_count=3,
        unlimited=False,
        limit=10,
        limit_per_user=2,
    )
    body = campaign_json(
        translations={"en": {"name": "Renamed", "shortDescription": "New"}},
        coupons=["NEW1", "OLD2"],
        costInPoints=50,
    )

    response = client.put(
        f"/api/{STORE}/campaign/{campaign.campaign_id}", body=json.dumps(body), headers=admin()
    )

    assert body_of(response) == {"campaignId": campaign.campaign_id}
    shown = body_of(details(client, campaign.campaign_id))
    assert (shown["name"], shown["shortDescription"], shown["costInPoints"]) == (
        "Renamed",
        "New",
        50,
    )
    assert "conditionsDescription" not in shown  # not given: the whole data is replaced
    assert shown["categories"] == [] and shown["unlimited"] and "limit" not in shown
    assert shown["isFeatured"] is True  # not a field of the document's form: kept
    assert shown["coupons"] == ["OLD2", "NEW1"]  # a kept code keeps its place, new ones follow
    campaign.refresh()
    assert campaign.usage_count == 3 and campaign.created_at < campaign.updated_at


def test_the_documents_update_example_updates_the_campaign(client: Any) -> None:
    make_level(LEVEL_1, "level1")
    make_level(LEVEL_2, "level2")
    campaign = make_campaign(codes=["OLD"])
    # The update example sends the type twice and daysValid=1; otherwise as the create one.
    update = "campaign[reward]=discount_code&" + DOC_CREATE.replace(
        "campaign[daysValid]=0", "campaign[daysValid]=1"
    )

    response = client.put(
        f"/api/{STORE}/campaign/{campaign.campaign_id}", body=update, headers=form_admin()
    )

    assert body_of(response) == {"campaignId": campaign.campaign_id}
    shown = body_of(details(client, campaign.campaign_id))
    assert (shown["reward"], shown["name"], shown["daysValid"]) == (
        "discount_code",
        "Discount Code Campaign",
        1,
    )
    assert shown["coupons"] == ["testCoupon", "DiscountCoupon"]  # the pool was replaced


def test_update_of_a_missing_campaign_is_404_in_the_documents_shape(client: Any) -> None:
    response = client.put(
        f"/api/{STORE}/campaign/nope", body=json.dumps(campaign_json()), headers=admin()
    )

    assert response.status_code == 404
    assert body_of(response)["error"] == {"code": 404, "message": "Not Found"}
    assert list(CampaignModel.query(STORE)) == []


def test_invalid_update_changes_nothing(client: Any) -> None:
    campaign = make_campaign(name="Keep me")
    body = campaign_json(translations={"en": {"name": " "}})

    response = client.put(
        f"/api/{STORE}/campaign/{campaign.campaign_id}", body=json.dumps(body), headers=admin()
    )

    assert response.status_code == 400
    assert body_of(details(client, campaign.campaign_id))["name"] == "Keep me"


# -- details ---------------------------------------------------------------------------------
def test_details_count_users_photos_and_render_html_safely(client: Any) -> None:
    now = datetime.now(UTC)
    photo = MediaFile(
        photo_id="p1",
        path="campaign_photos/p1",
        original_name="my_image.png",
        mime_type="image/png",
        size=10,
        uploaded_at=now,
    )
    campaign = make_campaign(
        photos=[photo],
        usage_count=3,
        users_count=2,  # kept by the writes that create usage items (test_campaign_users.py)
        translations={
            "en": {"name": "<b>Gift</b>", "shortDescription": "_Hi_ <script>alert(1)</script>"}
        },
    )

    raw = body_of(details(client, campaign.campaign_id))
    html = body_of(details(client, campaign.campaign_id, "?format=html"))

    assert raw["usersWhoUsedThisCampaignCount"] == 2
    assert raw["hasPhoto"] is True
    assert raw["photos"] == [
        {
            "photoId": "p1",
            "path": "campaign_photos/p1",
            "orginalName": "my_image.png",
            "mimeType": "image/png",
        }
    ]
    assert raw["shortDescription"] == "_Hi_ <script>alert(1)</script>"
    assert html["shortDescription"] == "<em>Hi</em> &lt;script&gt;alert(1)&lt;/script&gt;"
    assert html["translations"][0]["shortDescription"] == html["shortDescription"]
    assert html["name"] == "<b>Gift</b>"  # a name is plain text, never markup


@pytest.mark.parametrize(
    ("text", "html"),
    [
        ("_test_", "<em>test</em>"),  # Open Loyalty's own formatter test
        ("**Big** day, `CODE-1`", "<strong>Big</strong> day, <code>CODE-1</code>"),
        ("# Not a title\n- nor a list", "# Not a title\n- nor a list"),  # inline only
        ("line  \nnext", "line<br>\nnext"),
        (
            "[shop](https://shop.example/a?b=1&c=2)",
            '<a href="https://shop.example/a?b=1&amp;c=2">shop</a>',
        ),
        ("<img src=x onerror=alert(1)>", "&lt;img src=x onerror=alert(1)&gt;"),
        ("[x](javascript:alert(1))", "[x](javascript:alert(1))"),
        ("![p](data:image/png;base64,AAAA)", "![p](data:image/png;base64,AAAA)"),
    ],
)
def test_format_html_renders_descriptions_inline_and_safely(
    client: Any, text: str, html: str
) -> None:
    campaign = make_campaign(
        translations={"en": {"name": "Gift", "shortDescription": text, "usageInstruction": text}}
    )

    shown = body_of(details(client, campaign.campaign_id, "?format=html"))
    listed = body_of(client.get(f"/api/{STORE}/campaign?format=html", headers=admin()))[
        "campaigns"
    ][0]

    assert shown["shortDescription"] == shown["usageInstruction"] == html
    assert listed["shortDescription"] == html
    assert body_of(details(client, campaign.campaign_id))["shortDescription"] == text


def test_seller_details_carry_the_codes_and_both_counters(client: Any) -> None:
    """The document's seller details show `coupons`, `visibleForCustomersCount` and
    `usersWhoUsedThisCampaignCount`, as the admin's do."""
    campaign = make_campaign(codes=["CODE-1", "CODE-2"], users_count=1)
    seller = jwt_headers(token_for(Role.SELLER))

    response = client.get(f"/api/{STORE}/seller/campaign/{campaign.campaign_id}", headers=seller)

    shown = body_of(response)
    assert response.status_code == 200 and shown["campaignId"] == campaign.campaign_id
    assert shown["coupons"] == ["CODE-1", "CODE-2"]
    assert shown["usersWhoUsedThisCampaignCount"] == 1
    assert isinstance(shown["visibleForCustomersCount"], int)
    assert shown == body_of(details(client, campaign.campaign_id))


# -- state -----------------------------------------------------------------------------------
def test_change_state(client: Any) -> None:
    campaign = make_campaign(active=False)
    path = f"/api/{STORE}/campaign/{campaign.campaign_id}"

    activated = client.post(f"{path}/active", headers=admin())
    assert body_of(activated) == {"campaignId": campaign.campaign_id}
    campaign.refresh()
    assert campaign.active is True

    client.post(f"{path}/inactive", headers=admin())
    campaign.refresh()
    assert campaign.active is False

    missing = client.post(f"/api/{STORE}/campaign/nope/active", headers=admin())
    assert missing.status_code == 404
    assert body_of(missing)["error"] == {"code": 404, "message": "Not Found"}
    assert len(list(CampaignModel.query(STORE))) == 1  # no item made up by the update


# -- tenancy ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("get", "", None),
        ("put", "", json.dumps(campaign_json(costInPoints=1))),
        ("post", "/inactive", None),
        ("post", "/coupons", '{"coupons": ["STOLEN"]}'),
    ],
    ids=["details", "update", "inactive", "coupons"],
)
def test_another_stores_admin_neither_sees_nor_changes_a_campaign(
    client: Any, method: str, suffix: str, body: str | None
) -> None:
    campaign = make_campaign(cost_in_points=7)
    other = admin(OTHER_STORE)
    kwargs = {"headers": other, **({"body": body} if body else {})}

    own_path = getattr(client, method)(
        f"/api/{OTHER_STORE}/campaign/{campaign.campaign_id}{suffix}", **kwargs
    )
    foreign_path = getattr(client, method)(
        f"/api/{STORE}/campaign/{campaign.campaign_id}{suffix}", **kwargs
    )

    assert own_path.status_code == 404
    assert foreign_path.status_code == 403
    campaign.refresh()
    assert (campaign.active, int(campaign.cost_in_points), campaign.coupons_total) == (True, 7, 0)
    assert list(CampaignModel.query(OTHER_STORE)) == []
    listed = client.get(f"/api/{OTHER_STORE}/campaign", headers=other)
    assert body_of(listed) == {"campaigns": [], "total": 0}


def test_a_campaign_off_now_tells_when_it_would_be_active(client: Any) -> None:
    window = {
        "all_time_active": False,
        "active_from": datetime(2016, 1, 1, tzinfo=UTC),
        "active_to": datetime(2018, 1, 1, tzinfo=UTC),
    }
    switched_off = make_campaign(active=False, **window)
    outside_its_window = make_campaign(**window)
    always = make_campaign(active=False)
    running = make_campaign(all_time_active=False, active_from=datetime(2020, 1, 1, tzinfo=UTC))

    shown = {
        campaign.campaign_id: body_of(details(client, campaign.campaign_id))
        for campaign in (switched_off, outside_its_window, always, running)
    }

    for campaign in (switched_off, outside_its_window):
        body = shown[campaign.campaign_id]
        assert (body["will_be_active_from"], body["will_be_active_to"]) == (
            "2016-01-01T00:00:00+0000",
            "2018-01-01T00:00:00+0000",
        )
        keys = list(body)  # where the document puts them: after levelNames, before usageLeft
        assert keys.index("will_be_active_from") == keys.index("levelNames") + 1
        assert keys.index("usageLeft") == keys.index("will_be_active_to") + 1
    for campaign in (always, running):
        assert "will_be_active_from" not in shown[campaign.campaign_id]
    listed = body_of(client.get(f"/api/{STORE}/campaign?perPage=50", headers=admin()))
    flagged = {c["campaignId"] for c in listed["campaigns"] if "will_be_active_to" in c}
    assert flagged == {switched_off.campaign_id, outside_its_window.campaign_id}


def test_open_loyaltys_commercial_fields_are_kept_and_checked(client: Any) -> None:
    good = campaign_json(
        rewardValue="12.50",
        tax="23",
        taxPriceValue="15.38",
        moreInformationLink="https://shop.example/gift",
    )
    shown = body_of(details(client, body_of(create(client, good))["campaignId"]))
    assert (shown["rewardValue"], shown["tax"], shown["taxPriceValue"]) == (12.5, 23, 15.38)
    assert shown["moreInformationLink"] == "https://shop.example/gift"

    bad = campaign_json(
        rewardValue="0",
        tax="99",
        taxPriceValue="-1",
        moreInformationLink="javascript:alert(1)",
    )
    form = body_of(create(client, bad))["form"]["children"]
    assert form["rewardValue"]["errors"] == ["This value should be greater than 0."]
    assert form["tax"]["errors"] == ["This value should be less than 99."]
    assert form["taxPriceValue"]["errors"]
    assert form["moreInformationLink"]["errors"] == ["This value is not a valid URL."]


def test_a_tax_rate_is_a_whole_number(client: Any) -> None:
    response = create(client, campaign_json(tax="23.5"))

    assert response.status_code == 400
    form = body_of(response)["form"]["children"]
    assert form["tax"]["errors"] == ["This value should be of type integer."]
    assert list(CampaignModel.query(STORE)) == []


@pytest.mark.parametrize("reward", sorted(COUPON_REWARDS))
@pytest.mark.parametrize("coupons", [None, []])
def test_a_campaign_of_codes_needs_a_code(client: Any, reward: str, coupons: Any) -> None:
    """Open Loyalty's `validateCoupons`: every reward but cashback and a percentage discount
    code hands out codes of its pool, so the form needs one."""
    body = campaign_json(reward=reward, coupons=coupons)

    response = create(client, body)

    assert response.status_code == 400
    errors = body_of(response)["form"]["children"]["coupons"]["errors"]
    assert errors == ["This collection should contain 1 element or more."]
    assert list(CampaignModel.query(STORE)) == []


@pytest.mark.parametrize(
    "fields",
    [
        {"reward": "cashback", "pointValue": "0.5"},
        {"reward": "percentage_discount_code", "transactionPercentageValue": "10"},
    ],
)
def test_cashback_and_percentage_codes_need_no_pool(client: Any, fields: dict[str, Any]) -> None:
    response = create(client, campaign_json(coupons=None, **fields))

    assert response.status_code == 200, response.body


@pytest.mark.parametrize(("value", "ok"), [("", False), ("-1", False), ("100", False), ("0", True)])
def test_a_percentage_discount_code_needs_its_percentage_below_100(
    client: Any, value: str, ok: bool
) -> None:
    body = campaign_json(reward="percentage_discount_code", transactionPercentageValue=value)

    response = create(client, body)

    if ok:
        assert response.status_code == 200, response.body
        shown = body_of(details(client, body_of(response)["campaignId"]))
        assert shown["transactionPercentageValue"] == 0
    else:
        assert response.status_code == 400
        assert body_of(response)["form"]["children"]["transactionPercentageValue"]["errors"]
        assert list(CampaignModel.query(STORE)) == []
