"""Request logs are JSON with a request id and never carry a credential."""

from __future__ import annotations

import json
import logging
from typing import Any

from tests.fixtures.clients import API_KEY


def test_request_log_is_json_with_request_id_and_no_secret(client: Any) -> None:
    from chalicelib.api.logging import logger

    log = logger()
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    collect = Collect()
    collect.setFormatter(log.registered_formatter)
    log.addHandler(collect)
    log.setLevel("INFO")
    try:
        response = client.get(
            f"/recipients?csapikey={API_KEY}", headers={"Authorization": f"Bearer {API_KEY}"}
        )
    finally:
        log.setLevel("WARNING")
        log.removeHandler(collect)

    assert response.status_code == 200
    assert lines and all(API_KEY not in line for line in lines)
    entry = next(json.loads(line) for line in lines if json.loads(line)["message"] == "request")
    assert entry["route"] == "/recipients"
    assert entry["status"] == 200
    assert entry["request_id"]
    assert entry["service"] == "rewards-api"
