"""Runs the sections (all, or those named) against one embedded AWS, prints the table, writes
`bench/results.json`. The start-up sections start stacks of their own, after that AWS stopped."""

from __future__ import annotations

import argparse
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

from bench import chart
from bench.stats import Figure, table

RESULTS = Path(__file__).resolve().parent / "results.json"
# Enough for a median and a p95 to mean something, few enough for about 5-10 minutes on 2 CPUs.
OVERHEAD_REPETITIONS = 60
COLD_REPETITIONS = 5
BULK_REPETITIONS = 2
GROWTH_REPETITIONS = 3
RESTART_REPETITIONS = 3
OUTBOX_REPETITIONS = 40

# Each section by the name `python -m bench NAME...` (`make bench SECTIONS=...`) selects it.
MEASURED_ON_THE_BENCH_AWS = (
    "calls",
    "overhead",
    "cold",
    "bulk",
    "memory",
    "growth",
    "batches",
    "outbox",
    "jobs",
)
STARTING_THEIR_OWN_STACKS = ("install", "restart")
SECTIONS = MEASURED_ON_THE_BENCH_AWS + STARTING_THEIR_OWN_STACKS

Section = tuple[str, str, Callable[[], list[Figure]]]  # name, title, measure


def _sections(stack: Any) -> list[Section]:
    """Every section, in the order they run; `stack` is the bench's AWS (None if not started).
    Imported here: the modules read settings that `bench.stack.start` sets."""
    from bench import (
        batches,
        bulk,
        calls,
        cold,
        growth,
        install,
        jobs,
        memory,
        outbox,
        overhead,
        restart,
    )

    return [
        ("calls", "AWS calls per operation", lambda: calls.figures(calls.measure(stack))),
        ("overhead", "request overhead", lambda: overhead.measure(stack, OVERHEAD_REPETITIONS)),
        ("cold", "cold start", lambda: cold.measure(stack, COLD_REPETITIONS)),
        ("bulk", "bulk", lambda: bulk.measure(stack, BULK_REPETITIONS)),
        ("memory", "memory", lambda: memory.measure(stack)),
        ("growth", "growth", lambda: growth.measure(stack, GROWTH_REPETITIONS)),  # grows a store
        ("batches", "point batches", lambda: batches.measure(stack)),
        ("outbox", "event outbox", lambda: outbox.measure(stack, OUTBOX_REPETITIONS)),
        ("jobs", "bulk jobs", lambda: jobs.measure(stack)),
        ("install", "cold install (make run on a fresh clone)", install.measure),
        ("restart", "restart after history", lambda: restart.measure(RESTART_REPETITIONS)),
    ]


def selected(argv: list[str] | None) -> list[str]:
    """The section names asked for on the command line (all when none is)."""
    parser = argparse.ArgumentParser(
        prog="python -m bench", description="Measures each operation against its floor."
    )
    parser.add_argument(
        "sections",
        nargs="*",
        metavar="SECTION",
        help=f"measure only these: {', '.join(SECTIONS)} (default: all)",
    )
    names: list[str] = parser.parse_args(argv).sections
    unknown = [name for name in names if name not in SECTIONS]
    if unknown:
        parser.error(f"unknown section {', '.join(unknown)} (choose from {', '.join(SECTIONS)})")
    return [name for name in SECTIONS if name in names] if names else list(SECTIONS)


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


def _measure(sections: list[Section], names: list[str]) -> list[Figure]:
    figures: list[Figure] = []
    for name, title, section in sections:
        if name in names:
            print(f"measuring {title}...", file=sys.stderr, flush=True)
            figures += section()
    return figures


def run(out: TextIO, names: list[str]) -> int:
    from bench import stack as bench_stack

    started = time.perf_counter()
    figures: list[Figure] = []
    if any(name in MEASURED_ON_THE_BENCH_AWS for name in names):
        stack = bench_stack.start()
        try:
            figures += _measure(
                _sections(stack), [n for n in names if n in MEASURED_ON_THE_BENCH_AWS]
            )
        finally:
            stack.stop()
    figures += _measure(_sections(None), [n for n in names if n in STARTING_THEIR_OWN_STACKS])
    seconds = time.perf_counter() - started
    report = _report(figures, seconds)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    drawn = chart.write(report)  # the Performance page's chart
    print(table(figures), file=out)
    print(
        f"\n{report['off_target']} figure(s) off target; {seconds:.0f} s; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; "
        f"written to bench/{RESULTS.name} and {drawn.relative_to(RESULTS.parents[1])}",
        file=out,
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    names = selected(argv)
    # The app logs and emits metrics on stdout, as in Lambda: that costs what it costs, but the
    # lines go to /dev/null so that stdout holds only the table.
    out = sys.stdout
    logging.getLogger("local.bootstrap").setLevel(logging.ERROR)
    with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull):
        return run(out, names)
