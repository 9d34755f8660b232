"""Campaign passcodes belong to a store's campaign; seeding never undoes a rotation; passcodes
kept the old way (one store per campaign id) are migrated with their digests."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib import cli
from chalicelib.domain.access import auth, secrets
from chalicelib.domain.catalog import entries
from chalicelib.domain.catalog.campaign_form import read_campaign
from chalicelib.domain.errors import AuthenticationError
from chalicelib.storage.credentials import CredentialModel
from chalicelib.storage.rewards import RewardModel
from tests.fixtures.clients import OTHER_STORE, STORE, body_of

SHARED_ID = "spring-gift"
RECIPIENT = {"email": "wallace@example.com", "first_name": "Wallace", "last_name": "W"}
DEMO = {"api_key": "demo-api-key-0123456789abcdef", "admin_email": "admin@example.com"}


def issue(client: Any, campaign_id: str, passcode: str) -> Any:
    return client.post(
        f"/api/reward_url/{campaign_id}",
        headers={"X-Passcode": passcode, "Content-Type": "application/json"},
        body=json.dumps(RECIPIENT),
    )


def rewards_of(store_code: str) -> list[RewardModel]:
    return [reward for reward in RewardModel.scan() if reward.store_code == store_code]


def test_two_stores_with_one_campaign_id_each_issue_with_their_own_passcode(client: Any) -> None:
    for store_code in (STORE, OTHER_STORE):
        entries.create_campaign(
            store_code, read_campaign(cli._demo_campaign()), campaign_id=SHARED_ID
        )
    ours = auth.set_passcode(STORE, SHARED_ID)
    theirs = auth.set_passcode(OTHER_STORE, SHARED_ID)

    for passcode, store_code in ((ours, STORE), (theirs, OTHER_STORE)):
        response = issue(client, SHARED_ID, passcode)
        assert response.status_code == 201, response.body
        [reward] = rewards_of(store_code)
        assert reward.reward_id == body_of(response)["rewardId"]
    wrong = issue(client, SHARED_ID, "neither-stores-passcode-000")
    assert (wrong.status_code, body_of(wrong)["code"]) == (401, "bad_passcode")
    assert len(rewards_of(STORE)) == len(rewards_of(OTHER_STORE)) == 1


def seed(passcode: str) -> None:
    cli.seed_demo(STORE, DEMO["api_key"], DEMO["admin_email"], "admin-password", passcode)


def test_a_restart_keeps_the_demo_campaigns_rotated_passcode(store: str) -> None:
    seed("demo-passcode-0123")
    rotated = auth.set_passcode(STORE, cli.DEMO_CAMPAIGN_ID)  # what an admin's rotation does

    seed("demo-passcode-0123")  # the next `make run`

    assert auth.principal_for_passcode(cli.DEMO_CAMPAIGN_ID, rotated).store_code == STORE
    with pytest.raises(AuthenticationError):
        auth.principal_for_passcode(cli.DEMO_CAMPAIGN_ID, "demo-passcode-0123")


def test_the_first_seed_sets_the_demo_passcode(store: str) -> None:
    seed("demo-passcode-0123")

    principal = auth.principal_for_passcode(cli.DEMO_CAMPAIGN_ID, "demo-passcode-0123")
    assert principal.store_code == STORE


def test_a_passcode_kept_the_old_way_is_migrated_and_still_works(store: str) -> None:
    legacy = CredentialModel(
        "passcode#old-campaign",
        kind="passcode",
        store_code=STORE,
        role="issuer",
        subject="old-campaign",
        secret_hash=secrets.token_digest("old-passcode-0123456789"),
        created_at=datetime.now(UTC),
    )
    legacy.save()

    assert auth.migrate_passcodes(STORE) == 1
    assert auth.migrate_passcodes(STORE) == 0  # once

    principal = auth.principal_for_passcode("old-campaign", "old-passcode-0123456789")
    assert principal.store_code == STORE
    assert CredentialModel.count("passcode#old-campaign") == 0
