"""Mokugift's sandbox over HTTP: a campaign's sandbox passcode makes the same calls, validated and
answered alike in both contracts (form in, XML out, read with a real XML parser; JSON), on
sandbox rewards that use nothing up, create no customer, send nothing (the rendered email is
read back) and show only in the sandbox passcode's queries; SES's mailbox simulator addresses
end their deliveries as SES would."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any
from urllib.parse import urlencode

import pytest

from chalicelib.domain.access import auth, secrets
from chalicelib.domain.access.auth import Role
from chalicelib.domain.rewards.links import reward_token
from chalicelib.storage import credentials
from chalicelib.storage.campaigns import CampaignModel, CouponModel, pool_key
from chalicelib.storage.customers import CustomerModel
from chalicelib.storage.rewards import RewardModel, sandbox_partition
from tests.fixtures.clients import API_KEY, STORE, body_of, jwt_headers, token_for
from tests.fixtures.emails import sent_emails
from tests.fixtures.factories import make_campaign
from tests.fixtures.mokugift import FORM, call, error_of, queued_messages, result_of

SANDBOX = sandbox_partition(STORE)
JSON = {"Content-Type": "application/json"}
ALICE = {"email": "alice@example.com", "first_name": "Alice", "last_name": "Liddell"}


@pytest.fixture
def campaign(store: str) -> CampaignModel:
    return make_campaign(codes=[f"LIVE-{n}" for n in range(1, 6)])


@pytest.fixture
def live(campaign: CampaignModel) -> str:
    return auth.set_passcode(STORE, campaign.campaign_id)


@pytest.fixture
def sandbox(campaign: CampaignModel) -> str:
    return auth.set_passcode(STORE, campaign.campaign_id, sandbox=True)


def sandbox_rewards(campaign_id: str | None = None) -> list[RewardModel]:
    found = RewardModel.query(SANDBOX)
    return [r for r in found if campaign_id is None or r.campaign_id == campaign_id]


def live_rewards() -> list[RewardModel]:
    return list(RewardModel.query(STORE))


def nothing_used(campaign: CampaignModel) -> None:
    """The campaign as it was: no use counted, every coupon free, no customer, no email."""
    now = CampaignModel.get(STORE, campaign.campaign_id)
    assert (int(now.usage_count or 0), int(now.users_count or 0)) == (0, 0)
    assert now.coupons_available == campaign.coupons_available
    pool = pool_key(STORE, campaign.campaign_id)
    assert all(c.available_code for c in CouponModel.query(pool))
    assert CustomerModel.count() == 0
    assert live_rewards() == []
    assert queued_messages() == []
    assert sent_emails() == []


def email_of(client: Any, campaign_id: str, reward_id: str, passcode: str) -> Any:
    return client.get(
        f"/api/sandbox_email/{campaign_id}/{reward_id}", headers={"X-Passcode": passcode}
    )


# -- the passcode -------------------------------------------------------------------------------
def test_an_admin_makes_a_sandbox_passcode_shown_once_and_kept_hashed(
    client: Any, campaign: CampaignModel, live: str
) -> None:
    path = f"/api/{STORE}/campaign/{campaign.campaign_id}/sandbox_passcode"
    admin = jwt_headers(token_for(Role.ADMIN))

    first = client.post(path, headers=admin)
    second = client.post(path, headers=admin)

    assert first.status_code == 200, first.body
    assert first.headers["Cache-Control"] == "no-store"
    old, new = body_of(first)["passcode"], body_of(second)["passcode"]
    record = credentials.get_credential(
        credentials.passcode_pk(STORE, campaign.campaign_id, sandbox=True)
    )
    assert record is not None and record.secret_hash == secrets.token_digest(new)
    assert new not in json.dumps(record.attribute_values, default=str)
    fields = {"recipient_email": "a@example.com"}
    rotated = call(client, "reward_url", campaign.campaign_id, {**fields, "passcode": old})
    assert error_of(rotated)[:2] == (401, 102)
    assert (
        call(client, "reward_url", campaign.campaign_id, {**fields, "passcode": new}).status_code
        == 201
    )
    # The live passcode is untouched by the sandbox's, and still issues live rewards.
    assert (
        call(client, "reward_url", campaign.campaign_id, {**fields, "passcode": live}).status_code
        == 201
    )
    assert len(live_rewards()) == len(sandbox_rewards()) == 1


def test_only_an_admin_makes_a_sandbox_passcode(client: Any, campaign: CampaignModel) -> None:
    path = f"/api/{STORE}/campaign/{campaign.campaign_id}/sandbox_passcode"

    assert client.post(path, headers={"Authorization": f"Bearer {API_KEY}"}).status_code == 403
    assert (
        client.post(
            f"/api/{STORE}/campaign/nope/sandbox_passcode",
            headers=jwt_headers(token_for(Role.ADMIN)),
        ).status_code
        == 404
    )


# -- the same calls, in both contracts -----------------------------------------------------------
def test_json_reward_answers_as_live_and_uses_nothing(
    client: Any, campaign: CampaignModel, sandbox: str
) -> None:
    response = client.post(
        f"/api/reward/{campaign.campaign_id}",
        headers={**JSON, "X-Passcode": sandbox},
        body=json.dumps(ALICE),
    )

    assert response.status_code == 201, response.body
    body = body_of(response)
    [stored] = sandbox_rewards()
    assert body["rewardId"] == stored.reward_id
    assert body["url"] == f"https://rewards.test/r/{reward_token(stored)}"
    assert body["couponCode"].startswith("SANDBOX-")
    assert (body["email"], body["firstName"], body["emailStatus"]) == (
        "alice@example.com",
        "Alice",
        "sent",
    )
    assert stored.created_by == f"issuer-sandbox:{campaign.campaign_id}"
    assert stored.email_owed_shard is None  # never in the outbox
    nothing_used(campaign)


@pytest.mark.parametrize(
    ("endpoint", "fields", "tag"),
    [
        ("reward", {"recipient_email": "john@smith.com"}, "recipient_email"),
        ("reward_url", {"recipient_email": "john@smith.com"}, "recipient_email"),
        ("reward_url2", {"recipient_id": "user1234"}, "recipient_id"),
    ],
)
def test_original_single_calls_answer_the_same_document(
    client: Any,
    campaign: CampaignModel,
    live: str,
    sandbox: str,
    endpoint: str,
    fields: dict[str, str],
    tag: str,
) -> None:
    answers = [
        result_of(call(client, endpoint, campaign.campaign_id, {**fields, "passcode": p}))
        for p in (live, sandbox)
    ]

    live_root, sandbox_root = answers
    assert [c.tag for c in live_root] == [c.tag for c in sandbox_root]
    assert [c.tag for c in live_root.find("reward")] == [c.tag for c in sandbox_root.find("reward")]
    assert sandbox_root.findtext("status") == "Success"
    assert sandbox_root.findtext(f"reward/{tag}") == next(iter(fields.values()))
    [stored] = sandbox_rewards()
    assert sandbox_root.findtext("reward/id") == stored.reward_id
    assert stored.issue_transaction == sandbox_root.findtext("transaction_id")
    if endpoint != "reward":
        assert sandbox_root.findtext("reward/url").endswith(reward_token(stored))


@pytest.mark.parametrize("endpoint", ["multi_rewards", "multi_reward_urls", "multi_reward_urls2"])
def test_original_multi_calls_are_part_failed_alike(
    client: Any, campaign: CampaignModel, live: str, sandbox: str, endpoint: str
) -> None:
    entries = "John <a@example.com>, b@example.com, bad <x <y>>"
    roots = [
        result_of(
            call(client, endpoint, campaign.campaign_id, {"passcode": p, "recipient_list": entries})
        )
        for p in (live, sandbox)
    ]

    def shape(root: ET.Element) -> tuple[Any, ...]:
        unsent = root.findall("unsent_rewards/unsent_reward")
        return (
            root.findtext("status"),
            len(root.findall("rewards/reward")),
            [(u.findtext("error/code"), u.findtext("error/description")) for u in unsent],
        )

    assert (
        shape(roots[0])
        == shape(roots[1])
        == (
            "Part_Failed",
            2,
            [("113", roots[0].findtext("unsent_rewards/unsent_reward/error/description"))],
        )
    )
    assert len(sandbox_rewards()) == 2


@pytest.mark.parametrize(
    ("fields", "endpoint", "expected"),
    [
        ({"active": False}, "reward", (409, 103)),
        ({"unlimited": False, "limit": 0}, "reward_url", (409, 104)),
        ({"codes": []}, "reward_url", None),  # no pool at all: succeeds alike
    ],
)
def test_campaign_refusals_are_the_live_ones(
    client: Any, store: str, fields: dict[str, Any], endpoint: str, expected: Any
) -> None:
    made = make_campaign(**fields)
    live = auth.set_passcode(STORE, made.campaign_id)
    sandbox = auth.set_passcode(STORE, made.campaign_id, sandbox=True)
    body = {"recipient_email": "a@example.com"}

    answers = [
        call(client, endpoint, made.campaign_id, {**body, "passcode": p}) for p in (live, sandbox)
    ]

    if expected is None:
        assert [a.status_code for a in answers] == [201, 201]
    else:
        assert error_of(answers[0]) == error_of(answers[1])
        assert error_of(answers[1])[:2] == expected


def test_the_sandbox_refuses_past_the_coupons_left_but_takes_none(client: Any, store: str) -> None:
    made = make_campaign(codes=["ONLY-ONE"])
    sandbox = auth.set_passcode(STORE, made.campaign_id, sandbox=True)
    fields = {"passcode": sandbox, "recipient_list": "a@example.com, b@example.com"}

    root = result_of(call(client, "multi_reward_urls", made.campaign_id, fields))
    again = result_of(call(client, "multi_reward_urls", made.campaign_id, fields))

    for answer in (root, again):  # nothing was used up: the same again
        assert answer.findtext("status") == "Part_Failed"
        assert answer.findtext("unsent_rewards/unsent_reward/error/code") == "105"
    nothing_used(made)


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({}, 111),
        ({"recipient_email": "not-an-email"}, 112),
    ],
)
def test_recipient_errors_are_the_live_ones(
    client: Any,
    campaign: CampaignModel,
    live: str,
    sandbox: str,
    fields: dict[str, str],
    code: int,
) -> None:
    answers = [
        error_of(call(client, "reward", campaign.campaign_id, {**fields, "passcode": p}))
        for p in (live, sandbox)
    ]

    assert answers[0] == answers[1]
    assert answers[1][1] == code
    assert sandbox_rewards() == []


def test_more_than_1000_recipients_is_114_alike(
    client: Any, campaign: CampaignModel, live: str, sandbox: str
) -> None:
    entries = ", ".join(f"r{n}@example.com" for n in range(1001))
    answers = [
        error_of(
            call(
                client,
                "multi_rewards",
                campaign.campaign_id,
                {"passcode": p, "recipient_list": entries},
            )
        )
        for p in (live, sandbox)
    ]

    assert answers[0] == answers[1] and answers[1][1] == 114


def test_json_bulk_answers_per_recipient_alike(
    client: Any, campaign: CampaignModel, live: str, sandbox: str
) -> None:
    recipients = [ALICE, {**ALICE, "email": "nope"}]
    answers = [
        body_of(
            client.post(
                f"/api/multi_reward_urls/{campaign.campaign_id}",
                headers={**JSON, "X-Passcode": p},
                body=json.dumps({"recipients": recipients}),
            )
        )
        for p in (live, sandbox)
    ]

    for answer in answers:
        assert (answer["created"], answer["failed"]) == (1, 1)
        assert answer["results"][1]["code"] == "invalid_recipient"
    assert answers[1]["results"][0]["reward"]["rewardId"] == sandbox_rewards()[0].reward_id


# -- the email, read back; the simulator ---------------------------------------------------------
@pytest.mark.parametrize(
    ("address", "status", "steps", "error"),
    [
        ("success@simulator.amazonses.com", "sent", ["sending", "sent"], None),
        ("bounce@simulator.amazonses.com", "failed", ["sending", "sent", "failed"], "Bounce"),
        ("complaint@simulator.amazonses.com", "sent", ["sending", "sent", "complaint"], None),
        (
            "suppressionlist@simulator.amazonses.com",
            "failed",
            ["sending", "sent", "failed"],
            "OnAccountSuppressionList",
        ),
        (
            "bounce+test-1@simulator.amazonses.com",
            "failed",
            ["sending", "sent", "failed"],
            "Bounce",
        ),
        ("someone@example.com", "sent", ["sending", "sent"], None),
    ],
)
def test_each_simulator_address_ends_its_delivery_as_ses_would(
    client: Any,
    campaign: CampaignModel,
    sandbox: str,
    address: str,
    status: str,
    steps: list[str],
    error: str | None,
) -> None:
    fields = {"passcode": sandbox, "recipient_email": address, "recipient_name": "Ann Smith"}
    reward_id = result_of(call(client, "reward", campaign.campaign_id, fields)).findtext(
        "reward/id"
    )

    response = email_of(client, campaign.campaign_id, reward_id, sandbox)

    assert response.status_code == 200, response.body
    body = body_of(response)
    assert body["emailStatus"] == status
    assert [event["status"] for event in body["history"]] == steps
    assert (body["emailError"] is None) == (error is None)
    if error is not None:
        assert error in body["emailError"]
    assert body["emailMessageId"].startswith("sandbox-")
    email = body["renderedEmail"]
    assert email["to"] == address
    assert email["from"].endswith("<rewards@example.com>")
    assert "Ann" in email["text"] and body["url"] in email["html"]
    assert email["subject"]
    nothing_used(campaign)


def test_the_queries_show_the_simulated_status(
    client: Any, campaign: CampaignModel, sandbox: str
) -> None:
    fields = {"passcode": sandbox, "recipient_list": "bounce@simulator.amazonses.com, b@x.com"}
    call(client, "multi_rewards", campaign.campaign_id, fields)

    listed = body_of(
        client.get(
            f"/api/all_rewards/{campaign.campaign_id}",
            headers={"X-Passcode": sandbox, "Accept": "application/json"},
        )
    )

    statuses = {r["email"]: r["emailStatus"] for r in listed["rewards"]}
    assert statuses == {"bounce@simulator.amazonses.com": "failed", "b@x.com": "sent"}


def test_a_url_reward_has_no_email(client: Any, campaign: CampaignModel, sandbox: str) -> None:
    fields = {"passcode": sandbox, "recipient_email": "a@example.com"}
    reward_id = result_of(call(client, "reward_url", campaign.campaign_id, fields)).findtext(
        "reward/id"
    )

    body = body_of(email_of(client, campaign.campaign_id, reward_id, sandbox))

    assert (body["emailStatus"], body["renderedEmail"], body["history"]) == (None, None, [])


def test_only_the_sandbox_passcode_reads_a_sandbox_email(
    client: Any, campaign: CampaignModel, live: str, sandbox: str
) -> None:
    fields = {"recipient_email": "a@example.com"}
    sandboxed = result_of(
        call(client, "reward", campaign.campaign_id, {**fields, "passcode": sandbox})
    )
    lived = result_of(call(client, "reward", campaign.campaign_id, {**fields, "passcode": live}))
    other = make_campaign()
    other_sandbox = auth.set_passcode(STORE, other.campaign_id, sandbox=True)
    sandbox_id, live_id = sandboxed.findtext("reward/id"), lived.findtext("reward/id")

    assert email_of(client, campaign.campaign_id, sandbox_id, live).status_code == 403
    assert email_of(client, campaign.campaign_id, sandbox_id, "wrong").status_code == 401
    assert email_of(client, campaign.campaign_id, live_id, sandbox).status_code == 404
    assert email_of(client, other.campaign_id, sandbox_id, other_sandbox).status_code == 404
    assert (
        client.get(
            f"/api/sandbox_email/{campaign.campaign_id}/{sandbox_id}",
            headers={"Authorization": f"Bearer {API_KEY}"},
        ).status_code
        == 403
    )


def test_a_sandbox_rewards_page_opens(client: Any, campaign: CampaignModel, sandbox: str) -> None:
    fields = {"passcode": sandbox, "recipient_email": "a@example.com"}
    url = result_of(call(client, "reward_url", campaign.campaign_id, fields)).findtext("reward/url")

    page = client.get(url.removeprefix("https://rewards.test"))

    assert page.status_code == 200
    assert "Welcome gift" in page.body.decode()


# -- isolation -----------------------------------------------------------------------------------
def ids_in(root: ET.Element) -> set[str]:
    return {reward.findtext("id") for reward in root.findall("rewards/reward")}


def test_sandbox_and_live_queries_never_see_each_others_rewards(
    client: Any, campaign: CampaignModel, live: str, sandbox: str
) -> None:
    made = {}
    for name, passcode in (("live", live), ("sandbox", sandbox)):
        fields = {"passcode": passcode, "recipient_list": "a@example.com, b@example.com"}
        made[name] = ids_in(result_of(call(client, "multi_rewards", campaign.campaign_id, fields)))
    admin = jwt_headers(token_for(Role.ADMIN))
    admin.pop("Content-Type", None)
    readers = {
        "live": [{"X-Passcode": live}, {"Authorization": f"Bearer {API_KEY}"}, admin],
        "sandbox": [{"X-Passcode": sandbox}],
    }
    client.put(
        f"/api/{STORE}/campaign/{campaign.campaign_id}/public_queries",
        headers=jwt_headers(token_for(Role.ADMIN)),
        body=json.dumps({"enabled": True}),
    )
    readers["live"].append({})  # public queries: the live rewards

    for name, headers_list in readers.items():
        for headers in headers_list:
            for path in ("all_rewards", "rewards_in_month"):
                root = result_of(client.get(f"/api/{path}/{campaign.campaign_id}", headers=headers))
                assert ids_in(root) == made[name], (name, headers, path)
                assert root.findtext("summary/reward_count") == "2"


def test_sandbox_rewards_stay_out_of_the_bought_list_and_the_campaigns_counts(
    client: Any, campaign: CampaignModel, sandbox: str
) -> None:
    fields = {"passcode": sandbox, "recipient_list": "a@example.com, b@example.com"}
    call(client, "multi_rewards", campaign.campaign_id, fields)

    bought = client.get(f"/api/{STORE}/campaign/bought", headers=jwt_headers(token_for(Role.ADMIN)))
    shown = client.get(
        f"/api/{STORE}/campaign/{campaign.campaign_id}", headers=jwt_headers(token_for(Role.ADMIN))
    )

    assert bought.status_code == 200 and body_of(bought)["total"] == 0
    assert body_of(shown)["usageLeft"] == 5
    nothing_used(campaign)


def test_one_idempotency_key_of_the_live_passcode_never_replays_in_the_sandbox(
    client: Any, campaign: CampaignModel, live: str, sandbox: str
) -> None:
    def issue(passcode: str) -> Any:
        return client.post(
            f"/api/reward_url/{campaign.campaign_id}",
            headers={**FORM, "X-Passcode": passcode, "Idempotency-Key": "k-1"},
            body=urlencode({"recipient_email": "a@example.com"}),
        )

    first, second, again = issue(live), issue(sandbox), issue(sandbox)

    assert "Idempotent-Replayed" not in second.headers
    assert result_of(first).findtext("reward/id") != result_of(second).findtext("reward/id")
    # The sandbox passcode's own repeat is replayed, its link made again.
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.body == second.body
    assert len(live_rewards()) == len(sandbox_rewards()) == 1
