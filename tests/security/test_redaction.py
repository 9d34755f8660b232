"""No credential reaches a log line or an error body, whatever style carries it.

Each credential style of the service is sent (Bearer and Basic API keys, `csapikey` in the path
and the query, `X-Passcode`, the passcode as form field and query parameter, a login password,
a JWT, reward and claim tokens in the path); then everything written is searched for it: the
local server's access log, the request logs, Chalice's traceback of a crash, error bodies.
"""

from __future__ import annotations

import base64
import io
import json
import logging
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlparse

import pytest

from chalicelib.domain.access import auth
from chalicelib.domain.access.auth import Role
from chalicelib.domain.points import claims
from chalicelib.redaction import MASK, redact
from tests.fixtures.clients import API_KEY, STORE
from tests.fixtures.factories import make_campaign

PASSWORD = "correct-horse-battery-staple"
ADMIN = "admin@example.com"
JSON = {"Content-Type": "application/json"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
RECIPIENT = {"email": "wallace@example.com", "first_name": "Wallace", "last_name": "W"}


@dataclass(frozen=True)
class Call:
    """One request carrying `secret` in some style."""

    style: str
    method: str
    path: str
    secret: str
    headers: dict[str, str]
    body: str | None = None


@dataclass(frozen=True)
class Secrets:
    campaign_id: str
    passcode: str
    jwt: str
    reward_token: str
    claim_token: str


def calls(found: Secrets) -> list[Call]:
    basic = base64.b64encode(f"{API_KEY}:X".encode()).decode()
    campaign, passcode = found.campaign_id, found.passcode
    login = json.dumps({"username": ADMIN, "password": PASSWORD})
    return [
        Call("bearer", "GET", "/recipients", API_KEY, {"Authorization": f"Bearer {API_KEY}"}),
        Call("basic", "GET", "/recipients", basic, {"Authorization": f"Basic {basic}"}),
        Call("basic token", "GET", "/recipients", API_KEY, {"Authorization": f"Basic {basic}"}),
        Call("csapikey", "GET", f"/api/v1/points/{API_KEY}/email/a@b.co/Full", API_KEY, {}),
        Call("csapikey query", "GET", f"/recipients?csapikey={API_KEY}", API_KEY, {}),
        Call(
            "x-passcode",
            "POST",
            f"/api/reward_url/{campaign}",
            passcode,
            {"X-Passcode": passcode, **JSON},
            json.dumps(RECIPIENT),
        ),
        Call(
            "passcode form",
            "POST",
            f"/api/reward_url/{campaign}",
            passcode,
            FORM,  # Mokugift's original contract: its fields, answered in XML
            urlencode({"recipient_email": RECIPIENT["email"], "passcode": passcode}),
        ),
        Call(
            "passcode query",
            "POST",
            f"/api/reward_url/{campaign}?passcode={passcode}",
            passcode,
            JSON,
            json.dumps(RECIPIENT),
        ),
        Call("password", "POST", "/api/admin/login_check", PASSWORD, JSON, login),
        Call(
            "bad password",
            "POST",
            "/api/admin/login_check",
            PASSWORD + "x",
            JSON,
            json.dumps({"username": ADMIN, "password": PASSWORD + "x"}),
        ),
        Call(
            "jwt",
            "GET",
            f"/api/all_rewards/{campaign}",
            found.jwt,
            {"Authorization": f"Bearer {found.jwt}"},
        ),
        Call("reward token", "GET", f"/r/{found.reward_token}", found.reward_token, {}),
        Call("claim token", "GET", f"/claim/points/{found.claim_token}", found.claim_token, {}),
        Call(
            "claim api token",
            "GET",
            f"/api/v1/claims/{found.claim_token}?csapikey={API_KEY}",
            found.claim_token,
            {},
        ),
    ]


@pytest.fixture
def secrets(client: Any) -> Secrets:
    campaign = make_campaign(STORE, codes=[f"CODE-{n}" for n in range(10)])
    passcode = auth.set_passcode(STORE, campaign.campaign_id)
    auth.create_user(STORE, Role.ADMIN, ADMIN, PASSWORD)
    issued = client.post(
        f"/api/reward_url/{campaign.campaign_id}",
        headers={"X-Passcode": passcode, **JSON},
        body=json.dumps(RECIPIENT),
    )
    assert issued.status_code == 201, issued.body
    [outcome] = claims.create_claims(STORE, [{"amount": 10}])
    assert outcome.claim is not None
    return Secrets(
        campaign_id=campaign.campaign_id,
        passcode=passcode,
        jwt=auth.login(STORE, Role.ADMIN, ADMIN, PASSWORD),
        reward_token=urlparse(json.loads(issued.body)["url"]).path.rsplit("/", 1)[-1],
        claim_token=outcome.claim.token,
    )


@pytest.fixture
def logs() -> Iterator[io.StringIO]:
    """Everything the app's loggers write (request logs, Chalice's own), at INFO."""
    from app import app
    from chalicelib.api.logging import logger

    written = io.StringIO()
    handlers = [
        handler
        for handler in (logger().registered_handler, *app.log.handlers)
        if isinstance(handler, logging.StreamHandler)
    ]
    # Assigned, not setStream: that flushes the old stream, maybe an earlier test's, closed.
    streams = [handler.stream for handler in handlers]
    for handler in handlers:
        handler.stream = written
    levels = [(log, log.level) for log in (logger(), app.log)]
    for log, _ in levels:
        log.setLevel(logging.INFO)
    try:
        yield written
    finally:
        for handler, stream in zip(handlers, streams, strict=True):
            handler.stream = stream
        for log, level in levels:
            log.setLevel(level)


def test_the_local_servers_access_log_shows_no_credential(
    secrets: Secrets, capsys: pytest.CaptureFixture[str]
) -> None:
    from chalice.config import Config

    from app import app
    from local.api_server import configure_logging, make_server

    written = io.StringIO()
    handler = configure_logging(written)
    server = make_server(app, Config.create(chalice_app=app), "127.0.0.1", 0)
    port = server.server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        for call in calls(secrets):
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}{call.path}",
                method=call.method,
                headers=call.headers,
                data=call.body.encode() if call.body else None,
            )
            try:
                urllib.request.urlopen(request, timeout=10).read()
            except urllib.error.HTTPError as error:
                error.read()
    finally:
        server.shutdown()
        logging.getLogger().removeHandler(handler)

    captured = capsys.readouterr()
    output = written.getvalue() + captured.out + captured.err
    assert output.count(" HTTP/1.1") >= len(calls(secrets)), output  # one line per request
    for call in calls(secrets):
        assert call.secret not in output, (call.style, output)


def test_request_logs_show_no_credential(secrets: Secrets, client: Any, logs: io.StringIO) -> None:
    for call in calls(secrets):
        response = getattr(client, call.method.lower())(
            call.path, headers=call.headers, body=call.body
        )
        assert response.status_code < 500, (call.style, response.body)

    lines = [json.loads(line) for line in logs.getvalue().splitlines()]
    assert [line["message"] for line in lines].count("request") == len(calls(secrets))
    for call in calls(secrets):
        assert call.secret not in logs.getvalue(), call.style


def test_a_crash_quoting_the_credential_leaves_it_out_of_the_log_and_the_body(
    secrets: Secrets, client: Any, logs: io.StringIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app import app
    from chalicelib.domain.rewards import issuing

    def crash(store_code: str, campaign_id: str, item: Any, *args: Any, **kwargs: Any) -> None:
        raise RuntimeError(f"could not issue with {item!r}")  # quotes the body, passcode and all

    monkeypatch.setattr(issuing, "issue_one", crash)
    monkeypatch.setattr(app, "debug", True)  # the local stage: a 500 answers its traceback
    for call in calls(secrets):
        if call.style not in {"x-passcode", "passcode form", "passcode query"}:
            continue
        response = getattr(client, call.method.lower())(
            call.path, headers=call.headers, body=call.body
        )
        assert response.status_code == 500
        body = response.body.decode()
        if call.style == "passcode form":  # the original contract: its XML error 110, no trace
            assert "<code>110</code>" in body
        else:
            assert "could not issue with" in body  # the traceback, without the passcode
        assert call.secret not in body, call.style
        assert "could not issue with" in logs.getvalue()
        assert call.secret not in logs.getvalue(), call.style


def test_an_error_body_never_echoes_the_credential(secrets: Secrets, client: Any) -> None:
    for call in calls(secrets):
        # Every style again, on an answer that fails: a wrong store, a bad body.
        response = getattr(client, call.method.lower())(
            call.path.replace("/recipients", "/recipients/nobody@example.com"),
            headers=call.headers,
            body="{",
        )
        assert call.secret not in response.body.decode(errors="replace"), call.style


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("GET /api/v1/points/K3y-0123456789/INSTANT HTTP/1.1", "K3y-0123456789"),
        ("POST /api/reward/c?passcode=p4ss-w0rd&x=1", "p4ss-w0rd"),
        ('{"password": "hunter2-xyz"}', "hunter2-xyz"),
        ("customer%5Bpassword%5D=hunter2-xyz&a=1", "hunter2-xyz"),
        ("Authorization: Basic dGVzdDpY", "dGVzdDpY"),
        ("X-Passcode: p4ss-w0rd", "p4ss-w0rd"),
        ("sent eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl", "c2lnbmF0dXJl"),
        ("GET /r/AbCdEf0123456789 HTTP/1.1", "AbCdEf0123456789"),
        ("GET /claim/points/abcdef0123456789?x=1", "abcdef0123456789"),
    ],
)
def test_redact_masks_every_credential_shape(text: str, secret: str) -> None:
    redacted = redact(text)
    assert secret not in redacted
    assert MASK in redacted


def test_redact_keeps_route_templates_plain_words_and_json_shapes() -> None:
    for text in (
        '{"route": "/r/{token}", "code": "token_expired"}',
        "GET /recipients 200",
        '{"errors": {"password": ["The password field is required."]}, "token": null}',
    ):
        assert redact(text) == text


def test_the_jobs_logger_redacts_too() -> None:
    from chalicelib.jobs.reward_emails import logger

    log = logger()
    written = io.StringIO()
    handler = log.registered_handler
    stream, handler.stream = handler.stream, written
    try:
        log.warning("reward email not sent", url="https://rewards.test/r/AbCdEf0123456789")
    finally:
        handler.stream = stream

    assert "AbCdEf0123456789" not in written.getvalue()
    assert f"/r/{MASK}" in written.getvalue()
