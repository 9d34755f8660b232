"""Several processes, each with its own app import, against one serialized embedded AWS.

Starting the processes (each imports the app, as a Lambda container would) is most of the cost
of a run, so the server and the processes are started once per session; `served_aws` empties
the server and creates every resource and the store RACE again for each test (as the suite's
fixture of that name does), and the processes forget what they cached about the last test's
store before their first task of the next.
"""

from __future__ import annotations

import functools
import itertools
import json
import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest

from chalicelib.config import get_settings
from chalicelib.domain.access import auth, stores
from local.aws_server import AwsServer, start_in_thread
from local.bootstrap import create_resources, load_template
from tests.fixtures import workers
from tests.fixtures.aws import reset_process_state
from tests.fixtures.clients import RACE_API_KEY, RACE_STORE

PROCESSES = 6
# The environment key naming the test a run belongs to (see `served_aws`).
RUN = "REWARDS_CONCURRENCY_RUN"

# One request for `workers.request`: method, path, headers, body.
Task = tuple[str, str, dict[str, str], str]

_runs = itertools.count(1)


@dataclass(frozen=True)
class Processes:
    server: AwsServer
    pool: Any  # multiprocessing.pool.Pool


_processes: list[Processes] = []  # the session's, once `race_processes` has started them


@contextmanager
def process_pool(environment: dict[str, str]) -> Iterator[Any]:
    context = multiprocessing.get_context("spawn")
    with context.Pool(PROCESSES, initializer=workers.start, initargs=(environment,)) as pool:
        # Warm every process first (imports, clients) so the tasks really overlap.
        pool.map(workers.ready, range(PROCESSES * 2), chunksize=1)
        yield pool


def child_environment() -> dict[str, str]:
    return {
        name: value
        for name, value in os.environ.items()
        if name.startswith(("AWS_", "REWARDS_", "POWERTOOLS_"))
    }


@pytest.fixture(scope="session")
def race_processes() -> Iterator[Processes]:
    """The embedded AWS over HTTP (in a thread) and the processes pointed at it."""
    server = start_in_thread()
    try:
        with process_pool({**child_environment(), "AWS_ENDPOINT_URL": server.url}) as pool:
            _processes.append(Processes(server, pool))
            yield _processes[-1]
            _processes.clear()
    finally:
        server.stop()


@pytest.fixture
def served_aws(
    race_processes: Processes, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, str]]:
    """The session's embedded AWS, emptied, with every resource and the store RACE.

    Yields the environment a child process needs to reach it, naming this test's run.
    """
    race_processes.server.app.restore()  # moto emptied: nothing of the last test is left
    monkeypatch.setenv("AWS_ENDPOINT_URL", race_processes.server.url)
    reset_process_state()
    try:
        create_resources(load_template(), get_settings().resource_prefix)
        stores.create_store(RACE_STORE, country_code="gb")
        auth.create_api_key(RACE_STORE, key=RACE_API_KEY)
        yield {**child_environment(), RUN: str(next(_runs))}
    finally:
        monkeypatch.delenv("AWS_ENDPOINT_URL")
        reset_process_state()


def run_everywhere(
    environment: dict[str, str], function: Callable[[Any], Any], tasks: Sequence[Any]
) -> list[Any]:
    """Run `function` over `tasks` spread across the processes, all at once; `environment` is
    what `served_aws` yielded."""
    (processes,) = _processes
    task_of_run = functools.partial(workers.run, function, environment[RUN])
    return processes.pool.map(task_of_run, tasks, chunksize=1)


def outcome(result: tuple[int, str]) -> str:
    """'ok' for a 2xx answer, else the error's `code` from its JSON body."""
    status, body = result
    return "ok" if status < 300 else json.loads(body)["code"]
