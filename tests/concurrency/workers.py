"""What each process of a concurrency test runs: its own import of the app, like a Lambda
container, talking to the shared serialized embedded AWS over HTTP.

Kept apart from the tests' conftest, which would reset the environment for moto in-process.
The processes outlive a test: `run` makes them forget what they cached of the last one.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

_client: Any = None
_run: str | None = None  # the test whose tasks this process ran last


def start(environment: dict[str, str]) -> None:
    """Pool initializer: point this process at the shared AWS and import the app once."""
    global _client
    os.environ.update(environment)
    from chalice.test import Client

    from app import app

    _client = Client(app).__enter__()


def run(function: Callable[[Any], Any], run_id: str, task: Any) -> Any:
    """`function(task)` for the test `run_id`; first forgetting what an earlier test's store
    left in this process's caches, as that test's tables are gone."""
    global _run
    if run_id != _run:
        from chalicelib.domain.access import stores
        from chalicelib.domain.customers import customer_types

        stores.clear_store_cache()
        customer_types.clear_cache()
        _run = run_id
    return function(task)


def debit(task: tuple[str, str, int]) -> str:
    """Post one debit through the ledger; 'ok' or the error's code."""
    from chalicelib.domain.errors import RewardsError
    from chalicelib.domain.points import ledger
    from chalicelib.domain.points.ledger import EntryKind, Posting

    store_code, customer_id, points = task
    try:
        ledger.post(Posting(store_code, customer_id, -points, EntryKind.SPEND))
    except RewardsError as error:
        return error.code
    return "ok"


def request(task: tuple[str, str, dict[str, str], str]) -> tuple[int, str]:
    """Send one HTTP request through the whole app; (status, body)."""
    method, path, headers, body = task
    response = getattr(_client.http, method.lower())(path, headers=headers, body=body)
    raw = response.body
    return response.status_code, raw.decode("utf-8") if isinstance(raw, bytes) else str(raw)


def ready(_: Any) -> int:
    """A no-op task that proves the process has started and imported the app."""
    return os.getpid()


def debit_or_settle(task: tuple[str, str, int] | str) -> str:
    """`debit(task)`, or for the task "settle" one run of the point batches' schedule:
    'settled' or the error's code."""
    if task != "settle":
        return debit(task)  # type: ignore[arg-type]
    from chalicelib.domain.errors import RewardsError
    from chalicelib.domain.points import expiry

    try:
        expiry.settle_due_batches()
    except RewardsError as error:
        return error.code
    return "settled"
