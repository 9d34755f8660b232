"""AWS clients, created lazily once per process and shared by every request.

Lambda reuses a container for many invocations, so a client made per request would pay the
connection and credential set-up again each time. Every client skips its sends in a dry run
(`chalicelib.dry_run.guard`). Clients are kept per endpoint, so settings
pointing elsewhere get their own; tests that hook into client creation call `reset_clients()`.
"""

from __future__ import annotations

import threading
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib import dry_run
from chalicelib.config import get_settings

# Attempts per AWS call, the first included, for these clients and PynamoDB's (storage.base;
# 4 is PynamoDB's default). botocore's standard mode retries throttling and 5xx answers with
# exponential backoff and full jitter (at most 1 s, 2 s, then 4 s), so a request DynamoDB keeps
# throttling gives up within about 7 seconds, well inside the function's 30-second timeout.
MAX_ATTEMPTS = 4

# Any failed call of these clients: refused by the service (`ClientError`) or never answered
# (`BotoCoreError`: connection refused, timeout), so callers name no botocore class.
CALL_FAILED: tuple[type[Exception], ...] = (BotoCoreError, ClientError)

_clients: dict[tuple[str, str, str | None], Any] = {}
_queue_urls: dict[tuple[str, str, str | None], str] = {}
_session: Any = None  # one boto3 session: its service data is loaded once per process
_lock = threading.Lock()


def client(service: str) -> Any:
    """The process-wide boto3 client for `service` ("sqs", "ses", "s3", "dynamodb").

    Kept per (service, region, endpoint) of the current settings, so pointing the settings at
    another endpoint gets another client rather than a stale one.
    """
    global _session
    settings = get_settings()
    key = (service, settings.region, settings.aws_endpoint_url)
    found = _clients.get(key)
    if found is not None:
        return found
    with _lock:
        if key not in _clients:
            import boto3
            from botocore.config import Config

            if _session is None:
                _session = boto3.session.Session()
            # S3 signs with SigV4 everywhere: botocore would presign URLs with SigV2, which
            # newer regions refuse (chalicelib.domain.catalog.media hands such URLs to clients).
            signature = {"signature_version": "s3v4"} if service == "s3" else {}
            _clients[key] = dry_run.guard(
                _session.client(
                    service,
                    region_name=settings.region,
                    endpoint_url=settings.aws_endpoint_url,
                    config=Config(
                        retries={"mode": "standard", "total_max_attempts": MAX_ATTEMPTS},
                        **signature,
                    ),
                )
            )
        return _clients[key]


def queue_url(name: str) -> str:
    """The URL of the queue `name` (unprefixed, e.g. "reward-email"), looked up once."""
    settings = get_settings()
    queue_name = settings.queue_name(name)
    key = (queue_name, settings.region, settings.aws_endpoint_url)
    url = _queue_urls.get(key)
    if url is None:
        url = client("sqs").get_queue_url(QueueName=queue_name)["QueueUrl"]
        _queue_urls[key] = url
    return url


def reset_clients() -> None:
    """Forget every client (tests that hook into client creation need fresh ones)."""
    global _session
    with _lock:
        _clients.clear()
        _queue_urls.clear()
        _session = None
