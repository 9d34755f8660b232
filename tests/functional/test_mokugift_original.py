"""Mokugift's original contract over HTTP: form fields (or a query string) in, the XML `<result>`
document out, read with a real XML parser; every error code; `recipient_list` parsing."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest

from chalicelib.domain.access import auth
from chalicelib.domain.access.auth import Role
from chalicelib.domain.rewards import issuing
from chalicelib.domain.rewards.links import reward_token
from chalicelib.storage.campaigns import CampaignModel
from chalicelib.storage.rewards import RewardModel
from tests.fixtures.clients import API_KEY, STORE, body_of, jwt_headers, token_for
from tests.fixtures.factories import make_campaign
from tests.fixtures.mokugift import FORM, call, error_of, result_of


@pytest.fixture
def campaign(store: str) -> CampaignModel:
    return make_campaign()


@pytest.fixture
def passcode(campaign: CampaignModel) -> str:
    return auth.set_passcode(STORE, campaign.campaign_id)


def children(element: ET.Element | None) -> list[str]:
    assert element is not None
    return [child.tag for child in element]


# -- the six creating calls ---------------------------------------------------------------------
def test_reward_answers_the_reward_and_its_transaction(
    client: Any, campaign: CampaignModel, passcode: str
) -> None:
    fields = {
        "passcode": passcode,
        "recipient_email": "john@smith.com",
        "recipient_name": "John Smith",
    }

    response = call(client, "reward", campaign.campaign_id, fields)

    assert response.status_code == 201, response.body
    root = result_of(response)
    assert children(root) == ["version", "status", "transaction_id", "reward"]
    assert root.findtext("status") == "Success"
    assert children(root.find("reward")) == ["id", "recipient_email"]  # emailed: no URL
    stored = RewardModel.get(STORE, root.findtext("reward/id"))
    assert root.findtext("reward/recipient_email") == stored.email == "john@smith.com"
    assert (stored.firstname, stored.surname) == ("John", "Smith")
    assert stored.email_status == "queued"
    assert stored.issue_transaction == root.findtext("transaction_id")


def test_reward_url_adds_the_url_and_takes_no_name(
    client: Any, campaign: CampaignModel, passcode: str
) -> None:
    fields = {"passcode": passcode, "recipient_email": "sally@chan.com"}

    root = result_of(call(client, "reward_url", campaign.campaign_id, fields))

    assert children(root.find("reward")) == ["id", "recipient_email", "url"]
    stored = RewardModel.get(STORE, root.findtext("reward/id"))
    assert root.findtext("reward/url") == f"https://rewards.test/r/{reward_token(stored)}"
    assert (stored.firstname, stored.surname, stored.email_status) == (None, None, None)


def test_reward_url2_names_the_recipient_by_id(
    client: Any, campaign: CampaignModel, passcode: str
) -> None:
    fields = {"passcode": passcode, "recipient_id": "user1234"}

    root = result_of(call(client, "reward_url2", campaign.campaign_id, fields))

    assert children(root.find("reward")) == ["id", "recipient_id", "url"]
    assert root.findtext("reward/recipient_id") == "user1234"
    assert RewardModel.get(STORE, root.findtext("reward/id")).public_key == "user1234"


def test_the_fields_may_come_in_the_query_string(
    client: Any, campaign: CampaignModel, passcode: str
) -> None:
    query = urlencode({"passcode": passcode, "recipient_email": "q@example.com"})

    response = client.post(f"/api/reward_url/{campaign.campaign_id}?{query}")

    assert response.status_code == 201, response.body
    assert result_of(response).findtext("reward/recipient_email") == "q@example.com"


@pytest.mark.parametrize("endpoint", ["multi_rewards", "multi_reward_urls"])
def test_multi_calls_list_the_rewards_of_one_transaction(
    client: Any, campaign: CampaignModel, passcode: str, endpoint: str
) -> None:
    fields = {"passcode": passcode, "recipient_list": "John Smith <john@smith.com>, sally@chan.com"}

    response = call(client, endpoint, campaign.campaign_id, fields)

    assert response.status_code == 200, response.body
    root = result_of(response)
    assert children(root) == ["version", "status", "transaction_id", "rewards", "unsent_rewards"]
    assert root.findtext("status") == "Success"
    rewards = root.findall("rewards/reward")
    assert [r.findtext("recipient_email") for r in rewards] == ["john@smith.com", "sally@chan.com"]
    assert all((r.find("url") is not None) == (endpoint == "multi_reward_urls") for r in rewards)
    assert children(root.find("unsent_rewards")) == []
    transaction = root.findtext("transaction_id")
    found = issuing.transaction_rewards(STORE, transaction)
    assert sorted(r.reward_id for r in found) == sorted(r.findtext("id") for r in rewards)
    assert issuing.transaction_rewards("OTHER", transaction) == []


def test_multi_reward_urls2_takes_ids(client: Any, campaign: CampaignModel, passcode: str) -> None:
    fields = {"passcode": passcode, "recipient_list": "John Smith <user1234>, user6789"}

    root = result_of(call(client, "multi_reward_urls2", campaign.campaign_id, fields))

    rewards = root.findall("rewards/reward")
    assert [r.findtext("recipient_id") for r in rewards] == ["user1234", "user6789"]
    assert all(children(r) == ["id", "recipient_id", "url"] for r in rewards)


def test_each_call_is_its_own_transaction(
    client: Any, campaign: CampaignModel, passcode: str
) -> None:
    fields = {"passcode": passcode, "recipient_email": "a@example.com"}

    first = result_of(call(client, "reward_url", campaign.campaign_id, fields))
    second = result_of(call(client, "reward_url", campaign.campaign_id, fields))

    assert first.findtext("transaction_id") != second.findtext("transaction_id")


def test_one_bad_entry_is_part_failed_and_named_with_its_reason(
    client: Any, campaign: CampaignModel, passcode: str
) -> None:
    fields = {"passcode": passcode, "recipient_list": "good@example.com, not-an-email, Bad <"}

    response = call(client, "multi_reward_urls", campaign.campaign_id, fields)

    assert response.status_code == 200
    root = result_of(response)
    assert root.findtext("status") == "Part_Failed"
    assert [r.findtext("recipient_email") for r in root.findall("rewards/reward")] == [
        "good@example.com"
    ]
    unsent = root.findall("unsent_rewards/unsent_reward")
    assert [(u.findtext("recipient_email"), u.findtext("error/code")) for u in unsent] == [
        ("not-an-email", "112"),
        ("Bad <", "113"),
    ]
    assert all(u.findtext("error/description") for u in unsent)


def test_a_multi_call_where_every_entry_fails_is_failed(
    client: Any, campaign: CampaignModel, passcode: str
) -> None:
    fields = {"passcode": passcode, "recipient_list": "nope, also-nope"}

    root = result_of(call(client, "multi_rewards", campaign.campaign_id, fields))

    assert root.findtext("status") == "Failed"
    assert children(root.find("rewards")) == []
    assert len(root.findall("unsent_rewards/unsent_reward")) == 2
    assert RewardModel.count() == 0


# -- the two contracts, one implementation ------------------------------------------------------
def test_accept_json_answers_the_same_call_in_json(
    client: Any, campaign: CampaignModel, passcode: str
) -> None:
    fields = {"passcode": passcode, "recipient_email": "j@example.com", "recipient_name": "Jo Li"}

    response = call(
        client, "reward_url", campaign.campaign_id, fields, {"Accept": "application/json"}
    )

    assert response.status_code == 201
    body = body_of(response)
    assert (body["email"], body["firstName"], body["lastName"]) == ("j@example.com", "Jo", "Li")
    assert RewardModel.get(STORE, body["rewardId"]).issue_transaction == body["transactionId"]


def test_a_json_body_keeps_the_json_contract_whatever_the_accept(
    client: Any, campaign: CampaignModel, passcode: str
) -> None:
    response = client.post(
        f"/api/multi_reward_urls/{campaign.campaign_id}",
        headers={"X-Passcode": passcode, "Content-Type": "application/json", "Accept": "*/*"},
        body=json.dumps({"recipients": [{"email": "a@b.com", "first_name": "A"}]}),
    )

    body = body_of(response)
    assert (body["created"], body["failed"]) == (0, 1)
    assert body["transactionId"]


@pytest.mark.parametrize("accept", [None, "*/*", "application/xml", "text/xml, application/json"])
def test_no_accept_any_or_xml_first_is_the_original(
    client: Any, campaign: CampaignModel, passcode: str, accept: str | None
) -> None:
    headers = {"Accept": accept} if accept else {}
    fields = {"passcode": passcode, "recipient_email": "x@example.com"}

    response = call(client, "reward_url", campaign.campaign_id, fields, headers)

    assert result_of(response).findtext("status") == "Success"


# -- every error code ---------------------------------------------------------------------------
def _campaign_with_passcode(**fields: Any) -> tuple[str, str]:
    campaign = make_campaign(**fields)
    return campaign.campaign_id, auth.set_passcode(STORE, campaign.campaign_id)


def test_101_an_unknown_campaign(client: Any, store: str) -> None:
    # A passcode whose campaign record is gone: the passcode is right, the campaign is not.
    campaign_id, passcode = _campaign_with_passcode()
    CampaignModel.get(STORE, campaign_id).delete()
    fields = {"passcode": passcode, "recipient_email": "a@example.com"}

    assert error_of(call(client, "reward", campaign_id, fields))[:2] == (404, 101)


@pytest.mark.parametrize("given", ["wrong", None])
def test_102_a_wrong_or_missing_passcode(
    client: Any, campaign: CampaignModel, passcode: str, given: str | None
) -> None:
    fields = {"recipient_email": "a@example.com", **({"passcode": given} if given else {})}

    response = call(client, "reward", campaign.campaign_id, fields)

    assert error_of(response)[:2] == (401, 102)
    assert RewardModel.count() == 0


def test_102_another_campaigns_passcode(
    client: Any, campaign: CampaignModel, passcode: str
) -> None:
    other, _ = _campaign_with_passcode()
    fields = {"passcode": passcode, "recipient_email": "a@example.com"}

    # The passcode names its own campaign: another campaign's id does not find it.
    assert error_of(call(client, "reward", other, fields))[:2] == (401, 102)


def test_103_a_disabled_campaign(client: Any, store: str) -> None:
    campaign_id, passcode = _campaign_with_passcode(active=False)
    fields = {"passcode": passcode, "recipient_list": "a@example.com"}

    assert error_of(call(client, "multi_rewards", campaign_id, fields))[:2] == (409, 103)


def test_104_a_campaign_past_its_dates(client: Any, store: str) -> None:
    past = datetime.now(UTC) - timedelta(days=2)
    campaign_id, passcode = _campaign_with_passcode(
        all_time_active=False, active_from=past, active_to=past + timedelta(days=1)
    )
    fields = {"passcode": passcode, "recipient_email": "a@example.com"}

    assert error_of(call(client, "reward", campaign_id, fields))[:2] == (409, 104)


def test_104_a_campaign_used_up(client: Any, store: str) -> None:
    campaign_id, passcode = _campaign_with_passcode(unlimited=False, limit=1)
    fields = {"passcode": passcode, "recipient_email": "a@example.com"}
    assert call(client, "reward_url", campaign_id, fields).status_code == 201

    assert error_of(call(client, "reward_url", campaign_id, fields))[:2] == (409, 104)


def test_105_no_coupons_left(client: Any, store: str) -> None:
    campaign_id, passcode = _campaign_with_passcode(codes=["ONLY-ONE"])
    fields = {"passcode": passcode, "recipient_list": "a@example.com, b@example.com"}

    root = result_of(call(client, "multi_reward_urls", campaign_id, fields))

    assert root.findtext("status") == "Part_Failed"
    assert root.findtext("unsent_rewards/unsent_reward/error/code") == "105"
    fields = {"passcode": passcode, "recipient_email": "c@example.com"}
    assert error_of(call(client, "reward_url", campaign_id, fields))[:2] == (409, 105)


def test_110_an_internal_fault_is_answered_in_xml(
    client: Any, campaign: CampaignModel, passcode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: Any, **__: Any) -> None:
        raise RuntimeError("the table is down")

    monkeypatch.setattr("chalicelib.domain.rewards.issuing.get_campaign", broken)
    fields = {"passcode": passcode, "recipient_email": "a@example.com"}

    status, code, description = error_of(call(client, "reward", campaign.campaign_id, fields))

    assert (status, code) == (500, 110)
    assert "table" not in description  # no internals in the answer


@pytest.mark.parametrize(
    ("endpoint", "fields"),
    [
        ("reward", {"recipient_name": "No Address"}),
        ("reward_url2", {"recipient_id": "  "}),
        ("multi_rewards", {"recipient_list": " , ,"}),
        ("multi_reward_urls2", {}),
    ],
)
def test_111_no_recipient(
    client: Any, campaign: CampaignModel, passcode: str, endpoint: str, fields: dict[str, str]
) -> None:
    response = call(client, endpoint, campaign.campaign_id, {"passcode": passcode, **fields})

    assert error_of(response)[:2] == (422, 111)


def test_112_an_invalid_email(client: Any, campaign: CampaignModel, passcode: str) -> None:
    fields = {"passcode": passcode, "recipient_email": "john at smith"}

    assert error_of(call(client, "reward", campaign.campaign_id, fields))[:2] == (422, 112)


def test_113_invalid_parameters(client: Any, campaign: CampaignModel, passcode: str) -> None:
    too_long = {"passcode": passcode, "recipient_email": "a@b.com", "recipient_name": "x" * 300}
    as_a_list = f"passcode={passcode}&recipient_email[]=a@b.com"
    bad_utf8 = f"passcode={passcode}&recipient_email=%ff"
    path = f"/api/reward/{campaign.campaign_id}"

    assert error_of(call(client, "reward", campaign.campaign_id, too_long))[:2] == (422, 113)
    assert error_of(client.post(path, headers=FORM, body=as_a_list))[:2] == (422, 113)
    assert error_of(client.post(path, headers=FORM, body=bad_utf8))[:2] == (400, 113)


def test_114_more_than_1000_recipients_creates_nothing(
    client: Any, campaign: CampaignModel, passcode: str
) -> None:
    entries = ", ".join(f"p{n}@example.com" for n in range(1001))
    fields = {"passcode": passcode, "recipient_list": entries}

    assert error_of(call(client, "multi_rewards", campaign.campaign_id, fields))[:2] == (422, 114)
    assert RewardModel.count() == 0


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/reward/{}?recipient_email=a@example.com"),
        ("GET", "/api/multi_reward_urls2/{}"),
    ],
)
def test_100_the_wrong_method(
    client: Any, campaign: CampaignModel, passcode: str, method: str, path: str
) -> None:
    response = client.request(method, path.format(campaign.campaign_id), headers={})

    assert error_of(response)[:2] == (405, 100)
    assert RewardModel.count() == 0


def test_100_in_json_when_json_is_asked_for(client: Any, campaign: CampaignModel) -> None:
    response = client.get(
        f"/api/reward/{campaign.campaign_id}", headers={"Accept": "application/json"}
    )

    assert response.status_code == 405
    assert body_of(response)["code"] == "method_not_allowed"


# -- the description ----------------------------------------------------------------------------
def test_the_openapi_document_describes_both_contracts(client: Any) -> None:
    document = body_of(client.get("/openapi.json"))
    operation = document["paths"]["/api/multi_reward_urls/{campaign_id}"]["post"]

    bodies = operation["requestBody"]["content"]
    form = bodies["application/x-www-form-urlencoded"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert set(document["components"]["schemas"][form]["properties"]) == {
        "passcode",
        "recipient_list",
    }
    assert bodies["application/json"]["schema"]["$ref"].endswith("/EmailRecipients")
    answers = operation["responses"]["200"]["content"]
    assert answers["application/xml"]["schema"] == {"type": "string"}
    assert answers["application/json"]["schema"]["$ref"].endswith("/IssueResults")
    assert "405" in document["paths"]["/api/reward/{campaign_id}"]["get"]["responses"]


# -- recipient_list -----------------------------------------------------------------------------
def test_a_recipient_listed_twice_gets_two_rewards(
    client: Any, campaign: CampaignModel, passcode: str
) -> None:
    fields = {
        "passcode": passcode,
        "recipient_list": ' "Smith, John" <john@smith.com> ,, John <john@smith.com>,',
    }

    root = result_of(call(client, "multi_reward_urls", campaign.campaign_id, fields))

    assert root.findtext("status") == "Success"
    ids = [r.findtext("id") for r in root.findall("rewards/reward")]
    assert len(set(ids)) == 2
    stored = [RewardModel.get(STORE, reward_id) for reward_id in ids]
    assert [(r.email, r.firstname, r.surname) for r in stored] == [
        ("john@smith.com", "John", "Smith"),
        ("john@smith.com", "John", None),
    ]
    assert stored[0].customer_id == stored[1].customer_id  # one person, two rewards


# -- queries ------------------------------------------------------------------------------------
def test_all_rewards_answers_a_summary_and_every_reward(
    client: Any, campaign: CampaignModel, passcode: str
) -> None:
    entries = ", ".join(f"p{n}@example.com" for n in range(120))
    fields = {"passcode": passcode, "recipient_list": entries}
    assert call(client, "multi_reward_urls", campaign.campaign_id, fields).status_code == 200

    response = client.get(f"/api/all_rewards/{campaign.campaign_id}", headers=bearer())

    assert response.status_code == 200
    root = result_of(response)
    assert children(root) == ["version", "status", "summary", "rewards"]
    assert root.findtext("status") == "Success"
    assert (root.findtext("summary/reward_count"), root.findtext("summary/tree_count")) == (
        "120",
        "120",
    )
    rewards = root.findall("rewards/reward")
    assert sorted(r.findtext("recipient_email") for r in rewards) == sorted(
        f"p{n}@example.com" for n in range(120)
    )
    first = rewards[0]
    assert children(first) == ["id", "date", "recipient_email", "tree_count"]
    stored = RewardModel.get(STORE, first.findtext("id"))
    assert first.findtext("date") == stored.created_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert first.findtext("tree_count") == "1"


def test_rewards_in_month_with_and_without_the_month(
    client: Any, campaign: CampaignModel, passcode: str
) -> None:
    fields = {"passcode": passcode, "recipient_email": "a@example.com"}
    assert call(client, "reward_url", campaign.campaign_id, fields).status_code == 201
    now = datetime.now(UTC)
    last_year = f"/api/rewards_in_month/{campaign.campaign_id}/{now.month}/{now.year - 1}"

    this_month = result_of(
        client.get(f"/api/rewards_in_month/{campaign.campaign_id}", headers=bearer())
    )
    named = result_of(
        client.get(
            f"/api/rewards_in_month/{campaign.campaign_id}/{now.month}/{now.year}",
            headers=bearer(),
        )
    )
    empty = result_of(client.get(last_year, headers=bearer()))

    assert this_month.findtext("summary/reward_count") == "1"
    assert named.findtext("rewards/reward/recipient_email") == "a@example.com"
    assert (empty.findtext("summary/reward_count"), children(empty.find("rewards"))) == ("0", [])


@pytest.mark.parametrize(
    ("path", "headers", "expected"),
    [
        ("/api/all_rewards/{}", {}, (401, 102)),
        ("/api/all_rewards/nope", None, (404, 101)),
        ("/api/rewards_in_month/{}/13/2024", None, (422, 113)),
        ("/api/all_rewards/{}?cursor=nope", None, (400, 113)),
    ],
)
def test_query_errors_are_xml_codes(
    client: Any,
    campaign: CampaignModel,
    path: str,
    headers: dict[str, str] | None,
    expected: tuple[int, int],
) -> None:
    response = client.get(
        path.format(campaign.campaign_id), headers=bearer() if headers is None else headers
    )

    assert error_of(response)[:2] == expected


def bearer() -> dict[str, str]:
    """The store's API key, no Accept: the original contract."""
    return {"Authorization": f"Bearer {API_KEY}"}


# -- who may query ------------------------------------------------------------------------------
def _public(client: Any, campaign_id: str, enabled: bool, store: str = STORE) -> Any:
    return client.put(
        f"/api/{store}/campaign/{campaign_id}/public_queries",
        headers=jwt_headers(token_for(Role.ADMIN, store)),
        body=json.dumps({"enabled": enabled}),
    )


def test_the_campaigns_passcode_may_query_its_own_rewards_only(
    client: Any, campaign: CampaignModel, passcode: str
) -> None:
    other, _ = _campaign_with_passcode()
    path = f"/api/all_rewards/{campaign.campaign_id}"

    by_header = client.get(path, headers={"X-Passcode": passcode})
    by_query = client.get(f"{path}?{urlencode({'passcode': passcode})}")
    elsewhere = client.get(f"/api/all_rewards/{other}", headers={"X-Passcode": passcode})

    assert result_of(by_header).findtext("status") == "Success"
    assert result_of(by_query).findtext("status") == "Success"
    assert error_of(elsewhere)[:2] == (401, 102)


def test_public_queries_are_off_by_default_and_an_admin_turns_them_on_and_off(
    client: Any, campaign: CampaignModel, passcode: str
) -> None:
    fields = {"passcode": passcode, "recipient_email": "a@example.com"}
    assert call(client, "reward_url", campaign.campaign_id, fields).status_code == 201
    path = f"/api/all_rewards/{campaign.campaign_id}"
    assert error_of(client.get(path))[:2] == (401, 102)

    turned_on = _public(client, campaign.campaign_id, True)
    anyone = client.get(path)
    wrong = client.get(path, headers={"X-Passcode": "wrong"})
    _public(client, campaign.campaign_id, False)
    turned_off = client.get(path)

    assert body_of(turned_on) == {"campaignId": campaign.campaign_id, "publicQueries": True}
    assert result_of(anyone).findtext("summary/reward_count") == "1"
    assert error_of(wrong)[:2] == (401, 102)  # a wrong credential is not "no credential"
    assert error_of(turned_off)[:2] == (401, 102)


def test_public_queries_of_a_campaign_id_belong_to_the_first_store(
    client: Any, campaign: CampaignModel
) -> None:
    twin = make_campaign("OTHER")
    twin_id = campaign.campaign_id
    CampaignModel(
        "OTHER",
        twin_id,
        **{
            k: v for k, v in twin.attribute_values.items() if k not in ("store_code", "campaign_id")
        },
    ).save()

    assert _public(client, campaign.campaign_id, True).status_code == 200
    taken = _public(client, twin_id, True, "OTHER")
    _public(client, twin_id, False, "OTHER")  # not theirs to stop

    assert (taken.status_code, body_of(taken)["code"]) == (409, "public_queries_taken")
    assert issuing.public_queries_store(campaign.campaign_id) == STORE
    assert _public(client, "nope", True).status_code == 404
