"""AWS clients, created lazily once per process and shared by every request.

Lambda reuses a container for many invocations, so a client made per request would pay the
connection and credential set-up again each time. Tests call `reset_clients()` after they change
the environment (another endpoint, moto in-process).
"""

from __future__ import annotations

import threading
from typing import Any

from chalicelib.config import get_settings

_clients: dict[str, Any] = {}
_lock = threading.Lock()


def client(service: str) -> Any:
    """The process-wide boto3 client for `service` ("sqs", "ses", "s3", "dynamodb")."""
    found = _clients.get(service)
    if found is not None:
        return found
    with _lock:
        if service not in _clients:
            import boto3
            from botocore.config import Config

            settings = get_settings()
            _clients[service] = boto3.session.Session().client(
                service,
                region_name=settings.region,
                endpoint_url=settings.aws_endpoint_url,
                config=Config(retries={"mode": "standard", "max_attempts": 3}),
            )
        return _clients[service]


_queue_urls: dict[str, str] = {}


def queue_url(name: str) -> str:
    """The URL of the queue `name` (unprefixed, e.g. "reward-email"), looked up once."""
    url = _queue_urls.get(name)
    if url is None:
        queue_name = get_settings().queue_name(name)
        url = client("sqs").get_queue_url(QueueName=queue_name)["QueueUrl"]
        _queue_urls[name] = url
    return url


def reset_clients() -> None:
    with _lock:
        _clients.clear()
        _queue_urls.clear()
