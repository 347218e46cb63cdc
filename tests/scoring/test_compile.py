"""The compiled scorecard scores in the engine exactly as the Python scorecard does."""
# ruff: noqa: N806 - X is scikit-learn's name for the feature matrix

from __future__ import annotations

import math

import ibis
import numpy as np
import pandas as pd
import pytest

from credo.model.artifact import from_artifact, to_artifact
from credo.model.scorecard import Scorecard
from credo.scoring.compile import compile_scorecard


def applicants(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    income = rng.lognormal(8, 0.6, n)
    late = rng.poisson(0.8, n).astype(float)
    late[rng.random(n) < 0.1] = np.nan
    tenure = rng.integers(0, 240, n).astype(float)
    tenure[rng.random(n) < 0.05] = -1.0  # the special code: "not applicable"
    housing = rng.choice(["own", "rent", "free"], n)
    logit = -1.2 - 0.0003 * (income - 3000) + 0.7 * np.nan_to_num(late, nan=1.5) - 0.004 * tenure
    logit += np.where(housing == "rent", 0.4, 0.0)
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    frame = pd.DataFrame({"income": income, "late": late, "tenure": tenure, "housing": housing})
    return frame, y


@pytest.fixture(scope="module")
def fitted() -> tuple[Scorecard, dict[str, object]]:
    X, y = applicants(3000, seed=1)
    model = Scorecard(
        special_codes=[-1.0], dimensions={"income": "capacity", "late": "history",
                                          "tenure": "history", "housing": "identity"},
    ).fit(X, y)  # fmt: skip
    return model, to_artifact(model)


def in_engine(doc: dict[str, object], frame: pd.DataFrame) -> pd.DataFrame:
    con = ibis.duckdb.connect()
    table = con.create_table("people", frame.assign(subject=[f"s{i}" for i in range(len(frame))]))
    result = compile_scorecard(doc, table).order_by("subject").to_pandas()
    con.disconnect()
    order = sorted(range(len(frame)), key=lambda i: f"s{i}")
    return result.set_index(pd.Index(order)).sort_index()


def test_engine_scores_equal_python_scores_exactly(fitted: tuple[Scorecard, dict]) -> None:
    model, doc = fitted
    X, _ = applicants(500, seed=2)
    X.loc[0, "housing"] = "houseboat"  # a category never seen in training
    X.loc[1, "income"] = np.inf
    X.loc[2, "income"] = np.nan
    X.loc[3, "tenure"] = -1.0
    got = in_engine(doc, X)
    assert got["score"].tolist() == model.score(X).tolist()
    assert np.allclose(got["p_bad"], model.predict_proba(X)[:, 1], rtol=1e-12, atol=0)
    dims = model.dimension_scores(X)
    for dimension in dims.columns:
        assert np.allclose(got[f"dim__{dimension}"], dims[dimension], rtol=0, atol=1e-9)


def test_scores_at_the_split_points_fall_in_the_bin_they_open(
    fitted: tuple[Scorecard, dict],
) -> None:
    model, doc = fitted
    feature = next(f for f in doc["features"] if f["name"] == "income")
    splits = feature["splits"]
    X = pd.DataFrame(
        {
            "income": [*splits, *(math.nextafter(s, -math.inf) for s in splits)],
            "late": 0.0,
            "tenure": 12.0,
            "housing": "own",
        }
    )
    assert in_engine(doc, X)["score"].tolist() == model.score(X).tolist()


def test_the_artifact_round_trip_scores_the_same(fitted: tuple[Scorecard, dict]) -> None:
    model, doc = fitted
    X, _ = applicants(300, seed=3)
    assert from_artifact(doc).score(X).tolist() == model.score(X).tolist()


def test_many_characteristics_sum_in_the_same_order() -> None:
    rng = np.random.default_rng(4)
    n = 4000
    X = pd.DataFrame({f"x{j}": rng.normal(size=n) for j in range(14)})
    logit = -1.0 + X.to_numpy() @ np.linspace(0.1, 0.6, 14)
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    model = Scorecard(min_iv=0.0, max_correlation=1.0).fit(X, y)
    assert len(model.features_) > 8  # past numpy's 8-wide unrolled (pairwise) summation
    got = in_engine(to_artifact(model), X)
    assert got["score"].tolist() == model.score(X).tolist()
