"""Several processes, each with its own app import, against the `served_aws` fixture's AWS."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

PROCESSES = 6


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
