"""The Performance page's chart (`bench/chart.py`): one row per figure, drawn against its target."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ElementTree
from pathlib import Path

from bench import chart
from bench.stats import Figure

SVG = "{http://www.w3.org/2000/svg}"
FIGURES = [
    Figure("1 AWS calls", "spend", 0, "== 0", "3 calls"),
    Figure("2 overhead", "spend: median", 1.09, "<= 1.2"),
    Figure("4 bulk", "1,000 URL rewards", 0.29, ">= 0.7"),
    Figure("3 cold start", "never measured", math.inf, "<= 1.5"),
    Figure("7 install", "seconds", 15.0, "info"),
]


def _rows(svg: str) -> list[ElementTree.Element]:
    root = ElementTree.fromstring(svg)
    # Each row's value bar is the second rect of the row (after its grey track).
    backgrounds = {"#ffffff", "#eeeeee"}
    return [rect for rect in root.iter(f"{SVG}rect") if rect.get("fill") not in backgrounds]


def test_each_figure_is_a_bar_coloured_by_its_verdict_with_a_line_at_its_target() -> None:
    svg = chart.svg(FIGURES, "a run")

    bars = _rows(svg)
    assert [bar.get("fill") for bar in bars] == [
        chart.ON_TARGET,
        chart.ON_TARGET,
        chart.OFF_TARGET,
        chart.OFF_TARGET,
        chart.INFO,
    ]
    root = ElementTree.fromstring(svg)
    assert len(list(root.iter(f"{SVG}line"))) == 4  # `info` has no target to draw
    labels = [text.text for text in root.iter(f"{SVG}text")]
    assert "1,000 URL rewards" in " ".join(str(label) for label in labels)
    assert "0.29 / &gt;= 0.7 (off)" in svg  # escaped in the SVG text


def test_a_bar_is_as_long_as_its_value_on_the_rows_own_scale() -> None:
    [over, under] = _rows(
        chart.svg([Figure("s", "over", 2.0, "<= 1"), Figure("s", "under", 0.5, "<= 1")], "t")
    )

    # Over target: the value sets the scale (value x 1.25); under it, the target does.
    assert float(over.get("width", "0")) == chart.BAR_WIDTH / 1.25
    assert float(under.get("width", "0")) == chart.BAR_WIDTH * 0.5 / 1.25


def test_a_saved_run_is_drawn_to_the_given_file(tmp_path: Path) -> None:
    report = {
        "generated_at": "2026-12-05T00:00:00Z",
        "machine": {"cpus": 2},
        "figures": [figure.to_json() for figure in FIGURES],
    }

    written = chart.write(report, tmp_path / "assets" / "bench.svg")

    root = ElementTree.parse(written).getroot()
    assert len(_rows(ElementTree.tostring(root, encoding="unicode"))) == len(FIGURES)
    assert "2026-12-05T00:00:00Z" in written.read_text()


def test_the_committed_chart_is_a_drawing_of_the_benchmark() -> None:
    root = ElementTree.parse(chart.CHART).getroot()

    assert root.tag == f"{SVG}svg"
    assert _rows(ElementTree.tostring(root, encoding="unicode"))
