"""The reward landing page and the reward email, rendered by a real headless Chromium.

Chromium loads each HTML from a file and prints the DOM it built (`--dump-dom`); the coupon
code must be in it, in its element, and a script put in the recipient's name must have stayed
text (had it run, it would have replaced the body). CI installs Debian's `chromium` (.ci/run);
without one these tests are skipped.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from chalicelib.domain.access import stores
from chalicelib.domain.catalog.campaigns import get_campaign
from chalicelib.domain.rewards.email_content import render_reward_email
from chalicelib.domain.rewards.links import reward_token
from tests.fixtures.clients import STORE
from tests.fixtures.emails import issue

CHROMIUM = next(
    (found for name in ("chromium", "chromium-browser") if (found := shutil.which(name))), None
)
CHROMIUM_SECONDS = 90
# Quiet and self-contained: no sandbox (CI runs as root), no GPU, no calls home.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
HOSTILE_NAME = "<script>document.body.innerHTML='pwned'</script>"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="no chromium binary (apt-get install chromium)"),
]


def dom_of(page: str, tmp_path: Path) -> str:
    """The DOM Chromium builds from `page` (HTML text), after any script would have run."""
    source = tmp_path / "page.html"
    source.write_text(page, encoding="utf-8")
    profile = tmp_path / "profile"
    result = subprocess.run(
        [str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", "--dump-dom", source.as_uri()],
        capture_output=True,
        text=True,
        timeout=CHROMIUM_SECONDS,
        env={**os.environ, "HOME": str(tmp_path)},
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def assert_shows(dom: str, coupon: str) -> None:
    assert re.search(rf'<p [^>]*id="coupon-code"[^>]*>\s*{coupon}\s*</p>', dom)
    assert "pwned" not in dom.replace(html.escape(HOSTILE_NAME, quote=False), "")
    assert html.escape(HOSTILE_NAME, quote=False) in dom


def test_the_landing_page_shows_the_coupon_in_chromium(client: Any, tmp_path: Path) -> None:
    [reward] = issue(1, enqueue=False, firstname=HOSTILE_NAME)

    response = client.get(f"/r/{reward_token(reward)}")

    assert response.status_code == 200
    assert_shows(dom_of(response.body.decode("utf-8"), tmp_path), "CODE-0000")


def test_the_email_html_shows_the_coupon_in_chromium(store: str, tmp_path: Path) -> None:
    [reward] = issue(1, enqueue=False, firstname=HOSTILE_NAME)
    campaign = get_campaign(STORE, reward.campaign_id)

    email = render_reward_email(reward, campaign, stores.get_store(STORE))

    dom = dom_of(email.html, tmp_path)
    assert_shows(dom, "CODE-0000")
    assert f'href="https://rewards.test/r/{reward_token(reward)}"' in dom
