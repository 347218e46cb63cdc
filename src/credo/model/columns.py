"""Raw input as numpy: tables, numerical columns, missing values and the 0/1 target.

Every estimator in :mod:`credo.model` reads its input through these functions, so the rules
are the same everywhere: a table is a frame with string column names (arrays get ``x0``,
``x1``, …), None/NaN/``pd.NA``/``NaT`` are missing, and the target is 0 (good) / 1 (bad).
"""

# ruff: noqa: N803 - X is scikit-learn's name for the feature matrix
from __future__ import annotations

import warnings

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import sparse  # type: ignore[import-untyped]
from sklearn.exceptions import DataConversionWarning

from credo.errors import InvalidInputError

__all__ = ["as_float", "as_frame", "as_target", "is_missing", "plain_values"]

FloatArray = npt.NDArray[np.float64]


def as_frame(X: object) -> tuple[pd.DataFrame, bool]:
    """Return ``X`` as a frame with string column names and whether it came with names."""
    if isinstance(X, pd.DataFrame):
        if all(isinstance(c, str) for c in X.columns):
            if X.columns.has_duplicates:
                raise InvalidInputError("scorecard: X has duplicate column names")
            return X, True
        frame = X.copy(deep=False)
        frame.columns = [f"x{i}" for i in range(X.shape[1])]
        return frame, False
    if sparse.issparse(X):
        raise InvalidInputError("scorecard: sparse input is not supported; pass a dense table")
    array = np.asarray(X)
    if array.ndim != 2:
        raise InvalidInputError(
            f"scorecard: X must be 2-D (rows, columns); got shape {array.shape}"
        )
    if array.shape[0] == 0:
        raise InvalidInputError("scorecard: X has no rows")
    return pd.DataFrame(array, columns=[f"x{i}" for i in range(array.shape[1])]), False


def as_float(values: object, name: str) -> FloatArray:
    """Return ``values`` as a float64 array; None/NA become NaN.

    Raises
    ------
    InvalidInputError
        When a value is not a number (text, a date, …).
    """
    if isinstance(values, pd.Series):
        series = values
    else:
        array = np.asarray(values)
        if array.ndim != 1:
            raise InvalidInputError(f"characteristic {name!r} must be 1-D; got {array.shape}")
        if array.dtype.kind in "biuf":
            return array.astype(np.float64)
        series = pd.Series(array.astype(object))
    if series.dtype.kind in "biuf":
        return series.to_numpy(dtype=np.float64, na_value=np.nan)
    if series.dtype.kind in "mM":
        raise InvalidInputError(
            f"characteristic {name!r} is numerical but holds dates or durations ({series.dtype})"
        )
    try:
        numeric = pd.to_numeric(series, errors="raise")
        return numeric.to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError, OverflowError) as exc:
        raise InvalidInputError(
            f"characteristic {name!r} is numerical but holds a non-numeric value: {exc}"
        ) from exc


def as_target(y: object, n_rows: int | None = None) -> npt.NDArray[np.int64]:
    """Return the target as 0/1 integers (1 = bad); accepts 0/1 numbers or booleans.

    Raises
    ------
    InvalidInputError
        When the target is not 1-D, holds missing values or anything but 0/1, or its length
        differs from ``n_rows``.
    """
    array = np.asarray(y.to_numpy() if isinstance(y, pd.Series | pd.DataFrame) else y)
    if array.ndim == 2 and array.shape[1] == 1:
        warnings.warn(  # scikit-learn's wording and category, which its tools look for
            "A column-vector y was passed when a 1d array was expected. Please change the "
            "shape of y to (n_samples,), for example using ravel().",
            DataConversionWarning,
            stacklevel=3,
        )
        array = array.ravel()
    if array.ndim != 1:
        raise InvalidInputError(f"target must be 1-D; got shape {array.shape}")
    if n_rows is not None and len(array) != n_rows:
        raise InvalidInputError(f"target has {len(array)} rows but X has {n_rows}")
    if array.dtype.kind not in "biuf":
        raise InvalidInputError(f"target must be 0/1 or boolean (1 = bad); got dtype {array.dtype}")
    if not np.isin(array, (0, 1)).all():  # NaN and 0.5 fail here too
        raise InvalidInputError("target must hold only 0 (good) and 1 (bad)")
    return array.astype(np.int64)


def is_missing(values: npt.NDArray[np.object_]) -> npt.NDArray[np.bool_]:
    """True where a raw value is missing (None, NaN, ``pd.NA``, ``NaT``)."""
    return np.asarray(pd.isna(values), dtype=bool)


def plain_values(column: pd.Series) -> list[object]:
    """The cells of a column as plain Python values (numpy scalars unwrapped); missing
    cells become None."""
    values = column.astype(object).tolist()
    missing = column.isna().tolist()
    return [None if m else v for v, m in zip(values, missing, strict=True)]
