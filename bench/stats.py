"""The arithmetic of the benchmark: percentiles, ratios, verdicts and the printed table."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any


def percentile(samples: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile (`fraction` 0.5 is the median): a value that was measured."""
    if not samples:
        raise ValueError("no samples")
    if not 0 < fraction <= 1:
        raise ValueError("fraction must be in (0, 1]")
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def median(samples: Sequence[float]) -> float:
    return percentile(samples, 0.5)


def ratio(measured: float, floor: float) -> float:
    """How many times the floor `measured` is (inf when the floor is zero and it is not)."""
    if floor == 0:
        return 0.0 if measured == 0 else math.inf
    return measured / floor


def timed(action: Callable[[], Any]) -> float:
    """Seconds `action` takes."""
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def interleaved(actions: dict[str, Callable[[], Any]], repetitions: int) -> dict[str, list[float]]:
    """Each action's durations, run in turns so that noise falls on all of them alike."""
    samples: dict[str, list[float]] = {name: [] for name in actions}
    for _ in range(repetitions):
        for name, action in actions.items():
            samples[name].append(timed(action))
    return samples


@dataclass(frozen=True)
class Figure:
    """One row of the table: a ratio (or count) against its target, and what it is made of."""

    section: str
    name: str
    value: float
    target: str  # "<= 1.2", ">= 0.7", "== 2", "info"
    detail: str = ""

    @property
    def on_target(self) -> bool | None:
        """Whether `value` meets `target`; None for figures shown for reference only."""
        operator, _, bound = self.target.partition(" ")
        checks: dict[str, Callable[[float, float], bool]] = {
            "<=": lambda value, limit: value <= limit,
            ">=": lambda value, limit: value >= limit,
            "==": lambda value, limit: value == limit,
        }
        check = checks.get(operator)
        return None if check is None else check(self.value, float(bound))

    def to_json(self) -> dict[str, Any]:
        shown = None if math.isinf(self.value) else self.value
        return {**asdict(self), "value": shown, "on_target": self.on_target}


def _shown(value: float) -> str:
    if math.isinf(value):
        return "inf"
    return str(int(value)) if value == int(value) else f"{value:.2f}"


def table(figures: Sequence[Figure]) -> str:
    """The one table `make bench` prints."""
    header = ("section", "figure", "value", "target", "ok", "measured")
    rows = [
        (
            figure.section,
            figure.name,
            _shown(figure.value),
            figure.target,
            {True: "yes", False: "NO", None: "-"}[figure.on_target],
            figure.detail,
        )
        for figure in figures
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header) - 1)]

    def line(cells: Sequence[str]) -> str:
        padded = [cell.ljust(width) for cell, width in zip(cells, widths, strict=False)]
        return " | ".join([*padded, cells[-1]]).rstrip()

    rule = "-+-".join("-" * width for width in widths) + "-+-" + "-" * 8
    return "\n".join([line(header), rule, *(line(row) for row in rows)])
