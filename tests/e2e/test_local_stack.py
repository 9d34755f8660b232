"""The local stack as a user runs it: `python -m local.run`, then the API over real HTTP.

Each test starts the stack in its own session on free ports with a temporary data dir, and
stops it with SIGINT as Ctrl-C would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from tests.fixtures.stacks import API_KEY, REPO_ROOT, Stack, api, assert_stops_cleanly, start_stack

pytestmark = pytest.mark.e2e


WALLACE = {
    "email": "wallace@example.com",
    "public_key": "dQw4w9WgXcQ",
    "firstname": "Wallace",
    "surname": "Wensleydale",
    "address1": "62 West Wallaby Street",
    "town": "Wigan",
    "postcode": "WG7 7FU",
    "country_code": "gb",
}


def test_recipient_round_trip_over_http(tmp_path: Path, stacks: list[Stack]) -> None:
    stack = start_stack(tmp_path / "data")
    stacks.append(stack)

    created = api(stack, "POST", "/recipients", json=WALLACE)
    assert created.status_code == 201, created.text
    recipient = created.json()
    assert recipient["email"] == WALLACE["email"]
    for ref in (recipient["id"], "wallace%40example.com", WALLACE["public_key"]):
        found = api(stack, "GET", f"/recipients/{ref}")
        assert found.status_code == 200, (ref, found.text)
        assert found.json()["id"] == recipient["id"]
    # As deployed: JSON 404 off any route (never quoting the credential), 405 with `Allow`.
    unknown = api(stack, "GET", "/no/such/path")
    assert (unknown.status_code, unknown.json()["code"]) == (404, "not_found"), unknown.text
    assert API_KEY not in unknown.text
    trace = api(stack, "TRACE", "/recipients")
    assert trace.status_code == 405, trace.text
    assert set(trace.headers["Allow"].split(", ")) == {"GET", "POST", "PUT"}

    assert_stops_cleanly(stack)


def test_data_survives_a_restart(tmp_path: Path, stacks: list[Stack]) -> None:
    data_dir = tmp_path / "data"
    first = start_stack(data_dir)
    stacks.append(first)
    created = api(first, "POST", "/recipients", json=WALLACE)
    assert created.status_code == 201, created.text
    issued = requests.post(
        f"{first.url}/api/reward_url/demo-welcome-gift",
        headers={"X-Passcode": "demo-passcode"},
        json={"email": "wallace@example.com", "first_name": "Wallace", "last_name": "W"},
        timeout=30,
    ).json()
    assert_stops_cleanly(first)

    second = start_stack(data_dir)
    stacks.append(second)
    found = api(second, "GET", f"/recipients/{created.json()['id']}")
    assert found.status_code == 200, found.text
    assert found.json()["email"] == WALLACE["email"]
    # The link token secret is kept with the data: the link is made again the same after it.
    again = api(second, "GET", f"/api/DEFAULT/rewards/{issued['rewardId']}")
    assert again.status_code == 200, again.text
    path = urlsplit(issued["url"]).path  # the port changed with the restart
    assert urlsplit(again.json()["url"]).path == path
    assert requests.get(f"{second.url}{path}", timeout=30).status_code == 200
    assert (data_dir / "link-token-secret").stat().st_mode & 0o077 == 0
    assert_stops_cleanly(second)


def test_a_reward_is_issued_emailed_by_the_worker_and_its_page_served(
    tmp_path: Path, stacks: list[Stack]
) -> None:
    stack = start_stack(tmp_path / "data")
    stacks.append(stack)

    issued = requests.post(
        f"{stack.url}/api/reward/demo-welcome-gift",
        headers={"X-Passcode": "demo-passcode"},
        json={"email": "wallace@example.com", "first_name": "Wallace", "last_name": "W"},
        timeout=30,
    )
    assert issued.status_code == 201, issued.text
    reward = issued.json()
    assert reward["couponCode"].startswith("WELCOME-")

    # The worker feeds the queue to the same consumer Lambda runs; SES (moto) keeps the email.
    deadline, status = time.monotonic() + 60, None
    while time.monotonic() < deadline and status != "sent":
        time.sleep(0.5)
        status = api(stack, "GET", f"/api/DEFAULT/rewards/{reward['rewardId']}").json()[
            "emailStatus"
        ]
    assert status == "sent", stack.output()
    sent = requests.get(f"http://127.0.0.1:{stack.aws_port}/moto-api/data.json", timeout=30)
    assert reward["couponCode"] in json.dumps(sent.json()["ses"])

    page = requests.get(reward["url"], timeout=30)
    assert page.status_code == 200
    assert reward["couponCode"] in page.text
    # Credentials in the path and the query too; none of them shows in what the stack printed.
    lookup = requests.get(
        f"{stack.url}/api/v1/points/{API_KEY}/email/wallace@example.com/Full", timeout=30
    )
    by_query = requests.post(
        f"{stack.url}/api/reward_url/demo-welcome-gift?passcode=demo-passcode",
        json={"email": "gromit@example.com", "first_name": "Gromit", "last_name": "W"},
        timeout=30,
    )
    assert (lookup.status_code, by_query.status_code) == (200, 201), (lookup.text, by_query.text)
    assert_stops_cleanly(stack)
    printed = stack.log.read_text(errors="replace")
    assert "/api/v1/points/[REDACTED]/email/" in printed  # the access log is there, redacted
    token = reward["url"].rsplit("/", 1)[-1]
    for secret in (API_KEY, "demo-passcode", token):
        assert secret not in printed


def test_every_demo_login_works_and_the_customer_has_points(
    tmp_path: Path, stacks: list[Stack]
) -> None:
    stack = start_stack(tmp_path / "data")
    stacks.append(stack)
    defaults = {  # the README's
        "admin": ("admin@example.com", "admin123"),
        "seller": ("seller@example.com", "seller123"),
        "customer": ("customer@example.com", "customer123"),
    }

    tokens = {}
    for role, (username, password) in defaults.items():
        login = requests.post(
            f"{stack.url}/api/{role}/login_check",
            json={"username": username, "password": password},
            timeout=30,
        )
        assert login.status_code == 200, (role, login.text)
        tokens[role] = login.json()["token"]

    available = requests.get(
        f"{stack.url}/api/DEFAULT/customer/campaign/available",
        headers={"Authorization": f"Bearer {tokens['customer']}"},
        timeout=30,
    )
    assert available.status_code == 200, available.text
    assert available.json()["campaigns"][0]["canBeBoughtByCustomer"]  # 500 points, costs 100
    assert_stops_cleanly(stack)
    printed = stack.log.read_text(errors="replace")
    for username, password in defaults.values():
        assert username in printed  # the banner names each login...
        assert password not in printed  # ...but not its password


def test_the_cli_finds_the_running_stack_and_says_when_it_is_gone(
    tmp_path: Path, stacks: list[Stack]
) -> None:
    data_dir = tmp_path / "data"
    stack = start_stack(data_dir)
    stacks.append(stack)
    # A user's shell: no AWS or REWARDS settings but the data folder make run was given.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "REWARDS_"))}
    env["REWARDS_DATA_DIR"] = str(data_dir)

    def cli(*argv: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "chalicelib.cli", *argv]
        return subprocess.run(
            command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=60
        )

    listed = cli("list-api-keys", "DEFAULT")
    assert listed.returncode == 0, listed.stderr
    assert "\tactive\tdemo\t" in listed.stdout

    assert_stops_cleanly(stack)
    assert not (data_dir / "stack.json").exists()
    gone = cli("list-api-keys", "DEFAULT")
    assert gone.returncode == 2
    assert gone.stderr.startswith("error: no local stack is running")


def test_a_photo_is_read_as_the_document_asks_it_through_the_redirect(
    tmp_path: Path, stacks: list[Stack]
) -> None:
    """The document's request (`Accept: application/json`, here with no login at all) gets a
    302 to the embedded AWS, which the same client follows to the bytes."""
    stack = start_stack(tmp_path / "data")
    stacks.append(stack)
    login = requests.post(
        f"{stack.url}/api/admin/login_check",
        json={"username": "admin@example.com", "password": "admin123"},
        timeout=30,
    )
    admin = {"Authorization": f"Bearer {login.json()['token']}"}
    listed = requests.get(f"{stack.url}/api/DEFAULT/campaign", headers=admin, timeout=30)
    campaign_id = listed.json()["campaigns"][0]["campaignId"]
    gif = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00"
    photos = f"{stack.url}/api/DEFAULT/campaign/{campaign_id}/photo"
    added = requests.post(
        photos, headers=admin, files={"photo[file]": ("a.gif", gif, "image/gif")}, timeout=30
    )
    assert added.status_code == 200, added.text
    url = f"{photos}/{added.json()['photoId']}"

    redirect = requests.get(
        url, headers={"Accept": "application/json"}, allow_redirects=False, timeout=30
    )
    followed = requests.get(url, headers={"Accept": "application/json"}, timeout=30)

    assert redirect.status_code == 302
    assert urlsplit(redirect.headers["Location"]).port == stack.aws_port
    assert (followed.status_code, followed.headers["Content-Type"]) == (200, "image/gif")
    assert followed.content == gif
    assert_stops_cleanly(stack)
