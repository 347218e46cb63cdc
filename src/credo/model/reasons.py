"""Explanations of a score: reason codes (what cost points) and improvements (what would help).

Both work on the matrix of points each person gets per characteristic, with numpy:

* a **reason** is a characteristic where the person got fewer points than its best attainable
  bin; :func:`rank_reasons` orders them by points lost (largest first, ties by name);
* an **improvement** is the smallest change of one characteristic that lifts the score to a
  target; :func:`best_moves` finds, per person, the regular bin with the smallest gain that
  reaches the target (ties: the bin nearest the current one, then the characteristic name).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from credo.errors import ModelError
from credo.model.binning import Binning, assign_bins

__all__ = [
    "REACH_MARGIN",
    "Improvement",
    "Moves",
    "Reason",
    "best_moves",
    "build_improvements",
    "build_reasons",
    "rank_reasons",
    "reason_code",
    "representative_value",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]

#: Points a move must clear the target by, so the re-scored row reaches it despite rounding.
REACH_MARGIN = 1e-9


@dataclass(frozen=True)
class Reason:
    """One characteristic that cost a person points.

    Parameters
    ----------
    code
        Stable reason code derived from the characteristic name alone (see
        :func:`reason_code`), so it survives retraining and reordering.
    characteristic, dimension
        Where the points were lost.
    points_lost
        Best attainable points of the characteristic minus the person's points; positive.
    value
        The person's raw value (None when missing).
    bin_label
        Label of the person's bin.
    """

    code: str
    characteristic: str
    dimension: str
    points_lost: float
    value: object
    bin_label: str


@dataclass(frozen=True)
class Improvement:
    """The smallest change of one characteristic that lifts a score to a target.

    Parameters
    ----------
    characteristic, dimension
        What to change.
    from_value, to_value
        The person's raw value and a value of the target bin (see
        :func:`representative_value`).
    from_bin, to_bin
        Labels of the current and target bins.
    points_gained
        Points the change adds before clipping.
    new_score
        The (clipped) score after the change.
    """

    characteristic: str
    dimension: str
    from_value: object
    to_value: object
    from_bin: str
    to_bin: str
    points_gained: float
    new_score: float


def reason_code(characteristic: str) -> str:
    """Return the stable reason code of a characteristic: ``"R"`` + 6 hex digits of SHA-256.

    >>> reason_code("duration_in_month")
    'R543403'
    """
    return "R" + hashlib.sha256(characteristic.encode("utf-8")).hexdigest()[:6].upper()


def rank_reasons(
    points: FloatArray, best: FloatArray, name_rank: IntArray, n: int
) -> tuple[IntArray, FloatArray]:
    """Return the top ``n`` characteristics by points lost, per person.

    Parameters
    ----------
    points
        ``(rows, characteristics)`` points each person got.
    best
        Best attainable points per characteristic.
    name_rank
        Rank of each characteristic's name in sorted order (breaks ties).
    n
        Reasons wanted per person.

    Returns
    -------
    order
        ``(rows, min(n, characteristics))`` column indices, -1 where no point was lost.
    lost
        Points lost at those positions (0 where ``order`` is -1).
    """
    lost = best[np.newaxis, :] - points
    ranks = np.broadcast_to(name_rank, lost.shape)
    order = np.lexsort((ranks, -lost), axis=-1)[:, :n].astype(np.intp)
    top = np.take_along_axis(lost, order, axis=1)
    order[~(top > 0)] = -1
    return order, np.where(order >= 0, top, 0.0)


@dataclass(frozen=True)
class Moves:
    """Per person: the chosen characteristic (-1: none), its target bin and the gain."""

    feature: IntArray
    to_bin: IntArray
    gain: FloatArray


def best_moves(
    current: IntArray,
    tables: Sequence[FloatArray],
    n_regular: Sequence[int],
    raw_scores: FloatArray,
    targets: FloatArray,
    *,
    candidates: Sequence[int],
    name_rank: IntArray,
    score_range: tuple[float, float],
) -> Moves:
    """Find per person the smallest one-characteristic change reaching the target score.

    A move puts characteristic ``j`` in one of its regular bins ``k``; it reaches the target
    when ``clip(raw + points[j][k] - points[j][current]) >= target`` with a positive gain.
    Among those the smallest gain wins (least overshoot), then the bin nearest the current
    one, then the characteristic name.
    """
    rows = len(raw_scores)
    every = np.arange(rows)
    best_gain = np.full(rows, np.inf)
    best_distance = np.full(rows, np.inf)
    best_rank = np.full(rows, np.iinfo(np.intp).max, dtype=np.intp)
    feature = np.full(rows, -1, dtype=np.intp)
    to_bin = np.full(rows, -1, dtype=np.intp)
    low, high = score_range
    for j in candidates:
        table = tables[j]
        gain = table[np.newaxis, : n_regular[j]] - table[current[:, j]][:, np.newaxis]
        # the margin absorbs the rounding between "raw + gain" and re-summing the changed row
        reached = (
            np.clip(raw_scores[:, np.newaxis] + gain - REACH_MARGIN, low, high)
            >= targets[:, np.newaxis]
        )
        key = np.where(reached & (gain > 0), gain, np.inf)
        start = np.minimum(current[:, j], n_regular[j] - 1)  # Missing/Special: from the top
        distance = np.abs(np.arange(n_regular[j])[np.newaxis, :] - start[:, np.newaxis])
        pick = np.lexsort((distance, key), axis=-1)[:, 0]
        gain_j, distance_j = key[every, pick], distance[every, pick].astype(np.float64)
        better = np.isfinite(gain_j) & (
            (gain_j < best_gain)
            | (
                (gain_j == best_gain)
                & (
                    (distance_j < best_distance)
                    | ((distance_j == best_distance) & (name_rank[j] < best_rank))
                )
            )
        )
        best_gain = np.where(better, gain_j, best_gain)
        best_distance = np.where(better, distance_j, best_distance)
        best_rank = np.where(better, name_rank[j], best_rank)
        feature = np.where(better, j, feature)
        to_bin = np.where(better, pick, to_bin)
    return Moves(feature=feature, to_bin=to_bin, gain=np.where(feature >= 0, best_gain, 0.0))


def build_reasons(
    order: IntArray,
    lost: FloatArray,
    bins: IntArray,
    *,
    names: Sequence[str],
    dimensions: Sequence[str],
    labels: Sequence[Sequence[str]],
    values: Sequence[Sequence[object]],
) -> list[list[Reason]]:
    """Turn :func:`rank_reasons` output into :class:`Reason` lists, one per row.

    ``bins`` are the rows' bin indices; ``dimensions``, ``labels`` (per bin) and ``values``
    (per row, plain Python) are given per characteristic, in the column order of ``bins``.
    """
    codes = [reason_code(name) for name in names]
    result: list[list[Reason]] = []
    for i, (top, losses, row_bins) in enumerate(
        zip(order.tolist(), lost.tolist(), bins.tolist(), strict=True)
    ):
        result.append(
            [
                Reason(
                    code=codes[j],
                    characteristic=names[j],
                    dimension=dimensions[j],
                    points_lost=losses[r],
                    value=values[j][i],
                    bin_label=labels[j][row_bins[j]],
                )
                for r, j in enumerate(top)
                if j >= 0
            ]
        )
    return result


def build_improvements(
    moves: Moves,
    bins: IntArray,
    new_scores: FloatArray,
    *,
    binnings: Sequence[Binning],
    dimensions: Sequence[str],
    values: Mapping[int, Sequence[object]],
) -> list[Improvement | None]:
    """Turn :func:`best_moves` output into one :class:`Improvement` (or None) per row.

    ``new_scores`` are the rows' clipped scores after their move; ``values`` holds the plain
    raw values of every characteristic some move changes.
    """
    result: list[Improvement | None] = []
    for i, (j, to_bin) in enumerate(
        zip(moves.feature.tolist(), moves.to_bin.tolist(), strict=True)
    ):
        if j < 0:
            result.append(None)
            continue
        binning, current = binnings[j], int(bins[i, j])
        result.append(
            Improvement(
                characteristic=binning.name,
                dimension=dimensions[j],
                from_value=values[j][i],
                to_value=representative_value(binning, to_bin, current),
                from_bin=binning.labels[current],
                to_bin=binning.labels[to_bin],
                points_gained=float(moves.gain[i]),
                new_score=float(new_scores[i]),
            )
        )
    return result


def representative_value(binning: Binning, to_bin: int, from_bin: int) -> object:
    """Return the value nearest the current one that falls in regular bin ``to_bin``.

    Numerical ``[a, b)``: going up (or from Missing/Special) the lower edge ``a``; going down
    the largest value below ``b``, ``np.nextafter(b, -inf)``. For an integer-valued
    characteristic the nearest integer in the bin is preferred (``ceil(a)`` going up,
    ``ceil(b) - 1`` going down). An open end (``-inf``/``+inf``) falls back to the other edge.
    Categorical: the first category (alphabetically) of the target group.

    Raises
    ------
    ModelError
        When the bin has no value to suggest (an empty category group).
    """
    if binning.kind == "categorical":
        group = binning.categories[to_bin]
        if not group:
            raise ModelError(f"characteristic {binning.name!r}: bin {to_bin} has no category")
        return group[0]
    edges = (-math.inf, *binning.splits, math.inf)
    low, high = edges[to_bin], edges[to_bin + 1]
    up = from_bin >= binning.n_regular or to_bin > from_bin
    choices: list[float] = []
    if binning.integer_valued:
        choices.append(float(math.ceil(low)) if up and low > -math.inf else math.ceil(high) - 1.0)
    if up and low > -math.inf:
        choices.append(low)
    choices.append(float(np.nextafter(high, -math.inf)) if high < math.inf else low)
    choices.append(0.0 if not binning.splits else binning.splits[-1])
    for value in choices:
        if math.isfinite(value) and assign_bins(binning, np.array([value]))[0] == to_bin:
            return value
    raise ModelError(f"characteristic {binning.name!r}: no value falls in bin {to_bin}")
