"""A gradient-boosted challenger (LightGBM), trained only to be shown beside the scorecard.

The scorecard is the model credo scores with; the challenger answers the validator's question
"how much discrimination does the scorecard's simplicity cost?". It is never written to an
artifact and never scores anyone.

Training: a stratified 20 % of the rows is held out to choose the number of trees by early
stopping (30 rounds without improvement of the validation log-loss), then the model is refitted
on every row with that many trees, so no row is wasted on a small data set. Text and category
columns become pandas categories whose levels are fixed at fit time; a level unseen in training
is treated as missing when predicting.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.model_selection import train_test_split

from credo.errors import InvalidInputError, ModelError

if TYPE_CHECKING:  # LightGBM is imported when a challenger is fitted, not by every CLI start
    import lightgbm

__all__ = ["Challenger", "ChallengerParams", "fit_challenger"]

FloatArray = npt.NDArray[np.float64]

_MIN_PER_OUTCOME = 10
_VALIDATION_SHARE = 0.2


@dataclass(frozen=True)
class ChallengerParams:
    """LightGBM hyper-parameters: small, shallow, regularised trees for data sets of a few
    thousand rows. ``early_stopping_rounds=None`` trains ``n_estimators`` trees on every row."""

    n_estimators: int = 300
    learning_rate: float = 0.05
    num_leaves: int = 15
    min_child_samples: int = 50
    subsample: float = 0.8
    colsample_bytree: float = 0.8
    reg_lambda: float = 1.0
    early_stopping_rounds: int | None = 30


@dataclass(frozen=True, eq=False)
class Challenger:
    """A fitted challenger: the LightGBM model, its feature order and category levels."""

    model: lightgbm.LGBMClassifier
    features: tuple[str, ...]
    categories: Mapping[str, tuple[str, ...]]
    monotone: Mapping[str, int]
    n_trees: int

    def predict_proba(self, X: pd.DataFrame) -> FloatArray:  # noqa: N803 - sklearn's name
        """P(bad) per row of ``X`` (one-dimensional)."""
        frame = _prepared(X, self.features, self.categories)
        proba = np.asarray(self.model.predict_proba(frame), dtype=np.float64)
        column: FloatArray = proba[:, 1]
        return column

    def feature_importance(self, kind: Literal["gain", "split"] = "gain") -> dict[str, float]:
        """Total split gain (or number of splits) per feature, largest first."""
        values = self.model.booster_.feature_importance(importance_type=kind)
        pairs = zip(self.features, (float(v) for v in values), strict=True)
        return dict(sorted(pairs, key=lambda pair: (-pair[1], pair[0])))


def _is_categorical(column: pd.Series) -> bool:
    return bool(
        isinstance(column.dtype, pd.CategoricalDtype)
        or pd.api.types.is_object_dtype(column)
        or pd.api.types.is_string_dtype(column)
        or pd.api.types.is_bool_dtype(column)
    )


def _prepared(
    X: pd.DataFrame,  # noqa: N803 - sklearn's name
    features: tuple[str, ...],
    categories: Mapping[str, tuple[str, ...]],
) -> pd.DataFrame:
    absent = [name for name in features if name not in X.columns]
    if absent:
        raise InvalidInputError(f"challenger features missing from the frame: {absent}")
    columns: dict[str, pd.Series] = {}
    for name in features:
        column = X[name]
        if name in categories:
            text = column.astype(object).where(column.notna(), None)
            text = text.map(lambda v: v if v is None else str(v))
            columns[name] = pd.Series(
                pd.Categorical(text, categories=list(categories[name])), index=X.index
            )
        else:
            try:
                columns[name] = pd.to_numeric(column).astype(np.float64)
            except (TypeError, ValueError) as exc:
                raise InvalidInputError(f"challenger feature {name!r} must be numeric") from exc
    return pd.DataFrame(columns, index=X.index)


def _outcomes(y: npt.ArrayLike, n: int) -> npt.NDArray[np.int64]:
    values = np.asarray(y)
    if values.shape != (n,) or not np.isin(values, (0, 1)).all():
        raise InvalidInputError(f"y must be {n} values of 0 (good) or 1 (bad)")
    bads = int(values.sum())
    if min(bads, n - bads) < _MIN_PER_OUTCOME:
        raise InvalidInputError(
            f"the challenger needs at least {_MIN_PER_OUTCOME} goods and bads; "
            f"got {n - bads} goods and {bads} bads"
        )
    return values.astype(np.int64)


def _constraints(
    monotone: Mapping[str, int], features: tuple[str, ...], categorical: set[str]
) -> list[int]:
    if not features:
        raise InvalidInputError("the challenger needs at least one feature column")
    unknown = sorted(set(monotone) - set(features))
    if unknown:
        raise InvalidInputError(f"monotone constraints name unknown features: {unknown}")
    for name, sign in monotone.items():
        if sign not in (-1, 0, 1):
            raise InvalidInputError(
                f"monotone constraint of {name!r} must be -1, 0 or 1; got {sign}"
            )
        if sign and name in categorical:
            raise InvalidInputError(f"categorical feature {name!r} cannot be monotone-constrained")
    return [int(monotone.get(name, 0)) for name in features]


def _classifier(
    params: ChallengerParams, n_trees: int, constraints: list[int], seed: int
) -> lightgbm.LGBMClassifier:
    import lightgbm  # noqa: PLC0415 - see the TYPE_CHECKING import

    return lightgbm.LGBMClassifier(
        n_estimators=n_trees,
        learning_rate=params.learning_rate,
        num_leaves=params.num_leaves,
        min_child_samples=params.min_child_samples,
        subsample=params.subsample,
        subsample_freq=1,  # LightGBM ignores `subsample` unless bagging runs every k iterations
        colsample_bytree=params.colsample_bytree,
        reg_lambda=params.reg_lambda,
        monotone_constraints=constraints,
        random_state=seed,
        n_jobs=1,  # two threads on these 2-core machines ran 50-300x slower (STACK.md)
        verbose=-1,
    )


def _early_stopped_trees(
    params: ChallengerParams,
    frame: pd.DataFrame,
    outcome: npt.NDArray[np.int64],
    constraints: list[int],
    seed: int,
) -> int:
    import lightgbm  # noqa: PLC0415 - see the TYPE_CHECKING import

    assert params.early_stopping_rounds is not None
    fit_x, valid_x, fit_y, valid_y = train_test_split(
        frame, outcome, test_size=_VALIDATION_SHARE, stratify=outcome, random_state=seed
    )
    probe = _classifier(params, params.n_estimators, constraints, seed)
    probe.fit(
        fit_x,
        fit_y,
        eval_X=valid_x,
        eval_y=valid_y,
        eval_metric="binary_logloss",
        callbacks=[lightgbm.early_stopping(params.early_stopping_rounds, verbose=False)],
    )
    return max(int(probe.best_iteration_ or params.n_estimators), 1)


def fit_challenger(
    X: pd.DataFrame,  # noqa: N803 - sklearn's name
    y: npt.ArrayLike,
    *,
    monotone: Mapping[str, int] | None = None,
    params: ChallengerParams | None = None,
    random_state: int = 42,
) -> Challenger:
    """Train a LightGBM challenger on every column of ``X``.

    Parameters
    ----------
    X
        Characteristics; numeric columns as numbers, object, string, boolean and category
        columns as categories. Missing values are allowed.
    y
        1 for bad, 0 for good.
    monotone
        Per feature: ``+1`` when P(bad) may only increase with the value, ``-1`` when it may only
        decrease, ``0`` (or absent) when free. Categorical features cannot be constrained.
    params
        Hyper-parameters; :class:`ChallengerParams` defaults when omitted.
    random_state
        Seed of the validation split, bagging and column sampling.

    Raises
    ------
    InvalidInputError
        When ``y`` is not 0/1, has fewer than 10 goods or bads, or a constraint is invalid.
    ModelError
        When LightGBM fails to train.
    """
    settings = params or ChallengerParams()
    features = tuple(str(name) for name in X.columns)
    outcome = _outcomes(y, len(X))
    categories = {
        name: tuple(sorted({str(v) for v in X[name].dropna().unique()}))
        for name in features
        if _is_categorical(X[name])
    }
    constraints = _constraints(monotone or {}, features, set(categories))
    frame = _prepared(X, features, categories)
    import lightgbm  # noqa: PLC0415 - see the TYPE_CHECKING import

    try:
        n_trees = (
            settings.n_estimators
            if settings.early_stopping_rounds is None
            else _early_stopped_trees(settings, frame, outcome, constraints, random_state)
        )
        model = _classifier(settings, n_trees, constraints, random_state)
        model.fit(frame, outcome)
    except lightgbm.basic.LightGBMError as exc:
        raise ModelError(f"LightGBM could not train the challenger: {exc}") from exc
    return Challenger(
        model=model,
        features=features,
        categories=categories,
        monotone={name: sign for name, sign in (monotone or {}).items() if sign},
        n_trees=n_trees,
    )
