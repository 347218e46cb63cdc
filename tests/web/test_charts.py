"""Chart geometry against values computed by hand (sin 60° = √3/2 ≈ 0.8660, sin 72° ≈ 0.9511,
cos 72° ≈ 0.3090, sin 144° ≈ 0.5878, cos 144° ≈ -0.8090)."""

from __future__ import annotations

import pytest

from credo.errors import InvalidInputError
from credo.web.charts import (
    arc_path,
    dial,
    fmt,
    history_chart,
    history_range,
    polar,
    radar,
    score_angle,
)

BANDS = [(350, 549), (550, 599), (600, 649), (650, 699), (700, 950)]


def test_numbers_are_written_with_at_most_two_decimals() -> None:
    assert [fmt(v) for v in (30.718, 140.0, -0.001, 12.5, -3.456)] == [
        "30.72",
        "140",
        "0",
        "12.5",
        "-3.46",
    ]


def test_angles_run_clockwise_from_twelve_o_clock() -> None:
    assert polar(100, 100, 50, 0) == polar(100, 100, 50, 360)
    assert str(polar(100, 100, 50, 0)) == "100,50"
    assert str(polar(100, 100, 50, 90)) == "150,100"
    assert str(polar(100, 100, 50, 180)) == "100,150"
    assert str(polar(100, 100, 50, 270)) == "50,100"


def test_the_dial_spans_240_degrees_from_350_to_950() -> None:
    assert score_angle(350) == -120
    assert score_angle(650) == 0
    assert score_angle(950) == 120
    assert score_angle(500) == -60  # 150 of 600 points: a quarter of 240°
    assert score_angle(200) == -120  # clipped
    assert score_angle(1000) == 120


def test_an_arc_under_180_degrees_is_the_small_one() -> None:
    # from -120° (130 - 100·0.8660, 128 + 100·0.5) to 0° (130, 28): 120°, small, clockwise
    assert arc_path(130, 128, 100, -120, 0) == "M 43.4 178 A 100 100 0 0 1 130 28"


def test_an_arc_over_180_degrees_is_the_large_one() -> None:
    assert arc_path(130, 128, 100, -120, 120) == "M 43.4 178 A 100 100 0 1 1 216.6 178"


def test_an_arc_must_run_clockwise() -> None:
    with pytest.raises(InvalidInputError, match="clockwise"):
        arc_path(0, 0, 1, 10, 10)


def test_the_dial_draws_each_band_up_to_the_next_and_the_score() -> None:
    drawn = dial(650, BANDS)
    assert [(s.low, s.high) for s in drawn.track] == BANDS
    # poor runs from 350 (-120°) to 550 (-40°): 130 + 100·sin(-40°) = 65.72, 128 - 76.60 = 51.4
    assert drawn.track[0].path == "M 43.4 178 A 100 100 0 0 1 65.72 51.4"
    # excellent ends at 950 (+120°), not 951
    assert drawn.track[-1].path.endswith("216.6 178")
    assert drawn.value_path == "M 43.4 178 A 100 100 0 0 1 130 28"
    assert str(drawn.marker) == "130,28"
    assert [t.value for t in drawn.ticks] == [350, 550, 600, 650, 700, 950]
    assert str(drawn.ticks[3].label) == "130,6"  # 650 straight up, 22 beyond the track


def test_an_unscored_person_gets_a_dial_without_arc_or_marker() -> None:
    drawn = dial(None, BANDS)
    assert drawn.value_path is None
    assert drawn.marker is None
    assert len(drawn.track) == 5


def test_the_lowest_score_has_a_marker_but_no_arc() -> None:
    drawn = dial(350, BANDS)
    assert drawn.value_path is None
    assert str(drawn.marker) == "43.4,178"


def test_the_radar_puts_five_axes_72_degrees_apart() -> None:
    drawn = radar(
        [("a", 100.0), ("b", 100.0), ("c", 50.0), ("d", 0.0), ("e", None)], cx=100, cy=100, r=100
    )
    assert [str(a.end) for a in drawn.axes] == [
        "100,0",  # 0°
        "195.11,69.1",  # 72°: 100 + 95.11, 100 - 30.90
        "158.78,180.9",  # 144°: 100 + 58.78, 100 + 80.90
        "41.22,180.9",  # 216°
        "4.89,69.1",  # 288°
    ]
    # the shape: full, full, half way, the centre, and the centre for a missing value
    assert drawn.shape == "100,0 195.11,69.1 129.39,140.45 100,100 100,100"
    assert drawn.rings[-1] == " ".join(str(a.end) for a in drawn.axes)
    assert drawn.rings[0] == "100,80 119.02,93.82 111.76,116.18 88.24,116.18 80.98,93.82"


def test_radar_labels_sit_beyond_the_axes_and_face_away_from_the_centre() -> None:
    drawn = radar([(n, 50.0) for n in "abcde"], cx=100, cy=100, r=100, label_gap=10)
    assert str(drawn.axes[0].label) == "100,-10"
    assert [a.anchor for a in drawn.axes] == ["middle", "start", "start", "end", "end"]


def test_radar_scores_are_clipped_to_0_100() -> None:
    drawn = radar([("a", 150.0), ("b", -20.0), ("c", 0.0)], cx=0, cy=0, r=10)
    assert str(drawn.axes[0].point) == "0,-10"
    assert str(drawn.axes[1].point) == "0,0"


def test_a_radar_needs_three_axes() -> None:
    with pytest.raises(InvalidInputError, match="at least 3 axes"):
        radar([("a", 1.0), ("b", 2.0)])


def test_the_history_range_leaves_room_on_multiples_of_50() -> None:
    assert history_range([628, 640]) == (550, 700)
    assert history_range([650]) == (600, 700)
    assert history_range([360, 940]) == (350, 950)  # never past the scale
    assert history_range([None, None]) == (350, 950)
    assert history_range([]) == (350, 950)


def test_the_history_line_spreads_months_and_maps_scores_to_heights() -> None:
    # plot 100..500 wide and 10..210 high; range 550-700: 150 points over 200 units
    chart = history_chart(
        [628, 640, 650], width=520, height=240, left=100, right=20, top=10, bottom=30
    )
    assert (chart.low, chart.high) == (550, 700)
    # 628: 10 + 200·(700-628)/150 = 106; 640: 90; 650: 76.67
    assert chart.path == "M 100 106 L 300 90 L 500 76.67"
    assert [m.x for m in chart.marks] == [100, 300, 500]
    assert chart.gridlines == (
        (550, 210.0),
        (600, 10 + 200 * 100 / 150),
        (650, 10 + 200 * 50 / 150),
        (700, 10.0),
    )


def test_an_na_month_breaks_the_line() -> None:
    chart = history_chart(
        [600, None, 600, 650], width=400, height=120, left=0, right=100, top=10, bottom=10
    )
    # range 550-700 over 100 units: y of s = 10 + 100·(700 - s)/150; months at x 0 to 300
    assert chart.path == "M 0 76.67 M 200 76.67 L 300 43.33"
    assert chart.marks[1].point is None
    assert chart.marks[1].score is None


def test_a_single_month_sits_in_the_middle() -> None:
    chart = history_chart([640], width=300, height=100, left=0, right=100, top=0, bottom=0)
    assert chart.path == "M 100 40"  # range 550-700: 100·(700 - 640)/150 = 40 from the top


def test_band_stripes_cover_the_visible_part_of_each_band() -> None:
    chart = history_chart(
        [628, 640], BANDS, width=300, height=170, left=0, right=0, top=10, bottom=10
    )
    # 550-700 over 150 units: one unit per point; y of s = 10 + (700 - s)
    stripes = {s.index: (s.y, s.height) for s in chart.stripes}
    assert stripes == {1: (110, 50), 2: (60, 50), 3: (10, 50)}
