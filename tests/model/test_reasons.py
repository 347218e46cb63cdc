"""Reason codes and improvements, checked against brute force over the points table."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from credo.errors import InvalidInputError
from credo.model import Binning, Scorecard
from credo.model.reasons import reason_code, representative_value

Data = tuple[pd.DataFrame, pd.Series]
SETTINGS = settings(max_examples=25, deadline=None)
rows = st.lists(st.integers(0, 1_999), min_size=1, max_size=8)


def attainable_points(sc: Scorecard, name: str) -> np.ndarray:
    """Points of the bins a value can reach: regular, Special if codes exist, Missing."""
    b = sc.binnings_[name]
    keep = list(range(b.n_regular)) + ([b.special_index] if b.special_codes else [])
    return sc.points_[name][[*keep, b.missing_index]]


@SETTINGS
@given(index=rows, n=st.integers(0, 6))
def test_reasons_are_the_largest_point_losses(
    scorecard: Scorecard, credit: Data, index: list[int], n: int
) -> None:
    frame = credit[0].iloc[index]
    points = scorecard.points(frame)
    for (_, person), reasons in zip(points.iterrows(), scorecard.reasons(frame, n=n), strict=True):
        lost = {f: attainable_points(scorecard, f).max() - person[f] for f in points.columns}
        assert len(reasons) <= n
        assert all(r.points_lost > 0 for r in reasons)
        for r in reasons:
            assert r.points_lost == pytest.approx(lost[r.characteristic], abs=1e-9)
        keys = [(-r.points_lost, r.characteristic) for r in reasons]
        assert keys == sorted(keys)
        listed = {r.characteristic for r in reasons}
        positive = [f for f, v in lost.items() if v > 0]
        assert len(reasons) == min(n, len(positive))
        if reasons:
            floor = reasons[-1].points_lost
            assert all(lost[f] <= floor + 1e-9 for f in positive if f not in listed)


def test_reasons_carry_value_bin_dimension_and_stable_code(
    scorecard: Scorecard, credit: Data
) -> None:
    frame = credit[0]
    worst = int(np.argmin(scorecard.score(frame)))
    reasons = scorecard.reasons(frame.iloc[[worst]], n=10)[0]
    assert reasons, "the lowest score must have lost points somewhere"
    for r in reasons:
        raw = frame.iloc[worst][r.characteristic]
        assert r.value == (None if pd.isna(raw) else raw)
        assert r.dimension == "all"
        assert r.code == reason_code(r.characteristic)
        assert len(r.code) == 7
        assert r.code.startswith("R")


def test_reason_bin_labels_match_the_points_table(scorecard: Scorecard, credit: Data) -> None:
    frame = credit[0].head(50)
    points = scorecard.points(frame)
    table = scorecard.points_table()
    for i, reasons in enumerate(scorecard.reasons(frame, n=5)):
        for r in reasons:
            rows_ = table[(table.characteristic == r.characteristic) & (table.bin == r.bin_label)]
            assert rows_.points.tolist() == [points.iloc[i][r.characteristic]]


def test_reason_codes_depend_on_the_name_only() -> None:
    assert reason_code("late_payments") == reason_code("late_payments")
    assert reason_code("late_payments") != reason_code("late_payment")
    assert reason_code("duration_in_month") == "R543403"


def test_negative_reason_count_is_refused(scorecard: Scorecard, credit: Data) -> None:
    with pytest.raises(InvalidInputError, match="n must be >= 0"):
        scorecard.reasons(credit[0].head(1), n=-1)


# ----------------------------------------------------------------- improvements


def brute_force_gains(sc: Scorecard, row: pd.DataFrame, target: float) -> list[float]:
    """Gains of every single-characteristic move to a regular bin that reaches the target."""
    points = sc.points(row).iloc[0]
    raw = float(points.sum())
    gains = []
    for name in sc.features_:
        regular = sc.points_[name][: sc.binnings_[name].n_regular]
        for p in regular:
            gain = float(p - points[name])
            if gain > 0 and min(max(raw + gain, 350.0), 950.0) >= target + 1e-9:
                gains.append(gain)
    return gains


@SETTINGS
@given(index=rows, target=st.floats(350.0, 950.0))
def test_improvements_reach_the_target_with_the_smallest_gain(
    scorecard: Scorecard, credit: Data, index: list[int], target: float
) -> None:
    frame = credit[0].iloc[index]
    current = scorecard.score(frame)
    for i, advice in enumerate(scorecard.improvements(frame, target)):
        row = frame.iloc[[i]].copy()
        gains = brute_force_gains(scorecard, row, target)
        if advice is None:
            assert current[i] >= target or not gains
            continue
        assert current[i] < target
        row[advice.characteristic] = [advice.to_value]
        rescored = float(scorecard.score(row)[0])
        assert rescored >= target
        assert rescored == pytest.approx(advice.new_score, abs=1e-9)
        assert advice.points_gained == pytest.approx(min(gains), abs=1e-9)


def test_only_actionable_characteristics_are_suggested(scorecard: Scorecard, credit: Data) -> None:
    frame = credit[0].head(40)
    for advice in scorecard.improvements(frame, 600.0, actionable={"utilisation"}):
        assert advice is None or advice.characteristic == "utilisation"
    with pytest.raises(InvalidInputError, match="not characteristics of the model"):
        scorecard.improvements(frame, 600.0, actionable={"shoe_size"})


def test_no_advice_when_already_there_or_out_of_reach(scorecard: Scorecard, credit: Data) -> None:
    frame = credit[0].head(20)
    scores = scorecard.score(frame)
    assert scorecard.improvements(frame, scores) == [None] * len(frame)
    worst = frame.iloc[[int(np.argmin(scorecard.score(credit[0])))]]
    assert scorecard.improvements(worst, 950.0) == [None]


def test_non_finite_targets_are_refused(scorecard: Scorecard, credit: Data) -> None:
    with pytest.raises(InvalidInputError, match="finite"):
        scorecard.improvements(credit[0].head(2), [600.0, math.nan])


def numeric(splits: tuple[float, ...], *, integer: bool = False) -> Binning:
    n = len(splits) + 3
    return Binning("x", "numerical", splits=splits, counts=(1,) * n, bad_counts=(0,) * n,
                   woe=(0.0,) * n, bin_iv=(0.0,) * n, integer_valued=integer)  # fmt: skip


def test_representative_values_are_the_nearest_edges() -> None:
    b = numeric((1.5, 3.0))
    assert representative_value(b, to_bin=1, from_bin=0) == 1.5  # up: the lower edge
    assert representative_value(b, to_bin=1, from_bin=2) == np.nextafter(3.0, -np.inf)
    assert representative_value(b, to_bin=0, from_bin=1) == np.nextafter(1.5, -np.inf)
    assert representative_value(b, to_bin=2, from_bin=b.missing_index) == 3.0


def test_integer_characteristics_get_integer_suggestions() -> None:
    b = numeric((1.5, 3.5), integer=True)
    assert representative_value(b, to_bin=1, from_bin=0) == 2.0
    assert representative_value(b, to_bin=1, from_bin=2) == 3.0
    assert representative_value(b, to_bin=0, from_bin=2) == 1.0


def test_categorical_suggestion_is_the_first_category_of_the_group() -> None:
    b = Binning("c", "categorical", categories=(("a", "b"), ("c",)), counts=(1,) * 4,
                bad_counts=(0,) * 4, woe=(0.0,) * 4, bin_iv=(0.0,) * 4, unseen_bin=0)  # fmt: skip
    assert representative_value(b, to_bin=0, from_bin=1) == "a"
