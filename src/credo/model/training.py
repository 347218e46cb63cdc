"""The statistical steps of scorecard training, as pure functions over WoE matrices.

* :func:`select_characteristics` keeps characteristics by information value and drops the
  weaker of every pair whose WoE columns are too correlated.
* :func:`fit_signed_logistic` fits the L2 logistic regression of one (sub-)scorecard and drops
  characteristics whose coefficient has the wrong sign, as analysts do.
* :func:`out_of_fold_log_odds` and :func:`fit_dimension_weights` learn the non-negative weights
  that combine per-dimension sub-scorecards.

The target is 1 = bad, and WoE is ``ln(%good/%bad)`` (higher = less risk), so a characteristic
that ranks risk the way its bins say has a **negative** coefficient on the log-odds of bad.
"""

# ruff: noqa: N803 - C is scikit-learn's name for the inverse regularisation strength
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.optimize import minimize  # type: ignore[import-untyped]
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from credo.errors import ModelError

__all__ = [
    "OUT_OF_FOLD_SPLITS",
    "SignedLogistic",
    "fit_dimension_weights",
    "fit_signed_logistic",
    "out_of_fold_log_odds",
    "select_characteristics",
]

FloatArray = npt.NDArray[np.float64]
Target = npt.NDArray[np.int64]

#: Folds used to make the out-of-fold dimension log-odds the weights are learned on.
OUT_OF_FOLD_SPLITS = 5


def select_characteristics(
    iv: Mapping[str, float],
    woe: Mapping[str, FloatArray],
    *,
    min_iv: float,
    max_correlation: float,
    max_features: int | None,
) -> tuple[list[str], dict[str, str]]:
    """Select characteristics by information value and WoE correlation.

    Candidates are visited by decreasing IV (ties: by name). One with IV below ``min_iv`` is
    excluded; one whose WoE column has an absolute Pearson correlation above
    ``max_correlation`` with an already kept one is excluded (the kept one has the higher
    IV); after ``max_features`` kept ones the rest are excluded.

    Returns
    -------
    kept
        Selected names, in the order of ``iv``.
    excluded
        Reason of exclusion per name.
    """
    order = sorted(iv, key=lambda name: (-iv[name], name))
    excluded: dict[str, str] = {}
    kept: list[str] = []
    for name in order:
        if iv[name] < min_iv:
            excluded[name] = f"information value {iv[name]:.4f} below min_iv {min_iv}"
            continue
        partner = _correlated(woe, name, kept, max_correlation)
        if partner is not None:
            excluded[name] = f"WoE correlation with {partner!r} above {max_correlation}"
            continue
        if max_features is not None and len(kept) >= max_features:
            excluded[name] = f"beyond max_features {max_features}"
            continue
        kept.append(name)
    chosen = set(kept)
    return [name for name in iv if name in chosen], excluded


def _correlated(
    woe: Mapping[str, FloatArray], name: str, kept: Sequence[str], limit: float
) -> str | None:
    column = woe[name]
    if not kept or np.ptp(column) == 0:
        return None
    for other in kept:
        other_column = woe[other]
        if np.ptp(other_column) == 0:
            continue
        if abs(float(np.corrcoef(column, other_column)[0, 1])) > limit:
            return other
    return None


@dataclass(frozen=True)
class SignedLogistic:
    """A fitted sub-scorecard: log-odds of bad = ``intercept + Σ coefficients[c] · WoE_c``."""

    intercept: float
    coefficients: dict[str, float]
    dropped: dict[str, str]


def _logistic(matrix: FloatArray, y: Target, C: float) -> LogisticRegression:
    """Fit an L2 logistic regression on the distinct (WoE row, target) patterns, weighted
    by how often each occurs.

    WoE columns take a handful of values each, so a large training set has few distinct
    rows; the weighted log-loss over them is the same objective as over every row, at a
    fraction of the cost.
    """
    first, counts = _distinct_rows(np.column_stack((matrix, y)))
    # lbfgs on WoE columns (all of order 1) converges in a few dozen iterations; the head
    # room avoids a ConvergenceWarning on tiny or nearly separable training sets
    model = LogisticRegression(C=C, solver="lbfgs", tol=1e-8, max_iter=1000)
    return model.fit(matrix[first], y[first], sample_weight=counts)


def _distinct_rows(matrix: FloatArray) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Return the index of the first occurrence of each distinct row, and its count.

    Rows are keyed by mixed-radix integer codes of their column values (re-coded whenever
    the radix product nears the int64 limit), which sorts far faster than
    ``np.unique(axis=0)`` on floats.
    """
    key = np.zeros(len(matrix), dtype=np.int64)
    span = 1
    for column in matrix.T:
        values, codes = np.unique(column, return_inverse=True)
        if span * len(values) >= 2**62:
            distinct, key = np.unique(key, return_inverse=True)
            span = len(distinct)
        key = key * len(values) + codes
        span *= len(values)
    _, first, counts = np.unique(key, return_index=True, return_counts=True)
    return first, counts


def fit_signed_logistic(
    matrix: FloatArray, names: Sequence[str], y: Target, *, C: float
) -> SignedLogistic:
    """Fit an L2 logistic regression of ``y`` on WoE columns with the right signs.

    While a coefficient is not negative, the characteristic with the largest coefficient is
    dropped and the model refitted.

    Parameters
    ----------
    matrix
        ``(rows, len(names))`` WoE values.
    names
        Characteristic of each column.
    y
        1 = bad.
    C
        Inverse L2 strength, as in scikit-learn.
    """
    columns = list(range(len(names)))
    dropped: dict[str, str] = {}
    while columns:
        model = _logistic(matrix[:, columns], y, C)
        coefficients = model.coef_[0]
        worst = int(np.argmax(coefficients))
        if coefficients[worst] < 0:
            return SignedLogistic(
                intercept=float(model.intercept_[0]),
                coefficients={
                    names[c]: float(v) for c, v in zip(columns, coefficients, strict=True)
                },
                dropped=dropped,
            )
        dropped[names[columns[worst]]] = (
            f"coefficient {coefficients[worst]:.4g} has the wrong sign (must be negative)"
        )
        del columns[worst]
    return SignedLogistic(intercept=0.0, coefficients={}, dropped=dropped)


def out_of_fold_log_odds(
    matrices: Sequence[FloatArray],
    y: Target,
    *,
    C: float,
    random_state: int | None,
) -> FloatArray:
    """Return each dimension's out-of-fold log-odds of bad, ``(rows, len(matrices))``.

    Each row's value comes from the dimension's logistic regression fitted on the other
    folds (stratified, shuffled with ``random_state``), so the combining weights are learned
    on predictions the sub-scorecards did not see. With fewer than two bad (or good) rows
    there are no folds and the in-sample log-odds are returned.
    """
    minority = int(min(y.sum(), len(y) - y.sum()))
    result = np.empty((len(y), len(matrices)), dtype=np.float64)
    if minority < 2:
        for d, matrix in enumerate(matrices):
            result[:, d] = _logistic(matrix, y, C).decision_function(matrix)
        return result
    folds = StratifiedKFold(
        n_splits=min(OUT_OF_FOLD_SPLITS, minority), shuffle=True, random_state=random_state
    )
    for train, test in folds.split(np.zeros(len(y)), y):
        for d, matrix in enumerate(matrices):
            model = _logistic(matrix[train], y[train], C)
            result[test, d] = model.decision_function(matrix[test])
    return result


def fit_dimension_weights(log_odds: FloatArray, y: Target) -> tuple[float, FloatArray]:
    """Learn ``intercept`` and weights ``w >= 0`` of ``logit P(bad) = intercept + log_odds @ w``.

    Minimises the mean log-loss with L-BFGS-B, the weights bounded below by 0 (a dimension
    may be ignored, never reversed) and the intercept free.

    Raises
    ------
    ModelError
        When the optimiser fails.
    """
    n_rows, n_dims = log_odds.shape
    yf = y.astype(np.float64)

    def loss(theta: FloatArray) -> tuple[float, FloatArray]:
        z = theta[0] + log_odds @ theta[1:]
        value = float(np.mean(np.logaddexp(0.0, z) - yf * z))
        residual = np.exp(-np.logaddexp(0.0, -z)) - yf  # sigmoid, overflow-free
        grad = np.concatenate(([residual.mean()], log_odds.T @ residual / n_rows))
        return value, grad

    start = np.concatenate(([0.0], np.ones(n_dims)))
    bounds = [(None, None)] + [(0.0, None)] * n_dims
    result = minimize(
        loss, start, jac=True, method="L-BFGS-B", bounds=bounds, options={"gtol": 1e-10}
    )
    # L-BFGS-B may stop on a line-search precision limit at the optimum: finite x is usable
    if not np.all(np.isfinite(result.x)):
        raise ModelError(f"dimension weights: the optimiser failed: {result.message}")
    return float(result.x[0]), np.maximum(result.x[1:], 0.0)
