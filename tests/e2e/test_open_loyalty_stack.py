"""Open Loyalty's client calls against the stack `make run` serves, over real HTTP: the demo
customer logs in with `_username` / `_password` (a form, as Symfony's login reads it), trades
the refresh token, buys, reads their purchases; the public list needs no login."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from tests.fixtures.stacks import Stack, assert_stops_cleanly, start_stack

pytestmark = pytest.mark.e2e
CAMPAIGN = "demo-welcome-gift"


def test_an_open_loyalty_client_session(tmp_path: Path, stacks: list[Stack]) -> None:
    stack = start_stack(tmp_path / "data")
    stacks.append(stack)
    api = f"{stack.url}/api/DEFAULT"

    login = requests.post(
        f"{stack.url}/api/customer/login_check",
        data={"_username": "customer@example.com", "_password": "customer123"},
        timeout=30,
    )
    assert login.status_code == 200, login.text
    assert set(login.json()) == {"token", "refresh_token"}
    refreshed = requests.post(
        f"{stack.url}/api/token/refresh",
        data={"refresh_token": login.json()["refresh_token"]},
        timeout=30,
    )
    assert refreshed.status_code == 200, refreshed.text
    headers = {"Authorization": f"Bearer {refreshed.json()['token']}"}

    bought = requests.post(f"{api}/customer/campaign/{CAMPAIGN}/buy", headers=headers, timeout=30)
    assert bought.status_code == 200, bought.text
    mine = requests.get(
        f"{api}/customer/campaign/bought?includeDetails=1", headers=headers, timeout=30
    )
    assert mine.status_code == 200, mine.text
    [row] = mine.json()["campaigns"]
    assert row["campaign"]["campaignId"] == CAMPAIGN
    public = requests.get(f"{api}/campaign/public/available", timeout=30)
    assert public.status_code == 200, public.text
    reused = requests.post(
        f"{stack.url}/api/token/refresh",
        data={"refresh_token": login.json()["refresh_token"]},
        timeout=30,
    )
    assert reused.status_code == 401
    assert_stops_cleanly(stack)
