"""Links made again later: the email sent after the request works, a changed secret sends none."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.config import reset_settings
from chalicelib.domain.access import stores
from chalicelib.domain.rewards.links import reward_url
from chalicelib.storage.rewards import EMAIL_FAILED
from tests.fixtures.clients import STORE
from tests.fixtures.emails import consume, issue, receive, reload, sent_emails


def test_the_email_sent_later_carries_the_link_shown_at_issue(client: Any) -> None:
    [reward] = issue(1)
    shown = reward_url(stores.get_store(STORE), reward)

    consume(receive(1))  # the consumer has only the stored reward, which holds no token

    [email] = sent_emails()
    assert f'href="{shown}"' in email.body
    assert client.get(shown.removeprefix("https://rewards.test")).status_code == 200


def test_an_email_whose_link_cannot_be_made_again_fails_and_sends_nothing(
    store: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    [reward] = issue(1)
    monkeypatch.setenv("REWARDS_LINK_TOKEN_SECRET", "a-secret-the-links-were-not-made-with")
    reset_settings()

    assert consume(receive(1)) == []  # made again, it would not match again: no retry

    assert sent_emails() == []
    failed = reload(reward)
    assert failed.email_status == EMAIL_FAILED
    assert "cannot be made again" in failed.email_error
    monkeypatch.undo()
    reset_settings()
