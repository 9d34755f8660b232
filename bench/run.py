"""Runs every section against one embedded AWS, prints the table, writes `bench/results.json`."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import platform
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from bench.stats import Figure, table

RESULTS = Path(__file__).resolve().parent / "results.json"
# Enough for a median and a p95 to mean something, few enough for about 5-10 minutes on 2 CPUs.
OVERHEAD_REPETITIONS = 60
COLD_REPETITIONS = 5
BULK_REPETITIONS = 2
GROWTH_REPETITIONS = 3


def _sections(stack: Any) -> list[tuple[str, Callable[[], list[Figure]]]]:
    from bench import bulk, calls, cold, growth, memory, overhead

    return [
        ("AWS calls per operation", lambda: calls.figures(calls.measure(stack))),
        ("request overhead", lambda: overhead.measure(stack, OVERHEAD_REPETITIONS)),
        ("cold start", lambda: cold.measure(stack, COLD_REPETITIONS)),
        ("bulk", lambda: bulk.measure(stack, BULK_REPETITIONS)),
        ("memory", lambda: memory.measure(stack)),
        ("growth", lambda: growth.measure(stack, GROWTH_REPETITIONS)),  # last: it grows a store
    ]


def _report(figures: list[Figure], seconds: float) -> dict[str, Any]:
    return {
        "generated_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_average": list(os.getloadavg()),
        },
        "seconds": round(seconds, 1),
        "off_target": sum(1 for figure in figures if figure.on_target is False),
        "figures": [figure.to_json() for figure in figures],
    }


def run(out: TextIO) -> int:
    from bench import stack as bench_stack

    started = time.perf_counter()
    stack = bench_stack.start()
    figures: list[Figure] = []
    try:
        for title, section in _sections(stack):
            print(f"measuring {title}...", file=sys.stderr, flush=True)
            figures += section()
    finally:
        stack.stop()
    seconds = time.perf_counter() - started
    report = _report(figures, seconds)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(table(figures), file=out)
    print(
        f"\n{report['off_target']} figure(s) off target; {seconds:.0f} s; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; "
        f"written to bench/{RESULTS.name}",
        file=out,
    )
    return 0


def main() -> int:
    # The app logs and emits metrics on stdout, as in Lambda: that costs what it costs, but the
    # lines go to /dev/null so that stdout holds only the table.
    out = sys.stdout
    logging.getLogger("local.bootstrap").setLevel(logging.ERROR)
    with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull):
        return run(out)
