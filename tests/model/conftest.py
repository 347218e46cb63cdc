"""Seeded synthetic credit data and scorecards fitted on it, shared by the model tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from credo.model import Scorecard

SPECIAL = -1.0  # "no revolving account": utilisation is not applicable
DIMENSIONS = {
    "income": "capacity",
    "age": "stability",
    "region": "stability",
    "utilisation": "behaviour",
    "late_payments": "behaviour",
}


def make_credit(n: int = 2_000, seed: int = 20261101) -> tuple[pd.DataFrame, pd.Series]:
    """Four numerical characteristics, one categorical, missing values and a special code.

    Risk falls with income and age, rises with utilisation and late payments, and differs by
    region; 1 = bad.
    """
    rng = np.random.default_rng(seed)
    income = rng.lognormal(mean=8.0, sigma=0.6, size=n)
    utilisation = rng.uniform(0.0, 1.2, size=n)
    age = rng.integers(18, 76, size=n).astype(np.int64)
    late = rng.poisson(0.6, size=n).astype(np.int64)
    region = rng.choice(
        ["north", "south", "east", "west", "centre"], size=n, p=[0.3, 0.25, 0.2, 0.15, 0.1]
    )
    region_risk = pd.Series(region).map(
        {"north": -0.4, "south": 0.0, "east": 0.3, "west": 0.6, "centre": -0.1}
    )
    logit = (
        -1.0
        - 0.9 * (np.log(income) - 8.0)
        + 1.6 * (utilisation - 0.6)
        - 0.025 * (age - 45)
        + 0.45 * late
        + region_risk.to_numpy()
    )
    bad = (rng.uniform(size=n) < 1.0 / (1.0 + np.exp(-logit))).astype(np.int64)
    income_col = income.round(0)
    income_col[rng.uniform(size=n) < 0.06] = np.nan
    util_col = utilisation.round(3)
    util_col[rng.uniform(size=n) < 0.05] = SPECIAL
    region_col = pd.Series(region, dtype=object)
    region_col[rng.uniform(size=n) < 0.03] = None
    frame = pd.DataFrame(
        {
            "income": income_col,
            "utilisation": util_col,
            "age": age,
            "late_payments": late,
            "region": region_col,
        }
    )
    return frame, pd.Series(bad, name="bad")


@pytest.fixture(scope="session")
def credit() -> tuple[pd.DataFrame, pd.Series]:
    """The seeded synthetic training set (2,000 rows)."""
    return make_credit()


@pytest.fixture(scope="session")
def scorecard(credit: tuple[pd.DataFrame, pd.Series]) -> Scorecard:
    """A single-dimension scorecard fitted on :func:`credit` (do not refit or mutate)."""
    frame, y = credit
    return Scorecard(special_codes=[SPECIAL]).fit(frame, y)


@pytest.fixture(scope="session")
def dimensional(credit: tuple[pd.DataFrame, pd.Series]) -> Scorecard:
    """A three-dimension scorecard fitted on :func:`credit` (do not refit or mutate)."""
    frame, y = credit
    return Scorecard(special_codes=[SPECIAL], dimensions=DIMENSIONS).fit(frame, y)
