"""Population stability: how far a later population has moved from the one a model was
trained on (PSI per characteristic and for the score).

Population Stability Index (PSI) follows the standard formula
``PSI = Σ (a_i - e_i) · ln(a_i / e_i)`` over bins, where ``e_i`` and ``a_i`` are the shares of the
expected (development) and actual (recent) samples in bin ``i``. An empty bin takes the share
:data:`PSI_EPSILON` (1e-4, as is common practice) so the logarithm stays finite; missing values
(NaN) always form a bin of their own. The verdicts use the usual industry thresholds: below 0.10
*stable*, 0.10-0.25 *watch*, above 0.25 *shift*.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from credo.errors import InvalidInputError
from credo.model.evaluation import json_safe

__all__ = [
    "PSI_EPSILON",
    "PsiRow",
    "Verdict",
    "psi",
    "psi_categorical",
    "psi_from_shares",
    "psi_table",
    "quantile_edges",
    "stability_verdict",
]

FloatArray = npt.NDArray[np.float64]
Verdict = Literal["stable", "watch", "shift"]

PSI_EPSILON = 1e-4
_STABLE_BELOW = 0.10
_SHIFT_ABOVE = 0.25


@dataclass(frozen=True)
class PsiRow:
    """The PSI of one characteristic (or of the score) between two samples."""

    characteristic: str
    psi: float
    verdict: Verdict

    def to_dict(self) -> dict[str, object]:
        """JSON-safe fields."""
        return {k: json_safe(v) for k, v in asdict(self).items()}


def psi_from_shares(
    expected_shares: npt.ArrayLike,
    actual_shares: npt.ArrayLike,
    *,
    epsilon: float = PSI_EPSILON,
) -> float:
    """PSI from bin shares: ``Σ (a - e) · ln(a / e)``, an empty share replaced by ``epsilon``.

    >>> round(psi_from_shares([0.5, 0.5], [0.5, 0.5]), 6)
    0.0
    """
    expected = np.asarray(expected_shares, dtype=np.float64)
    actual = np.asarray(actual_shares, dtype=np.float64)
    if expected.shape != actual.shape or expected.ndim != 1:
        raise InvalidInputError(
            f"share vectors must be one-dimensional and alike; got {expected.shape} "
            f"and {actual.shape}"
        )
    if (expected < 0).any() or (actual < 0).any():
        raise InvalidInputError("bin shares must not be negative")
    expected = np.where(expected == 0, epsilon, expected)
    actual = np.where(actual == 0, epsilon, actual)
    return float(np.sum((actual - expected) * np.log(actual / expected)))


def quantile_edges(expected: npt.ArrayLike, bins: int = 10) -> FloatArray:
    """Distinct quantile edges of the non-missing ``expected`` values (at most ``bins + 1``)."""
    values = np.asarray(expected, dtype=np.float64)
    known = values[~np.isnan(values)]
    if bins < 1:
        raise InvalidInputError(f"bins must be at least 1; got {bins}")
    if known.size == 0:
        raise InvalidInputError("quantile edges need at least one non-missing expected value")
    edges: FloatArray = np.unique(np.quantile(known, np.linspace(0.0, 1.0, bins + 1)))
    return edges


def _bin_shares(values: FloatArray, cuts: FloatArray) -> FloatArray:
    """Shares per right-closed bin between ``cuts`` (outer bins open-ended), then NaN."""
    missing = np.isnan(values)
    index = np.searchsorted(cuts, values[~missing], side="left")
    counts = np.bincount(index, minlength=cuts.size + 1)
    shares: FloatArray = np.r_[counts, missing.sum()] / max(values.size, 1)
    return shares


def psi(
    expected: npt.ArrayLike,
    actual: npt.ArrayLike,
    *,
    bins: int | Sequence[float] = 10,
    epsilon: float = PSI_EPSILON,
) -> float:
    """Population Stability Index of a numeric characteristic.

    Parameters
    ----------
    expected, actual
        The development sample and the sample to compare with it; NaN is its own bin.
    bins
        A number of quantile bins cut on ``expected``, or explicit increasing edges. Bins are
        right-closed, ``(e[i-1], e[i]]`` as :func:`pandas.qcut`, and the outermost are widened
        to ±∞ so every value lands in one.
    epsilon
        The share given to an empty bin.
    """
    expected_values = np.asarray(expected, dtype=np.float64)
    actual_values = np.asarray(actual, dtype=np.float64)
    if expected_values.size == 0 or actual_values.size == 0:
        raise InvalidInputError("PSI needs two non-empty samples")
    if isinstance(bins, int):
        edges = quantile_edges(expected_values, bins)
    else:
        edges = np.asarray(bins, dtype=np.float64)
        if edges.size < 2 or np.isnan(edges).any() or (np.diff(edges) <= 0).any():
            raise InvalidInputError(
                f"PSI edges must be at least two increasing numbers; got {bins}"
            )
    cuts = edges[1:-1]
    return psi_from_shares(
        _bin_shares(expected_values, cuts), _bin_shares(actual_values, cuts), epsilon=epsilon
    )


def _category_counts(values: npt.ArrayLike) -> tuple[dict[object, int], int]:
    series = pd.Series(np.asarray(values, dtype=object), dtype=object)
    missing = series.isna()
    counts = series[~missing].value_counts()
    return {key: int(count) for key, count in counts.items()}, int(missing.sum())


def psi_categorical(
    expected: npt.ArrayLike, actual: npt.ArrayLike, *, epsilon: float = PSI_EPSILON
) -> float:
    """Population Stability Index of a categorical characteristic: one bin per category seen
    in either sample, plus one for missing values."""
    expected_counts, expected_missing = _category_counts(expected)
    actual_counts, actual_missing = _category_counts(actual)
    categories = list(dict.fromkeys([*expected_counts, *actual_counts]))
    expected_n = sum(expected_counts.values()) + expected_missing
    actual_n = sum(actual_counts.values()) + actual_missing
    if expected_n == 0 or actual_n == 0:
        raise InvalidInputError("PSI needs two non-empty samples")
    expected_shares = [expected_counts.get(c, 0) / expected_n for c in categories]
    actual_shares = [actual_counts.get(c, 0) / actual_n for c in categories]
    return psi_from_shares(
        [*expected_shares, expected_missing / expected_n],
        [*actual_shares, actual_missing / actual_n],
        epsilon=epsilon,
    )


def stability_verdict(value: float) -> Verdict:
    """``stable`` below 0.10, ``watch`` from 0.10 to 0.25, ``shift`` above 0.25."""
    if not math.isfinite(value):
        raise InvalidInputError(f"a PSI must be a finite number; got {value}")
    if value < _STABLE_BELOW:
        return "stable"
    return "watch" if value <= _SHIFT_ABOVE else "shift"


def psi_table(
    expected_frame: pd.DataFrame,
    actual_frame: pd.DataFrame,
    columns: Sequence[str] | None = None,
    *,
    bins: int = 10,
    epsilon: float = PSI_EPSILON,
) -> list[PsiRow]:
    """PSI and verdict per characteristic (every column of ``expected_frame`` by default).

    Numeric columns use quantile bins of the expected sample; boolean, text and category
    columns use one bin per value.
    """
    names = list(expected_frame.columns) if columns is None else list(columns)
    absent = [c for c in names if c not in expected_frame or c not in actual_frame]
    if absent:
        raise InvalidInputError(f"PSI columns missing from a frame: {absent}")
    rows: list[PsiRow] = []
    for name in names:
        expected, actual = expected_frame[name], actual_frame[name]
        numeric = pd.api.types.is_numeric_dtype(expected) and not pd.api.types.is_bool_dtype(
            expected
        )
        value = (
            psi(
                expected.to_numpy(np.float64, na_value=np.nan),
                actual.to_numpy(np.float64, na_value=np.nan),
                bins=bins,
                epsilon=epsilon,
            )
            if numeric
            else psi_categorical(expected.to_numpy(), actual.to_numpy(), epsilon=epsilon)
        )
        rows.append(PsiRow(characteristic=str(name), psi=value, verdict=stability_verdict(value)))
    return rows
