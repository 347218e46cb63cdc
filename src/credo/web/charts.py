"""Chart geometry for the dashboard: the score dial, the dimension radar and the history line.

Pure functions from numbers to SVG coordinates and path data; the templates only place what
they return. Angles are in degrees, 0 at twelve o'clock and growing clockwise, as on a clock
face. SVG's y axis points down, so the point at angle ``a`` on the circle of radius ``r``
around ``(cx, cy)`` is ``(cx + r·sin a, cy - r·cos a)``.

>>> polar(100, 100, 50, 90)
Point(x=150.0, y=100.0)
>>> score_angle(650)
0.0
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from credo.errors import InvalidInputError

__all__ = [
    "DIAL_SWEEP",
    "SCORE_MAX",
    "SCORE_MIN",
    "Dial",
    "DialSegment",
    "DialTick",
    "HistoryChart",
    "HistoryMark",
    "Point",
    "Radar",
    "RadarAxis",
    "Stripe",
    "arc_path",
    "dial",
    "fmt",
    "history_chart",
    "history_range",
    "polar",
    "radar",
    "score_angle",
]

SCORE_MIN = 350
SCORE_MAX = 950
DIAL_SWEEP = 240.0
"""Degrees the dial spans, symmetric about twelve o'clock: 350 at -120°, 950 at +120°."""


def fmt(value: float) -> str:
    """A coordinate as SVG text: at most two decimals, no trailing zeros, never ``-0``.

    >>> fmt(30.718), fmt(140.0), fmt(-0.001)
    ('30.72', '140', '0')
    """
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


@dataclass(frozen=True, slots=True)
class Point:
    """A point in SVG user units."""

    x: float
    y: float

    def __str__(self) -> str:
        return f"{fmt(self.x)},{fmt(self.y)}"


def polar(cx: float, cy: float, r: float, degrees: float) -> Point:
    """The point at ``degrees`` (clockwise from twelve o'clock) and distance ``r`` from the
    centre; coordinates are rounded to 1e-9 so that sin 180° lands on the axis."""
    rad = math.radians(degrees)
    return Point(round(cx + r * math.sin(rad), 9) + 0.0, round(cy - r * math.cos(rad), 9) + 0.0)


def arc_path(cx: float, cy: float, r: float, start: float, end: float) -> str:
    """SVG path data of the clockwise arc from angle ``start`` to ``end`` (``end > start``)."""
    if end <= start:
        raise InvalidInputError(f"an arc runs clockwise: end {end} must be after start {start}")
    a, b = polar(cx, cy, r, start), polar(cx, cy, r, end)
    large = 1 if end - start > 180 else 0
    return f"M {fmt(a.x)} {fmt(a.y)} A {fmt(r)} {fmt(r)} 0 {large} 1 {fmt(b.x)} {fmt(b.y)}"


def score_angle(
    score: float, low: int = SCORE_MIN, high: int = SCORE_MAX, sweep: float = DIAL_SWEEP
) -> float:
    """The dial angle of ``score`` (clipped to ``[low, high]``)."""
    clipped = min(max(score, low), high)
    return -sweep / 2 + sweep * (clipped - low) / (high - low)


# --- the dial ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DialSegment:
    """The stretch of the dial's track one band covers (``index`` in the bands' order)."""

    index: int
    low: int
    high: int
    path: str


@dataclass(frozen=True, slots=True)
class DialTick:
    """A labelled score on the dial (a band's lowest score, or the scale's ends)."""

    value: int
    label: Point


@dataclass(frozen=True, slots=True)
class Dial:
    """A score dial: the band-coloured track, the arc up to the score, and a marker."""

    centre: Point
    radius: float
    track: tuple[DialSegment, ...]
    value_path: str | None
    marker: Point | None
    ticks: tuple[DialTick, ...]


def dial(
    score: int | None,
    bands: Sequence[tuple[int, int]],
    *,
    cx: float = 130,
    cy: float = 128,
    r: float = 100,
    label_gap: float = 22,
) -> Dial:
    """The dial of ``score`` (None: N/A, no arc and no marker) over ``bands``' inclusive
    bounds; each band's stretch runs to the next band's lowest score."""
    track = []
    for index, (low, high) in enumerate(bands):
        end = min(high + 1, SCORE_MAX)
        if end > low:
            path = arc_path(cx, cy, r, score_angle(low), score_angle(end))
            track.append(DialSegment(index=index, low=low, high=high, path=path))
    values = sorted({SCORE_MIN, SCORE_MAX, *(low for low, _ in bands if low > SCORE_MIN)})
    ticks = tuple(
        DialTick(value=v, label=polar(cx, cy, r + label_gap, score_angle(v))) for v in values
    )
    value_path = marker = None
    if score is not None:
        angle = score_angle(score)
        marker = polar(cx, cy, r, angle)
        if angle > -DIAL_SWEEP / 2:
            value_path = arc_path(cx, cy, r, -DIAL_SWEEP / 2, angle)
    return Dial(
        centre=Point(cx, cy),
        radius=r,
        track=tuple(track),
        value_path=value_path,
        marker=marker,
        ticks=ticks,
    )


# --- the radar --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RadarAxis:
    """One dimension's axis: its end, where its label goes, and the person's point on it."""

    name: str
    value: float | None
    end: Point
    point: Point
    label: Point
    anchor: str
    """``text-anchor`` of the label: ``start`` right of the centre, ``end`` left, else
    ``middle``."""


@dataclass(frozen=True, slots=True)
class Radar:
    """A radar (a pentagon for five dimensions) of 0-100 scores."""

    centre: Point
    radius: float
    axes: tuple[RadarAxis, ...]
    rings: tuple[str, ...]
    """``points`` of the grid polygons at equal steps, the outermost (100) last."""
    shape: str
    """``points`` of the person's polygon (a missing value sits at the centre)."""


def _points(points: Sequence[Point]) -> str:
    return " ".join(str(p) for p in points)


def radar(
    values: Sequence[tuple[str, float | None]],
    *,
    cx: float = 210,
    cy: float = 142,
    r: float = 100,
    rings: int = 5,
    label_gap: float = 16,
) -> Radar:
    """The radar of ``values`` ((name, 0-100 score or None), first axis at twelve o'clock,
    the others clockwise at equal angles); scores are clipped to 0-100."""
    count = len(values)
    if count < 3:
        raise InvalidInputError(f"a radar needs at least 3 axes; got {count}")
    step = 360 / count
    axes = []
    for index, (name, value) in enumerate(values):
        angle = index * step
        share = 0.0 if value is None else min(max(value, 0.0), 100.0) / 100
        label = polar(cx, cy, r + label_gap, angle)
        anchor = "start" if label.x > cx + 1 else "end" if label.x < cx - 1 else "middle"
        axes.append(
            RadarAxis(
                name=name,
                value=value,
                end=polar(cx, cy, r, angle),
                point=polar(cx, cy, r * share, angle),
                label=label,
                anchor=anchor,
            )
        )
    grid = tuple(
        _points([polar(cx, cy, r * k / rings, i * step) for i in range(count)])
        for k in range(1, rings + 1)
    )
    return Radar(
        centre=Point(cx, cy),
        radius=r,
        axes=tuple(axes),
        rings=grid,
        shape=_points([a.point for a in axes]),
    )


# --- the history line -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HistoryMark:
    """One month on the history chart (``point`` None when the month was N/A)."""

    index: int
    x: float
    score: int | None
    point: Point | None


@dataclass(frozen=True, slots=True)
class Stripe:
    """A band's horizontal stripe behind the history line (``index`` in the bands' order)."""

    index: int
    y: float
    height: float


@dataclass(frozen=True, slots=True)
class HistoryChart:
    """A line of monthly scores; N/A months break the line."""

    width: float
    height: float
    left: float
    """x of the plot's left edge (the gridlines' labels end there)."""
    right: float
    """x of the plot's right edge."""
    low: int
    high: int
    path: str
    marks: tuple[HistoryMark, ...]
    gridlines: tuple[tuple[int, float], ...]
    """(score, y) of each horizontal gridline."""
    stripes: tuple[Stripe, ...]


def history_range(scores: Sequence[int | None], step: int = 50) -> tuple[int, int]:
    """The y range of the history chart: the scores with at least ``step`` to spare on each
    side, on multiples of ``step`` and within 350-950 (the whole scale when none scored).

    >>> history_range([628, 640])
    (550, 700)
    """
    known = [s for s in scores if s is not None]
    if not known:
        return SCORE_MIN, SCORE_MAX
    low = max(SCORE_MIN, (min(known) - step) // step * step)
    high = min(SCORE_MAX, -(-(max(known) + step) // step) * step)
    return low, high


def history_chart(
    scores: Sequence[int | None],
    bands: Sequence[tuple[int, int]] = (),
    *,
    width: float = 720,
    height: float = 240,
    left: float = 48,
    right: float = 36,
    top: float = 12,
    bottom: float = 28,
    step: int = 50,
) -> HistoryChart:
    """The history chart of monthly ``scores`` (oldest first; None for N/A) on the range of
    :func:`history_range`, with gridlines every ``step`` and the stripes of ``bands``."""
    low, high = history_range(scores, step)
    inner_w, inner_h = width - left - right, height - top - bottom

    def y_of(score: float) -> float:
        return top + inner_h * (high - score) / (high - low)

    count = len(scores)
    marks, parts = [], []
    pen_down = False
    for index, score in enumerate(scores):
        x = left + (inner_w / 2 if count == 1 else inner_w * index / (count - 1))
        point = None if score is None else Point(x, y_of(score))
        marks.append(HistoryMark(index=index, x=x, score=score, point=point))
        if point is None:
            pen_down = False
            continue
        parts.append(f"{'L' if pen_down else 'M'} {fmt(point.x)} {fmt(point.y)}")
        pen_down = True
    gridlines = tuple((v, y_of(v)) for v in range(low, high + 1, step))
    stripes = []
    for index, (b_low, b_high) in enumerate(bands):
        top_score, bottom_score = min(b_high + 1, high), max(b_low, low)
        if top_score > bottom_score:
            y = y_of(top_score)
            stripes.append(Stripe(index=index, y=y, height=y_of(bottom_score) - y))
    return HistoryChart(
        width=width,
        height=height,
        left=left,
        right=width - right,
        low=low,
        high=high,
        path=" ".join(parts),
        marks=tuple(marks),
        gridlines=gridlines,
        stripes=tuple(stripes),
    )
