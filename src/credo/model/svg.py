"""Small, dependency-free SVG charts for the model report: line charts and grouped bars.

Every chart is a self-contained ``<svg>`` element (no external resources, no script) with a
``<title>`` and ``<desc>`` for screen readers, labelled axes and a legend. The markup is valid
XML, all text is escaped, coordinates never leave the ``viewBox`` (values outside an axis are
clamped to it) and NaN or infinite values break a line instead of corrupting its path.

Colours are from the Okabe-Ito palette, distinguishable with the common colour-vision
deficiencies and at least 3:1 against the white background (WCAG for graphics).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

import numpy as np
import numpy.typing as npt

from credo.errors import InvalidInputError

__all__ = [
    "BLUE",
    "GREEN",
    "GREY",
    "HEIGHT",
    "ORANGE",
    "PURPLE",
    "WIDTH",
    "Axis",
    "BarGroup",
    "Line",
    "bar_chart",
    "line_chart",
    "nice_ticks",
    "path_data",
    "project",
]

BLUE = "#0072B2"
ORANGE = "#D55E00"
GREEN = "#007A5A"  # Okabe-Ito green darkened a little for 4.5:1 contrast on white
PURPLE = "#9E4F86"
GREY = "#595959"
_INK = "#1F1F1F"
_GRID = "#D9D9D9"

WIDTH = 640
HEIGHT = 360
_LEFT, _RIGHT, _TOP, _BOTTOM = 64, 16, 44, 52

Numbers = Sequence[float] | npt.NDArray[np.float64] | npt.NDArray[np.int64]


@dataclass(frozen=True)
class Axis:
    """An axis: its label, value range, tick positions and the tick label format."""

    label: str
    low: float
    high: float
    ticks: tuple[float, ...]
    tick_format: str = "{:g}"

    def __post_init__(self) -> None:
        if not (math.isfinite(self.low) and math.isfinite(self.high)) or self.low >= self.high:
            raise InvalidInputError(
                f"axis {self.label!r} needs finite low < high; got {self.low}, {self.high}"
            )


@dataclass(frozen=True, eq=False)
class Line:
    """One line of a line chart, drawn through its points in order."""

    label: str
    x: Numbers
    y: Numbers
    colour: str
    dashed: bool = False


@dataclass(frozen=True, eq=False)
class BarGroup:
    """One series of a grouped bar chart: a value per category (NaN draws no bar)."""

    label: str
    values: Numbers
    colour: str


def project(value: float, axis: Axis, start: float, end: float) -> float | None:
    """Map ``value`` on ``axis`` to a pixel between ``start`` and ``end`` (clamped), or
    ``None`` when it is NaN or infinite.

    >>> project(0.5, Axis("p", 0.0, 1.0, (0.0, 1.0)), 0.0, 100.0)
    50.0
    """
    if not math.isfinite(value):
        return None
    share = (min(max(value, axis.low), axis.high) - axis.low) / (axis.high - axis.low)
    return round(start + share * (end - start), 2)


def nice_ticks(low: float, high: float, count: int = 5) -> tuple[float, ...]:
    """Round tick positions (steps of 1, 2, 2.5 or 5 times 10^k) covering ``[low, high]``.

    >>> nice_ticks(350, 950)
    (400.0, 600.0, 800.0)
    """
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
        return (low,) if math.isfinite(low) else ()
    raw = (high - low) / max(count, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.ceil(low / step) * step
    return tuple(float(v) for v in np.arange(first, high + step * 1e-9, step))


def _plot_box() -> tuple[float, float, float, float]:
    return _LEFT, WIDTH - _RIGHT, HEIGHT - _BOTTOM, _TOP


def path_data(x: Numbers, y: Numbers, x_axis: Axis, y_axis: Axis) -> str:
    """SVG path data through the points, a new sub-path after each non-finite point."""
    xs, ys = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if xs.shape != ys.shape:
        raise InvalidInputError(f"a line needs as many x as y values; got {xs.size} and {ys.size}")
    left, right, bottom, top = _plot_box()
    parts: list[str] = []
    pen_down = False
    for xv, yv in zip(xs.tolist(), ys.tolist(), strict=True):
        px, py = project(xv, x_axis, left, right), project(yv, y_axis, bottom, top)
        if px is None or py is None:
            pen_down = False
            continue
        parts.append(f"{'L' if pen_down else 'M'}{px:g} {py:g}")
        pen_down = True
    return " ".join(parts)


def _open(chart_id: str, title: str, description: str) -> list[str]:
    ident = escape(chart_id)
    return [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{ident}-title {ident}-desc">',
        f'<title id="{ident}-title">{escape(title)}</title>',
        f'<desc id="{ident}-desc">{escape(description)}</desc>',
        f'<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="#FFFFFF"/>',
    ]


def _x_axis(axis: Axis, labels: Sequence[tuple[float, str]] | None = None) -> list[str]:
    left, right, bottom, _ = _plot_box()
    marks = labels if labels is not None else [(t, axis.tick_format.format(t)) for t in axis.ticks]
    out = [f'<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="{_INK}"/>']
    for position, text in marks:
        px = position if labels is not None else project(position, axis, left, right)
        if px is None:
            continue
        out.append(
            f'<line x1="{px:g}" y1="{bottom}" x2="{px:g}" y2="{bottom + 5}" stroke="{_INK}"/>'
        )
        out.append(
            f'<text x="{px:g}" y="{bottom + 18}" text-anchor="middle" font-size="11" '
            f'fill="{_INK}">{escape(text)}</text>'
        )
    out.append(
        f'<text x="{(left + right) / 2:g}" y="{HEIGHT - 10}" text-anchor="middle" '
        f'font-size="12" fill="{_INK}">{escape(axis.label)}</text>'
    )
    return out


def _y_axis(axis: Axis) -> list[str]:
    left, right, bottom, top = _plot_box()
    out = [f'<line x1="{left}" y1="{top}" x2="{left}" y2="{bottom}" stroke="{_INK}"/>']
    for tick in axis.ticks:
        py = project(tick, axis, bottom, top)
        if py is None:
            continue
        out.append(f'<line x1="{left}" y1="{py:g}" x2="{right}" y2="{py:g}" stroke="{_GRID}"/>')
        out.append(
            f'<text x="{left - 6}" y="{py + 4:g}" text-anchor="end" font-size="11" '
            f'fill="{_INK}">{escape(axis.tick_format.format(tick))}</text>'
        )
    middle = (top + bottom) / 2
    out.append(
        f'<text x="14" y="{middle:g}" text-anchor="middle" font-size="12" fill="{_INK}" '
        f'transform="rotate(-90 14 {middle:g})">{escape(axis.label)}</text>'
    )
    return out


def _legend(entries: Sequence[tuple[str, str, bool]]) -> list[str]:
    """One row of legend entries (label, colour, dashed) above the plot."""
    out: list[str] = []
    x = float(_LEFT)
    for label, colour, dashed in entries:
        dash = ' stroke-dasharray="6 4"' if dashed else ""
        out.append(
            f'<line x1="{x:g}" y1="18" x2="{x + 22:g}" y2="18" stroke="{colour}" '
            f'stroke-width="3"{dash}/>'
        )
        out.append(
            f'<text x="{x + 28:g}" y="22" font-size="12" fill="{_INK}">{escape(label)}</text>'
        )
        x += 40 + 7 * len(label)
    return out


def line_chart(
    lines: Sequence[Line],
    *,
    chart_id: str,
    title: str,
    description: str,
    x_axis: Axis,
    y_axis: Axis,
    diagonal: bool = False,
    marker_x: float | None = None,
    marker_label: str = "",
) -> str:
    """A line chart; ``diagonal`` adds the chance line, ``marker_x`` a labelled vertical rule."""
    left, right, bottom, top = _plot_box()
    out = _open(chart_id, title, description) + _y_axis(y_axis) + _x_axis(x_axis)
    if diagonal:
        out.append(
            f'<line x1="{left}" y1="{bottom}" x2="{right}" y2="{top}" stroke="{GREY}" '
            f'stroke-dasharray="2 4"/>'
        )
    marker = None if marker_x is None else project(marker_x, x_axis, left, right)
    if marker is not None:
        out.append(
            f'<line x1="{marker:g}" y1="{top}" x2="{marker:g}" y2="{bottom}" stroke="{GREY}" '
            f'stroke-dasharray="4 3"/>'
        )
        out.append(
            f'<text x="{marker + 4:g}" y="{top + 14}" font-size="11" fill="{_INK}">'
            f"{escape(marker_label)}</text>"
        )
    for line in lines:
        dash = ' stroke-dasharray="6 4"' if line.dashed else ""
        data = path_data(line.x, line.y, x_axis, y_axis)
        if data:
            out.append(
                f'<path d="{data}" fill="none" stroke="{line.colour}" stroke-width="2"{dash}>'
                f"<title>{escape(line.label)}</title></path>"
            )
    out += _legend([(line.label, line.colour, line.dashed) for line in lines])
    out.append("</svg>")
    return "\n".join(out)


def bar_chart(
    categories: Sequence[str],
    groups: Sequence[BarGroup],
    *,
    chart_id: str,
    title: str,
    description: str,
    x_label: str,
    y_axis: Axis,
    label_every: int = 1,
) -> str:
    """Grouped vertical bars: one slot per category, one bar per group within it.

    ``label_every`` labels only every n-th category on the x axis (many narrow bins).
    """
    left, right, bottom, top = _plot_box()
    slots = max(len(categories), 1)
    slot = (right - left) / slots
    bar = slot * 0.8 / max(len(groups), 1)
    centres = [
        (left + slot * (i + 0.5), name)
        for i, name in enumerate(categories)
        if i % max(label_every, 1) == 0
    ]
    x_axis = Axis(x_label, 0.0, 1.0, ())
    out = _open(chart_id, title, description) + _y_axis(y_axis) + _x_axis(x_axis, centres)
    for g, group in enumerate(groups):
        values = np.asarray(group.values, dtype=np.float64)
        if values.size != len(categories):
            raise InvalidInputError(
                f"bar group {group.label!r} needs {len(categories)} values; got {values.size}"
            )
        for i, value in enumerate(values.tolist()):
            height = project(value, y_axis, bottom, top)
            if height is None:
                continue
            x = left + slot * i + slot * 0.1 + bar * g
            out.append(
                f'<rect x="{x:.2f}" y="{height:g}" width="{bar:.2f}" '
                f'height="{bottom - height:.2f}" fill="{group.colour}">'
                f"<title>{escape(f'{group.label}, {categories[i]}: {value:.4g}')}</title></rect>"
            )
    out += _legend([(group.label, group.colour, False) for group in groups])
    out.append("</svg>")
    return "\n".join(out)
