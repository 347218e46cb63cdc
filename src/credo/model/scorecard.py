"""The credit scorecard: monotone WoE bins, per-dimension logistic sub-scorecards, points.

Training (:meth:`Scorecard.fit`, target 1 = bad):

1. every characteristic in scope is binned by :class:`~credo.model.binning.MonotoneBinner`;
   with ``dimensions`` given, columns it does not mention are out of scope (ignored, listed
   in ``exclusions_``), so a table may carry ids and other columns;
2. characteristics are kept by information value and WoE correlation
   (:func:`~credo.model.training.select_characteristics`);
3. each dimension gets an L2 logistic regression on its WoE columns; a characteristic with a
   coefficient of the wrong sign is dropped and the model refitted;
4. with ``dimensions`` given, the dimension log-odds are combined with non-negative weights
   learned on 5-fold out-of-fold log-odds (L-BFGS-B, free intercept); a dimension whose
   weight comes out 0 is dropped and the weights refitted. Without ``dimensions`` there is
   one dimension, ``"all"``, with weight 1 and combined intercept 0;
5. the log-odds become points (:class:`~credo.model.scaling.Scaling`): the characteristic
   ``j`` of dimension ``d`` gives in bin ``k``::

       points[j][k] = -factor · w_d · coef_j · WoE[j][k] + base / m
       base = offset - factor · (intercept + Σ_d w_d · intercept_d)

   with ``m`` selected characteristics, so the sum of a person's points is exactly
   ``offset + factor · ln(odds of good)``; the score is that sum clipped to
   ``[score_min, score_max]``.

Scoring is vectorised: one :func:`~credo.model.binning.assign_bins` per characteristic and a
lookup of its points.
"""

# ruff: noqa: N803 - X (the feature matrix) and C are scikit-learn's names for them
from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any, Self

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

from credo.errors import InvalidInputError, ModelError
from credo.model.binning import (
    TRENDS,
    Binning,
    Kind,
    MonotoneBinner,
    assign_bins,
    trend_of,
)
from credo.model.columns import as_frame, as_target, plain_values
from credo.model.reasons import (
    Improvement,
    Reason,
    best_moves,
    build_improvements,
    build_reasons,
    rank_reasons,
)
from credo.model.scaling import Scaling
from credo.model.state import FittedState, fit_state

__all__ = ["Scorecard", "ordered_sum"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]


class Scorecard(ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """A points scorecard over monotone WoE bins, optionally split into dimensions.

    Parameters
    ----------
    dimensions
        ``{column: dimension name}``; one sub-scorecard per dimension, combined with learned
        non-negative weights. Columns it does not name are ignored. None: every column, one
        dimension ``"all"``.
    categorical
        Columns binned as categories. None: columns of object, category, string or bool
        dtype.
    special_codes
        Numerical values that mean "special" (e.g. -1 for "not applicable"); they get their
        own bin in every numerical characteristic.
    monotonic_trend
        ``"auto_asc_desc"``, ``"ascending"`` (the bad rate rises with the value),
        ``"descending"`` or ``"auto"`` (optbinning's choice, possibly a peak or a valley, so
        not monotone), or ``{column: trend}`` (unnamed columns: ``"auto_asc_desc"``).
    max_n_bins, min_bin_size
        Most regular bins per characteristic; smallest bin as a share of the rows.
    min_iv
        Characteristics with a lower information value are dropped.
    max_correlation
        Of two characteristics whose WoE columns correlate above this (absolute Pearson),
        the one with the lower IV is dropped.
    max_features
        Most characteristics kept (by IV), None for no limit.
    C
        Inverse L2 strength of the logistic regressions.
    pdo, base_score, base_odds, score_min, score_max
        Points scaling, see :class:`~credo.model.scaling.Scaling`.
    random_state
        Seed of the out-of-fold split used to learn dimension weights.

    Attributes
    ----------
    classes_ : ndarray
        ``[0, 1]``; 1 = bad.
    n_features_in_ : int
        Columns seen in fit.
    feature_names_in_ : ndarray
        Their names, when fit was given a frame with string column names.
    features_ : tuple of str
        Selected characteristics, in model order (by dimension, then column order).
    dimensions_ : tuple of str
        Dimensions of the model, sorted.
    binnings_ : dict of str to Binning
        Bins of each selected characteristic.
    points_ : dict of str to ndarray
        Points per bin of each selected characteristic (Special and Missing last).
    dimension_of_ : dict of str to str
        Dimension of each selected characteristic.
    coefficients_ : dict of str to float
        WoE coefficient of each characteristic in its dimension's logistic regression.
    dimension_intercepts_, dimension_weights_ : dict of str to float
        Intercept and combining weight (>= 0) of each dimension.
    intercept_ : float
        Intercept of the combination.
    base_points_ : float
        The base points, already spread evenly over the characteristics' bins.
    scaling_ : Scaling
        The points scaling.
    exclusions_ : dict of str to str
        Why each column (or dimension, as ``"dimension:<name>"``) was left out.
    iv_ : dict of str to float
        Information value of every binned column.

    Notes
    -----
    ``score(X)`` returns points (350-950 by default), not accuracy as in
    ``ClassifierMixin.score(X, y)``: use ``scoring="roc_auc"`` with scikit-learn's model
    selection tools.
    """

    def __init__(
        self,
        *,
        dimensions: Mapping[str, str] | None = None,
        categorical: Sequence[str] | None = None,
        special_codes: Sequence[float] | None = None,
        monotonic_trend: str | Mapping[str, str] = "auto_asc_desc",
        max_n_bins: int = 8,
        min_bin_size: float = 0.05,
        min_iv: float = 0.02,
        max_correlation: float = 0.8,
        max_features: int | None = None,
        C: float = 1.0,
        pdo: float = 50.0,
        base_score: float = 600.0,
        base_odds: float = 20.0,
        score_min: float = 350.0,
        score_max: float = 950.0,
        random_state: int | None = 42,
    ) -> None:
        self.dimensions = dimensions
        self.categorical = categorical
        self.special_codes = special_codes
        self.monotonic_trend = monotonic_trend
        self.max_n_bins = max_n_bins
        self.min_bin_size = min_bin_size
        self.min_iv = min_iv
        self.max_correlation = max_correlation
        self.max_features = max_features
        self.C = C
        self.pdo = pdo
        self.base_score = base_score
        self.base_odds = base_odds
        self.score_min = score_min
        self.score_max = score_max
        self.random_state = random_state

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True  # NaN is the Missing bin
        tags.classifier_tags.multi_class = False  # the target is bad (1) / good (0)
        return tags

    # ----------------------------------------------------------------- training

    def fit(self, X: object, y: object) -> Self:
        """Fit the scorecard on ``X`` with ``y`` (1 or True = bad) and return ``self``.

        Raises
        ------
        InvalidInputError
            For a bad hyper-parameter, a column named in a parameter but absent from ``X``,
            a non-numeric value in a numerical column, or a target that is not 0/1.
        ModelError
            When the target lacks good or bad rows or no characteristic survives selection.
        """
        frame, named = as_frame(X)
        target = as_target(y, len(frame))
        scaling = self._check_params(frame)
        if target.min() == target.max():
            raise ModelError(
                "scorecard: training needs both good (0) and bad (1) rows; got only "
                f"{'bad' if target[0] else 'good'} rows"
            )
        scope, exclusions = self._scope(frame)
        binnings = {name: self._bin(name, frame[name], target) for name in scope}
        # The solvers work on vectors of a few dozen numbers: extra BLAS threads only contend
        # (L-BFGS-B ran 10-100x slower with two threads on a busy two-core machine).
        with threadpool_limits(limits=1, user_api="blas"):
            state = self._fit_state(
                frame,
                target,
                binnings,
                scope=scope,
                exclusions=exclusions,
                scaling=scaling,
                named=named,
            )
        return self.install(state)

    def _fit_state(
        self,
        frame: pd.DataFrame,
        target: npt.NDArray[np.int64],
        binnings: dict[str, Binning],
        *,
        scope: dict[str, str],
        exclusions: dict[str, str],
        scaling: Scaling,
        named: bool,
    ) -> FittedState:
        return fit_state(
            binnings,
            {name: assign_bins(binnings[name], frame[name]) for name in scope},
            target,
            dimension_of=scope,
            exclusions=exclusions,
            scaling=scaling,
            columns=tuple(frame.columns),
            named=named,
            options={
                "min_iv": float(self.min_iv),
                "max_correlation": float(self.max_correlation),
                "max_features": self.max_features,
                "C": float(self.C),
                "random_state": self.random_state,
                "weighted": self.dimensions is not None,
            },
        )

    def _check_params(self, frame: pd.DataFrame) -> Scaling:
        columns = set(frame.columns)
        for label, names in (
            ("dimensions", self.dimensions or {}),
            ("categorical", self.categorical or ()),
            (
                "monotonic_trend",
                {} if isinstance(self.monotonic_trend, str) else self.monotonic_trend,
            ),
        ):
            unknown = sorted(set(names) - columns)
            if unknown:
                raise InvalidInputError(f"scorecard: {label} names columns not in X: {unknown}")
        trends = (
            [self.monotonic_trend]
            if isinstance(self.monotonic_trend, str)
            else list(self.monotonic_trend.values())
        )
        if any(t not in TRENDS for t in trends):
            raise InvalidInputError(
                f"scorecard: monotonic_trend must be among {TRENDS}; got {trends}"
            )
        if self.dimensions is not None and not all(
            isinstance(d, str) and d for d in self.dimensions.values()
        ):
            raise InvalidInputError("scorecard: every dimension name must be a non-empty string")
        checks = {
            "min_iv >= 0": self.min_iv >= 0,
            "0 < max_correlation <= 1": 0 < self.max_correlation <= 1,
            "max_features is None or >= 1": self.max_features is None or self.max_features >= 1,
            "C > 0": self.C > 0,
        }
        failed = [rule for rule, ok in checks.items() if not ok]
        if failed:
            raise InvalidInputError(f"scorecard: hyper-parameters break {failed}")
        return Scaling(
            float(self.pdo),
            float(self.base_score),
            float(self.base_odds),
            float(self.score_min),
            float(self.score_max),
        )

    def _scope(self, frame: pd.DataFrame) -> tuple[dict[str, str], dict[str, str]]:
        if self.dimensions is None:
            return dict.fromkeys(frame.columns, "all"), {}
        scope = {name: self.dimensions[name] for name in frame.columns if name in self.dimensions}
        ignored = {name: "no dimension" for name in frame.columns if name not in self.dimensions}
        return scope, ignored

    def _is_categorical(self, column: pd.Series) -> bool:
        if self.categorical is not None:
            return column.name in set(self.categorical)
        return bool(
            column.dtype.kind in "OSUb"
            or isinstance(column.dtype, pd.CategoricalDtype | pd.StringDtype)
        )

    def _bin(self, name: str, column: pd.Series, target: npt.NDArray[np.int64]) -> Binning:
        kind: Kind = "categorical" if self._is_categorical(column) else "numerical"
        binner = MonotoneBinner(
            name=name,
            kind=kind,
            monotonic_trend=trend_of(name, self.monotonic_trend),
            max_n_bins=self.max_n_bins,
            min_bin_size=self.min_bin_size,
            special_codes=self.special_codes,
        )
        return binner.fit(column, target).binning_

    def install(self, state: FittedState) -> Self:
        """Set the learned attributes from ``state`` and return ``self`` (used by fit and by
        :func:`~credo.model.artifact.from_artifact`)."""
        self.state_ = state
        self.classes_ = np.array([0, 1])
        self.n_features_in_ = len(state.columns)
        if state.named:
            self.feature_names_in_ = np.asarray(state.columns, dtype=object)
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        self.features_ = tuple(b.name for b in state.binnings)
        self.binnings_ = {b.name: b for b in state.binnings}
        self.points_ = {name: np.asarray(p, dtype=np.float64) for name, p in state.points.items()}
        self.dimension_of_ = dict(state.dimension_of)
        self.dimensions_ = tuple(sorted(set(state.dimension_of.values())))
        self.coefficients_ = dict(state.coefficients)
        self.dimension_intercepts_ = dict(state.dimension_intercepts)
        self.dimension_weights_ = dict(state.dimension_weights)
        self.intercept_ = state.intercept
        self.base_points_ = state.base_points
        self.scaling_ = state.scaling
        self.exclusions_ = dict(state.exclusions)
        self.iv_ = dict(state.iv)
        return self

    # ------------------------------------------------------------------ scoring

    def _frame(self, X: object) -> pd.DataFrame:
        check_is_fitted(self, "state_")
        frame, _ = as_frame(X)
        state = self.state_
        missing = [name for name in self.features_ if name not in frame.columns]
        if missing and frame.shape[1] == len(state.columns) and not state.named:
            frame = frame.set_axis(list(state.columns), axis=1)  # positional, as in fit
            missing = []
        if missing:
            raise InvalidInputError(
                f"scorecard: X lacks characteristics the model uses: {missing[:10]}"
            )
        return frame

    def _bins(self, frame: pd.DataFrame) -> IntArray:
        bins = np.empty((len(frame), len(self.features_)), dtype=np.intp)
        for j, name in enumerate(self.features_):
            bins[:, j] = assign_bins(self.binnings_[name], frame[name])
        return bins

    def _points(self, bins: IntArray) -> FloatArray:
        points = np.empty(bins.shape, dtype=np.float64)
        for j, name in enumerate(self.features_):
            points[:, j] = self.points_[name][bins[:, j]]
        return points

    def _raw(self, X: object) -> FloatArray:
        total: FloatArray = ordered_sum(self._points(self._bins(self._frame(X))))
        return total

    def score(self, X: object, y: object = None) -> FloatArray:
        """Return the score of each row: the sum of its points, clipped to the score range.

        Unlike ``ClassifierMixin.score(X, y)`` (accuracy) this ignores ``y`` and returns one
        float64 score per row.
        """
        raw = self._raw(X)
        return self.scaling_.clip(raw)

    def decision_function(self, X: object) -> FloatArray:
        """Return the log-odds of bad of each row (from the unclipped points)."""
        raw = self._raw(X)
        return -self.scaling_.to_log_odds(raw)

    def predict_proba(self, X: object) -> FloatArray:
        """Return ``(rows, 2)`` probabilities; column 1 is P(bad)."""
        bad = _expit(self.decision_function(X))
        return np.column_stack((1.0 - bad, bad))

    def predict(self, X: object) -> npt.NDArray[np.int64]:
        """Return 1 (bad) where P(bad) > 0.5, else 0."""
        return (self.decision_function(X) > 0).astype(np.int64)

    def points(self, X: object) -> pd.DataFrame:
        """Return the points of each row per characteristic (columns in model order)."""
        frame = self._frame(X)
        return pd.DataFrame(
            self._points(self._bins(frame)), index=frame.index, columns=list(self.features_)
        )

    def dimension_scores(self, X: object) -> pd.DataFrame:
        """Return one 0-100 score per dimension and row.

        A dimension's score maps the sum of its characteristics' points linearly from its
        worst attainable total (0) to its best attainable total (100), clipped to [0, 100]
        against rounding (50 for a dimension whose attainable totals are all equal).
        """
        frame = self._frame(X)
        points = self._points(self._bins(frame))
        scores = {}
        for dim in self.dimensions_:
            columns = [j for j, f in enumerate(self.features_) if self.dimension_of_[f] == dim]
            low, high = self.state_.dimension_range(dim)
            total = ordered_sum(points[:, columns])
            share = (total - low) / (high - low) if high > low else np.full(len(total), 0.5)
            scores[dim] = np.clip(100.0 * share, 0.0, 100.0)
        return pd.DataFrame(scores, index=frame.index, columns=list(self.dimensions_))

    def points_table(self) -> pd.DataFrame:
        """Return one row per characteristic and bin: dimension, characteristic, bin, count,
        count_share, bad_count, bad_rate, woe, iv, points."""
        check_is_fitted(self, "state_")
        return self.state_.points_table()

    # ------------------------------------------------------------- explanation

    def reasons(self, X: object, n: int = 4) -> list[list[Reason]]:
        """Return up to ``n`` reasons per row: characteristics by points lost, largest first.

        Points lost are the characteristic's best attainable points minus the row's points;
        characteristics that lost nothing are never listed. Ties are ordered by name.
        """
        if n < 0:
            raise InvalidInputError(f"reasons: n must be >= 0; got {n}")
        frame = self._frame(X)
        bins = self._bins(frame)
        order, lost = rank_reasons(
            self._points(bins), self.state_.best_points(), self.state_.name_rank(), n
        )
        return build_reasons(
            order,
            lost,
            bins,
            names=self.features_,
            dimensions=[self.dimension_of_[f] for f in self.features_],
            labels=[self.binnings_[f].labels for f in self.features_],
            values=[plain_values(frame[f]) for f in self.features_],
        )

    def improvements(
        self,
        X: object,
        target_scores: npt.ArrayLike,
        *,
        actionable: Collection[str] | None = None,
    ) -> list[Improvement | None]:
        """Return per row the smallest change of one characteristic reaching a target score.

        The change moves one characteristic (among ``actionable``, None = all) to one of its
        regular bins; the move with the fewest points gained that still reaches the target
        wins (then the bin nearest the current one, then the name). None where the row
        already reaches its target or no single change does. ``to_value`` is a value of the
        target bin nearest the current one, see
        :func:`~credo.model.reasons.representative_value`.
        """
        frame = self._frame(X)
        targets = np.broadcast_to(np.asarray(target_scores, dtype=np.float64), (len(frame),))
        if not np.isfinite(targets).all():
            raise InvalidInputError("improvements: target scores must be finite")
        unknown = sorted(set(actionable or ()) - set(self.features_))
        if unknown:
            raise InvalidInputError(f"improvements: not characteristics of the model: {unknown}")
        bins = self._bins(frame)
        raw = ordered_sum(self._points(bins))
        moves = best_moves(
            bins,
            [self.points_[f] for f in self.features_],
            [self.binnings_[f].n_regular for f in self.features_],
            raw,
            np.where(self.scaling_.clip(raw) >= targets, np.inf, targets),
            candidates=[
                j for j, f in enumerate(self.features_) if actionable is None or f in actionable
            ],
            name_rank=self.state_.name_rank(),
            score_range=(self.scaling_.score_min, self.scaling_.score_max),
        )
        chosen = np.unique(moves.feature[moves.feature >= 0])
        return build_improvements(
            moves,
            bins,
            self.scaling_.clip(raw + moves.gain),
            binnings=[self.binnings_[f] for f in self.features_],
            dimensions=[self.dimension_of_[f] for f in self.features_],
            values={int(j): plain_values(frame[self.features_[j]]) for j in chosen},
        )


def ordered_sum(points: FloatArray) -> FloatArray:
    """Row sums added left to right from 0.0, the order SQL engines add ``0 + p0 + p1 …`` in,
    so in-engine scores equal these bit for bit (numpy's own sum is pairwise past 8 columns).
    """
    total = np.zeros(points.shape[0], dtype=np.float64)
    for j in range(points.shape[1]):
        total = total + points[:, j]
    return total


def _expit(z: FloatArray) -> FloatArray:
    """The logistic function without overflow warnings: ``exp(-log(1 + exp(-z)))``."""
    return np.exp(-np.logaddexp(0.0, -z))
