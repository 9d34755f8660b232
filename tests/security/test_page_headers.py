"""Every HTML answer (claim page, reward page, docs, their error pages) carries the security
headers, and nothing in it needs what the policy refuses (inline scripts, other origins)."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlparse

import pytest

from chalicelib.domain.access import auth
from chalicelib.domain.points import claims
from tests.fixtures.clients import STORE
from tests.fixtures.factories import make_campaign

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def claim_token() -> str:
    [outcome] = claims.create_claims(STORE, [{"amount": 10}])
    assert outcome.claim is not None
    return outcome.claim.token


def reward_token(client: Any) -> str:
    """The token of a reward's link, as the recipient gets it."""
    campaign = make_campaign(STORE, codes=["CODE-1"])
    passcode = auth.set_passcode(STORE, campaign.campaign_id)
    issued = client.post(
        f"/api/reward_url/{campaign.campaign_id}",
        headers={"X-Passcode": passcode, "Content-Type": "application/json"},
        body=json.dumps({"email": "wallace@example.com", "first_name": "W", "last_name": "W"}),
    )
    return urlparse(json.loads(issued.body)["url"]).path.rsplit("/", 1)[-1]


PAGES = {
    "docs": lambda client: client.get("/docs"),
    "claim page": lambda client: client.get(f"/claim/points/{claim_token()}"),
    "claim form refused": lambda client: client.post(
        f"/claim/points/{claim_token()}", headers=FORM, body="email=not-an-email"
    ),
    "claim not found": lambda client: client.get("/claim/points/" + "0" * 32),
    "reward page": lambda client: client.get(f"/r/{reward_token(client)}"),
    "reward not found": lambda client: client.get("/r/no-such-reward-token-0000"),
}


@pytest.mark.parametrize("page", sorted(PAGES))
def test_every_html_answer_sends_the_security_headers(client: Any, page: str) -> None:
    response = PAGES[page](client)

    assert response.headers["Content-Type"].startswith("text/html"), response.body
    parts = response.headers["Content-Security-Policy"].split(";")
    policy = dict(part.strip().split(" ", 1) for part in parts)
    assert policy["frame-ancestors"] == "'none'"
    assert policy["default-src"] == "'none'"
    assert policy["script-src"] == "'self'"  # no inline script, no other origin
    assert policy["form-action"] == "'self'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    # What the page holds runs under that policy: no inline script or handler, nothing remote.
    html = response.body.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert not re.search(r"\son[a-z]+\s*=", html)
    assert not re.search(r"""(?:src|href|action)\s*=\s*["']?(?:[a-z]+:)?//""", html)
