"""The scorecard on real loans: Berka (PKDD'99) through credo's importer, cross-validated.

    python bench/berka.py [--data ../shared/data/berka_pkdd99_financial] [--folds 5]

Imports the Berka bank data as a credo dataset, loads it into a fresh home, computes every
loan holder's characteristics as of the start of the loan's month (only the history before the
decision), and scores them with a five-dimension scorecard in stratified K-fold cross-validation
(seed 42): the AUC of the held-out scores against the real loan outcomes (status B or D = bad).
Baselines printed in the same run: the best single characteristic and a monotone LightGBM.
"""

# ruff: noqa: N806 - X is scikit-learn's name for the feature matrix
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import warnings
from datetime import UTC, datetime, time
from pathlib import Path

import ibis
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
from sklearn.model_selection import StratifiedKFold

from credo.features.build import characteristics_expr
from credo.features.catalog import CATALOG
from credo.home import Home
from credo.model.challenger import fit_challenger
from credo.model.evaluation import auc
from credo.model.scorecard import Scorecard
from credo.settings import Settings

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "berka_pkdd99_financial"
KNOWN = datetime(2100, 1, 1, tzinfo=UTC)


def credo(home: Path, *args: str) -> None:
    env = dict(os.environ, CREDO_HOME=str(home))
    subprocess.run([sys.executable, "-m", "credo", *args], env=env, check=True, capture_output=True)


def loan_table(data: Path, root: Path) -> pd.DataFrame:
    """One row per loan: the holder's characteristics before the loan, and ``bad``."""
    credo(root / "home", "import", "berka", str(data), "--out", str(root / "berka"))
    credo(root / "home", "init", "--dev-key")
    credo(root / "home", "load", str(root / "berka"))
    home = Home(Settings(home=root / "home"))
    reliability = {s.name: s.reliability for s in home.sources.all()}
    loans = pq.read_table(root / "berka" / "outcomes.parquet").to_pandas()
    con = ibis.duckdb.connect()
    con.con.register("events", home.lake.dataset())
    events = con.table("events")
    rows = []
    for day, group in loans.groupby(loans["loan_date"].map(lambda d: d.replace(day=1))):
        as_of = datetime.combine(day, time(), tzinfo=UTC)
        expr = characteristics_expr(events, as_of, reliability=reliability, known_at=KNOWN)
        features = expr.to_pandas().set_index("subject")
        for loan in group.itertuples():
            token = home.tokeniser.subject(str(loan.subject))
            if token in features.index:
                rows.append({**features.loc[token].to_dict(), "bad": int(loan.bad)})
    con.disconnect()
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args()
    warnings.filterwarnings("ignore", category=FutureWarning)
    with tempfile.TemporaryDirectory(prefix="credo-berka-") as tmp:
        table = loan_table(args.data, Path(tmp))
    names = [c.name for c in CATALOG]
    X, y = table[names], table["bad"].to_numpy()
    dimensions = {c.name: c.dimension for c in CATALOG}
    monotone = {c.name: 1 if c.direction == "higher_is_riskier" else -1 for c in CATALOG}
    trends = {n: "ascending" if s > 0 else "descending" for n, s in monotone.items()}
    scores = np.zeros(len(y))
    rival = np.zeros(len(y))
    folds = StratifiedKFold(args.folds, shuffle=True, random_state=42)
    for train, test in folds.split(X, y):
        model = Scorecard(dimensions=dimensions, monotonic_trend=trends, min_iv=0.02)
        model.fit(X.iloc[train], y[train])
        scores[test] = model.score(X.iloc[test])
        challenger = fit_challenger(X.iloc[train], y[train], monotone=monotone)
        rival[test] = challenger.predict_proba(X.iloc[test])
    single = {}
    for name in names:
        column = X[name].fillna(X[name].median() if X[name].notna().any() else 0.0)
        if column.nunique() > 1:
            value = auc(y, (column - column.min()) / (column.max() - column.min()))
            single[name] = max(value, 1 - value)
    best = max(single, key=lambda n: single[n])
    print(f"Berka loans: {len(y)} with pre-loan history, {int(y.sum())} bad (status B or D)")
    print(f"  {args.folds}-fold cross-validated AUC (seed 42), score against real outcomes:")
    print(f"  best single characteristic ({best})   {single[best]:.3f}   (baseline)")
    print(f"  LightGBM, monotone challenger          {auc(y, rival):.3f}")
    print(f"  credo five-dimension scorecard          {auc(y, (950 - scores) / 600):.3f}")


if __name__ == "__main__":
    main()
