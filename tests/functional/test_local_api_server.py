"""The API as `make run` serves it, over HTTP: paths and methods no route has are answered as
the deployed API answers them (a JSON 404, a JSON 405 with `Allow`), not as `chalice local`
and http.server would (a 403 quoting the Authorization header, a 501 HTML page)."""

from __future__ import annotations

import http.client
import json
import re
from collections import defaultdict
from typing import Any
from urllib.parse import urlsplit

import pytest

from chalicelib.api.faces import ROUTE_TABLE
from tests.fixtures.clients import API_KEY

SECRET_HEADER = f"Bearer {API_KEY}"


def call(url: str, method: str, path: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    """One request, any verb (http.client sends TRACE and made-up ones as they are)."""
    address = urlsplit(url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
    try:
        connection.request(method, path, headers=headers)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def json_error(status: int, headers: dict[str, str], body: bytes) -> dict[str, Any]:
    assert headers["Content-Type"] == "application/json", body
    payload: dict[str, Any] = json.loads(body)
    assert set(payload) == {"message", "code"}
    return payload


@pytest.mark.parametrize("path", ["/nope", "/api/v1/nope/deeper/still?x=1", "/"])
@pytest.mark.parametrize("method", ["GET", "POST", "OPTIONS"])
def test_an_unknown_path_is_a_json_404_that_never_quotes_the_credential(
    local_api: str, method: str, path: str
) -> None:
    status, headers, body = call(local_api, method, path, Authorization=SECRET_HEADER)

    assert status == 404, body
    assert json_error(status, headers, body)["code"] == "not_found"
    assert API_KEY.encode() not in body


@pytest.mark.parametrize("method", ["TRACE", "CONNECT", "BREW", "POST", "OPTIONS"])
def test_a_method_the_route_lacks_is_a_json_405_with_allow(local_api: str, method: str) -> None:
    status, headers, body = call(local_api, method, "/health")

    assert status == 405, body
    assert json_error(status, headers, body)["code"] == "method_not_allowed"
    assert headers["Allow"] == "GET"


def test_trace_on_every_route_is_a_405_listing_the_routes_methods(local_api: str) -> None:
    methods: dict[str, set[str]] = defaultdict(set)
    for route in json.loads(ROUTE_TABLE.read_text(encoding="utf-8")):
        methods[route["path"]].add(route["method"])

    for path, allowed in methods.items():
        concrete = re.sub(r"{\w+}", "x1", path)
        # JSON asked for: Mokugift's paths answer a request of its original contract (no
        # Accept) in its XML (tests/functional/test_mokugift_pipeline_errors.py).
        status, headers, body = call(
            local_api, "TRACE", concrete, Authorization=SECRET_HEADER, Accept="application/json"
        )
        assert status == 405, (path, body)
        assert set(headers["Allow"].split(", ")) == allowed, path
        if path.endswith(".xml"):  # Imonggo: the suffix picks the format, whatever the Accept
            assert headers["Content-Type"].startswith("application/xml"), (path, body)
            assert b"<errors>" in body, (path, body)
            continue
        # Imonggo's paths answer in its own error shape, `errors` beside `code` and `message`.
        assert headers["Content-Type"] == "application/json", (path, body)
        payload = json.loads(body)
        assert {"message", "code"} <= set(payload) <= {"message", "code", "errors"}, path
        assert payload["code"] == "method_not_allowed"


def test_a_route_still_answers_its_own_methods(local_api: str) -> None:
    status, _, body = call(local_api, "GET", "/health")

    assert status == 200, body


def test_docs_with_a_trailing_slash_lead_to_the_docs(local_api: str) -> None:
    status, headers, _ = call(local_api, "GET", "/docs/")

    assert status == 301
    assert headers["Location"] == "../docs"  # relative: /docs/ + ../docs = /docs
    status, headers, body = call(local_api, "GET", "/docs")
    assert status == 200
    assert headers["Content-Type"].startswith("text/html")
    assert b'src="docs/assets/api_docs.js"' in body


def test_an_unknown_path_leaves_the_apps_routes_as_they_were(local_api: str) -> None:
    from app import app

    before = set(app.routes)
    call(local_api, "GET", "/nope")
    call(local_api, "GET", "/")

    assert set(app.routes) == before  # the API description, built from them, stays the same


def test_a_chunked_body_is_read_whole_and_the_connection_serves_the_next_request(
    local_api: str,
) -> None:
    """A body sent in chunks (no Content-Length) is the request's body, as API Gateway takes
    it, and none of its bytes are left to be read as the connection's next request."""
    address = urlsplit(local_api)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
    try:
        body = [b'{"email": "chunked@example.com", ', b'"firstname": "Chunky"}']
        connection.request(
            "POST",
            "/recipients",
            body=iter(body),
            headers={"Authorization": SECRET_HEADER, "Content-Type": "application/json"},
            encode_chunked=True,
        )
        first = connection.getresponse()
        payload = json.loads(first.read())
        assert first.status == 422, payload  # the body was read: its fields are checked
        assert set(payload["errors"]) >= {"surname"}, payload
        connection.request("GET", "/health")
        second = connection.getresponse()
        assert second.status == 200, second.read()
        second.read()
    finally:
        connection.close()
