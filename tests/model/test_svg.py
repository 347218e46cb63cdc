"""SVG charts: valid XML, accessible, coordinates inside the viewBox, NaN-safe."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from credo.errors import InvalidInputError
from credo.model.svg import (
    BLUE,
    HEIGHT,
    ORANGE,
    WIDTH,
    Axis,
    BarGroup,
    Line,
    bar_chart,
    line_chart,
    nice_ticks,
    path_data,
    project,
)

UNIT = Axis("share", 0.0, 1.0, (0.0, 0.5, 1.0))
NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def coordinates(data: str) -> list[tuple[float, float]]:
    values = [float(v) for v in NUMBER.findall(data)]
    return list(zip(values[::2], values[1::2], strict=True))


def inside_viewbox(points: list[tuple[float, float]]) -> bool:
    return all(0 <= x <= WIDTH and 0 <= y <= HEIGHT for x, y in points)


def test_project_maps_and_clamps() -> None:
    assert project(0.0, UNIT, 10.0, 110.0) == 10.0
    assert project(0.25, UNIT, 10.0, 110.0) == 35.0
    assert project(7.0, UNIT, 10.0, 110.0) == 110.0
    assert project(-3.0, UNIT, 10.0, 110.0) == 10.0


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_project_drops_non_finite_values(value: float) -> None:
    assert project(value, UNIT, 0.0, 100.0) is None


def test_path_stays_in_viewbox_even_for_out_of_range_values() -> None:
    data = path_data([-5.0, 0.2, 0.5, 9.0], [-1.0, 0.3, 0.7, 4.0], UNIT, UNIT)
    points = coordinates(data)
    assert len(points) == 4
    assert inside_viewbox(points)


def test_path_breaks_at_nan_instead_of_emitting_it() -> None:
    data = path_data([0.0, 0.1, np.nan, 0.3, 0.4], [0.0, 0.1, 0.2, np.nan, 0.4], UNIT, UNIT)
    assert "nan" not in data.lower()
    assert data.count("M") == 2
    assert len(coordinates(data)) == 3


def test_path_of_only_nan_is_empty() -> None:
    assert path_data([np.nan], [np.nan], UNIT, UNIT) == ""


def test_path_needs_matching_lengths() -> None:
    with pytest.raises(InvalidInputError, match="as many x as y"):
        path_data([0.0, 1.0], [0.0], UNIT, UNIT)


def test_axis_needs_a_range() -> None:
    with pytest.raises(InvalidInputError, match="finite low < high"):
        Axis("empty", 1.0, 1.0, ())


def test_nice_ticks_are_round_and_inside_the_range() -> None:
    np.testing.assert_allclose(nice_ticks(0.0, 1.0), [0.0, 0.2, 0.4, 0.6, 0.8, 1.0], atol=1e-12)
    ticks = nice_ticks(353.0, 948.0)
    assert ticks
    assert all(353.0 <= t <= 948.0 for t in ticks)
    assert all(t % 50 == 0 for t in ticks)


def test_nice_ticks_of_an_empty_range() -> None:
    assert nice_ticks(5.0, 5.0) == (5.0,)
    assert nice_ticks(math.nan, 1.0) == ()


def test_line_chart_is_accessible_valid_xml() -> None:
    svg = line_chart(
        [Line("model <A>", [0.0, 0.5, 1.0], [0.0, 0.8, 1.0], BLUE)],
        chart_id="roc",
        title="ROC & friends",
        description="a curve",
        x_axis=Axis("false-positive rate", 0.0, 1.0, (0.0, 1.0)),
        y_axis=Axis("true-positive rate", 0.0, 1.0, (0.0, 1.0)),
        diagonal=True,
        marker_x=0.5,
        marker_label="here",
    )
    root = ET.fromstring(svg)
    assert root.tag == "svg"
    assert root.attrib["role"] == "img"
    assert root.find("title") is not None
    assert root.find("title").text == "ROC & friends"  # type: ignore[union-attr]
    texts = [t.text for t in root.iter("text")]
    assert "false-positive rate" in texts
    assert "true-positive rate" in texts
    assert "model <A>" in texts
    for path in root.iter("path"):
        assert inside_viewbox(coordinates(path.attrib["d"]))


def test_bar_chart_skips_nan_bars_and_stays_in_viewbox() -> None:
    svg = bar_chart(
        ["poor", "fair", "good"],
        [
            BarGroup("observed", [10.0, np.nan, 50.0], ORANGE),
            BarGroup("predicted", [9, 20, 99], BLUE),
        ],
        chart_id="calibration",
        title="Calibration",
        description="bars",
        x_label="band",
        y_axis=Axis("bad rate (%)", 0.0, 60.0, (0.0, 30.0, 60.0)),
    )
    root = ET.fromstring(svg)
    bars = [r for r in root.iter("rect") if r.find("title") is not None]
    assert len(bars) == 5
    for bar in bars:
        x, y = float(bar.attrib["x"]), float(bar.attrib["y"])
        w, h = float(bar.attrib["width"]), float(bar.attrib["height"])
        assert h >= 0
        assert inside_viewbox([(x, y), (x + w, y + h)])
    assert "nan" not in svg.lower()


def test_bar_chart_needs_a_value_per_category() -> None:
    with pytest.raises(InvalidInputError, match="needs 2 values; got 1"):
        bar_chart(
            ["a", "b"],
            [BarGroup("g", [1.0], BLUE)],
            chart_id="x",
            title="t",
            description="d",
            x_label="x",
            y_axis=UNIT,
        )
