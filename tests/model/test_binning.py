"""Monotone binning: the same bins and bin assignment as optbinning, plus credo's conventions."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from optbinning import OptimalBinning

from credo.errors import InvalidInputError, ModelError
from credo.model import Binning, MonotoneBinner, assign_bins
from credo.model.binning import WOE_PRIOR_ROWS, WOE_PRIOR_SHARE
from credo.model.columns import as_float, as_target

SPECIAL = -1.0  # the special code of the synthetic data (conftest.make_credit)


def reference(x: object, y: object, **options: object) -> OptimalBinning:
    """optbinning configured as MonotoneBinner configures it."""
    params: dict[str, object] = {
        "monotonic_trend": "auto_asc_desc",
        "max_n_bins": 8,
        "min_bin_size": 0.05,
        "min_bin_n_event": 1,
        "min_bin_n_nonevent": 1,
    }
    params.update(options)
    return OptimalBinning(**params).fit(x, y)


def test_numerical_splits_equal_optbinning(credit: tuple[pd.DataFrame, pd.Series]) -> None:
    frame, y = credit
    ours = MonotoneBinner(name="utilisation", special_codes=[SPECIAL]).fit(frame.utilisation, y)
    theirs = reference(frame.utilisation.to_numpy(), y.to_numpy(), special_codes=[SPECIAL])
    assert ours.binning_.splits == tuple(float(s) for s in theirs.splits)
    assert len(ours.binning_.splits) >= 3


def test_splits_equal_plain_optbinning_when_no_bin_is_pure(
    credit: tuple[pd.DataFrame, pd.Series],
) -> None:
    frame, y = credit
    ours = MonotoneBinner(name="income").fit(frame.income, y).binning_
    plain = OptimalBinning(monotonic_trend="auto_asc_desc", max_n_bins=8, min_bin_size=0.05)
    plain.fit(frame.income.to_numpy(), y.to_numpy())
    assert ours.splits == tuple(float(s) for s in plain.splits)


def test_values_on_and_next_to_splits_land_where_optbinning_puts_them(
    credit: tuple[pd.DataFrame, pd.Series],
) -> None:
    frame, y = credit
    binning = MonotoneBinner(name="u", special_codes=[SPECIAL]).fit(frame.utilisation, y).binning_
    theirs = reference(frame.utilisation.to_numpy(), y.to_numpy(), special_codes=[SPECIAL])
    splits = np.asarray(binning.splits)
    probe = np.concatenate(
        [
            splits,
            np.nextafter(splits, -np.inf),
            np.nextafter(splits, np.inf),
            [np.nan, SPECIAL, -1e300, 1e300, 0.0],
            frame.utilisation.to_numpy()[:200],
        ]
    )
    expected = theirs.transform(
        probe, metric="indices", metric_special="empirical", metric_missing="empirical"
    )
    assert assign_bins(binning, probe).tolist() == np.asarray(expected).tolist()


def test_a_value_equal_to_a_split_opens_the_bin_on_its_right() -> None:
    b = Binning(
        "x", "numerical", splits=(1.5, 3.0), counts=(1,) * 5, bad_counts=(0,) * 5,
        woe=(0.0,) * 5, bin_iv=(0.0,) * 5,
    )  # fmt: skip
    values = [-math.inf, 1.4999, 1.5, 2.9, 3.0, math.inf, math.nan, None]
    assert assign_bins(b, np.array(values, dtype=object)).tolist() == [0, 0, 1, 1, 2, 2, 4, 4]
    assert b.labels == ("(-inf, 1.5)", "[1.5, 3)", "[3, inf)", "Special", "Missing")


def test_counts_and_woe_equal_optbinnings_binning_table(
    credit: tuple[pd.DataFrame, pd.Series],
) -> None:
    frame, y = credit
    binning = MonotoneBinner(name="u", special_codes=[SPECIAL]).fit(frame.utilisation, y).binning_
    theirs = reference(frame.utilisation.to_numpy(), y.to_numpy(), special_codes=[SPECIAL])
    table = theirs.binning_table.build()
    rows = table.iloc[: binning.n_bins]  # regular bins, Special, Missing; then Totals
    assert list(binning.counts) == rows["Count"].astype(int).tolist()
    assert list(binning.bad_counts) == rows["Event"].astype(int).tolist()
    regular = rows["WoE"].iloc[: binning.n_regular].astype(float).to_numpy()
    # optbinning's WoE is ln(%non-event / %event) = ln(%good / %bad): the same sign as ours
    np.testing.assert_allclose(binning.woe[: binning.n_regular], regular, rtol=1e-12)


def test_special_and_missing_bins_are_smoothed_towards_the_population() -> None:
    rng = np.random.default_rng(5)
    x = rng.uniform(size=1_000)
    y = (rng.uniform(size=1_000) < 0.2 + 0.4 * x).astype(int)
    x[:5] = np.nan
    y[:5] = 0  # five good rows only: the empirical WoE would be +inf
    binning = MonotoneBinner(name="x").fit(x, y).binning_
    total_bad = y.sum()
    total_good = len(y) - total_bad
    rows = max(WOE_PRIOR_ROWS, WOE_PRIOR_SHARE * len(y))  # 50 pseudo-rows for 1,000 rows
    prior_good = rows * total_good / len(y)
    prior_bad = rows * total_bad / len(y)
    expected = math.log((5 + prior_good) / prior_bad) - math.log(total_good / total_bad)
    assert binning.woe[binning.missing_index] == pytest.approx(expected, rel=1e-12)
    assert 0 < binning.woe[binning.missing_index] < max(binning.woe[: binning.n_regular])
    assert binning.woe[binning.special_index] == 0.0  # empty: exactly neutral
    assert binning.counts[binning.missing_index] == 5


def test_forced_ascending_trend_gives_non_decreasing_bad_rates(
    credit: tuple[pd.DataFrame, pd.Series],
) -> None:
    frame, y = credit
    binning = MonotoneBinner(name="u", monotonic_trend="ascending").fit(frame.late_payments, y)
    rates = binning.binning_.bad_rates[: binning.binning_.n_regular]
    assert all(a <= b for a, b in itertools.pairwise(rates))
    assert binning.binning_.monotonic_trend == "ascending"


def test_automatic_trend_records_the_direction_it_found(
    credit: tuple[pd.DataFrame, pd.Series],
) -> None:
    frame, y = credit
    assert MonotoneBinner(name="age").fit(frame.age, y).binning_.monotonic_trend == "descending"
    util = MonotoneBinner(name="u", special_codes=[SPECIAL]).fit(frame.utilisation, y).binning_
    assert util.monotonic_trend == "ascending"


def test_categorical_groups_equal_optbinning_and_unseen_goes_to_the_most_neutral_group(
    credit: tuple[pd.DataFrame, pd.Series],
) -> None:
    frame, y = credit
    binning = MonotoneBinner(name="region", kind="categorical").fit(frame.region, y).binning_
    theirs = OptimalBinning(
        dtype="categorical", max_n_bins=8, min_bin_size=0.05, min_bin_n_event=1,
        min_bin_n_nonevent=1,
    ).fit(frame.region.to_numpy(dtype=object), y.to_numpy())  # fmt: skip
    assert [set(g) for g in binning.categories] == [set(map(str, g)) for g in theirs.splits]
    woe = np.abs(np.asarray(binning.woe[: binning.n_regular]))
    assert binning.unseen_bin == int(np.argmin(woe))
    index = assign_bins(binning, np.array(["atlantis", None, np.nan, "north"], dtype=object))
    north = next(i for i, g in enumerate(binning.categories) if "north" in g)
    assert index.tolist() == [
        binning.unseen_bin,
        binning.missing_index,
        binning.missing_index,
        north,
    ]
    assert binning.monotonic_trend is None


def test_categories_are_compared_as_text() -> None:
    rng = np.random.default_rng(1)
    flags = rng.uniform(size=600) < 0.5
    y = (rng.uniform(size=600) < np.where(flags, 0.5, 0.15)).astype(int)
    binning = MonotoneBinner(name="flag", kind="categorical").fit(flags, y).binning_
    assert sorted(c for g in binning.categories for c in g) == ["False", "True"]
    assert assign_bins(binning, [True]).tolist() == assign_bins(binning, ["True"]).tolist()


def test_all_missing_column_gets_one_empty_group() -> None:
    y = np.array([0, 1] * 50)
    binning = MonotoneBinner(name="c", kind="categorical").fit([None] * 100, y).binning_
    assert binning.categories == ((),)
    assert binning.counts[binning.missing_index] == 100
    assert binning.iv == pytest.approx(0.0, abs=1e-15)


def test_integer_valued_is_recorded(credit: tuple[pd.DataFrame, pd.Series]) -> None:
    frame, y = credit
    assert MonotoneBinner(name="age").fit(frame.age, y).binning_.integer_valued
    assert not MonotoneBinner(name="u").fit(frame.utilisation, y).binning_.integer_valued


def test_transform_returns_the_woe_of_each_value(credit: tuple[pd.DataFrame, pd.Series]) -> None:
    frame, y = credit
    binner = MonotoneBinner(name="age").fit(frame.age, y)
    woe = binner.transform(frame.age)
    index = assign_bins(binner.binning_, frame.age)
    assert woe.tolist() == [binner.binning_.woe[i] for i in index]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"kind": "ordinal"}, "kind must be"),
        ({"monotonic_trend": "up"}, "monotonic_trend must be one of"),
        ({"max_n_bins": 1}, "max_n_bins must be an integer >= 2"),
        ({"min_bin_size": 0.7}, r"min_bin_size must be in \(0, 0.5\]"),
        ({"special_codes": [math.inf]}, "special codes must be finite"),
    ],
)
def test_bad_binner_parameters_are_refused(params: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        MonotoneBinner(**params).fit(np.arange(100.0), np.arange(100) % 2)  # type: ignore[arg-type]


def test_one_class_target_is_a_model_error() -> None:
    with pytest.raises(ModelError, match="needs both good and bad rows"):
        MonotoneBinner().fit(np.arange(10.0), np.zeros(10, dtype=int))


def test_text_in_a_numerical_column_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="non-numeric"):
        as_float(np.array(["1.0", "lots"], dtype=object), "income")


def test_dates_in_a_numerical_column_are_refused() -> None:
    with pytest.raises(InvalidInputError, match="dates or durations"):
        as_float(pd.Series(pd.to_datetime(["2026-01-01"])), "opened")


def test_nullable_numbers_become_nan() -> None:
    values = as_float(pd.Series([1, None, 3], dtype="Int64"), "n")
    assert np.isnan(values[1])
    assert values[2] == 3.0


@pytest.mark.parametrize("target", [[0, 2], [0.0, math.nan], ["good", "bad"], [[0, 1], [1, 0]]])
def test_targets_other_than_zero_one_are_refused(target: object) -> None:
    with pytest.raises(InvalidInputError, match="target"):
        as_target(target)


def test_boolean_target_means_true_is_bad() -> None:
    assert as_target([True, False]).tolist() == [1, 0]


def test_inconsistent_binning_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="must each have 4 entries"):
        Binning("x", "numerical", splits=(1.0,), counts=(1, 1), bad_counts=(0, 0),
                woe=(0.0, 0.0), bin_iv=(0.0, 0.0))  # fmt: skip
    with pytest.raises(InvalidInputError, match="strictly increasing"):
        Binning("x", "numerical", splits=(2.0, 1.0), counts=(1,) * 5, bad_counts=(0,) * 5,
                woe=(0.0,) * 5, bin_iv=(0.0,) * 5)  # fmt: skip
