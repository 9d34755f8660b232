"""A serialized embedded AWS shared by several processes, each with its own app import."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import pytest

from chalicelib.config import get_settings
from chalicelib.domain import auth, stores
from local.aws_server import start_in_thread
from local.bootstrap import create_resources, load_template
from tests.conftest import API_KEY, STORE, reset_process_state

PROCESSES = 6


@pytest.fixture
def shared_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """The locked moto server with every resource and the DEFAULT store; yields the child env."""
    server = start_in_thread()
    monkeypatch.setenv("AWS_ENDPOINT_URL", server.url)
    reset_process_state()
    try:
        create_resources(load_template(), get_settings().resource_prefix)
        stores.create_store(STORE, country_code="gb")
        auth.create_api_key(STORE, key=API_KEY)
        environment = {
            name: value
            for name, value in os.environ.items()
            if name.startswith(("AWS_", "REWARDS_", "POWERTOOLS_"))
        }
        yield environment
    finally:
        monkeypatch.delenv("AWS_ENDPOINT_URL")
        reset_process_state()
        server.stop()


@contextmanager
def process_pool(environment: dict[str, str]) -> Iterator[Any]:
    from tests.concurrency import workers

    context = multiprocessing.get_context("spawn")
    with context.Pool(PROCESSES, initializer=workers.start, initargs=(environment,)) as pool:
        yield pool


def run_everywhere(
    environment: dict[str, str], function: Callable[[Any], Any], tasks: Sequence[Any]
) -> list[Any]:
    """Run `function` over `tasks` spread across the processes, all at once."""
    from tests.concurrency import workers

    with process_pool(environment) as pool:
        # Warm every process first (imports, clients) so the tasks really overlap.
        pool.map(workers.ready, range(PROCESSES * 2), chunksize=1)
        return pool.map(function, tasks, chunksize=1)
