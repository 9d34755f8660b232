"""Link tokens: made again from the record and the secret, shaped as before, kept as digests."""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from moto import mock_aws

from chalicelib import aws as aws_clients
from chalicelib.config import get_settings, reset_settings
from chalicelib.domain.access import link_tokens
from chalicelib.secrets_store import link_token_secret, reset_secrets

URL_SAFE_32 = re.compile(r"^[A-Za-z0-9_-]{32}$")  # what secrets.token_urlsafe(24) made


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """The environment, with settings read again after each change and after the test."""
    yield monkeypatch
    monkeypatch.undo()
    reset_settings()
    reset_secrets()


def test_a_reward_token_is_32_url_safe_characters_and_the_same_each_time() -> None:
    token = link_tokens.reward_token("S", "reward-1")

    assert URL_SAFE_32.match(token)
    assert link_tokens.reward_token("S", "reward-1") == token


def test_a_claim_token_is_a_version_4_uuid_as_before() -> None:
    token = link_tokens.claim_token("S", "claim-1")

    assert re.fullmatch(r"[0-9a-f]{32}", token)
    assert uuid.UUID(token).version == 4
    assert link_tokens.claim_token("S", "claim-1") == token


def test_each_record_store_and_kind_has_its_own_token() -> None:
    made = {
        link_tokens.reward_token("S", "1"),
        link_tokens.reward_token("S", "2"),
        link_tokens.reward_token("T", "1"),
        link_tokens.claim_token("S", "1"),
        link_tokens.claim_token("T", "1"),
    }
    assert len(made) == 5


def test_another_secret_makes_other_tokens(env: pytest.MonkeyPatch) -> None:
    before = (link_tokens.reward_token("S", "1"), link_tokens.claim_token("S", "1"))
    env.setenv("REWARDS_LINK_TOKEN_SECRET", "another-link-token-secret-0000000000")
    reset_settings()

    after = (link_tokens.reward_token("S", "1"), link_tokens.claim_token("S", "1"))
    assert set(before).isdisjoint(after)


def test_the_digest_is_the_sha256_of_the_token() -> None:
    token = link_tokens.reward_token("S", "1")
    assert link_tokens.digest(token) == hashlib.sha256(token.encode()).hexdigest()


def test_a_token_is_shown_only_when_it_matches_its_digest() -> None:
    link = link_tokens.Link(link_tokens.REWARD, "S", "1")
    token = link.token()

    assert link_tokens.shown(link, link_tokens.digest(token)) == token
    for stored in (link_tokens.digest("something else"), None, token):
        with pytest.raises(link_tokens.LinkTokenError, match="reward 1"):
            link_tokens.shown(link, stored)


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_no_deployed_stage_has_a_default_secret(env: pytest.MonkeyPatch, stage: str) -> None:
    env.delenv("REWARDS_LINK_TOKEN_SECRET")
    env.delenv("REWARDS_LINK_TOKEN_SECRET_PARAMETER", raising=False)
    env.setenv("REWARDS_STAGE", stage)
    reset_settings()

    with pytest.raises(RuntimeError, match="REWARDS_LINK_TOKEN_SECRET"):
        link_tokens.reward_token("S", "1")


@pytest.mark.parametrize("stage", ["local", "test"])
def test_a_local_install_makes_its_own_secret_once(
    env: pytest.MonkeyPatch, tmp_path: Path, stage: str
) -> None:
    env.delenv("REWARDS_LINK_TOKEN_SECRET")
    env.delenv("REWARDS_LINK_TOKEN_SECRET_PARAMETER", raising=False)
    env.setenv("REWARDS_STAGE", stage)
    env.setenv("REWARDS_DATA_DIR", str(tmp_path))
    reset_settings()

    token = link_tokens.reward_token("S", "1")
    kept = (tmp_path / "link-token-secret").read_text().strip()
    reset_settings()

    assert len(kept) >= 32
    assert link_tokens.reward_token("S", "1") == token  # a restart makes the same links


def test_deployed_the_secret_is_read_from_its_ssm_parameter(env: pytest.MonkeyPatch) -> None:
    env.delenv("REWARDS_LINK_TOKEN_SECRET")
    env.setenv("REWARDS_LINK_TOKEN_SECRET_PARAMETER", "/rewards/test/link-token-secret")
    with mock_aws():
        reset_settings()
        reset_secrets()
        aws_clients.client("ssm").put_parameter(
            Name="/rewards/test/link-token-secret", Value="from-ssm-0123456789", Type="SecureString"
        )

        assert link_token_secret() == "from-ssm-0123456789"
        assert "from-ssm" not in repr(get_settings())


def test_a_sealed_text_holds_no_token_and_unseals_to_the_original() -> None:
    claim = link_tokens.Link(link_tokens.CLAIM, "S", "c-1")
    reward = link_tokens.Link(link_tokens.REWARD, "S", "r-1")
    hex_token, dashed = claim.forms()
    url_token = reward.token()
    text = (
        f'{{"claimToken": "{dashed}", "claimUrl": "https://x/claim/points/{hex_token}", '
        f'"pair": "{url_token}{url_token}", "échoed": "{hex_token}", '
        f'"encoded": "r%2F{url_token}_x"}}'  # inside a longer run of URL-safe characters
    )

    cut, holes = link_tokens.sealed(text, [claim, reward, claim])

    assert all(token not in cut for token in (hex_token, dashed, url_token))
    assert len(holes) == 6
    assert link_tokens.unsealed(cut, holes) == text


def test_a_text_without_links_is_kept_as_it_is() -> None:
    assert link_tokens.sealed("plain", []) == ("plain", [])
    assert link_tokens.unsealed("plain", []) == "plain"


def test_only_the_links_shown_inside_the_block_are_noted() -> None:
    link = link_tokens.Link(link_tokens.REWARD, "S", "1")
    stored = link_tokens.digest(link.token())
    link_tokens.shown(link, stored)  # outside: noted nowhere

    with link_tokens.noting() as noted:
        link_tokens.shown(link, stored)

    assert noted == [link]
