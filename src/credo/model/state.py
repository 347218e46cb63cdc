"""The learned state of a scorecard, and how training produces it from binned columns.

:class:`FittedState` is everything a fitted :class:`~credo.model.scorecard.Scorecard` knows;
the artifact serialises it and :func:`~credo.model.artifact.from_artifact` rebuilds it, so a
loaded scorecard scores exactly like the trained one. :func:`fit_state` runs the statistical
steps of training (selection, signed sub-scorecards, dimension weights, points).
"""

# ruff: noqa: N803 - C is scikit-learn's name for the inverse regularisation strength
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from credo.errors import ModelError
from credo.model.binning import Binning
from credo.model.scaling import Scaling
from credo.model.training import (
    SignedLogistic,
    fit_dimension_weights,
    fit_signed_logistic,
    out_of_fold_log_odds,
    select_characteristics,
)

__all__ = ["FittedState", "fit_state"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]


@dataclass(frozen=True)
class FittedState:
    """What a fitted scorecard knows.

    Parameters
    ----------
    columns
        Every input column seen in fit (``x0``, ``x1``, … for arrays).
    named
        Whether fit was given a frame with string column names.
    binnings
        Bins of the selected characteristics, in model order.
    dimension_of
        Dimension of each selected characteristic.
    coefficients
        WoE coefficient of each characteristic (log-odds of bad; negative).
    dimension_intercepts, dimension_weights
        Per dimension: intercept of its logistic regression, combining weight (>= 0).
    intercept
        Intercept of the combination.
    points
        Points per bin of each characteristic (base points included).
    base_points
        Base points, already spread evenly over the characteristics.
    scaling
        Points scaling and score range.
    exclusions
        Why each left-out column (or ``"dimension:<name>"``) was left out.
    iv
        Information value of every binned column.
    rows, bad_rate
        Size and bad rate of the training set.
    """

    columns: tuple[str, ...]
    named: bool
    binnings: tuple[Binning, ...]
    dimension_of: dict[str, str]
    coefficients: dict[str, float]
    dimension_intercepts: dict[str, float]
    dimension_weights: dict[str, float]
    intercept: float
    points: dict[str, tuple[float, ...]]
    base_points: float
    scaling: Scaling
    exclusions: dict[str, str]
    iv: dict[str, float]
    rows: int
    bad_rate: float

    def attainable_points(self, name: str) -> FloatArray:
        """Points of the bins a scored value of ``name`` can fall in."""
        binning = next(b for b in self.binnings if b.name == name)
        return np.asarray(self.points[name], dtype=np.float64)[list(binning.attainable())]

    def best_points(self) -> FloatArray:
        """Best points of a regular bin per characteristic, in model order: what reasons
        measure a loss against. Missing and Special are left out, since having no data is not
        something a person can be advised to reach."""
        return np.array([float(np.max(self.points[b.name][: b.n_regular])) for b in self.binnings])

    def dimension_range(self, dimension: str) -> tuple[float, float]:
        """Worst and best attainable sums of points of a dimension's characteristics."""
        names = [b.name for b in self.binnings if self.dimension_of[b.name] == dimension]
        low = sum(float(self.attainable_points(n).min()) for n in names)
        high = sum(float(self.attainable_points(n).max()) for n in names)
        return low, high

    def points_table(self) -> pd.DataFrame:
        """One row per characteristic and bin, see :meth:`Scorecard.points_table`."""
        rows = []
        for b in self.binnings:
            total = sum(b.counts)
            for k, label in enumerate(b.labels):
                rows.append(
                    {
                        "dimension": self.dimension_of[b.name],
                        "characteristic": b.name,
                        "bin": label,
                        "count": b.counts[k],
                        "count_share": b.counts[k] / total if total else 0.0,
                        "bad_count": b.bad_counts[k],
                        "bad_rate": b.bad_rates[k],
                        "woe": b.woe[k],
                        "iv": b.bin_iv[k],
                        "points": self.points[b.name][k],
                    }
                )
        return pd.DataFrame(rows)

    def name_rank(self) -> IntArray:
        """Rank of each characteristic's name in sorted order, in model order."""
        names = [b.name for b in self.binnings]
        ordered = {name: rank for rank, name in enumerate(sorted(names))}
        return np.array([ordered[n] for n in names], dtype=np.intp)


def fit_state(
    binnings: Mapping[str, Binning],
    bins: Mapping[str, IntArray],
    y: npt.NDArray[np.int64],
    *,
    dimension_of: Mapping[str, str],
    exclusions: Mapping[str, str],
    scaling: Scaling,
    columns: tuple[str, ...],
    named: bool,
    options: Mapping[str, Any],
) -> FittedState:
    """Select characteristics, fit the (sub-)scorecards and their weights, compute points.

    Parameters
    ----------
    binnings, bins
        Bins of every column in scope and each training row's bin index.
    y
        1 = bad.
    dimension_of
        Dimension of every column in scope.
    exclusions
        Columns already left out, with the reason.
    scaling, columns, named
        Recorded as they are.
    options
        ``min_iv``, ``max_correlation``, ``max_features``, ``C``, ``random_state`` and
        ``weighted`` (learn dimension weights; False: a single dimension of weight 1).

    Raises
    ------
    ModelError
        When no characteristic survives.
    """
    woe = {n: np.asarray(b.woe, dtype=np.float64)[bins[n]] for n, b in binnings.items()}
    iv = {n: binnings[n].iv for n in binnings}
    selected, dropped = select_characteristics(
        iv,
        woe,
        min_iv=options["min_iv"],
        max_correlation=options["max_correlation"],
        max_features=options["max_features"],
    )
    excluded = {**exclusions, **dropped}
    subs = _sub_scorecards(selected, dimension_of, woe, y, C=options["C"], excluded=excluded)
    weights, intercept = _weights(subs, woe, y, excluded, options)
    subs = {d: s for d, s in subs.items() if d in weights}
    order = [n for d in sorted(subs) for n in columns if n in subs[d].coefficients]
    dims = {n: d for d, sub in subs.items() for n in sub.coefficients}
    coefficients = {n: subs[dims[n]].coefficients[n] for n in order}
    base = scaling.offset - scaling.factor * (
        intercept + sum(weights[d] * subs[d].intercept for d in subs)
    )
    points = {}
    for n in order:  # the base points are spread evenly over the characteristics
        slope = -scaling.factor * weights[dims[n]] * coefficients[n]
        woe_n = np.asarray(binnings[n].woe, dtype=np.float64)
        points[n] = tuple(float(p) for p in slope * woe_n + base / len(order))
    return FittedState(
        columns=columns,
        named=named,
        binnings=tuple(binnings[n] for n in order),
        dimension_of={n: dims[n] for n in order},
        coefficients=coefficients,
        dimension_intercepts={d: subs[d].intercept for d in sorted(subs)},
        dimension_weights={d: weights[d] for d in sorted(subs)},
        intercept=intercept,
        points=points,
        base_points=float(base),
        scaling=scaling,
        exclusions=excluded,
        iv=iv,
        rows=len(y),
        bad_rate=float(y.mean()),
    )


def _sub_scorecards(
    selected: list[str],
    dimension_of: Mapping[str, str],
    woe: Mapping[str, FloatArray],
    y: npt.NDArray[np.int64],
    *,
    C: float,
    excluded: dict[str, str],
) -> dict[str, SignedLogistic]:
    """One signed logistic regression per dimension; records what it drops in ``excluded``."""
    subs: dict[str, SignedLogistic] = {}
    for dim in sorted(set(dimension_of.values())):
        names = [n for n in selected if dimension_of[n] == dim]
        sub = fit_signed_logistic(_matrix(woe, names), names, y, C=C)
        excluded.update(sub.dropped)
        if sub.coefficients:
            subs[dim] = sub
        else:
            excluded[f"dimension:{dim}"] = "no characteristic survived selection"
    if not subs:
        raise ModelError(
            "scorecard: no characteristic survived selection (information value, correlation "
            f"and coefficient sign); excluded: {excluded}"
        )
    return subs


def _matrix(woe: Mapping[str, FloatArray], names: list[str]) -> FloatArray:
    if not names:
        return np.empty((0, 0))
    return np.column_stack([woe[n] for n in names])


def _weights(
    subs: Mapping[str, SignedLogistic],
    woe: Mapping[str, FloatArray],
    y: npt.NDArray[np.int64],
    excluded: dict[str, str],
    options: Mapping[str, Any],
) -> tuple[dict[str, float], float]:
    """Learn non-negative dimension weights, dropping dimensions whose weight is 0."""
    if not options["weighted"]:
        return dict.fromkeys(subs, 1.0), 0.0
    active = sorted(subs)
    while True:
        matrices = [_matrix(woe, list(subs[d].coefficients)) for d in active]
        log_odds = out_of_fold_log_odds(
            matrices, y, C=options["C"], random_state=options["random_state"]
        )
        intercept, weights = fit_dimension_weights(log_odds, y)
        zero = [d for d, w in zip(active, weights, strict=True) if w <= 0.0]
        if not zero or len(zero) == len(active):
            break
        for d in zero:
            excluded[f"dimension:{d}"] = "combining weight 0: adds nothing to the others"
            excluded.update(
                dict.fromkeys(subs[d].coefficients, f"its dimension {d!r} has weight 0")
            )
        active = [d for d in active if d not in zero]
    if len(zero) == len(active):
        raise ModelError(f"scorecard: every dimension got weight 0: {active}")
    return {d: float(w) for d, w in zip(active, weights, strict=True)}, intercept
