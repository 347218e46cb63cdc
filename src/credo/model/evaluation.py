"""Model evaluation: discrimination and calibration by score band (stability is in
:mod:`credo.model.stability`).

Conventions throughout: ``y`` is 1 for a bad outcome and 0 for a good one, ``p_bad`` is the
predicted probability of bad, and ``scores`` are points where a higher score is safer. Every
function is pure: arrays in, numbers or small frozen records out.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from credo.errors import InvalidInputError

__all__ = [
    "DEFAULT_BANDS",
    "MAX_CURVE_POINTS",
    "Band",
    "BandCalibration",
    "Evaluation",
    "ScoreDistribution",
    "auc",
    "brier",
    "calibration_by_band",
    "evaluate",
    "gini",
    "json_safe",
    "ks",
    "ks_curve",
    "roc_curve_points",
    "score_distribution",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Verdict = Literal["stable", "watch", "shift"]

MAX_CURVE_POINTS = 200


@dataclass(frozen=True)
class Band:
    """A named score band with inclusive integer bounds, e.g. ``Band("fair", 550, 599)``.

    A fractional score belongs to the band whose ``[low, high + 1)`` interval holds it, so
    549.5 is *poor* and 550 is *fair* under :data:`DEFAULT_BANDS`.
    """

    name: str
    low: int
    high: int

    def __post_init__(self) -> None:
        if self.low > self.high:
            raise InvalidInputError(
                f"band {self.name!r}: low must not exceed high; got {self.low}..{self.high}"
            )


DEFAULT_BANDS: tuple[Band, ...] = (
    Band("poor", 350, 549),
    Band("fair", 550, 599),
    Band("good", 600, 649),
    Band("very good", 650, 699),
    Band("excellent", 700, 950),
)


@dataclass(frozen=True)
class BandCalibration:
    """Observed and predicted bad rates of the people scored in one band.

    ``share`` is relative to every scored row, ``bad_rate`` and ``mean_p_bad`` are NaN for an
    empty band.
    """

    band: str
    low: int
    high: int
    count: int
    share: float
    bads: int
    bad_rate: float
    mean_p_bad: float

    def to_dict(self) -> dict[str, object]:
        """JSON-safe fields (NaN becomes ``None``)."""
        return {k: json_safe(v) for k, v in asdict(self).items()}


@dataclass(frozen=True)
class Evaluation:
    """Headline metrics of a model on one sample, with calibration per score band."""

    n: int
    bads: int
    bad_rate: float
    auc: float
    ks: float
    gini: float
    brier: float
    calibration: tuple[BandCalibration, ...]

    def to_dict(self) -> dict[str, object]:
        """JSON-safe metrics for a model artifact (plain floats, NaN becomes ``None``)."""
        head = {k: json_safe(v) for k, v in asdict(self).items() if k != "calibration"}
        return head | {"calibration": [row.to_dict() for row in self.calibration]}


@dataclass(frozen=True, eq=False)
class ScoreDistribution:
    """Histogram of scores per outcome: ``goods[i]`` and ``bads[i]`` counts in
    ``[edges[i], edges[i + 1])`` (the last bin also holds its right edge)."""

    edges: FloatArray
    goods: IntArray
    bads: IntArray


def json_safe(value: object) -> object:
    """A number as JSON can hold it: plain int/float, NaN and infinities as None."""
    if isinstance(value, bool | str) or value is None:
        return value
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    return value


def _outcomes(y: npt.ArrayLike) -> IntArray:
    raw = np.asarray(y)
    if raw.ndim != 1:
        raise InvalidInputError(f"y must be one-dimensional; got shape {raw.shape}")
    try:
        values = raw.astype(np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"y must hold 0 (good) and 1 (bad); got dtype {raw.dtype}") from exc
    strange = ~np.isin(values, (0.0, 1.0))
    if strange.any():
        raise InvalidInputError(
            f"y must hold only 0 (good) and 1 (bad); got {raw[strange][0].item()!r}"
        )
    return values.astype(np.int64)


def _floats(values: npt.ArrayLike, n: int, name: str) -> FloatArray:
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"{name} must be numeric") from exc
    if arr.shape != (n,):
        raise InvalidInputError(f"{name} must be one-dimensional of length {n}; got {arr.shape}")
    return arr


def _probabilities(p_bad: npt.ArrayLike, n: int) -> FloatArray:
    arr = _floats(p_bad, n, "p_bad")
    if not np.isfinite(arr).all() or (arr < 0).any() or (arr > 1).any():
        raise InvalidInputError("p_bad must hold finite probabilities in [0, 1]")
    return arr


def _require_both_outcomes(outcome: IntArray, metric: str) -> tuple[int, int]:
    bads = int(outcome.sum())
    goods = outcome.size - bads
    if bads == 0 or goods == 0:
        raise InvalidInputError(
            f"{metric} needs at least one good and one bad; got {goods} goods and {bads} bads"
        )
    return goods, bads


def auc(y: npt.ArrayLike, p_bad: npt.ArrayLike) -> float:
    """Area under the ROC curve: the probability that a random bad has a higher ``p_bad``
    than a random good (ties count half), computed from average ranks (Mann-Whitney U).

    >>> auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.75
    """
    outcome = _outcomes(y)
    prob = _probabilities(p_bad, outcome.size)
    goods, bads = _require_both_outcomes(outcome, "AUC")
    _, inverse, counts = np.unique(prob, return_inverse=True, return_counts=True)
    average_rank = np.cumsum(counts) - (counts - 1) / 2.0
    rank_sum = float(average_rank[inverse.reshape(-1)][outcome == 1].sum())
    return (rank_sum - bads * (bads + 1) / 2.0) / (bads * goods)


def gini(y: npt.ArrayLike, p_bad: npt.ArrayLike) -> float:
    """Gini coefficient (accuracy ratio), ``2 · AUC - 1``."""
    return 2.0 * auc(y, p_bad) - 1.0


def brier(y: npt.ArrayLike, p_bad: npt.ArrayLike) -> float:
    """Brier score: the mean squared difference between ``p_bad`` and the outcome."""
    outcome = _outcomes(y)
    if outcome.size == 0:
        raise InvalidInputError("the Brier score needs at least one row")
    prob = _probabilities(p_bad, outcome.size)
    return float(np.mean((prob - outcome) ** 2))


def _cumulative_shares(
    outcome: IntArray, values: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Distinct ``values`` ascending, with the shares of bads and goods at or below each."""
    goods, bads = _require_both_outcomes(outcome, "KS")
    order = np.argsort(values, kind="mergesort")
    ordered, hits = values[order], outcome[order]
    last_of_value = np.r_[ordered[1:] != ordered[:-1], True]
    cum_bad = np.cumsum(hits)[last_of_value] / bads
    cum_good = np.cumsum(1 - hits)[last_of_value] / goods
    return ordered[last_of_value], cum_bad, cum_good


def ks(y: npt.ArrayLike, p_bad: npt.ArrayLike) -> float:
    """Kolmogorov-Smirnov statistic: the largest distance (0..1) between the cumulative
    distributions of ``p_bad`` among goods and among bads.

    >>> ks([0, 0, 1, 1], [0.1, 0.2, 0.3, 0.4])
    1.0
    """
    outcome = _outcomes(y)
    _, cum_bad, cum_good = _cumulative_shares(outcome, _probabilities(p_bad, outcome.size))
    return float(np.max(np.abs(cum_bad - cum_good)))


def _thin(n: int, max_points: int, keep: Sequence[int] = ()) -> IntArray:
    """At most ``max_points`` indices into ``n`` points, evenly spread, ends and ``keep`` kept."""
    if max_points < 2 + len(keep):
        raise InvalidInputError(f"max_points must be at least {2 + len(keep)}; got {max_points}")
    if n <= max_points:
        return np.arange(n, dtype=np.int64)
    spread = np.linspace(0, n - 1, max_points - len(keep)).round().astype(np.int64)
    return np.unique(np.r_[spread, np.asarray(keep, dtype=np.int64)])


def roc_curve_points(
    y: npt.ArrayLike, p_bad: npt.ArrayLike, *, max_points: int = MAX_CURVE_POINTS
) -> tuple[FloatArray, FloatArray]:
    """False- and true-positive rates (``fpr``, ``tpr``) from (0, 0) to (1, 1), one point per
    distinct ``p_bad`` threshold, evenly thinned to at most ``max_points``; "positive" is bad."""
    outcome = _outcomes(y)
    prob = _probabilities(p_bad, outcome.size)
    _, cum_bad, cum_good = _cumulative_shares(outcome, -prob)
    fpr, tpr = np.r_[0.0, cum_good], np.r_[0.0, cum_bad]
    keep = _thin(fpr.size, max_points)
    return fpr[keep], tpr[keep]


def ks_curve(
    y: npt.ArrayLike, values: npt.ArrayLike, *, max_points: int = MAX_CURVE_POINTS
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Cumulative shares of bads and goods at or below each value (scores or ``p_bad``).

    Returns ``(thresholds, cum_bad, cum_good)``, thinned to at most ``max_points`` while keeping
    the point of maximum separation. Rows whose value is NaN (unscored) are left out.
    """
    outcome = _outcomes(y)
    numbers = _floats(values, outcome.size, "values")
    known = ~np.isnan(numbers)
    thresholds, cum_bad, cum_good = _cumulative_shares(outcome[known], numbers[known])
    widest = int(np.argmax(np.abs(cum_bad - cum_good)))
    keep = _thin(thresholds.size, max_points, keep=(widest,))
    return thresholds[keep], cum_bad[keep], cum_good[keep]


def _band_mask(scores: FloatArray, band: Band) -> npt.NDArray[np.bool_]:
    return (scores >= band.low) & (scores < band.high + 1)


def _check_bands(bands: Sequence[Band]) -> None:
    if not bands:
        raise InvalidInputError("at least one score band is needed")
    ordered = sorted(bands, key=lambda band: band.low)
    for before, after in itertools.pairwise(ordered):
        if after.low <= before.high:
            raise InvalidInputError(
                f"score bands must not overlap; {before.name!r} ({before.low}..{before.high}) "
                f"and {after.name!r} ({after.low}..{after.high}) do"
            )


def calibration_by_band(
    y: npt.ArrayLike,
    p_bad: npt.ArrayLike,
    scores: npt.ArrayLike,
    bands: Sequence[Band] = DEFAULT_BANDS,
) -> list[BandCalibration]:
    """Per band, in the order given: count, share of all rows, bads, observed bad rate and
    mean predicted ``p_bad``. Rows with a NaN score or a score outside every band count in the
    shares' denominator but in no band."""
    _check_bands(bands)
    outcome = _outcomes(y)
    prob = _probabilities(p_bad, outcome.size)
    points = _floats(scores, outcome.size, "scores")
    total = max(outcome.size, 1)
    rows: list[BandCalibration] = []
    for band in bands:
        inside = _band_mask(points, band)
        count = int(inside.sum())
        bads = int(outcome[inside].sum())
        rows.append(
            BandCalibration(
                band=band.name,
                low=band.low,
                high=band.high,
                count=count,
                share=count / total,
                bads=bads,
                bad_rate=bads / count if count else math.nan,
                mean_p_bad=float(prob[inside].mean()) if count else math.nan,
            )
        )
    return rows


def score_distribution(
    scores: npt.ArrayLike, y: npt.ArrayLike, bins: int | Sequence[float] = 20
) -> ScoreDistribution:
    """Counts of goods and bads per score bin (``bins`` equal-width bins over the observed
    range, or explicit edges). Rows with a NaN score are left out."""
    outcome = _outcomes(y)
    points = _floats(scores, outcome.size, "scores")
    known = np.isfinite(points)
    points, outcome = points[known], outcome[known]
    if points.size == 0:
        raise InvalidInputError("score_distribution needs at least one finite score")
    edges = np.histogram_bin_edges(points, bins=bins if isinstance(bins, int) else list(bins))
    goods, _ = np.histogram(points[outcome == 0], bins=edges)
    bads, _ = np.histogram(points[outcome == 1], bins=edges)
    return ScoreDistribution(
        edges=edges.astype(np.float64), goods=goods.astype(np.int64), bads=bads.astype(np.int64)
    )


def evaluate(
    y: npt.ArrayLike,
    p_bad: npt.ArrayLike,
    scores: npt.ArrayLike,
    bands: Sequence[Band] = DEFAULT_BANDS,
) -> Evaluation:
    """AUC, KS, Gini, Brier, size, bad rate and calibration by band of one sample."""
    outcome = _outcomes(y)
    prob = _probabilities(p_bad, outcome.size)
    area = auc(outcome, prob)
    return Evaluation(
        n=int(outcome.size),
        bads=int(outcome.sum()),
        bad_rate=float(outcome.mean()),
        auc=area,
        ks=ks(outcome, prob),
        gini=2.0 * area - 1.0,
        brier=brier(outcome, prob),
        calibration=tuple(calibration_by_band(outcome, prob, scores, bands)),
    )
