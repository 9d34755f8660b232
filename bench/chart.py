"""The benchmark's figures as one SVG chart: each ratio as a bar beside its target.

Plain SVG text, no plotting library: `make bench` writes it to docs/assets/bench.svg, where the
Performance page shows it. Each row has its own scale (0 to a little past the larger of the value
and the target), a bar for the value (green on target, red off it) and a line at the target.
`python -m bench.chart [results.json] [out.svg]` draws it again from a saved run.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from bench.stats import Figure

CHART = Path(__file__).resolve().parents[1] / "docs" / "assets" / "bench.svg"
ROW = 22
LABEL_WIDTH = 330
BAR_WIDTH = 300
VALUE_WIDTH = 130
TOP = 30
ON_TARGET, OFF_TARGET, INFO = "#2e7d32", "#c62828", "#757575"


def _bound(target: str) -> float | None:
    """The number a target compares with (`<= 1.2` → 1.2); None for `info`."""
    _, _, bound = target.partition(" ")
    try:
        return float(bound)
    except ValueError:
        return None


def _shown(value: float) -> str:
    if math.isinf(value):
        return "inf"
    return str(int(value)) if value == int(value) else f"{value:.2f}"


def _row(index: int, figure: Figure) -> str:
    y = TOP + index * ROW
    bound = _bound(figure.target)
    value = figure.value if math.isfinite(figure.value) else (bound or 1) * 2
    # The row's own scale: a count of extra calls (target 0) and a ratio near 1 both read well.
    scale = max(value, bound or 0, 1e-9) * 1.25 if (bound or value) else 1.0
    width = BAR_WIDTH * value / scale
    colour = {True: ON_TARGET, False: OFF_TARGET, None: INFO}[figure.on_target]
    parts = [
        f'<text x="{LABEL_WIDTH - 8}" y="{y + 15}" text-anchor="end">'
        f"{escape(figure.section)}: {escape(figure.name)}</text>",
        f'<rect x="{LABEL_WIDTH}" y="{y + 4}" width="{BAR_WIDTH}" height="14" fill="#eeeeee"/>',
        f'<rect x="{LABEL_WIDTH}" y="{y + 4}" width="{width:.1f}" height="14" fill="{colour}"/>',
    ]
    if bound is not None:
        x = LABEL_WIDTH + BAR_WIDTH * bound / scale
        parts.append(
            f'<line x1="{x:.1f}" y1="{y + 1}" x2="{x:.1f}" y2="{y + 21}" '
            'stroke="#000000" stroke-width="2"/>'
        )
    verdict = {True: "", False: " (off)", None: ""}[figure.on_target]
    parts.append(
        f'<text x="{LABEL_WIDTH + BAR_WIDTH + 8}" y="{y + 15}">'
        f"{_shown(figure.value)} / {escape(figure.target)}{verdict}</text>"
    )
    return "\n".join(parts)


def svg(figures: Sequence[Figure], title: str) -> str:
    """The chart of `figures`: one row each, in order."""
    width = LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH
    height = TOP + ROW * len(figures) + 10
    rows = "\n".join(_row(index, figure) for index, figure in enumerate(figures))
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">\n'
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>\n'
        f'<text x="8" y="18" font-weight="bold">{escape(title)}</text>\n'
        f"{rows}\n</svg>\n"
    )


def figures_of(report: dict[str, Any]) -> list[Figure]:
    """The figures of a saved run (bench/results.json)."""
    return [
        Figure(
            section=item["section"],
            name=item["name"],
            value=math.inf if item["value"] is None else float(item["value"]),
            target=item["target"],
            detail=item.get("detail", ""),
        )
        for item in report["figures"]
    ]


def title_of(report: dict[str, Any]) -> str:
    machine = report.get("machine", {})
    return (
        f"make bench, {report.get('generated_at', '?')}: each figure against its target "
        f"(black line); {machine.get('cpus', '?')} CPUs"
    )


def write(report: dict[str, Any], path: Path = CHART) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(svg(figures_of(report), title_of(report)), encoding="utf-8")
    return path


def main(argv: list[str]) -> int:
    source = Path(argv[0]) if argv else Path(__file__).resolve().parent / "results.json"
    out = Path(argv[1]) if len(argv) > 1 else CHART
    print(write(json.loads(source.read_text()), out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
